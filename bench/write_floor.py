"""What Neo4j itself costs a feed: the write batches of an ingest, replayed (issue 5).

`ingest_bench run` measures the whole ingest: reading, validating, matching, looking up,
writing. This measures only the writes, to know how fast the ingest could ever be on
this machine, whatever the Python side or the pipelining did:

    export CONTACTGRAPH_NEO4J_INSTANCE=feedbench CONTACTGRAPH_NEO4J_PORT=7737 \\
           CONTACTGRAPH_NEO4J_HEAP=3g CONTACTGRAPH_NEO4J_PAGECACHE=3g
    # 1. ingest a file into the 100,000-child store, keeping every write batch it sent
    python -m bench.write_floor record .local/bench/feed-1m-head300k.ndjson \\
        --out .local/bench/writes-300k.pickle
    # 2. put the 100,000-child store back, then replay the batches, as sent or in part
    python -m bench.write_floor replay .local/bench/writes-300k.pickle --rows as-sent

`python -m bench.ingest_bench delta FILE` runs both on the same file in one sitting and
reports the ratio. Replaying first runs every batch once and rolls it back, so the
server's JIT is warm and its caches hold the store, as on a server that has been up for
a while; then it runs
each batch in a transaction of its own, one after the other, as the ingest did. It
reports the time in the write query and in commit, and the server's CPU per record
written (accepted or held, one FeedRecord each: the unit of `ingest_bench`); the ceiling
it prints is the rate if Neo4j had every core to itself, with no lookups and no Python.

`--rows` picks what is replayed: `as-sent`; `entities`, without the FeedRecords (what
idempotency and crash safety cost); `feed-records`, only those; `folded`, the
FeedRecords of records that create their entity left out and their payload hash put on
the entity instead, which with `--key-indexes` (the (source, sourceRef) indexes such a
design needs to find them again) is the cost of folding the FeedRecord into its entity.
"""

from __future__ import annotations

import argparse
import os
import pickle
import queue
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import neo4j

import graph.ingest
from bench.procs import cpu_seconds, local_neo4j_pid
from feeds.ops import WRITER
from graph.connection import target_from_env
from graph.feed_writes import ChunkWrites

Batches = list[list[dict[str, Any]]]
_NAMES = [kind.name for kind in WRITER.kinds]
_FEED = ("feed_new", "feed_update")

# The indexes a design without FeedRecords needs: each entity found by (source, sourceRef).
KEY_INDEXES = tuple(
    f"CREATE INDEX floor_{name} IF NOT EXISTS FOR {pattern} ON ({v}.source, {v}.sourceRef)"
    for name, pattern, v in (
        ("involvement_key", "(n:Involvement)", "n"),
        ("child_key", "(n:Child)", "n"),
        ("assessment_key", "(n:Assessment)", "n"),
        ("cares_for_key", "()-[r:CARES_FOR]-()", "r"),
    )
)
_ACTOR = {"subject": "bench", "role": "FEED", "requestId": "bench", "source": "bench"}
"""`$actor` of the write query's household checks (graph/alerts.py)."""
_CREATES_ENTITY = ("START_INVOLVEMENT", "UPSERT_CARER", "REGISTER_CAF")


def record(file: str, out: Path, argv: list[str]) -> int:
    """Run `contactgraph ingest FILE` here, keeping each batch `graph.ingest` writes.

    Each batch is appended to `out` as it is written (one pickle each), so a file of
    any size is recorded and replayed in bounded memory.
    """
    from api.cli import main

    kept = 0
    write_rows = graph.ingest._write_rows
    with out.open("wb") as handle:

        async def keeping(
            tx: Any,
            writer: graph.ingest.ChunkWriter,
            writes: ChunkWrites,
            now: datetime,
            *rest: Any,
        ) -> Any:
            nonlocal kept
            if writes.rows():
                batches = [list(rows) for rows in writer.batches(writes)]
                pickle.dump((batches, now), handle, protocol=pickle.HIGHEST_PROTOCOL)
                kept += 1
            return await write_rows(tx, writer, writes, now, *rest)

        graph.ingest._write_rows = keeping  # type: ignore[assignment]
        code = main(["ingest", file, "--quiet", *argv])
    print(f"kept {kept} write batches in {out}")
    return code


