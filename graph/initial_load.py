"""The Cypher around a first load in bulk (contactgraph load --initial): before and after.

Before: is the database empty, and what does an empty index hold? A database with
anything in it but bookkeeping (the migrations' records and the nodes they make, audit
writers with no event, a statistics snapshot, rate-limit buckets) and local authorities
is refused: the import replaces the whole store, and nothing that someone wrote may be
lost to it. What it does hold is kept (`kept_nodes`) and put back on the new store
(`put_back`): local authorities are reference data the index team sets up before any
feed (a feed naming an unknown one is rejected), and the bookkeeping says what the store
is, above all which migrations it has had.

The imported data is written by today's planner, in the shape the data migrations
bring older data to, so the new store takes the migrations' schema statements only;
their records, put back, say they are applied (graph/migrations.py).

After: the local authorities the load's files upserted, what the CSV cannot say (an
empty list), and a wait until the indexes over millions of imported nodes are online.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, LiteralString

from graph import migrations
from graph.alerts import Actor
from graph.database import Graph
from graph.feed_writes.upsert_local_authority import LOCAL_AUTHORITIES
from graph.lead_professional import LEADS_FROM_FLAGS

__all__ = [
    "BOOKKEEPING_LABELS",
    "KeptNode",
    "await_indexes",
    "contents",
    "finish_imported",
    "kept_nodes",
    "put_back",
    "write_local_authorities",
]

BOOKKEEPING_LABELS = (
    "Migration", "AuditChain", "AuditWriter", "IngestLock", "StatisticsSnapshot", "SharedBucket",
)  # fmt: skip

_CONTENTS: LiteralString = """
MATCH (n)
WHERE NOT (n:Migration OR n:IngestLock OR n:StatisticsSnapshot OR n:LocalAuthority
  OR n:AuditWriter OR n:SharedBucket OR (n:AuditChain AND coalesce(n.seq, 0) = 0))
WITH n LIMIT 100000
UNWIND labels(n) AS label
RETURN label, count(*) AS nodes ORDER BY nodes DESC, label
"""

# Only after `contents` found nothing but bookkeeping and local authorities: a few nodes.
_KEPT: LiteralString = "MATCH (n) RETURN labels(n) AS labels, properties(n) AS props"
_MIGRATED: LiteralString = "MATCH (m:Migration) RETURN count(m) AS n"
_PUT_BACK: LiteralString = """
UNWIND $nodes AS node
CREATE (n:$(node.labels))
SET n = node.props
"""

# `ON CREATE SET a.strengths = []` (graph/ingest.py): the import tool stores no empty list.
_EMPTY_LISTS: LiteralString = """
MATCH (a:Assessment) WHERE a.strengths IS NULL
CALL (a) { SET a.strengths = [] } IN TRANSACTIONS OF 10000 ROWS
"""


async def contents(graph: Graph) -> list[tuple[str, int]]:
    """(label, nodes) of what is in the database besides bookkeeping and local
    authorities (counted up to 100,000 nodes: enough to say what is there)."""
    return [(r["label"], int(r["nodes"])) for r in await graph.read(_CONTENTS)]


@dataclass(frozen=True)
class KeptNode:
    """A node of the empty index, as it was before the import."""

    labels: tuple[str, ...]
    props: dict[str, Any]


async def kept_nodes(graph: Graph) -> list[KeptNode]:
    """Every node of a database `contents` found empty, to be put back after the import."""
    return [
        KeptNode(tuple(r["labels"]), dict(r["props"]))
        for r in await graph.read(_KEPT)
        if r["labels"]
    ]


async def put_back(graph: Graph, kept: list[KeptNode]) -> bool:
    """On a new store (one with no migration record: imported, or left empty by a failed
    import), the migrations' schema and the nodes kept; True if it was a new store.

    A store that still has its records is the one the nodes were read from: untouched."""
    if int((await graph.read(_MIGRATED))[0]["n"]):
        return False
    await migrations.apply_schema(graph)
    nodes = [{"labels": list(n.labels), "props": n.props} for n in kept]
    if nodes:
        await graph.write(_PUT_BACK, nodes=nodes)
    return True


async def write_local_authorities(
    graph: Graph, rows: list[dict[str, Any]], now: datetime, actor: Actor
) -> None:
    """The load's UPSERT_LOCAL_AUTHORITY rows, in file order, by ingest's own statement
    (after the authorities carried over are back): an index-team contact the load
    changes raises its alert (R4) as ingest's write would."""
    start = 0
    while start < len(rows):  # one call per run of rows from the same source
        source = rows[start]["source"]
        end = start
        while end < len(rows) and rows[end]["source"] == source:
            end += 1
        await graph.write(
            LOCAL_AUTHORITIES, rows=rows[start:end], now=now, actor=actor.params(source)
        )
        start = end


async def finish_imported(graph: Graph) -> None:
    await graph.write_autocommit(_EMPTY_LISTS)
    await graph.write_autocommit(LEADS_FROM_FLAGS)


async def await_indexes(graph: Graph, seconds: int = 7200) -> None:
    """Until every index (those the migrations just created over the import) is online."""
    await graph.write_autocommit("CALL db.awaitIndexes($seconds)", seconds=seconds)
