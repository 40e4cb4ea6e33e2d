"""Issue 17: one audit chain per writer, anchored by checkpoints; verify names what broke.

Two writers here stand for two API processes on one Neo4j. Each tampering is undone
before its test ends, so the chains stay intact for the rest of the suite.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import neo4j
import pytest

from api.audit import GroupCommitter
from graph.audit import AuditChainWriter, AuditRecord, AuditReport, verify_audit
from graph.database import Graph


def _record(n: int) -> AuditRecord:
    return AuditRecord(
        id=str(uuid.uuid4()),
        at=datetime.now(UTC),
        subject="chain-test",
        role="AUDITOR",
        action="chainTest",
        purpose=f"event {n}",
        child_ids=[],
        disclosed=[],
        denied=[],
        request_id=uuid.uuid4().hex,
    )


async def _write(writer: AuditChainWriter, n: int) -> None:
    for i in range(n):
        await writer.append([_record(i)])


def _broken(report: AuditReport, writer: str) -> Any:
    (chain,) = [c for c in report.chains if c.writer == writer]
    assert not chain.ok, chain
    return chain


@pytest.fixture
async def two_writers(graph: Graph) -> AsyncIterator[tuple[AuditChainWriter, AuditChainWriter]]:
    """A with 6 events, seen by B's checkpoint; then 2 events of A after it."""
    a, b = AuditChainWriter(graph), AuditChainWriter(graph)
    await _write(a, 6)
    await _write(b, 2)
    checkpoint = await b.checkpoint()
    assert checkpoint is not None and any(h[0] == a.writer_id for h in checkpoint.heads)
    await _write(a, 2)
    yield a, b


@contextlib.contextmanager
def _restored(driver: neo4j.Driver, writer: str) -> Iterator[None]:
    """Put a chain's links and head back exactly as they were, whatever the test did."""
    links, _, _ = driver.execute_query(
        "MATCH (a:AuditLink {writer: $w}) RETURN a { .* } AS a, labels(a) AS labels", w=writer
    )
    head, _, _ = driver.execute_query(
        "MATCH (h:AuditWriter {id: $w}) RETURN h { .* } AS h", w=writer
    )
    try:
        yield
    finally:
        driver.execute_query("MATCH (a:AuditLink {writer: $w}) DETACH DELETE a", w=writer)
        driver.execute_query("MATCH (h:AuditWriter {id: $w}) DELETE h", w=writer)
        for row in links:
            label = "AuditCheckpoint" if "AuditCheckpoint" in row["labels"] else "AuditEvent"
            driver.execute_query(f"CREATE (a:AuditLink:{label}) SET a = $p", p=row["a"])
        driver.execute_query("CREATE (h:AuditWriter) SET h = $p", p=head[0]["h"])


async def test_writers_append_concurrently_each_on_its_own_chain(graph: Graph) -> None:
    writers = [AuditChainWriter(graph) for _ in range(3)]
    committers = [GroupCommitter(w.append) for w in writers]
    await asyncio.gather(*(c.commit(_record(i)) for i in range(40) for c in committers))
    for writer in writers:
        rows = await graph.read(
            "MATCH (a:AuditEvent {writer: $w}) RETURN a.seq AS seq ORDER BY seq",
            w=writer.writer_id,
        )
        assert [r["seq"] for r in rows] == list(range(1, 41))
    assert (await verify_audit(graph)).ok


async def test_a_writer_that_never_closed_still_verifies(graph: Graph, two_writers) -> None:
    a, b = two_writers
    report = await verify_audit(graph)
    assert report.ok, report.broken
    chains = {c.writer: c for c in report.chains}
    assert chains[a.writer_id].links == 8 and not chains[a.writer_id].closed
    await b.checkpoint(closing=True)
    closed = {c.writer: c for c in (await verify_audit(graph)).chains}
    assert closed[b.writer_id].closed and closed[b.writer_id].ok


