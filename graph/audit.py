"""The audit store (R14): append-only hash chains, one per writer, anchored by checkpoints.

Every process that writes audit events is a writer with an id of its own (host, pid,
a random part) and a chain of its own: a `:AuditWriter` head node and `:AuditLink`
nodes numbered 1, 2, 3 ... Each link's hash is SHA-256 over the previous link's hash
and the link's canonical JSON, so editing, deleting or reordering a link breaks the
chain there. Only its own process ever moves a head, so two processes never contend
for one: appends do not wait on each other and never fail for want of the head.

Links are request events (`:AuditEvent`) and checkpoints (`:AuditCheckpoint`). A
checkpoint, written into its writer's own chain every few seconds, records the head
(seq and hash) of every other chain that moved since that writer's last checkpoint, so
the chains are anchored to each other: deleting a tail that another writer's
checkpoint saw, or a whole chain, is found by `verify_audit`. A writer that stops
cleanly writes a closing checkpoint; one that dies leaves a chain that still verifies.

Events carry `at` (when the request was answered); the trail across chains is ordered
by (at, event id), never by a chain's seq, which counts every event its writer wrote
(graph/audit_trail.py). A child's events are found through `:AuditMention {key}` nodes,
whose key is the child's id, the event's `at` and its id (the trail's key), so an append
locks nothing but its own head. Single-chain data from before is the chain of writer 'main'
(migration 0022).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import secrets
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, LiteralString, Protocol

from neo4j import AsyncManagedTransaction

from graph.database import Graph
from graph.facts import native_datetime

__all__ = [
    "GENESIS",
    "LEGACY_WRITER",
    "MENTION_AT",
    "AuditChainWriter",
    "AuditRecord",
    "AuditReport",
    "ChainReport",
    "Checkpoint",
    "append_events",
    "append_in_transaction",
    "event_hash",
    "new_writer_id",
    "record_from",
    "verify_audit",
]

GENESIS = "0" * 64
#: The chain that single-chain data from before per-writer chains became.
LEGACY_WRITER = "main"


def new_writer_id(role: str = "api") -> str:
    """A writer id no other process will ever take: host, pid, role and a random part."""
    host = re.sub(r"[^A-Za-z0-9.-]", "-", socket.gethostname())[:40] or "host"
    return f"{host}-{os.getpid()}-{role}-{secrets.token_hex(4)}"


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
    #: The caller's own X-Request-Id (R14: kept apart from `request_id`, the server's).
    client_request_id: str | None = None
    #: The chain the event is on (set when it is chained).
    writer: str = ""

    def canonical(self) -> bytes:
        # The writer is not hashed: the link to the previous hash already ties an event
        # to its chain, and events from before per-writer chains hash as they were.
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
        if self.client_request_id is not None:  # likewise
            body["clientRequestId"] = self.client_request_id
        return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()

    def params(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "seq": self.seq,
            "at": self.at,
            "subject": self.subject,
            "role": self.role,
            "action": self.action,
            "purpose": self.purpose,
            "childIds": self.child_ids,
            "disclosed": self.disclosed,
            "denied": self.denied,
            "overrideId": self.override_id,
            "reason": self.reason,
            "requestId": self.request_id,
            "practitionerId": self.practitioner_id,
            "clientRequestId": self.client_request_id,
            "writer": self.writer,
            "prevHash": self.prev_hash,
            "hash": self.hash,
        }


@dataclass
class Checkpoint:
    """A link that records other chains' heads: (writer, seq, hash), sorted."""

    at: datetime
    heads: list[tuple[str, int, str]]
    closing: bool = False
    writer: str = ""
    seq: int = 0
    prev_hash: str = ""
    hash: str = ""

    @property
    def id(self) -> str:
        return f"checkpoint:{self.writer}:{self.seq}"

    def canonical(self) -> bytes:
        body = {
            "kind": "checkpoint",
            "writer": self.writer,
            "seq": self.seq,
            "at": self.at.astimezone(UTC).isoformat(),
            "heads": [list(h) for h in self.heads],
            "closing": self.closing,
        }
        return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()

    def params(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "writer": self.writer,
            "seq": self.seq,
            "at": self.at,
            "headWriters": [h[0] for h in self.heads],
            "headSeqs": [h[1] for h in self.heads],
            "headHashes": [h[2] for h in self.heads],
            "closing": self.closing,
            "prevHash": self.prev_hash,
            "hash": self.hash,
        }


