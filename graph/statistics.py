"""Counting children for analysts (R11): each question is one aggregation in Cypher.

The counts leave the graph already grouped, never as rows of children: the finest
cells of a cube (at most a few thousand, whatever the population), which
`policies/analytics.py` completes with its margins and suppresses. Who is counted:

- live records only (`archivedOn IS NULL`, R16), born within the last 18 years (an
  18th birthday archives the record even before the retention job has run);
- involvements while visible under R5: active, or ended no more than 365 days ago
  (the same horizon as the index view, `policies.visibility.involvement_horizon`);
- a child with two involvements of one kind (two social care episodes) counts once
  for that kind: the kinds are de-duplicated per child before grouping.

The age band is computed against dates passed in (the day each band starts), so the
Cypher compares dates instead of computing an age per child. Each statement is a
single pass over the Child label (with the involvement expansion for service kinds):
there is no selective index for "every live child", and a scan over the node store
is what Neo4j does fastest for an aggregate over nearly every node. The addressKey,
dateOfBirth and id indexes serve the network queries instead (graph/network.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, LiteralString

from graph.database import Graph

__all__ = [
    "ServiceEdgeCount",
    "ServiceNode",
    "co_involvement_counts",
    "kind_counts",
    "person_counts",
    "service_network",
]

Key = tuple[str, ...]

# The person dimensions of one child, in policies.analytics.PERSON_DIMENSIONS order.
# $bands is [[name, bornAfter], ...] youngest first; $bornAfter is the 18th birthday limit.
_LIVE_CHILDREN: LiteralString = """
MATCH (c:Child)
WHERE c.archivedOn IS NULL AND c.dateOfBirth > $bornAfter
WITH c,
     coalesce(c.localAuthority, 'UNKNOWN') AS la,
     [b IN $bands WHERE c.dateOfBirth > b[1] | b[0]][0] AS band,
     coalesce(c.gender, 'NOT_KNOWN') AS gender,
     CASE WHEN EXISTS { (:Assessment)-[:ABOUT]->(c) } THEN 'true' ELSE 'false' END AS caf
"""

PERSON_COUNTS: LiteralString = (
    _LIVE_CHILDREN
    + """
RETURN la, band, gender, caf, count(*) AS children
"""
)

# Visible involvements (R5) with services of ordinary kinds that are not flagged
# sensitive, or of the sensitive kinds (counted at local authority level by policy).
_VISIBLE_KINDS: LiteralString = """
WITH c, la, band, gender, caf,
     [(c)<-[:OF]-(i:Involvement)-[:AT]->(s:Service)
        WHERE (i.endedOn IS NULL OR i.endedOn >= $horizon)
          AND (s.kind IN $sensitiveKinds OR NOT coalesce(s.sensitive, false))
        | coalesce(s.kind, 'OTHER')] AS kinds
WITH la, band, gender, caf,
     reduce(seen = [], k IN kinds | CASE WHEN k IN seen THEN seen ELSE seen + k END) AS kinds
"""

KIND_COUNTS: LiteralString = (
    _LIVE_CHILDREN
    + _VISIBLE_KINDS
    + """
UNWIND kinds AS kind
RETURN kind, la, band, gender, caf, count(*) AS children
"""
)

CO_INVOLVEMENT_COUNTS: LiteralString = (
    _LIVE_CHILDREN
    + _VISIBLE_KINDS
    + """
WHERE size(kinds) > 1
UNWIND kinds AS a
UNWIND kinds AS b
WITH la, a, b WHERE a < b
RETURN a, b, la, count(*) AS children
"""
)

# Services of the local authority (or all), with the children each pair shares. A child
# counts once per pair, whatever the number of involvements with either service.
SERVICE_NODES: LiteralString = """
MATCH (s:Service)
WHERE $la IS NULL OR s.localAuthority = $la
RETURN s.id AS id, s.name AS name, coalesce(s.kind, 'OTHER') AS kind,
       coalesce(s.sensitive, false) OR s.kind IN $sensitiveKinds AS sensitive,
       s.localAuthority AS localAuthority