# (whose chain, the tampering, the first broken seq, what the report says). Writer A has
# events 1-8; B's checkpoint (B's seq 3, after B's two events) saw A at seq 6.
TAMPERING = {
    "an edited event": (
        "a",
        "MATCH (e:AuditEvent {writer: $w, seq: 3}) SET e.purpose = 'nothing to see'",
        3,
        "content does not match",
    ),
    "a deleted event": (
        "a",
        "MATCH (e:AuditEvent {writer: $w, seq: 4}) DETACH DELETE e",
        4,
        "seq 4 is missing",
    ),
    "two events reordered": (
        "a",
        """
        MATCH (x:AuditEvent {writer: $w, seq: 2}), (y:AuditEvent {writer: $w, seq: 3})
        SET x.seq = -1 SET y.seq = 2 SET x.seq = 3
        """,
        2,
        "previous hash does not match",
    ),
    # Events 7 and 8 no checkpoint saw: the writer's head still says 8.
    "a tail after the last checkpoint": (
        "a",
        "MATCH (e:AuditEvent {writer: $w}) WHERE e.seq > 6 DETACH DELETE e",
        7,
        "the head says seq 8",
    ),
    # Cut back to seq 3 and the head made to match: B's checkpoint saw seq 6.
    "a tail with its head rewound": (
        "a",
        """
        MATCH (e:AuditEvent {writer: $w}) WHERE e.seq > 3 DETACH DELETE e
        WITH count(*) AS gone
        MATCH (h:AuditWriter {id: $w}), (last:AuditEvent {writer: $w, seq: 3})
        SET h.seq = 3, h.lastHash = last.hash
        """,
        4,
        "checkpoint {b} #3 saw seq 6",
    ),
    "a whole chain": (
        "a",
        """
        MATCH (h:AuditWriter {id: $w}) DELETE h
        WITH count(*) AS gone
        MATCH (e:AuditLink {writer: $w}) DETACH DELETE e
        """,
        1,
        "checkpoint {b} #3 saw seq 6",
    ),
    "an edited checkpoint": (
        "b",
        "MATCH (c:AuditCheckpoint {writer: $w}) SET c.headSeqs = [s IN c.headSeqs | s + 1]",
        3,
        "content does not match",
    ),
}


@pytest.mark.parametrize("case", TAMPERING)
async def test_tampering_is_named(graph: Graph, sync_driver, two_writers, case: str) -> None:
    whose, cypher, seq, says = TAMPERING[case]
    a, b = two_writers
    writer = (a if whose == "a" else b).writer_id
    with _restored(sync_driver, writer):
        sync_driver.execute_query(cypher, w=writer)
        chain = _broken(await verify_audit(graph), writer)
        assert chain.broken_at_seq == seq, chain
        assert says.format(b=b.writer_id) in chain.problem, chain
    assert (await verify_audit(graph)).ok


async def test_a_checkpoint_records_only_heads_that_moved(graph: Graph, two_writers) -> None:
    a, b = two_writers
    (head,) = await graph.read(
        "MATCH (h:AuditWriter {id: $w}) RETURN h.seq AS seq, h.lastHash AS hash", w=a.writer_id
    )
    again = await b.checkpoint()
    assert again is not None and (a.writer_id, 8, head["hash"]) in again.heads
    assert await b.checkpoint() is None  # nothing moved since


async def test_single_chain_data_migrates_to_the_chain_of_writer_main(
    graph: Graph, sync_driver
) -> None:
    """The chain from before issue 17 (one :AuditChain head, events with a global seq)."""
    from graph.audit import GENESIS, LEGACY_WRITER, event_hash
    from graph.migrations import available, run

    last, events = GENESIS, []
    for seq in range(1, 4):
        record = _record(seq)
        record.seq, record.prev_hash = seq, last
        record.hash = last = event_hash(last, record)
        params = record.params()
        del params["writer"]
        events.append(params)
    sync_driver.execute_query(
        "UNWIND $events AS e CREATE (a:AuditEvent) SET a = e "
        "WITH count(*) AS n CREATE (:AuditChain {id: 'main', seq: 3, lastHash: $last})",
        events=events,
        last=last,
    )
    try:
        (migration,) = [m for m in available() if m.name == "audit_writers"]
        await run(graph, migration)
        report = await verify_audit(graph)
        assert report.ok, report.broken
        (legacy,) = [c for c in report.chains if c.writer == LEGACY_WRITER]
        assert legacy.links == 3 and legacy.closed
        assert not sync_driver.execute_query("MATCH (h:AuditChain) RETURN h").records
    finally:
        sync_driver.execute_query(
            "MATCH (a:AuditEvent) WHERE a.id IN $ids DETACH DELETE a",
            ids=[e["id"] for e in events],
        )
        sync_driver.execute_query("MATCH (h:AuditWriter {id: 'main'}) DELETE h")
        sync_driver.execute_query("MATCH (h:AuditChain) DELETE h")
