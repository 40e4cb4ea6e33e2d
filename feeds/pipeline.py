"""The one code path behind `Mutation.ingest` and `contactgraph ingest FILE` (R15, feeds.md).

Both turn their input into validated records (feeds/validation.py), cut them into
chunks, and hand the chunks to `Ingestor.ingest_chunks`, which writes each in one
transaction (graph/ingest.py) after planning it (feeds/plan.py and the ops) against what
the graph holds. A file's chunks are pipelined: the next is planned on top of what the
last one writes, while it is written (see `Ingestor.ingest_chunks` and graph/ingest.py
for why that is safe against other writers).

R4 (no oracle): nothing in a report depends on a shielded child's whereabouts. Matching
never compares a shielded child's postcode (policies/matching.py), and the household
rule, which must depend on them, is checked in the chunk's write itself
(graph/ingest.py): an alert for the shielded child's index team and the shielded child
named in the chunk's audit event (`ChunkOutcome.audited_child_ids`), never anything in
the report.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import neo4j.exceptions

from feeds.ops import WRITER
from feeds.plan import ChunkPlanner, chunk_keys
from feeds.records import IncomingRecord, Rejection
from feeds.report import ChunkOutcome, IngestReport
from graph.alerts import Actor, HouseholdAlert
from graph.audit import AuditRecord
from graph.database import Graph
from graph.ingest import ChunkConflict, Planned, apply_chunk, lookup, merge_facts

__all__ = [
    "CHUNK_RECORDS",
    "MAX_CALL_RECORDS",
    "Chunk",
    "Ingestor",
    "chunk_event",
    "chunked",
]

CHUNK_RECORDS = 5000
"""Records per transaction: enough to amortise each chunk's lookup, lock and audit event,
and still small for the heap. On the first 300,000 records of the 1M benchmark file,
5000 gave about 6,300 records/s, 2500 gave 6,050 and 10,000 gave 5,479 at 445 MB
(bench/results/ingest.md)."""
MAX_CALL_RECORDS = 1000
"""R15 and the contract: at most this many records in one `ingest` call."""

_CONFLICT_CODES = frozenset(
    {
        "Neo.ClientError.Schema.ConstraintValidationFailed",
        "Neo.ClientError.Statement.EntityNotFound",
    }
)
"""Errors that mean the graph changed under a chunk's plan: the chunk is planned again."""
ACCEPTED = "ACCEPTED"
PENDING_REVIEW = "PENDING_REVIEW"
_ATTEMPTS = 3


# --- Chunks ---------------------------------------------------------------------------------


@dataclass
class Chunk:
    """Records and early rejections in input order; `lines` counts input lines consumed."""

    items: list[IncomingRecord | Rejection] = field(default_factory=list)
    lines: int = 0

    def records(self) -> list[IncomingRecord]:
        return [item for item in self.items if isinstance(item, IncomingRecord)]


def chunked(
    items: Iterable[tuple[int, IncomingRecord | Rejection | None]], size: int = CHUNK_RECORDS
) -> Iterator[Chunk]:
    """Cut (lines consumed, item) pairs into chunks of at most `size` items, in order.

    A sourceRef may appear more than once in a chunk: the planner applies records in
    input order, and graph/ingest.py writes each kind's rows in that order with a
    record's first write (a CREATE) before its updates.
    """
    chunk = Chunk()
    for lines, item in items:
        if item is not None:
            if len(chunk.items) >= size:
                yield chunk
                chunk = Chunk()
            chunk.items.append(item)
        chunk.lines += lines
    if chunk.items or chunk.lines:
        yield chunk


def chunk_event(
    outcome: ChunkOutcome, subject: str, role: str, request_id: str, source: str
) -> AuditRecord:
    """R14: the audit event a chunk commits with: the children it wrote (and every child
    a household alert it raised names, R4), and the reference data it changed."""
    reason = f"feed for source {source}: {outcome.accepted} records accepted"
    if outcome.changed:
        reason += "; changed " + "; ".join(outcome.changed)
    return AuditRecord(
        id=str(uuid.uuid4()),
        at=datetime.now(UTC),
        subject=subject,
        role=role,
        action="ingest",
        purpose=None,
        child_ids=outcome.audited_child_ids(),
        disclosed=[],
        denied=[],
        request_id=request_id,
        reason=reason,
    )


# --- Driving chunks -----------------------------------------------------------------------------