def _kept(path: Path) -> Iterator[tuple[Batches, datetime]]:
    """The batches `record` kept, one at a time (our own file)."""
    with path.open("rb") as handle:
        while True:
            try:
                yield pickle.load(handle)
            except EOFError:
                return


def _ahead(items: Iterator[Any], depth: int = 2) -> Iterator[Any]:
    """`items`, read on a thread a few ahead: unpickling the next batch overlaps the
    server writing this one, as building it overlaps the write in an ingest."""
    handoff: queue.Queue[Any] = queue.Queue(maxsize=depth)
    done = object()

    def read() -> None:
        for item in items:
            handoff.put(item)
        handoff.put(done)

    threading.Thread(target=read, daemon=True).start()
    while (item := handoff.get()) is not done:
        yield item


def _entities_only(batches: Batches) -> Batches:
    return [[] if name in _FEED else rows for name, rows in zip(_NAMES, batches, strict=True)]


def _feed_records_only(batches: Batches) -> Batches:
    return [rows if name in _FEED else [] for name, rows in zip(_NAMES, batches, strict=True)]


def _folded(batches: Batches) -> Batches:
    by_name = dict(zip(_NAMES, batches, strict=True))
    new_children = {row["sourceRef"] for row in by_name["children_new"]}
    hashes = {row["sourceRef"]: row["payloadHash"] for row in by_name["feed_new"]}

    def hashed(row: dict[str, Any], key: str | None = None) -> dict[str, Any]:
        target = row if key is None else row[key]
        stamped = dict(target, payloadHash=hashes.get(target["sourceRef"]))
        return stamped if key is None else dict(row, **{key: stamped})

    by_name["feed_new"] = [
        row
        for row in by_name["feed_new"]
        if row["op"] not in _CREATES_ENTITY and row["sourceRef"] not in new_children
    ]
    by_name["children_new"] = [hashed(row) for row in by_name["children_new"]]
    by_name["involvements_new"] = [hashed(r, "props") for r in by_name["involvements_new"]]
    by_name["assessments"] = [hashed(r, "props") for r in by_name["assessments"]]
    by_name["carers"] = [hashed(r, "rel") for r in by_name["carers"]]
    return [by_name[name] for name in _NAMES]


VARIANTS: dict[str, Callable[[Batches], Batches]] = {
    "as-sent": lambda batches: batches,
    "entities": _entities_only,
    "feed-records": _feed_records_only,
    "folded": _folded,
}


@dataclass(frozen=True)
class Floor:
    """One replay: `records` written (one FeedRecord row each) in `wall` seconds."""

    transactions: int
    records: int
    wall: float
    in_query: float
    in_commit: float
    cpu: float  # the Neo4j server's CPU seconds

    @property
    def rate(self) -> float:
        return self.records / self.wall

    @property
    def ceiling(self) -> float:
        """Records/s if Neo4j had every core and nothing else ran."""
        return self.records / (self.cpu / (os.cpu_count() or 1))


def _sent(path: Path, variant: str) -> Iterator[tuple[graph.ingest.Rows, datetime]]:
    shape = VARIANTS[variant]
    for batches, now in _kept(path):
        yield graph.ingest.Rows(map(graph.ingest.Rows, shape(batches))), now


def _warm(session: neo4j.Session, path: Path, variant: str, limit: int | None) -> None:
    """Run and roll back the first `limit` kept batches (all if None): the server's JIT is
    warm and its page cache holds what they touch, and the store is as it was."""
    for n, (batches, now) in enumerate(_ahead(_sent(path, variant))):
        if limit is not None and n >= limit:
            break
        tx = session.begin_transaction()
        tx.run(WRITER.query, batches=batches, now=now, actor=_ACTOR).consume()
        tx.rollback()


