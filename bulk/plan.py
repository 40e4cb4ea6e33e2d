"""Planning a first load: every record through the same validation and planner as ingest.

A file is read, parsed and validated line by line (feeds/ndjson.py), cut into the same
chunks, and each chunk is planned by the same `ChunkPlanner` and op registry (feeds/) as
`contactgraph ingest` on the facts a lookup would find, here answered by the key store
(bulk/store.py) from what the load has planned so far; the planned rows are applied to
the store in place of the Cypher. So a record is accepted, rejected, matched or held
exactly as ingest would have decided it, file by file and chunk by chunk, and memory
holds one chunk at a time.

What ingest does and a first load need not: household alerts (R4) are raised only for a
shielded child, and a feed never creates one, so an empty index has none to alert on;
ingest's per-chunk audit events become the load's one event (commands_load.py); the
outbox events ingest's writes add (issue 20: a child's other practitioners hear of a
change) are not written, since the first state of an empty index is news to no one and
would notify every practitioner of every involvement loaded (a decision to confirm). Local
authorities are written after the import by their own statement (few, and a changed
index-team contact must raise its alert as ingest's write does).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import IO

from bulk.store import KeyStore
from feeds.ndjson import ndjson_lines, parse_line
from feeds.pipeline import CHUNK_RECORDS, Chunk, chunked
from feeds.plan import ChunkPlanner, chunk_keys
from feeds.records import IncomingRecord, Rejection
from feeds.report import ChunkOutcome, IngestReport

__all__ = ["FilePlan", "plan_file"]


@dataclass
class FilePlan:
    """One file's outcome: the report `contactgraph ingest` would print for it."""

    source: str
    path: Path
    report: IngestReport = field(default_factory=lambda: IngestReport(max_errors=50))
    lines: int = 0


def _items(
    handle: IO[bytes], today: date
) -> Iterator[tuple[int, IncomingRecord | Rejection | None]]:
    for number, line in ndjson_lines(handle):
        yield 1, parse_line(line, number, today)


def plan_file(
    store: KeyStore,
    source: str,
    path: Path,
    today: date,
    *,
    reference_sources: frozenset[str] = frozenset(),
    chunk_records: int = CHUNK_RECORDS,
    on_chunk: Callable[[Chunk, FilePlan], None] | None = None,
    on_rejection: Callable[[Rejection], None] | None = None,
) -> FilePlan:
    """Plan every record of `path` for `source` into `store`, chunk by chunk."""
    plan = FilePlan(source, path)
    with path.open("rb") as handle:
        for chunk in chunked(_items(handle, today), chunk_records):
            records = chunk.records()
            if records:
                planner = ChunkPlanner(
                    source,
                    chunk.items,
                    today,
                    reference_sources=reference_sources,
                    keep_written=False,
                )
                writes, outcome = planner(store.facts(source, chunk_keys(records)))
                store.apply(writes)
            else:
                rejected = [i for i in chunk.items if isinstance(i, Rejection)]
                outcome = ChunkOutcome(rejections=rejected)
            plan.report.add(outcome)
            plan.lines += chunk.lines
            if on_rejection is not None:
                for rejection in outcome.rejections:
                    on_rejection(rejection)
            if on_chunk is not None:
                on_chunk(chunk, plan)
    return plan
