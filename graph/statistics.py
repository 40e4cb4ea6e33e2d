"""Counting children for analysts (R11): one aggregation pass in Cypher, kept as a snapshot.

Who is counted:

- live records only (`archivedOn IS NULL`, R16), born within the last 18 years (an
  18th birthday archives the record even before the retention job has run);
- involvements while visible under R5: active, or ended no more than 365 days ago
  (the horizon of the index view, `policies.visibility.involvement_horizon`);
- a child with two involvements of one kind, or with one service, counts once for it:
  kinds and services are de-duplicated per child before anything is grouped.

One statement walks every live child once (the Child label, then each child's
involvements) and returns only grouped counts, never a row per child:

- PERSON rows: children by (local authority, age band, gender, has a CAF);
- KIND rows: the same, per service kind (a child counts once under each kind);
- PAIR rows: children with both kinds of a pair, per local authority;
- EDGE rows: children shared by two services, for pairs sharing `separate_at` or more;
  smaller pairs are summed per group of (kind and local authority of each end) into
  SMALL rows, which is all that policy needs of them (policies.analytics.suppress_edges).

Services flagged sensitive count under no kind unless their kind is one of the
sensitive kinds, and never make an edge (policies/analytics.py says why).

Why a snapshot. On a population of a million this pass walks about 2.6 million
involvements; a per-request aggregate cannot answer in seconds on a small machine.
Counts that change between two questions are also a disclosure risk of their own
(a differencing attack: ask, wait for one child to be added, ask again). So the
pass runs as a job (`contactgraph statistics refresh`, or in the background when the
snapshot is older than its maximum age), writes one `(:StatisticsSnapshot)` node, and
every analyst question is answered from that one set of counts: one small read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, LiteralString

from neo4j import Query, RoutingControl

from graph.database import Graph
from graph.facts import native_date, native_datetime

__all__ = [
    "PopulationCounts",
    "ServiceNode",
    "count_population",
    "load_snapshot",
    "save_snapshot",
    "service_nodes",
    "snapshot_stamp",
]

Key = tuple[str, ...]

REFRESH_TIMEOUT_S = 1800.0
"""The aggregation pass is a batch job, not a request: it gets its own, long, timeout."""

# $bands is [[name, bornAfter], ...] youngest first; $bornAfter is the 18th birthday limit.
POPULATION_COUNTS: LiteralString = """
MATCH (c:Child)
WHERE c.dateOfBirth > $bornAfter AND c.archivedOn IS NULL
WITH c, coalesce(c.localAuthority, 'UNKNOWN') AS la, coalesce(c.gender, 'NOT_KNOWN') AS gender,
     CASE WHEN c.dateOfBirth > $bands[0][1] THEN $bands[0][0]
          WHEN c.dateOfBirth > $bands[1][1] THEN $bands[1][0]
          WHEN c.dateOfBirth > $bands[2][1] THEN $bands[2][0]
          ELSE $bands[3][0] END AS band,
     CASE WHEN EXISTS { (:Assessment)-[:ABOUT]->(c) } THEN 'true' ELSE 'false' END AS caf
WITH la, gender, band, caf,
     [(c)<-[:OF]-(i:Involvement)-[:AT]->(s:Service)
        WHERE i.endedOn IS NULL OR i.endedOn >= $horizon
        | {kind: coalesce(s.kind, 'OTHER'), id: s.id,
           group: coalesce(s.kind, 'OTHER') + '|' + coalesce(s.localAuthority, ''),
           sensitive: coalesce(s.sensitive, false) OR s.kind IN $sensitiveKinds}] AS seen
WITH la, gender, band, caf,
     reduce(acc = [], x IN seen |
       CASE WHEN (x.kind IN $sensitiveKinds OR NOT x.sensitive) AND NOT x.kind IN acc
            THEN acc + [x.kind] ELSE acc END) AS kinds,
     reduce(acc = [], x IN seen |
       CASE WHEN NOT x.sensitive AND NOT x.id IN [y IN acc | y.id]
            THEN acc + [x] ELSE acc END) AS services
