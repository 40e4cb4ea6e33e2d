"""Where a feed chunk's Neo4j time goes: PROFILE of each statement of one chunk (issue 21).

    export CONTACTGRAPH_NEO4J_INSTANCE=... CONTACTGRAPH_NEO4J_PORT=...
    .local/venv/bin/python -m bench.chunk_profile FILE [--source bench-mis] [--chunks 2]

Takes FILE's first chunks as `contactgraph ingest` would (run it on the lines before
them first, so their references resolve), and for each, in one transaction that is
rolled back: the ingest lock, the chunk's look-up, each kind of row's statement alone,
R4's household checks, and the chunk's audit event with its mentions. Each is run with
PROFILE and reported with its database hits, rows and wall time (PROFILE's own overhead
included, so compare the parts with each other, not with other figures). Nothing is
written: the database is as it was.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, LiteralString

from neo4j import AsyncManagedTransaction

from feeds.ndjson import parsed_lines
from feeds.ops import WRITER
from feeds.pipeline import CHUNK_RECORDS, chunk_event, chunked
from feeds.plan import ChunkPlanner, chunk_keys
from graph.alerts import HOUSEHOLD_BY_ADDRESS, HOUSEHOLD_BY_CARER, Actor
from graph.audit import _APPEND, _LOCK_HEAD, GENESIS, _chained, _transaction_writer
from graph.connection import target_from_env
from graph.database import Graph, open_graph
from graph.ingest import LOOKUP, _facts, _lookup_params
from graph.ingest_lock import take_ingest_lock

TOP = 4
"""Operators shown under each statement, by database hits."""


class _Rollback(Exception):
    """Ends the profiling transaction without committing anything."""


def _operators(plan: dict[str, Any] | None) -> list[tuple[int, str]]:
    """(db hits, operator and its details) for every operator of a PROFILE plan."""
    if not plan:
        return []
    details = str(plan.get("args", {}).get("Details", ""))[:90]
    own = [(int(plan.get("dbHits", 0) or 0), f"{plan.get('operatorType', '?')} {details}")]
    return own + [op for child in plan.get("children", []) for op in _operators(child)]


async def _profiled(
    tx: AsyncManagedTransaction, name: str, cypher: LiteralString, params: dict[str, Any]
) -> tuple[Any, list[Any]]:
    started = time.perf_counter()
    result = await tx.run("PROFILE " + cypher, params)  # type: ignore[arg-type]
    records = [r async for r in result]
    summary = await result.consume()
    wall = time.perf_counter() - started
    operators = _operators(summary.profile)
    hits = sum(h for h, _ in operators)
    print(f"  {name:<34}{hits:>12,} db hits {wall:>7.2f}s")
    for h, what in sorted(operators, reverse=True)[:TOP]:
        if h:
            print(f"      {h:>10,}  {what}")
    return summary, records


async def _profile_chunk(graph: Graph, source: str, items: list[Any], today: date) -> None:
    records = [i for i in items if not hasattr(i, "code")]
    keys = chunk_keys(records)
    now = datetime.now(UTC)
    who = Actor(f"source:{source}", "FEED", "-").params(source)

    async def work(tx: AsyncManagedTransaction) -> None:
        started = time.perf_counter()
        await take_ingest_lock(tx)
        print(f"  {'ingest lock':<55}{time.perf_counter() - started:>7.2f}s")
        _, rows = await _profiled(tx, "look-up", LOOKUP, _lookup_params(source, keys))
        planner = ChunkPlanner(source, items, today)
        writes, outcome = planner(_facts(rows[0]))
        batches = WRITER.batches(writes)
        for kind, batch in zip(WRITER.kinds, batches, strict=True):
            if batch:
                await _profiled(
                    tx,
                    f"{kind.name} ({len(batch)})",
                    kind.statement,
                    {"rows": batch, "now": now, "actor": who},
                )
        named = {k.name: b for k, b in zip(WRITER.kinds, batches, strict=True)}
        household: tuple[tuple[str, LiteralString], ...] = (
            ("household address", HOUSEHOLD_BY_ADDRESS),
            ("household carer", HOUSEHOLD_BY_CARER),
        )
        for name, cypher in household:
            await _profiled(
                tx,
                name,
                "CALL () {" + cypher + "} RETURN alerts",
                {
                    "newChildren": named["children_new"],
                    "updatedChildren": named["children_update"],
                    "carers": named["carers"],
                    "now": now,
                    "actor": who,
                },
            )
        event = chunk_event(outcome, f"source:{source}", "FEED", "chunk-profile", source)
        writer = _transaction_writer()
        head = await (
            await tx.run(_LOCK_HEAD, writer=writer, genesis=GENESIS, host="profile", pid=0)
        ).single(strict=True)
        seq, last = _chained([event], writer, int(head["seq"]), str(head["lastHash"]))
        await _profiled(
            tx,
            f"audit event ({len(event.child_ids)} children)",
            _APPEND,
            {"events": [event.params()], "writer": writer, "seq": seq, "lastHash": last},
        )
        print(
            f"  chunk: {len(records)} records, {writes.rows()} rows; accepted {outcome.accepted}, "
            f"unchanged {outcome.unchanged}, rejected {len(outcome.rejections)}"
        )
        raise _Rollback

    with contextlib.suppress(_Rollback):
        await graph.write_transaction(work)


async def _main(path: Path, source: str, chunks: int) -> None:
    graph = open_graph(target_from_env(), timeout_s=600)
    today = date.today()
    try:
        with path.open("rb") as handle:
            for n, chunk in enumerate(chunked(parsed_lines(handle, today), CHUNK_RECORDS)):
                if n >= chunks:
                    break
                print(f"chunk {n + 1} of {path.name}:")
                await _profile_chunk(graph, source, chunk.items, today)
    finally:
        await graph.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.chunk_profile", description=__doc__)
    parser.add_argument("file")
    parser.add_argument("--source", default="bench-mis")
    parser.add_argument("--chunks", type=int, default=2)
    args = parser.parse_args(argv)
    asyncio.run(_main(Path(args.file), args.source, args.chunks))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
