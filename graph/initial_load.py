"""The Cypher around a first load in bulk (contactgraph load --initial): before and after.

Before: is the database empty, and which local authorities does it already hold? A
database with anything in it but bookkeeping (the migrations' own nodes, audit chain
heads and writers with no event, a statistics snapshot, rate-limit buckets) and local
authorities is refused: the import replaces the whole store, and nothing that someone
wrote may be lost to it. Local authorities are reference data the index team sets up
before any feed (a feed naming an unknown one is rejected), so they are carried over:
read here, written back after.

After: the local authorities back, then those the load's files upserted, what the CSV
cannot say (an empty list), and a wait
until the indexes the migrations create over millions of imported nodes are online.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, LiteralString

from graph.alerts import Actor
from graph.database import Graph
from graph.feed_writes.upsert_local_authority import LOCAL_AUTHORITIES

__all__ = [
    "BOOKKEEPING_LABELS",
    "await_indexes",
    "contents",
    "finish_imported",
    "local_authorities",
    "restore_local_authorities",
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

_READ_LOCAL_AUTHORITIES: LiteralString = (
    "MATCH (la:LocalAuthority) RETURN properties(la) AS props ORDER BY la.code"
)

_RESTORE_LOCAL_AUTHORITIES: LiteralString = """
UNWIND $rows AS props
MERGE (la:LocalAuthority {code: props.code})
SET la = props
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


async def local_authorities(graph: Graph) -> list[dict[str, Any]]:
    return [dict(r["props"]) for r in await graph.read(_READ_LOCAL_AUTHORITIES)]


async def restore_local_authorities(graph: Graph, rows: list[dict[str, Any]]) -> None:
    if rows:
        await graph.write(_RESTORE_LOCAL_AUTHORITIES, rows=rows)


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


async def await_indexes(graph: Graph, seconds: int = 7200) -> None:
    """Until every index (those the migrations just created over the import) is online."""
    await graph.write_autocommit("CALL db.awaitIndexes($seconds)", seconds=seconds)