class _Link(Protocol):
    writer: str
    seq: int
    prev_hash: str
    hash: str

    def canonical(self) -> bytes: ...


def event_hash(prev_hash: str, link: _Link) -> str:
    return hashlib.sha256(prev_hash.encode() + b"\n" + link.canonical()).hexdigest()


def _chained(links: list[Any], writer: str, seq: int, last: str) -> tuple[int, str]:
    """Numbers and hashes `links` onto the head (seq, last) of `writer`; the new head."""
    for link in links:
        seq += 1
        link.writer, link.seq, link.prev_hash = writer, seq, last
        link.hash = last = event_hash(last, link)
    return seq, last


_REGISTER = """
MERGE (h:AuditWriter {id: $writer})
  ON CREATE SET h.seq = 0, h.lastHash = $genesis, h.startedAt = datetime(), h.host = $host,
    h.pid = $pid
RETURN h.seq AS seq, h.lastHash AS lastHash
"""
_LOCK_HEAD = _REGISTER.replace("RETURN", "SET h.locked = true\nRETURN")

#: An event's `at` as the fixed-width text a mention's key holds, so that the keys of one
#: child sort as (at, event id) do: epoch seconds in 12 digits, then nanoseconds in 9.
MENTION_AT: LiteralString = (
    "right('000000000000' + toString(AT.epochSeconds), 12)"
    " + right('000000000' + toString(AT.nanosecond), 9)"
)

# Each event of $events, with a mention per child it names (what auditTrail follows).
# Mentions carry the child's id rather than a relationship to the :Child, so an append
# creates only new nodes and moves only its own head: it takes no lock on a child that
# consent, CAF and ingest writes lock, and no other process's append waits on it. Nor a
# relationship to their event: the trail finds it by its id (unique). A mention is one
# property, `key`: the child's id, the event's `at` (MENTION_AT) and the event's id,
# separated by a space (which no id holds, and which sorts below every character they
# do), so a child's trail is one range of one index read in order. A feed chunk's event
# names thousands of children, each mention a part of the chunk's commit under the
# ingest lock; one property and one index entry cost about half what three properties
# and a composite entry did (bench/results/ingest.md, twelfth session).
_CREATE_EVENTS = (
    """
UNWIND $events AS e
CREATE (a:AuditEvent:AuditLink)
SET a = e
WITH a, e, ' ' + """
    + MENTION_AT.replace("AT.", "a.at.")
    + """ + ' ' + e.id AS suffix
CALL (e, suffix) {
  UNWIND e.childIds AS childId
  CREATE (:AuditMention {key: childId + suffix})
}
"""
)

_APPEND = (
    _CREATE_EVENTS
    + """WITH count(*) AS written
MATCH (h:AuditWriter {id: $writer})
SET h.seq = $seq, h.lastHash = $lastHash, h.locked = false, h.movedAt = datetime()
RETURN written
"""
)

# The writer's own head, checked after taking its write lock: it moves only under this
# process, so a mismatch means a group of this process before it failed.
_AT_HEAD = """
MATCH (h:AuditWriter {id: $writer})
SET h.lockedAt = datetime()
WITH h WHERE h.seq = $expectedSeq AND h.lastHash = $expectedHash
SET h.seq = $seq, h.lastHash = $lastHash, h.movedAt = datetime()
WITH h"""
_APPEND_AT_HEAD = _AT_HEAD + _CREATE_EVENTS + "RETURN count(a) AS written\n"
_CHECKPOINT_AT_HEAD = (
    _AT_HEAD
    + """
SET h.checkpointedAt = datetime(),
    h.closedAt = CASE WHEN $closing THEN datetime() ELSE h.closedAt END
CREATE (c:AuditCheckpoint:AuditLink)
SET c = $checkpoint
RETURN count(c) AS written
"""
)
# Chains that moved within a day: older ones were recorded by the checkpoints of the
# writers alive when they last moved, so a new writer need not list every chain there
# has ever been (one per process start). Migrated chains have no movedAt: always listed.
_HEADS = """
MATCH (h:AuditWriter)
WHERE h.id <> $writer AND h.seq > 0
  AND (h.movedAt IS NULL OR h.movedAt > datetime() - duration('P1D'))
RETURN h.id AS writer, h.seq AS seq, h.lastHash AS lastHash
"""