WITH la, gender, band, caf,
     [{what: 'PERSON', a: '', b: '', g: ''}]
     + [k IN kinds | {what: 'KIND', a: k, b: '', g: ''}]
     + reduce(acc = [], a IN kinds |
         acc + [b IN kinds WHERE a < b | {what: 'PAIR', a: a, b: b, g: ''}])
     + reduce(acc = [], a IN services |
         acc + [b IN services WHERE a.id < b.id | {what: 'EDGE', a: a.id, b: b.id,
           g: CASE WHEN a.group <= b.group THEN a.group + '/' + b.group
                   ELSE b.group + '/' + a.group END}]) AS items
UNWIND items AS item
WITH item.what AS what, item.a AS a, item.b AS b, item.g AS g,
     CASE WHEN item.what = 'EDGE' THEN '' ELSE la END AS la,
     CASE WHEN item.what IN ['PERSON', 'KIND'] THEN band ELSE '' END AS band,
     CASE WHEN item.what IN ['PERSON', 'KIND'] THEN gender ELSE '' END AS gender,
     CASE WHEN item.what IN ['PERSON', 'KIND'] THEN caf ELSE '' END AS caf
WITH what, a, b, g, la, band, gender, caf, count(*) AS children
WITH what, la, band, gender, caf, children,
     what = 'EDGE' AND children < $separateAt AS small,
     a, b, g
WITH CASE WHEN small THEN 'SMALL' ELSE what END AS what,
     CASE WHEN small THEN g ELSE a END AS a,
     CASE WHEN small THEN '' ELSE b END AS b,
     CASE WHEN small OR what = 'EDGE' THEN g ELSE '' END AS g,
     la, band, gender, caf, sum(children) AS children, count(*) AS cells
RETURN what, a, b, g, la, band, gender, caf, children, cells
"""

SAVE_SNAPSHOT: LiteralString = """
MERGE (s:StatisticsSnapshot {id: 'current'})
SET s.asOf = $asOf, s.computedAt = $computedAt, s.person = $person, s.kinds = $kinds,
    s.pairs = $pairs, s.edges = $edges, s.smallEdges = $smallEdges
"""

SNAPSHOT_STAMP: LiteralString = """
MATCH (s:StatisticsSnapshot {id: 'current'})
RETURN s.asOf AS asOf, s.computedAt AS computedAt
"""

LOAD_SNAPSHOT: LiteralString = """
MATCH (s:StatisticsSnapshot {id: 'current'})
RETURN s.asOf AS asOf, s.computedAt AS computedAt, s.person AS person, s.kinds AS kinds,
       s.pairs AS pairs, s.edges AS edges, s.smallEdges AS smallEdges
"""

SERVICE_NODES: LiteralString = """
MATCH (s:Service)
WHERE $la IS NULL OR s.localAuthority = $la
RETURN s.id AS id, s.name AS name, coalesce(s.kind, 'OTHER') AS kind,
       coalesce(s.sensitive, false) OR s.kind IN $sensitiveKinds AS sensitive,
       s.localAuthority AS localAuthority
