"""The audit store (R14): append-only, hash-chained events, written in groups.

Each event's hash is SHA-256 over the previous event's hash and the event's own
canonical JSON, so editing or deleting any event breaks every link after it. Appends
lock the single `:AuditChain` head node inside the write transaction, so chains from
several API processes interleave correctly; one transaction carries a whole group of
events from concurrent requests (group commit), which is what keeps audit cheap.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from neo4j import AsyncManagedTransaction

from graph.database import Graph
from graph.facts import native_datetime, service_from
from policies.facts import ServiceFact

__all__ = [
    "GENESIS",
    "AuditRecord",
    "ChainReport",
    "TrailEvent",
    "append_events",
    "audit_trail",
    "event_hash",
    "verify_chain",
]

GENESIS = "0" * 64


@dataclass
class AuditRecord:
    id: str
    at: datetime
    subject: str
    role: str
    action: str
    purpose: str | None
    child_ids: list[str]
    disclosed: list[str]
    denied: list[str]
    request_id: str
    override_id: str | None = None
    reason: str | None = None
    seq: int = 0
    prev_hash: str = ""
    hash: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    #: The practitioner record the caller's token names, if any: who made the event.
    practitioner_id: str | None = None

    def canonical(self) -> bytes:
        body = {
            "id": self.id,
            "seq": self.seq,
            "at": self.at.astimezone(UTC).isoformat(),
            "subject": self.subject,
            "role": self.role,
            "action": self.action,
            "purpose": self.purpose,
            "childIds": list(self.child_ids),
            "disclosed": list(self.disclosed),
            "denied": list(self.denied),
            "overrideId": self.override_id,
            "reason": self.reason,
            "requestId": self.request_id,
        }
        if self.practitioner_id is not None:  # events from before it was kept hash as they were
            body["practitionerId"] = self.practitioner_id
        return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def event_hash(prev_hash: str, record: AuditRecord) -> str:
    return hashlib.sha256(prev_hash.encode() + b"\n" + record.canonical()).hexdigest()


_LOCK_HEAD = """
MERGE (h:AuditChain {id: 'main'})
  ON CREATE SET h.seq = 0, h.lastHash = $genesis
SET h.locked = true
RETURN h.seq AS seq, h.lastHash AS lastHash
"""

# Each event of $events, linked to the children it names (what auditTrail follows).
_CREATE_EVENTS = """
UNWIND $events AS e
CREATE (a:AuditEvent)
SET a = e
WITH a, e
CALL (a, e) {
  UNWIND e.childIds AS childId
  MATCH (c:Child {id: childId})
  CREATE (a)-[:CONCERNS]->(c)
}
"""

_APPEND = (
    _CREATE_EVENTS
    + """WITH count(*) AS written
MATCH (h:AuditChain {id: 'main'})
SET h.seq = $seq, h.lastHash = $lastHash, h.locked = false
RETURN written
"""
)


def _as_params(record: AuditRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "seq": record.seq,
        "at": record.at,
        "subject": record.subject,
        "role": record.role,
        "action": record.action,
        "purpose": record.purpose,
        "childIds": record.child_ids,
        "disclosed": record.disclosed,
        "denied": record.denied,
        "overrideId": record.override_id,
        "reason": record.reason,
        "requestId": record.request_id,
        "practitionerId": record.practitioner_id,
        "prevHash": record.prev_hash,
        "hash": record.hash,
    }


def _chained(
    records: list[AuditRecord], seq: int, last: str
) -> tuple[int, str, list[dict[str, Any]]]:
    """Numbers and hashes `records` onto the head (seq, last); returns the new head and rows."""
    rows = []
    for record in records:
        seq += 1
        record.seq, record.prev_hash = seq, last
        record.hash = last = event_hash(last, record)
        rows.append(_as_params(record))
    return seq, last, rows


async def append_in_transaction(tx: AsyncManagedTransaction, records: list[AuditRecord]) -> None:
    """Chain and write events inside the caller's transaction: they commit with its writes.

    The chain head stays locked until that transaction ends, so call this last.
    """
    head = await (await tx.run(_LOCK_HEAD, genesis=GENESIS)).single(strict=True)
    seq, last, rows = _chained(records, int(head["seq"]), str(head["lastHash"]))
    await (await tx.run(_APPEND, events=rows, seq=seq, lastHash=last)).consume()


async def append_events(graph: Graph, records: list[AuditRecord]) -> None:
    """Chain and write a group of events in one transaction; all or none become durable."""

    async def work(tx: AsyncManagedTransaction) -> None:
        await append_in_transaction(tx, records)

    await graph.write_transaction(work)


_APPEND_AT_HEAD = (
    """
MATCH (h:AuditChain {id: 'main'})
SET h.lockedAt = datetime()
WITH h WHERE h.seq = $expectedSeq AND h.lastHash = $expectedHash
SET h.seq = $seq, h.lastHash = $lastHash
WITH h"""
    + _CREATE_EVENTS
    + "RETURN count(a) AS written\n"
)
_READ_HEAD = """
MERGE (h:AuditChain {id: 'main'})
  ON CREATE SET h.seq = 0, h.lastHash = $genesis