_TX_WRITERS: dict[int, str] = {}


def _transaction_writer() -> str:
    """This process's chain for events written inside another transaction (ingest,
    retention): its head is locked for that transaction's length, so it is kept apart
    from the request chain, whose appends never wait on a long transaction."""
    pid = os.getpid()
    if pid not in _TX_WRITERS:  # a forked worker gets a chain of its own
        _TX_WRITERS[pid] = new_writer_id("tx")
    return _TX_WRITERS[pid]


async def append_in_transaction(tx: AsyncManagedTransaction, records: list[AuditRecord]) -> None:
    """Chain and write events inside the caller's transaction: they commit with its writes.

    This process's transaction chain stays locked until that transaction ends, so call
    this last. Only this process writes that chain: other processes never wait on it.
    """
    writer = _transaction_writer()
    head = await (
        await tx.run(
            _LOCK_HEAD, writer=writer, genesis=GENESIS, host=socket.gethostname(), pid=os.getpid()
        )
    ).single(strict=True)
    seq, last = _chained(records, writer, int(head["seq"]), str(head["lastHash"]))
    rows = [r.params() for r in records]
    await (await tx.run(_APPEND, events=rows, writer=writer, seq=seq, lastHash=last)).consume()


async def append_events(graph: Graph, records: list[AuditRecord]) -> None:
    """Chain and write a group of events in one transaction; all or none become durable."""

    async def work(tx: AsyncManagedTransaction) -> None:
        await append_in_transaction(tx, records)

    await graph.write_transaction(work)


class AuditChainWriter:
    """The API's appender: one chain for this process, one statement per group of events.

    Groups are chained in order here (under a lock, from the head it last wrote or
    chained), then written; the statement appends only if the stored head is still the
    one the group was chained on, checked after taking the head's write lock. So two
    groups can be in flight at once: the second waits in Neo4j for the first to commit
    and lands on top of it. No other process writes this chain, so the head can only
    have moved if a group of this process before it failed; then the head is re-read
    and the group re-chained.
    """

    def __init__(self, graph: Graph, writer_id: str | None = None, attempts: int = 8) -> None:
        self.graph = graph
        self.writer_id = writer_id or new_writer_id()
        self.attempts = attempts
        self._head: tuple[int, str] | None = None  # the last head chained on, tentative
        self._chaining = asyncio.Lock()
        self._recorded: dict[str, tuple[int, str]] = {}  # heads our checkpoints recorded

    async def _chain(self, links: list[Any]) -> tuple[int, str, int, str]:
        async with self._chaining:
            if self._head is None:
                row = (
                    await self.graph.write_autocommit(
                        _REGISTER,
                        writer=self.writer_id,
                        genesis=GENESIS,
                        host=socket.gethostname(),
                        pid=os.getpid(),
                    )
                )[0]
                self._head = (int(row["seq"]), str(row["lastHash"]))
            expected_seq, expected_hash = self._head
            self._head = _chained(links, self.writer_id, expected_seq, expected_hash)
            return expected_seq, expected_hash, *self._head

    async def _write(
        self, links: list[Any], statement: LiteralString, params: Callable[[], dict[str, Any]]
    ) -> None:
        for _ in range(self.attempts):
            expected_seq, expected_hash, seq, last = await self._chain(links)
            try:
                result = await self.graph.write_autocommit(
                    statement,
                    writer=self.writer_id,
                    expectedSeq=expected_seq,
                    expectedHash=expected_hash,
                    seq=seq,
                    lastHash=last,
                    **params(),
                )
            except BaseException:
                self._head = None  # whether it landed is unknown: re-read next time
                raise
            if result and int(result[0]["written"]) == len(links):
                return
            self._head = None  # a group before this one failed: re-read and re-chain
        raise RuntimeError("the audit chain head kept moving; events not written")

    async def append(self, records: list[AuditRecord]) -> None:
        await self._write(
            records, _APPEND_AT_HEAD, lambda: {"events": [r.params() for r in records]}
        )

    async def checkpoint(self, closing: bool = False) -> Checkpoint | None:
        """Record, in this chain, the head of every other chain that moved since the last
        checkpoint (all of them, the first time). None when nothing moved, unless closing."""
        rows = await self.graph.read(_HEADS, writer=self.writer_id)
        heads = {str(r["writer"]): (int(r["seq"]), str(r["lastHash"])) for r in rows}
        moved = sorted(
            (w, seq, digest)
            for w, (seq, digest) in heads.items()
            if self._recorded.get(w) != (seq, digest)
        )
        if not moved and not closing:
            return None
        checkpoint = Checkpoint(at=datetime.now(UTC), heads=moved, closing=closing)
        await self._write(
            [checkpoint],
            _CHECKPOINT_AT_HEAD,
            lambda: {"checkpoint": checkpoint.params(), "closing": closing},
        )
        self._recorded.update({w: (seq, digest) for w, seq, digest in moved})
        return checkpoint


