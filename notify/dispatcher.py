"""The dispatcher: claims outbox events, decides who is told what, writes the notifications.

Safe with several running (on one host or many): each claims a batch with a lease, and
one whose lease ran out (it died, or hung) is taken over by the next claim. A batch's
notifications and the events' DONE commit in one transaction, and
notifications are unique on (event, recipient), so an event is dispatched at least once
and its notifications are written exactly once, whatever dies when.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from graph.audit import AuditRecord, new_writer_id
from graph.database import Graph
from graph.notifications import (
    NewNotification,
    claim_events,
    complete_events,
    event_contexts,
    sweep_expired_consents,
)
from notify.delivery import audit_record
from policies.audit import notification_action
from policies.notifications import recipients, shape
from policies.visibility import involvement_horizon

__all__ = ["DispatchStats", "Dispatcher"]


@dataclass
class DispatchStats:
    events: int = 0
    notifications: int = 0
    batches: int = 0


class Dispatcher:
    def __init__(
        self,
        graph: Graph,
        *,
        batch: int = 200,
        lease_ms: int = 30_000,
        idle_s: float = 0.1,
        sweep_every_s: float = 60.0,
        pause_after_claim_s: float = 0.0,
        name: str | None = None,
        audit_dispatch: bool = False,
    ) -> None:
        self.graph = graph
        self.batch = batch
        self.lease_ms = lease_ms
        self.idle_s = idle_s
        self.sweep_every_s = sweep_every_s
        #: Tests of crash safety stop here, between the claim and the write.
        self.pause_after_claim_s = pause_after_claim_s
        self.me = name or new_writer_id("notify")
        #: Nobody has been told anything when a notification is written: each delivery
        #: (inbox, socket, webhook) is the read that is audited (R14). True adds an audit
        #: event per notification written too (at about twice the dispatcher's cost).
        self.audit_dispatch = audit_dispatch
        self.stats = DispatchStats()
        self._last_sweep = 0.0

    async def once(self, now: datetime | None = None) -> int:
        """Claim and dispatch one batch; returns how many events it handled."""
        if time.monotonic() - self._last_sweep >= self.sweep_every_s:
            self._last_sweep = time.monotonic()
            await sweep_expired_consents(self.graph, (now or datetime.now(UTC)).date())
        events = await claim_events(self.graph, self.me, self.batch, self.lease_ms)
        if not events:
            return 0
        if self.pause_after_claim_s:
            await asyncio.sleep(self.pause_after_claim_s)
        now = now or datetime.now(UTC)
        contexts = await event_contexts(
            self.graph, events, now.date(), involvement_horizon(now.date())
        )
        written: list[NewNotification] = []
        audit: list[AuditRecord] = []
        for ctx in contexts:
            for recipient in recipients(ctx):
                shaped = shape(ctx, recipient.viewer, now)
                if shaped is None:
                    continue
                written.append(
                    NewNotification(
                        event_id=ctx.event.id,
                        kind=ctx.event.kind.value,
                        recipient=recipient.key,
                        recipient_kind=recipient.kind,
                        child_id=ctx.child.id if ctx.child else None,
                        subject_id=ctx.event.subject_id,
                        payload=shaped.payload,
                    )
                )
                if self.audit_dispatch:
                    audit.append(
                        audit_record(
                            recipient.viewer,
                            ctx,
                            shaped,
                            now,
                            action=notification_action("dispatch"),
                        )
                    )
        fresh = await complete_events(self.graph, [e.id for e in events], written, audit)
        self.stats.events += len(events)
        self.stats.notifications += len(fresh)
        self.stats.batches += 1
        return len(events)

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Dispatch until `stop` is set; a failed batch is left to its lease and retried."""
        stop = stop or asyncio.Event()
        while not stop.is_set():
            try:
                handled = await self.once()
            except Exception:  # the lease brings the batch back; keep going
                handled = 0
                await asyncio.sleep(1.0)
            if handled < self.batch:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=self.idle_s)

    async def drain(self, max_batches: int = 1000) -> int:
        """Dispatch until nothing is pending (tests, `notify run --once`)."""
        total = 0
        for _ in range(max_batches):
            handled = await self.once()
            total += handled
            if handled == 0:
                break
        return total
