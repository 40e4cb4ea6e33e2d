"""Query.involvementStatistics, coInvolvement, serviceNetwork, statisticsSnapshot (R11).

Analysts' answers are slices of one suppressed set of counts: the current statistics
snapshot (graph/statistics.py), completed and suppressed by policies/analytics.py once
per snapshot and per process, then sliced per question. A request costs one small
round trip (is the snapshot still the one we suppressed?) and no aggregation at all.

The snapshot is refreshed in the background once it is older than
`statistics_max_age_s` (CONTACTGRAPH_STATISTICS_MAX_AGE) or from another day, while the
old one keeps answering; only when there is none at all does a request wait for the
first one. `contactgraph statistics refresh` does the same from a scheduler.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import weakref
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import strawberry
from strawberry.types import Info

from api.context import RequestContext
from api.errors import BadUserInput, Forbidden
from api.schema.enums import service_kind
from api.schema.statistics import (
    CoInvolvementRow,
    ServiceEdge,
    ServiceNetwork,
    ServiceNode,
    StatisticDimension,
    StatisticRow,
    StatisticsSnapshot,
)
from graph import statistics as statistics_graph
from graph.database import Graph
from policies import analytics
from policies.facts import SENSITIVE_KINDS
from policies.visibility import involvement_horizon

__all__ = [
    "current_snapshot",
    "refresh_snapshot",
    "resolve_co_involvement",
    "resolve_involvement_statistics",
    "resolve_service_network",
    "resolve_statistics_snapshot",
    "service_network_view",
]

log = logging.getLogger("contactgraph.statistics")

MAX_LOCAL_AUTHORITY = 20
MAX_MIN_SHARED = 1_000_000


async def refresh_snapshot(graph: Graph, today: date) -> statistics_graph.PopulationCounts:
    """Counts the population as of `today` and makes it the current snapshot."""
    counts = await statistics_graph.count_population(
        graph,
        as_of=today,
        bands=analytics.age_band_limits(today),
        horizon=involvement_horizon(today),
        sensitive_kinds=SENSITIVE_KINDS,
        separate_at=analytics.MIN_SHOWN,
    )
    await statistics_graph.save_snapshot(graph, counts)
    return counts


@dataclass(frozen=True)
class _Suppressed:
    """One snapshot after policy: every answer is a slice of these."""

    as_of: date
    computed_at: datetime
    person: dict[tuple[str, ...], analytics.Cell]
    kinds: dict[tuple[str, ...], analytics.Cell]
    pairs: dict[tuple[str, ...], analytics.Cell]
    edges: list[analytics.Edge]  # after R11: the edges that may be drawn


def _suppressed(counts: statistics_graph.PopulationCounts) -> _Suppressed:
    return _Suppressed(
        as_of=counts.as_of,
        computed_at=counts.computed_at,
        person=analytics.person_cube(counts.person),
        kinds=analytics.kind_cube(counts.kinds),
        pairs=analytics.co_involvement_cube(counts.pairs),
        # Sensitive services never reach the snapshot's edges (graph/statistics.py); the
        # request filters on the services' flags once more before anything is drawn.
        edges=analytics.suppress_edges(
            [analytics.Edge(a, b, n, group) for (a, b), (group, n) in counts.edges.items()],
            counts.small_edges,
            frozenset(),
        ),
    )


class _Snapshots:
    """The suppressed snapshot of one graph in this process, and its refresh."""

    def __init__(self) -> None:
        self.current: _Suppressed | None = None
        self.refreshing: asyncio.Task[statistics_graph.PopulationCounts] | None = None

    def _refresh(
        self, graph: Graph, today: date
    ) -> asyncio.Task[statistics_graph.PopulationCounts]:
        if self.refreshing is None or self.refreshing.done():
            # Its own context: the counting is nobody's request, so it is not added to
            # the round trips of the request that happened to start it.
            self.refreshing = asyncio.create_task(
                refresh_snapshot(graph, today), context=contextvars.Context()
            )
            self.refreshing.add_done_callback(_log_failure)
        return self.refreshing

    async def get(
        self, graph: Graph, today: date, now: datetime, max_age: timedelta
    ) -> _Suppressed:
        stamp = await statistics_graph.snapshot_stamp(graph)
        if stamp is None:
            # Nothing to answer from yet: wait for the first count (shielded, so a request
            # that times out does not cancel the work the next one will use).
            counts = await asyncio.shield(self._refresh(graph, today))
            self.current = _suppressed(counts)
            return self.current
        as_of, computed_at = stamp
        if as_of != today or now - computed_at > max_age:
            self._refresh(graph, today)  # the old snapshot answers meanwhile
        if self.current is None or self.current.computed_at != computed_at:
            loaded = await statistics_graph.load_snapshot(graph)
            if loaded is None:  # replaced between the two reads: count now
                self.current = _suppressed(await asyncio.shield(self._refresh(graph, today)))
            else:
                self.current = _suppressed(loaded)
        return self.current


def _log_failure(task: asyncio.Task[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("statistics refresh failed", exc_info=task.exception())


_SNAPSHOTS: weakref.WeakKeyDictionary[Graph, _Snapshots] = weakref.WeakKeyDictionary()


async def current_snapshot(
    graph: Graph, today: date, now: datetime, max_age: timedelta
) -> _Suppressed:
    """The suppressed snapshot of this graph (refreshing it as the module docstring says)."""
    return await _SNAPSHOTS.setdefault(graph, _Snapshots()).get(graph, today, now, max_age)


async def _snapshot(info: Info[Any, Any], action: str) -> _Suppressed:
    ctx: RequestContext = info.context
    decision = analytics.may_see_aggregates(ctx.viewer)
    if not decision:
        raise Forbidden(f"{action} is for analysts (R11)")
    max_age = timedelta(seconds=ctx.settings.statistics_max_age_s)
    return await current_snapshot(ctx.graph, ctx.today, ctx.now, max_age)


def _local_authority(value: str | None) -> str | None:
    if value is None:
        return None
    text = value.strip()
    if not text or len(text) > MAX_LOCAL_AUTHORITY:
        raise BadUserInput("localAuthority must be a local authority code", field="localAuthority")
    return text


async def resolve_involvement_statistics(
    info: Info[Any, Any],
    group_by: list[StatisticDimension],
    local_authority: str | None = None,
) -> list[StatisticRow]:
    names = [dimension.value for dimension in group_by]
    if len(set(names)) != len(names):
        raise BadUserInput("groupBy names a dimension twice", field="groupBy")
    la = _local_authority(local_authority)
    snapshot = await _snapshot(info, "involvementStatistics")
    cells = snapshot.kinds if "SERVICE_KIND" in names else snapshot.person
    return [
        StatisticRow(key=list(key), children=cell.children, suppressed=cell.suppressed)
        for key, cell in analytics.statistic_rows(cells, names, la)
    ]


async def resolve_co_involvement(
    info: Info[Any, Any], local_authority: str | None = None
) -> list[CoInvolvementRow]:
    la = _local_authority(local_authority)
    snapshot = await _snapshot(info, "coInvolvement")
    wanted = la if la is not None else analytics.ALL
    return [
        CoInvolvementRow(
            kind_a=service_kind(kind_a),
            kind_b=service_kind(kind_b),
            children=cell.children,
            suppressed=cell.suppressed,
        )
        for (kind_a, kind_b, where), cell in sorted(snapshot.pairs.items())
        if where == wanted
    ]


async def resolve_service_network(
    info: Info[Any, Any],
    local_authority: str | None = None,
    min_shared_children: int = analytics.MIN_SHOWN,
) -> ServiceNetwork:
    la = _local_authority(local_authority)
    if not analytics.MIN_SHOWN <= min_shared_children <= MAX_MIN_SHARED:
        raise BadUserInput(
            f"minSharedChildren must be at least {analytics.MIN_SHOWN} (R11)",
            field="minSharedChildren",
        )
    snapshot = await _snapshot(info, "serviceNetwork")
    ctx: RequestContext = info.context
    nodes, edges = await service_network_view(
        ctx.graph, snapshot, local_authority=la, min_shared_children=min_shared_children
    )
    return ServiceNetwork(
        nodes=[
            ServiceNode(
                id=strawberry.ID(node.id),
                name=node.name,
                kind=service_kind(node.kind),
                sensitive=node.sensitive,
                local_authority=node.local_authority,
            )
            for node in nodes
        ],
        edges=[
            ServiceEdge(
                from_=strawberry.ID(e.source), to=strawberry.ID(e.target), children=e.children
            )
            for e in edges
        ],
        computed_at=snapshot.computed_at,
    )


async def service_network_view(
    graph: Graph,
    snapshot: _Suppressed,
    *,
    local_authority: str | None,
    min_shared_children: int,
) -> tuple[list[statistics_graph.ServiceNode], list[analytics.Edge]]:
    """The service network an analyst may see, for Query.serviceNetwork and the export."""
    nodes = await statistics_graph.service_nodes(
        graph, local_authority=local_authority, sensitive_kinds=SENSITIVE_KINDS
    )
    present = {node.id for node in nodes}
    sensitive = {node.id for node in nodes if node.sensitive}
    edges = [
        edge
        for edge in snapshot.edges
        if edge.source in present
        and edge.target in present
        and edge.source not in sensitive
        and edge.target not in sensitive
        and edge.children >= min_shared_children
    ]
    return nodes, edges


async def resolve_statistics_snapshot(info: Info[Any, Any]) -> StatisticsSnapshot:
    snapshot = await _snapshot(info, "statisticsSnapshot")
    return StatisticsSnapshot(as_of=snapshot.as_of, computed_at=snapshot.computed_at)


_ANALYST_ONLY = " ANALYST only (FORBIDDEN otherwise); answered from the statistics snapshot."


# --- Root fields: what this domain adds to Query and Mutation --------------------


@strawberry.type
class StatisticsQuery:
    @strawberry.field(
        description=(
            "Live children counted by any combination of dimensions (R11), e.g. groupBy "
            "[SERVICE_KIND, AGE_BAND]. Each row's key follows groupBy's order. With "
            "SERVICE_KIND a child is counted once under every kind of service working with "
            "them (involvements active or ended within 365 days), so kinds do not add up "
            "to the number of children. localAuthority (a code such as NBR) restricts the "
            "count to that authority's children. Counts of 1 to 4, and any count from which "
            "one could be worked out by subtraction, are null with suppressed: true. "
            "Sensitive kinds (MENTAL_HEALTH, SEXUAL_HEALTH, SUBSTANCE_MISUSE) are never "
            'broken down below local authority: their rows carry "*" for age band, gender '
            "and CAF." + _ANALYST_ONLY
        )
    )
    async def involvement_statistics(
        self,
        info: Info[Any, Any],
        group_by: list[StatisticDimension],
        local_authority: str | None = None,
    ) -> list[StatisticRow]:
        return await resolve_involvement_statistics(info, group_by, local_authority)

    @strawberry.field(
        description=(
            "Pairs of service kinds working with the same children: how many live children "
            "have involvements (active or ended within 365 days) with both, for one local "
            "authority or for all. Counts of 1 to 4, and any that could be worked out from "
            "the other authorities' counts and the total, are suppressed (R11)." + _ANALYST_ONLY
        )
    )
    async def co_involvement(
        self, info: Info[Any, Any], local_authority: str | None = None
    ) -> list[CoInvolvementRow]:
        return await resolve_co_involvement(info, local_authority)

    @strawberry.field(
        description=(
            "The service-level involvement network: services of a local authority (or all) "
            "as nodes, and an edge wherever two services work with the same children, "
            "weighted by how many (R11). minSharedChildren (at least and by default 5) "
            "drops lighter edges. No person appears anywhere: export it with `contactgraph "
            "export service-network --format graphml|csv` for Gephi or NetworkX." + _ANALYST_ONLY
        )
    )
    async def service_network(
        self,
        info: Info[Any, Any],
        local_authority: str | None = None,
        min_shared_children: int = 5,
    ) -> ServiceNetwork:
        return await resolve_service_network(info, local_authority, min_shared_children)

    @strawberry.field(
        description="When the counts every statistics query answers from were taken."
        + _ANALYST_ONLY
    )
    async def statistics_snapshot(self, info: Info[Any, Any]) -> StatisticsSnapshot:
        return await resolve_statistics_snapshot(info)