@dataclass(frozen=True)
class ChainReport:
    """One writer's chain: intact, or the first broken link and what is wrong there."""

    writer: str
    links: int
    ok: bool
    broken_at_seq: int | None = None
    broken_link_id: str | None = None
    problem: str | None = None
    closed: bool = False


@dataclass(frozen=True)
class AuditReport:
    chains: tuple[ChainReport, ...]
    events: int
    checkpoints: int

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.chains)

    @property
    def broken(self) -> tuple[ChainReport, ...]:
        return tuple(c for c in self.chains if not c.ok)


_WRITERS = """
MATCH (h:AuditWriter)
RETURN h.id AS writer, h.seq AS seq, h.lastHash AS lastHash, h.closedAt IS NOT NULL AS closed
"""
_LINK_WRITERS = "MATCH (a:AuditLink) RETURN DISTINCT a.writer AS writer"
_CLAIMS = """
MATCH (c:AuditCheckpoint)
RETURN c.writer AS by, c.seq AS bySeq, c.headWriters AS writers, c.headSeqs AS seqs,
  c.headHashes AS hashes
"""
_WALK = """
MATCH (a:AuditLink) WHERE a.writer = $writer AND a.seq > $after
RETURN a { .* } AS a, a:AuditCheckpoint AS checkpoint ORDER BY a.seq LIMIT $page
"""


def record_from(m: dict[str, Any]) -> AuditRecord:
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
        client_request_id=m.get("clientRequestId"),
        writer=m.get("writer") or "",
    )


def _checkpoint_from(m: dict[str, Any]) -> Checkpoint:
    at = native_datetime(m.get("at"))
    assert at is not None
    heads = zip(
        m.get("headWriters") or [], m.get("headSeqs") or [], m.get("headHashes") or [], strict=False
    )
    return Checkpoint(
        at=at,
        heads=[(str(w), int(s), str(h)) for w, s, h in heads],
        closing=bool(m.get("closing")),
        writer=m.get("writer") or "",
        seq=int(m.get("seq") or 0),
        prev_hash=m.get("prevHash") or "",
        hash=m.get("hash") or "",
    )


@dataclass(frozen=True)
class _Claim:
    """A checkpoint's record of another chain's head."""

    hash: str
    by: str
    by_seq: int

    def names(self) -> str:
        return f"checkpoint {self.by} #{self.by_seq}"


