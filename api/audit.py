"""What one request discloses and withholds, and the group commit that makes it durable.

Resolvers note each guarded field they return or withhold in the request's
`AuditCollector`; after execution the app turns it into one event (R14) and awaits
`GroupCommitter.commit`. Concurrent requests share one write transaction: while a
group is being written, new events queue for the next one, so audit costs one
transaction per batch rather than one per request, and no request waits on a lock
held by another request's whole transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from api.logs import get_logger, where
from graph.audit import AuditChainWriter, AuditRecord
from policies.audit import read_to_decide

__all__ = ["AuditCollector", "Checkpointer", "GroupCommitter"]

log = get_logger("contactgraph.audit")


@dataclass
class AuditCollector:
    action: str = ""
    child_ids: dict[str, None] = field(default_factory=dict)
    disclosed: dict[str, None] = field(default_factory=dict)
    denied: dict[str, None] = field(default_factory=dict)
    override_ids: dict[str, None] = field(default_factory=dict)
    reason: str | None = None
    touched: bool = False
    #: Children read only to decide what to show, of whom nothing was shown (yet).
    consulted_only: dict[str, None] = field(default_factory=dict)

    def touch(self, action: str) -> None:
        """This request reads or changes a child: it must leave an event (R14)."""
        self.touched = True
        if action not in self.action.split(","):
            self.action = f"{self.action},{action}" if self.action else action

    def child(self, child_id: str) -> None:
        """The request concerns this child: it shows (or changes) something of them."""
        self.child_ids[child_id] = None
        self.consulted_only.pop(child_id, None)

    def consulted(self, child_id: str) -> None:
        """The request read this child only to decide what to show (a report's reporter
        judged by R6, say). The event names them all the same (R14), and, unless the
        request also shows something of them (`child`), says it showed nothing of them:
        in that child's trail such an event is about what was withheld
        (policies.disclosure.AuditReadToDecide)."""
        if child_id not in self.child_ids:
            self.child_ids[child_id] = None
            self.consulted_only[child_id] = None

    def disclose(self, item: str) -> None:
        self.disclosed[item] = None

    def deny(self, item: str) -> None:
        self.denied[item] = None

    def withhold_all(self, why: str) -> None:
        """Nothing the request built leaves (a refusal after the read, as for a subject
        found suspended): what it would have disclosed is recorded as withheld, so the
        trail never says a refused answer showed anything (R14)."""
        for item in self.disclosed:
            self.denied[f"{item}: {why}"] = None
        self.disclosed.clear()

    def override(self, override_id: str) -> None:
        self.override_ids[override_id] = None

    def unaudited(self, read: set[str]) -> set[str]:
        """Of the children the request read from the graph, those its event would not name:
        neither as a child it concerns nor in a refusal ("Child:<id>: not found")."""
        if not read:
            return set()
        named = set(self.child_ids) if self.touched else set()
        if self.touched:
            for entry in self.denied:
                if entry.startswith("Child:"):
                    named.add(entry[6:].split(":")[0].split(".")[0].strip())
        return read - named

    def record(
        self,
        *,
        subject: str,
        role: str,
        purpose: str | None,
        request_id: str,
        practitioner_id: str | None = None,
        client_request_id: str | None = None,
    ) -> AuditRecord:
        return AuditRecord(
            id=str(uuid.uuid4()),
            at=datetime.now(UTC),
            subject=subject,
            role=role,
            action=self.action or "unknown",
            purpose=purpose,
            child_ids=list(self.child_ids),
            disclosed=list(self.disclosed),
            denied=[*self.denied, *(read_to_decide(c) for c in self.consulted_only)],
            request_id=request_id,
            override_id=",".join(self.override_ids) or None,
            reason=self.reason,
            practitioner_id=practitioner_id,
            client_request_id=client_request_id,
        )


class GroupCommitter:
    """Collects events from concurrent requests into groups and writes each group once.

    Up to `in_flight` groups are written at a time: while one commits (and Neo4j forces
    its log to disk), the next is already on its way, so a request rarely waits for more
    than one commit. The writer keeps the chain in order (graph.audit.AuditChainWriter).
    """

    def __init__(
        self,
        write: Callable[[list[AuditRecord]], Awaitable[None]],
        max_batch: int = 256,
        in_flight: int = 2,
    ) -> None:
        self._write = write
        self._max_batch = max_batch
        self._in_flight_max = in_flight
        self._in_flight = 0
        self._pending: list[tuple[AuditRecord, asyncio.Future[None]]] = []
        self._tasks: set[asyncio.Task[None]] = set()  # held, so a running drain is never collected

    @property
    def queued(self) -> int:
        """Events waiting for the next group commit (for /metrics)."""
        return len(self._pending)

    async def commit(self, record: AuditRecord) -> None:
        """Return once the event is durable; raise if its group could not be written."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((record, future))
        if self._in_flight < self._in_flight_max:
            self._in_flight += 1
            task = asyncio.create_task(self._drain())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        await future

    async def _drain(self) -> None:
        try:
            while self._pending:
                # Let requests finishing in the same loop turn join this group.
                await asyncio.sleep(0)
                if not self._pending:
                    break
                group, self._pending = (
                    self._pending[: self._max_batch],
                    self._pending[self._max_batch :],
                )
                try:
                    await self._write([record for record, _ in group])
                except Exception as exc:  # every waiter fails closed with the group
                    for _, future in group:
                        if not future.done():
                            future.set_exception(exc)
                else:
                    for _, future in group:
                        if not future.done():
                            future.set_result(None)
        finally:
            self._in_flight -= 1


class Checkpointer:
    """Anchors this process's chain to every other, every `every_s` seconds.

    Each checkpoint records the heads of the chains that moved (graph.audit), so a tail
    another writer has seen cannot be cut off unnoticed; its hash also goes to the log,
    an anchor outside the database. Off the request path: a failed checkpoint fails no
    request and is retried at the next tick. `close` writes the closing checkpoint.
    """

    def __init__(self, writer: AuditChainWriter, every_s: float = 5.0) -> None:
        self.writer = writer
        self.every_s = every_s
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None and self.every_s > 0:
            self._task = asyncio.create_task(self._loop())

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.every_s)
            await self.once()

    async def once(self, closing: bool = False) -> None:
        try:
            checkpoint = await self.writer.checkpoint(closing=closing)
        except Exception:
            log.warning("audit_checkpoint_failed", **where(sys.exc_info()[1]))
            return
        if checkpoint is not None:
            log.info(
                "audit_checkpoint",
                writer=checkpoint.writer,
                seq=checkpoint.seq,
                hash=checkpoint.hash,
                chains=len(checkpoint.heads),
                closing=closing,
            )

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.once(closing=True)