ORDER BY id
"""


@dataclass(frozen=True)
class PopulationCounts:
    """Grouped counts of one aggregation pass (see module docstring for the keys)."""

    as_of: date
    computed_at: datetime
    person: dict[Key, int]  # (local authority, age band, gender, has CAF)
    kinds: dict[Key, int]  # (kind, local authority, age band, gender, has CAF)
    pairs: dict[Key, int]  # (kind A, kind B, local authority), A < B
    edges: dict[Key, tuple[str, int]]  # (service A, service B), A < B -> (group, children)
    small_edges: dict[str, tuple[int, int]]  # group -> (edges, children)


@dataclass(frozen=True, slots=True)
class ServiceNode:
    id: str
    name: str
    kind: str
    sensitive: bool
    local_authority: str | None

    @property
    def group(self) -> str:
        """The end of an edge group, as POPULATION_COUNTS spells it: 'KIND|LA'."""
        return f"{self.kind}|{self.local_authority or ''}"


async def count_population(
    graph: Graph,
    *,
    as_of: date,
    bands: tuple[tuple[str, date], ...],
    horizon: date,
    sensitive_kinds: frozenset[str],
    separate_at: int,
) -> PopulationCounts:
    """Runs the aggregation pass. A batch job: it is not counted as a request round trip
    and has its own timeout (REFRESH_TIMEOUT_S)."""
    if len(bands) != 4:
        raise ValueError("POPULATION_COUNTS is written for four age bands")
    result = await graph.driver.execute_query(
        Query(POPULATION_COUNTS, timeout=REFRESH_TIMEOUT_S),
        {
            "bands": [[name, born_after] for name, born_after in bands],
            "bornAfter": bands[-1][1],
            "horizon": horizon,
            "sensitiveKinds": sorted(sensitive_kinds),
            "separateAt": separate_at,
        },
        routing_=RoutingControl.READ,
        database_=graph.database,
    )
    counts = PopulationCounts(as_of, datetime.now(UTC), {}, {}, {}, {}, {})
    for r in result.records:
        what, n = r["what"], int(r["children"])
        if what == "PERSON":
            counts.person[(r["la"], r["band"], r["gender"], r["caf"])] = n
        elif what == "KIND":
            counts.kinds[(r["a"], r["la"], r["band"], r["gender"], r["caf"])] = n
        elif what == "PAIR":
            counts.pairs[(r["a"], r["b"], r["la"])] = n
        elif what == "EDGE":
            counts.edges[(r["a"], r["b"])] = (r["g"], n)
        elif what == "SMALL":
            counts.small_edges[r["a"]] = (int(r["cells"]), n)
    return counts


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def _rows(counts: dict[Key, int]) -> str:
    return _compact([[*key, n] for key, n in sorted(counts.items())])


def _unrows(text: str | None) -> dict[Key, int]:
    return {tuple(row[:-1]): int(row[-1]) for row in json.loads(text or "[]")}


async def save_snapshot(graph: Graph, counts: PopulationCounts) -> None:
    """Replaces the one snapshot every API process answers analysts from."""
    await graph.write(
        SAVE_SNAPSHOT,
        asOf=counts.as_of,
        computedAt=counts.computed_at,
        person=_rows(counts.person),
        kinds=_rows(counts.kinds),
        pairs=_rows(counts.pairs),
        edges=_compact([[a, b, g, n] for (a, b), (g, n) in sorted(counts.edges.items())]),
        smallEdges=_compact([[g, e, n] for g, (e, n) in sorted(counts.small_edges.items())]),
    )


async def snapshot_stamp(graph: Graph) -> tuple[date, datetime] | None:
    """When the current snapshot was computed, without reading its counts."""
    records = await graph.read(SNAPSHOT_STAMP)
    if not records:
        return None
    as_of, computed_at = native_date(records[0]["asOf"]), native_datetime(records[0]["computedAt"])
    if as_of is None or computed_at is None:
        return None
    return as_of, computed_at


async def load_snapshot(graph: Graph) -> PopulationCounts | None:
    records = await graph.read(LOAD_SNAPSHOT)
    if not records:
        return None
    r: Any = records[0]
    as_of, computed_at = native_date(r["asOf"]), native_datetime(r["computedAt"])
    if as_of is None or computed_at is None:
        return None
    return PopulationCounts(
        as_of=as_of,
        computed_at=computed_at,
        person=_unrows(r["person"]),
        kinds=_unrows(r["kinds"]),
        pairs=_unrows(r["pairs"]),
        edges={(a, b): (g, int(n)) for a, b, g, n in json.loads(r["edges"] or "[]")},
        small_edges={g: (int(e), int(n)) for g, e, n in json.loads(r["smallEdges"] or "[]")},
    )


async def service_nodes(
    graph: Graph, *, local_authority: str | None, sensitive_kinds: frozenset[str]
) -> list[ServiceNode]:
    """The services of one local authority (or all): organisations, no contact details."""
    records = await graph.read(
        SERVICE_NODES, la=local_authority, sensitiveKinds=sorted(sensitive_kinds)
    )
    return [
        ServiceNode(r["id"], r["name"] or "", r["kind"], bool(r["sensitive"]), r["localAuthority"])
        for r in records
    ]