async def _claims(graph: Graph) -> dict[str, dict[int, list[_Claim]]]:
    claims: dict[str, dict[int, list[_Claim]]] = {}
    for row in await graph.read(_CLAIMS):
        for w, s, h in zip(
            row["writers"] or [], row["seqs"] or [], row["hashes"] or [], strict=False
        ):
            claim = _Claim(str(h), str(row["by"]), int(row["bySeq"]))
            claims.setdefault(str(w), {}).setdefault(int(s), []).append(claim)
    return claims


async def _verify_one(
    graph: Graph,
    writer: str,
    head: tuple[int, str] | None,
    closed: bool,
    claims: dict[int, list[_Claim]],
    page: int,
) -> tuple[ChainReport, int, int]:
    """Walk one chain in order, recomputing each hash and checking what checkpoints saw."""
    expected_prev, expected_seq, links, events, checkpoints = GENESIS, 1, 0, 0, 0

    def broken(seq: int | None, link_id: str | None, problem: str) -> tuple[ChainReport, int, int]:
        return ChainReport(writer, links, False, seq, link_id, problem, closed), events, checkpoints

    while True:
        rows = await graph.read(_WALK, writer=writer, after=expected_seq - 1, page=page)
        if not rows:
            break
        for row in rows:
            link: AuditRecord | Checkpoint = (
                _checkpoint_from(row["a"]) if row["checkpoint"] else record_from(row["a"])
            )
            links += 1
            if row["checkpoint"]:
                checkpoints += 1
            else:
                events += 1
            if link.seq != expected_seq:
                return broken(
                    expected_seq,
                    None,
                    f"link seq {expected_seq} is missing (next: seq {link.seq}, id {link.id})",
                )
            if link.prev_hash != expected_prev:
                return broken(link.seq, link.id, "previous hash does not match")
            if event_hash(link.prev_hash, link) != link.hash:
                return broken(link.seq, link.id, "link content does not match its hash")
            for claim in claims.get(link.seq, ()):
                if claim.hash != link.hash:
                    return broken(
                        link.seq, link.id, f"{claim.names()} recorded another hash for this link"
                    )
            if head is not None and link.seq == head[0] and link.hash != head[1]:
                return broken(link.seq, link.id, "the head's hash does not match this link")
            expected_prev, expected_seq = link.hash, expected_seq + 1
    last = expected_seq - 1
    beyond = [(seq, c) for seq, found in claims.items() if seq > last for c in found]
    if beyond:
        seq, claim = max(beyond, key=lambda pair: pair[0])
        return broken(
            last + 1, None, f"links after seq {last} are missing: {claim.names()} saw seq {seq}"
        )
    if head is None:
        return broken(last, None, "the chain's head is missing")
    # Links past the head were written after it was read (verify runs beside live writers).
    if head[0] > last:
        return broken(
            last + 1, None, f"links after seq {last} are missing: the head says seq {head[0]}"
        )
    return ChainReport(writer, links, True, closed=closed), events, checkpoints


async def verify_audit(graph: Graph, page: int = 5000) -> AuditReport:
    """Verify every chain and every checkpoint; name each chain's first broken link.

    A chain a checkpoint names but that has no links and no head was deleted whole.
    """
    # Read in this order beside live writers, each read sees everything the one before
    # it saw: a claim's link is under its chain's head, a link's writer has a head.
    claims = await _claims(graph)
    writers = {str(r["writer"]) for r in await graph.read(_LINK_WRITERS)} | set(claims)
    heads: dict[str, tuple[int, str]] = {}
    closed: set[str] = set()
    for row in await graph.read(_WRITERS):
        heads[str(row["writer"])] = (int(row["seq"]), str(row["lastHash"]))
        if row["closed"]:
            closed.add(str(row["writer"]))
    writers |= set(heads)
    reports, events, checkpoints = [], 0, 0
    for writer in sorted(writers):
        head = heads.get(writer)
        if head is not None and head[0] == 0 and writer not in claims:
            continue  # registered, never written
        report, e, c = await _verify_one(
            graph, writer, head, writer in closed, claims.get(writer, {}), page
        )
        reports.append(report)
        events, checkpoints = events + e, checkpoints + c
    return AuditReport(tuple(reports), events, checkpoints)