ORDER BY id
"""

SERVICE_EDGES: LiteralString = """
MATCH (c:Child)
WHERE c.archivedOn IS NULL AND c.dateOfBirth > $bornAfter
WITH [(c)<-[:OF]-(i:Involvement)-[:AT]->(s:Service)
        WHERE (i.endedOn IS NULL OR i.endedOn >= $horizon)
          AND NOT coalesce(s.sensitive, false) AND NOT s.kind IN $sensitiveKinds
          AND ($la IS NULL OR s.localAuthority = $la)
        | s.id] AS services
WHERE size(services) > 1
WITH reduce(seen = [], x IN services | CASE WHEN x IN seen THEN seen ELSE seen + x END) AS services
UNWIND services AS a
UNWIND services AS b
WITH a, b WHERE a < b
RETURN a, b, count(*) AS children
"""


def _params(
    today_bands: tuple[tuple[str, date], ...], horizon: date, sensitive: frozenset[str]
) -> dict[str, Any]:
    return {
        "bands": [[name, born_after] for name, born_after in today_bands],
        "bornAfter": today_bands[-1][1],
        "horizon": horizon,
        "sensitiveKinds": sorted(sensitive),
    }


async def person_counts(
    graph: Graph,
    *,
    bands: tuple[tuple[str, date], ...],
    horizon: date,
    sensitive_kinds: frozenset[str],
) -> dict[Key, int]:
    """Live children by (local authority, age band, gender, has CAF): one pass."""
    records = await graph.read(PERSON_COUNTS, **_params(bands, horizon, sensitive_kinds))
    return {
        (r["la"], r["band"], r["gender"], r["caf"]): int(r["children"])
        for r in records
        if r["band"] is not None
    }


async def kind_counts(
    graph: Graph,
    *,
    bands: tuple[tuple[str, date], ...],
    horizon: date,
    sensitive_kinds: frozenset[str],
) -> dict[Key, int]:
    """Live children by (service kind, local authority, age band, gender, has CAF)."""
    records = await graph.read(KIND_COUNTS, **_params(bands, horizon, sensitive_kinds))
    return {
        (r["kind"], r["la"], r["band"], r["gender"], r["caf"]): int(r["children"])
        for r in records
        if r["band"] is not None
    }


async def co_involvement_counts(
    graph: Graph,
    *,
    bands: tuple[tuple[str, date], ...],
    horizon: date,
    sensitive_kinds: frozenset[str],
) -> dict[Key, int]:
    """Live children involved with both kinds of a pair, by (kindA, kindB, local authority)."""
    records = await graph.read(CO_INVOLVEMENT_COUNTS, **_params(bands, horizon, sensitive_kinds))
    return {(r["a"], r["b"], r["la"]): int(r["children"]) for r in records}


@dataclass(frozen=True, slots=True)
class ServiceNode:
    id: str
    name: str
    kind: str
    sensitive: bool
    local_authority: str | None


@dataclass(frozen=True, slots=True)
class ServiceEdgeCount:
    source: str
    target: str
    children: int


async def service_network(
    graph: Graph,
    *,
    local_authority: str | None,
    bands: tuple[tuple[str, date], ...],
    horizon: date,
    sensitive_kinds: frozenset[str],
) -> tuple[list[ServiceNode], list[ServiceEdgeCount]]:
    """The services (of one local authority, or all) and the children each pair shares."""
    params = _params(bands, horizon, sensitive_kinds)
    nodes = [
        ServiceNode(r["id"], r["name"] or "", r["kind"], bool(r["sensitive"]), r["localAuthority"])
        for r in await graph.read(
            SERVICE_NODES, la=local_authority, sensitiveKinds=params["sensitiveKinds"]
        )
    ]
    edges = [
        ServiceEdgeCount(r["a"], r["b"], int(r["children"]))
        for r in await graph.read(SERVICE_EDGES, la=local_authority, **params)
    ]
    return nodes, edges