RETURN h.seq AS seq, h.lastHash AS lastHash
"""


class AuditChainWriter:
    """The API's appender: one statement, one network flush per group of events.

    Groups are chained in order in this process (under a lock, from the head it last
    wrote or chained), then written; the statement appends only if the stored head is
    still the one the group was chained on, checked after taking the head's write lock.
    So two groups can be in flight at once: the second waits in Neo4j for the first to
    commit and then lands on top of it. If the head moved (another process, or a group
    before it failed), nothing is written; the head is re-read and the group re-chained.
    """

    def __init__(self, graph: Graph, attempts: int = 8) -> None:
        self.graph = graph
        self.attempts = attempts
        self._head: tuple[int, str] | None = None  # the last head chained on, tentative
        self._chaining = asyncio.Lock()

    async def _chain(
        self, records: list[AuditRecord]
    ) -> tuple[int, str, int, str, list[dict[str, Any]]]:
        async with self._chaining:
            if self._head is None:
                row = (await self.graph.write_autocommit(_READ_HEAD, genesis=GENESIS))[0]
                self._head = (int(row["seq"]), str(row["lastHash"]))
            expected_seq, expected_hash = self._head
            seq, last, rows = _chained(records, expected_seq, expected_hash)
            self._head = (seq, last)
            return expected_seq, expected_hash, seq, last, rows

    async def append(self, records: list[AuditRecord]) -> None:
        for _ in range(self.attempts):
            expected_seq, expected_hash, seq, last, rows = await self._chain(records)
            try:
                result = await self.graph.write_autocommit(
                    _APPEND_AT_HEAD,
                    events=rows,
                    expectedSeq=expected_seq,
                    expectedHash=expected_hash,
                    seq=seq,
                    lastHash=last,
                )
            except BaseException:
                self._head = None  # whether it landed is unknown: re-read next time
                raise
            if result and int(result[0]["written"]) == len(rows):
                return
            self._head = None  # the stored head moved under us: re-read and re-chain
        raise RuntimeError("the audit chain head kept moving; events not written")


@dataclass(frozen=True)
class ChainReport:
    events: int
    ok: bool
    broken_at_seq: int | None = None
    broken_event_id: str | None = None
    problem: str | None = None


_WALK = """
MATCH (a:AuditEvent) WHERE a.seq > $after
RETURN a { .* } AS a ORDER BY a.seq LIMIT $page
"""
_HEAD = "MATCH (h:AuditChain {id: 'main'}) RETURN h.seq AS seq, h.lastHash AS lastHash"


def _record_from(m: dict[str, Any]) -> AuditRecord:
    at = native_datetime(m.get("at"))
    assert at is not None
    return AuditRecord(
        id=m["id"],
        at=at,
        subject=m.get("subject") or "",
        role=m.get("role") or "",
        action=m.get("action") or "",
        purpose=m.get("purpose"),
        child_ids=list(m.get("childIds") or []),
        disclosed=list(m.get("disclosed") or []),
        denied=list(m.get("denied") or []),
        request_id=m.get("requestId") or "",
        override_id=m.get("overrideId"),
        reason=m.get("reason"),
        seq=int(m.get("seq") or 0),
        prev_hash=m.get("prevHash") or "",
        hash=m.get("hash") or "",
        practitioner_id=m.get("practitionerId"),
    )


async def verify_chain(graph: Graph, page: int = 5000) -> ChainReport:
    """Walk every event in order, recomputing each hash; name the first broken link."""
    expected_prev, expected_seq, count = GENESIS, 1, 0
    after = 0
    while True:
        rows = await graph.read(_WALK, after=after, page=page)
        if not rows:
            break
        for row in rows:
            record = _record_from(row["a"])
            count += 1
            if record.seq != expected_seq:
                return ChainReport(
                    count, False, record.seq, record.id, f"sequence gap: expected {expected_seq}"
                )
            if record.prev_hash != expected_prev:
                return ChainReport(
                    count, False, record.seq, record.id, "previous hash does not match"
                )
            if event_hash(record.prev_hash, record) != record.hash:
                return ChainReport(
                    count, False, record.seq, record.id, "event content does not match its hash"
                )
            expected_prev, expected_seq, after = record.hash, expected_seq + 1, record.seq
    head = await graph.read(_HEAD)
    if head and int(head[0]["seq"]) != expected_seq - 1:
        return ChainReport(
            count, False, expected_seq, None, "events missing at the end of the chain"
        )
    if head and head[0]["lastHash"] != expected_prev:
        return ChainReport(
            count, False, expected_seq - 1, None, "chain head hash does not match the last event"
        )
    return ChainReport(count, True)


# The services of whoever made each event: an event made from a sensitive service says
# the child goes there (R6), so the trail is shaped by them for readers other than AUDITOR.
# Events written before practitionerId was kept fall back to the subject, which dev and
# most identity providers set to the practitioner id.
_TRAIL = """
MATCH (a:AuditEvent)-[:CONCERNS]->(:Child {id: $childId})
WHERE $beforeSeq IS NULL OR a.seq < $beforeSeq
WITH a ORDER BY a.seq DESC LIMIT $first
RETURN a { .* } AS a,
  [(p:Practitioner)-[:WORKS_FOR]->(s:Service)
   WHERE p.id = coalesce(a.practitionerId, a.subject) | s { .id, .name, .kind, .sensitive,
     .localAuthority }] AS actorServices
"""


@dataclass(frozen=True)
class TrailEvent:
    record: AuditRecord
    #: The services the event's author works for (R14 with R6).
    actor_services: tuple[ServiceFact, ...]


async def audit_trail(
    graph: Graph, child_id: str, first: int, before_seq: int | None = None
) -> list[TrailEvent]:
    """The newest `first` events about a child, older than `before_seq` when given."""
    rows = await graph.read(_TRAIL, childId=child_id, first=first, beforeSeq=before_seq)
    return [
        TrailEvent(
            _record_from(r["a"]),
            tuple(s for s in map(service_from, r["actorServices"] or ()) if s is not None),
        )
        for r in rows
    ]