class Ingestor:
    """Writes chunks for one source, one transaction each, and keeps the running report."""

    def __init__(
        self,
        graph: Graph,
        source: str,
        *,
        today: date,
        now: datetime,
        max_errors: int | None = None,
        actor: Actor | None = None,
        reference_sources: frozenset[str] = frozenset(),
    ) -> None:
        self.graph = graph
        self.reference_sources = reference_sources  # who may send reference data
        self.source = source
        self.today = today
        self.now = now
        self.actor = actor  # who R4 household alerts name as the writer (graph/alerts.py)
        self.report = IngestReport(max_errors=max_errors)
        self.planned_ahead = 0  # chunks written with the plan made while the last was written
        self.replanned = 0  # chunks planned ahead whose plan went stale: planned again
        self.rows_early = 0  # rows written before taking the lock, as the last chunk committed

    async def ingest_chunks(
        self,
        chunks: AsyncIterator[Chunk],
        audit: Callable[[ChunkOutcome], list[AuditRecord]] | None = None,
    ) -> AsyncIterator[tuple[Chunk, ChunkOutcome]]:
        """A stream of chunks (a feed file), each yielded with its outcome once committed.

        Pipelined, so that both the server and this process stay busy: while a chunk is
        written, the next is read, looked up and planned on top of what the first one
        writes; once the first has written everything and only its commit remains, the
        next starts writing the rows that touch nothing of the first, and takes the lock
        for the rest when the first has committed (graph/ingest.py). `audit(outcome)`
        gives the events committed with a chunk.
        """
        chunk = await anext(chunks, None)
        if chunk is None:
            return
        base = _Base()
        writing: asyncio.Future[tuple[ChunkOutcome, int]]
        writing = asyncio.ensure_future(self._write(chunk, None, base, audit, None))
        following_writing: asyncio.Future[tuple[ChunkOutcome, int]] | None = None
        try:
            while True:
                following = await anext(chunks, None)
                following_base = _Base()
                if following is not None:
                    ahead = await self._plan_ahead(following, base)
                    await _written_or_done(base, writing)
                    following_writing = asyncio.ensure_future(
                        self._write(following, ahead, following_base, audit, writing)
                    )
                outcome, _ = await writing
                self.report.add(outcome)
                yield chunk, outcome
                if following is None or following_writing is None:
                    return
                chunk, base, writing = following, following_base, following_writing
                following_writing = None
        finally:
            for task in (writing, following_writing):
                if task is not None and not task.done():
                    task.cancel()
                    with contextlib.suppress(BaseException):
                        await task

    async def _write(
        self,
        chunk: Chunk,
        planned: Planned[ChunkOutcome] | None,
        base: _Base | None,
        audit: Callable[[ChunkOutcome], list[AuditRecord]] | None,
        previous: asyncio.Future[Any] | None,
    ) -> tuple[ChunkOutcome, int]:
        records = chunk.records()
        if not records:
            outcome = ChunkOutcome(rejections=[i for i in chunk.items if isinstance(i, Rejection)])
            if base is not None:
                base.settle(None, outcome)
            return outcome, -1
        keys = chunk_keys(records)
        planner = self._planner(chunk)
        for attempt in range(_ATTEMPTS):
            try:
                outcome, generation = await apply_chunk(
                    self.graph,
                    self.source,
                    keys,
                    planner,
                    self.now,
                    writer=WRITER,
                    planned=planned,
                    on_planned=base.settle if base is not None else None,
                    on_written=base.written.set if base is not None else None,
                    audit=_with_alerts(audit),
                    actor=self.actor,
                )
            except (ChunkConflict, neo4j.exceptions.ClientError) as exc:
                # The graph changed between lookup and write (another writer; rows
                # written ahead of the lock can even find a node deleted under them), or
                # a plan made ahead went stale; nothing of the chunk was kept. Plan it
                # again under the lock, after the chunk before it has finished for good.
                if not isinstance(exc, ChunkConflict) and exc.code not in _CONFLICT_CODES:
                    raise
                if previous is not None:
                    await asyncio.wait({previous})
                if planned is not None:
                    self.replanned += 1
                planned = None
                if attempt == _ATTEMPTS - 1:
                    raise
                continue
            if planned is not None:
                if planned.generation == generation:
                    self.planned_ahead += 1
                    self.rows_early += planned.early.rows() if planned.early else 0
                else:
                    self.replanned += 1
            return outcome, generation
        raise AssertionError("unreachable")

    def _planner(self, chunk: Chunk) -> ChunkPlanner:
        return ChunkPlanner(
            self.source, chunk.items, self.today, reference_sources=self.reference_sources
        )

    async def _plan_ahead(self, chunk: Chunk, base: _Base) -> Planned[ChunkOutcome] | None:
        """Look up and plan `chunk` as it will stand once the chunk being written commits."""
        records = chunk.records()
        if not records:
            return None
        keys = chunk_keys(records)
        await base.ready.wait()  # the lookup must start while that chunk holds the lock
        generation, before = base.generation, base.outcome
        if generation is None or before is None or before.written is None:
            return None
        written = before.written
        # What that chunk wrote is known better than a lookup could tell (it may not have
        # committed yet), so those sourceRefs are not looked up at all.
        keys.source_refs.difference_update(written.records)
        try:
            facts = await lookup(self.graph, self.source, keys)
        except neo4j.exceptions.Neo4jError:
            return None  # planned again under the lock, which reports the error
        planner = self._planner(chunk)
        writes, outcome = planner(merge_facts(facts, written))
        early, late = WRITER.split(writes, written)
        return Planned(late, outcome, generation + 1, early if early.rows() else None)


def _with_alerts(
    audit: Callable[[ChunkOutcome], list[AuditRecord]] | None,
) -> Callable[[ChunkOutcome, list[HouseholdAlert]], list[AuditRecord]]:
    """Puts the household alerts a chunk's write raised on its outcome before `audit`
    sees it, inside the chunk's transaction: the event that commits with the write names
    the shielded children (R4: "the write is audited"). Assigned, not appended: the
    managed transaction may run the write again."""

    def events(outcome: ChunkOutcome, alerts: list[HouseholdAlert]) -> list[AuditRecord]:
        outcome.alerts = alerts
        return audit(outcome) if audit is not None else []

    return events


async def _written_or_done(base: _Base, writing: asyncio.Future[Any]) -> None:
    """Until the chunk being written has nothing left to write but its commit."""
    written = asyncio.ensure_future(base.written.wait())
    try:
        await asyncio.wait({written, writing}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        written.cancel()


class _Base:
    """The plan a chunk is being written with, the lock generation it holds, and whether
    all of it is written (only the commit left)."""

    def __init__(self) -> None:
        self.ready = asyncio.Event()
        self.written = asyncio.Event()
        self.generation: int | None = None
        self.outcome: ChunkOutcome | None = None

    def settle(self, generation: int | None, outcome: ChunkOutcome) -> None:
        self.generation, self.outcome = generation, outcome
        self.ready.set()