def warm(path: Path, limit: int | None = None) -> float:
    """`measure`'s warming pass on its own, before a timed ingest of the same file (so
    both phases of `ingest_bench delta --snapshot` start alike); returns its seconds."""
    started = time.perf_counter()
    target = target_from_env()
    with (
        neo4j.GraphDatabase.driver(target.uri, auth=target.auth) as driver,
        driver.session() as session,
    ):
        _warm(session, path, "as-sent", limit)
    return time.perf_counter() - started


def measure(
    path: Path,
    variant: str = "as-sent",
    key_indexes: bool = False,
    warm: bool = True,
    warm_limit: int | None = None,
) -> Floor:
    """Replay the kept batches one transaction after another; a warming pass first runs
    and rolls back each one (or the first `warm_limit`), so the JIT is warm and the store
    is in the page cache."""
    pid = local_neo4j_pid()
    if pid is None:
        raise RuntimeError("replay needs the local Neo4j instance running")
    feed = [_NAMES.index(n) for n in _FEED]
    target = target_from_env()
    with neo4j.GraphDatabase.driver(target.uri, auth=target.auth) as driver:
        if key_indexes:
            for statement in KEY_INDEXES:
                driver.execute_query(statement)  # type: ignore[arg-type]
            driver.execute_query("CALL db.awaitIndexes(600)")
        with driver.session() as session:
            if warm:
                _warm(session, path, variant, warm_limit)
            transactions = records = 0
            in_query = in_commit = 0.0
            cpu_before, started = cpu_seconds(pid) or 0.0, time.perf_counter()
            for batches, now in _ahead(_sent(path, variant)):
                tx = session.begin_transaction()
                t0 = time.perf_counter()
                tx.run(WRITER.query, batches=batches, now=now, actor=_ACTOR).consume()
                t1 = time.perf_counter()
                tx.commit()
                in_query, in_commit = in_query + t1 - t0, in_commit + time.perf_counter() - t1
                transactions += 1
                records += sum(len(batches[i]) for i in feed)
            wall, cpu = time.perf_counter() - started, (cpu_seconds(pid) or 0.0) - cpu_before
    return Floor(transactions, records, wall, in_query, in_commit, cpu)


def replay(path: Path, variant: str, key_indexes: bool, warm: bool) -> int:
    if not path.is_file():
        print(f"{path} is not a file: make one with `record` first", file=sys.stderr)
        return 2
    try:
        floor = measure(path, variant, key_indexes, warm)
    except RuntimeError as exc:
        print(exc, file=sys.stderr)
        return 2
    # One FeedRecord row per record written (accepted or held): the unit of ingest_bench.
    print(
        f"{variant}{' with key indexes' if key_indexes else ''}: {floor.transactions} "
        f"transactions, {floor.records:,} records in {floor.wall:.1f}s = {floor.rate:,.0f} "
        f"records/s (query {floor.in_query:.1f}s, commit {floor.in_commit:.1f}s); Neo4j CPU "
        f"{floor.cpu:.1f}s = {1e6 * floor.cpu / floor.records:,.0f} µs a record; ceiling if "
        f"Neo4j had all {os.cpu_count() or 1} cores and nothing else ran: "
        f"{floor.ceiling:,.0f} records/s"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.write_floor", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    rec = sub.add_parser("record", help="ingest a file, keeping its write batches")
    rec.add_argument("file")
    rec.add_argument("--out", type=Path, required=True)
    rec.add_argument("--source", default="bench-mis")
    rep = sub.add_parser("replay", help="replay kept write batches into the store")
    rep.add_argument("batches", type=Path)
    rep.add_argument("--rows", choices=sorted(VARIANTS), default="as-sent")
    rep.add_argument("--key-indexes", action="store_true", help="create KEY_INDEXES first")
    rep.add_argument("--cold", action="store_true", help="skip the warming pass")
    args = parser.parse_args(argv)
    if args.command == "record":
        return record(args.file, args.out, ["--source", args.source])
    return replay(args.batches, args.rows, args.key_indexes, not args.cold)


if __name__ == "__main__":
    raise SystemExit(main())
