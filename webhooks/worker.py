"""The webhook delivery worker: fan notifications out to endpoints, claim, re-check, sign,
send, record. Safe with several workers (and several processes) at once.

One pass of the loop, all through graph/webhooks.py:

1. fan out: practitioners' notifications not yet seen become one PENDING delivery per
   active endpoint of a service the recipient works for;
2. claim up to the free slots of PENDING deliveries that are due, with a lease;
3. re-check each at this moment: endpoint still active, recipient still at the service,
   and the notification shaped again for its recipient by the core's decision point
   (`Shaper`): whatever policy no longer lets them see (a consent withdrawn, a shield)
   is not sent, and the delivery is WITHHELD;
4. write one audit event per delivery about to go out (R14: durable before the data
   leaves, like a read's);
5. send each, signed (webhooks/signing.py), and write its outcome the moment it is known:
   DELIVERED on a 2xx, else PENDING again after the backoff (policies/webhooks.py) or
   DEAD after the last attempt.

At least once: a delivery is DELIVERED only after a 2xx, and a worker killed at any point
leaves its claims to expire and be taken again. Never again after an acknowledged 2xx:
once DELIVERED is written nothing sends it (only an admin's replay of a DEAD one). The
one gap no sender can close is a worker killed after the receiver answered 2xx and before
the outcome was written (milliseconds): the retry carries the same `webhook-id`, which is
why receivers must drop ids they have already processed (README, SECURITY.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import socket
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx
import orjson

from graph import webhooks as store
from graph.audit import AuditRecord, append_events
from graph.database import Graph
from policies.audit import notification_action
from policies.webhooks import DeliveryState, address_allowed, service_may_receive, succeeded
from webhooks import signing
from webhooks.config import WebhookConfig
from webhooks.pinning import AddressRefused, PinnedBackend, Resolver, resolve
from webhooks.secretbox import SecretBox

__all__ = ["DeliveryWorker", "ShapeFor", "Shaped", "Shaper"]

#: Names only error types: never a URL, a body or an answer (they may name a child).
log = logging.getLogger("contactgraph.webhooks")


@dataclass(frozen=True, slots=True)
class Shaped:
    """A notification as its recipient may see it now: the JSON body to send, and what
    the audit event records of it."""

    body: Mapping[str, Any]
    recipient: str
    child_ids: tuple[str, ...] = ()
    disclosed: tuple[str, ...] = ()
    override_id: str | None = None
    purpose: str | None = None


@dataclass(frozen=True, slots=True)
class ShapeFor:
    """One notification to shape, for its recipient as a member of the endpoint's service
    only: the endpoint is that service's system, so it must not receive what the
    recipient sees through another service they also work for (R6a)."""

    notification_id: str
    service_id: str
    local_authority: str | None


#: Shapes notifications for their recipients at `now`, keyed like the request; None for
#: one that must not go out. Provided by the notification core (webhooks/core.py over
#: notify/delivery.py): the same decision point as the inbox and subscriptions.
Shaper = Callable[
    [Graph, Sequence[ShapeFor], datetime], Awaitable[Mapping[ShapeFor, Shaped | None]]
]


@dataclass
class _Sent:
    status: int | None
    error: str | None


@dataclass
class WorkerStats:
    fanned_out: int = 0
    delivered: int = 0
    failed: int = 0
    dead: int = 0
    withheld: int = 0
    cancelled: int = 0
    lost_leases: int = 0
    #: Seconds from the notification's commit to its acknowledged delivery.
    latencies: list[float] = field(default_factory=list)


def _now() -> datetime:
    return datetime.now(UTC)


class DeliveryWorker:
    def __init__(
        self,
        graph: Graph,
        config: WebhookConfig,
        box: SecretBox,
        shaper: Shaper,
        *,
        production: bool,
        owner: str | None = None,
        pause_after_claim_s: float = 0.0,
    ) -> None:
        self.graph = graph
        self.config = config
        self.box = box
        self.shaper = shaper
        self.production = production
        self.owner = owner or f"{socket.gethostname()}-{uuid.uuid4().hex[:8]}"
        self.stats = WorkerStats()
        #: Crash-safety tests kill the worker here: claimed, nothing sent yet.
        self.pause_after_claim_s = pause_after_claim_s
        self._in_flight: set[asyncio.Task[None]] = set()
        self._outcomes: list[tuple[store.Outcome, asyncio.Future[bool]]] = []
        self._flusher: asyncio.Task[None] | None = None
        #: The last pass found nothing: the next asks with one read before any write.
        self._idle_last = False
        self._wake = asyncio.Event()
        #: How host names are resolved (tests give a rebinding one): webhooks/pinning.py.
        self.resolver: Resolver = resolve

    # --- the loop ---------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until `stop` is set; then finish what is in flight."""
        async with self.client() as client:
            while not stop.is_set():
                try:
                    busy = await self.step(client)
                except Exception as exc:  # Neo4j unreachable a moment: try again next tick
                    log.warning("webhook_pass_failed", extra={"error": type(exc).__name__})
                    busy = False
                if not busy:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._idle(stop), self.config.poll_s)
            if self._in_flight:
                await asyncio.gather(*self._in_flight, return_exceptions=True)

    async def _idle(self, stop: asyncio.Event) -> None:
        """Sleep until stopped or a slot frees up (whichever first)."""
        self._wake.clear()
        waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self._wake.wait())]
        try:
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waiters:
                w.cancel()

    def client(self) -> httpx.AsyncClient:
        """The worker's HTTP client: it connects only through `PinnedBackend` (the host
        resolved once per connection, every address checked, the checked one connected
        to: webhooks/pinning.py), so a name rebound between a check and a connect cannot
        reach this machine or a private network."""
        cfg = self.config
        limits = httpx.Limits(max_connections=cfg.concurrency, max_keepalive_connections=8)
        transport = httpx.AsyncHTTPTransport(limits=limits, trust_env=False)
        transport._pool = httpcore.AsyncConnectionPool(  # the same pool, our resolver
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=PinnedBackend(
                lambda a: address_allowed(a, production=self.production), self.resolver
            ),
        )
        return httpx.AsyncClient(
            transport=transport,
            follow_redirects=False,  # a redirect is a failure (policies.webhooks.succeeded)
            trust_env=False,  # no proxy from the environment sees the bodies
            timeout=httpx.Timeout(cfg.attempt_timeout_s, connect=cfg.connect_timeout_s),
            headers={"user-agent": "ContactGraph-Webhooks/1"},
        )

    async def step(self, client: httpx.AsyncClient) -> bool:
        """One pass; True when it found work (so the loop goes round at once)."""
        now = _now()
        if self._idle_last and not await store.work_waiting(self.graph, now):
            return False
        self._idle_last = True
        notifications, made = await store.fan_out(self.graph, now, self.config.batch)
        self.stats.fanned_out += made
        free = self.config.concurrency - len(self._in_flight)
        if free <= 0:
            return notifications > 0
        claimed = await store.claim(
            self.graph,
            owner=self.owner,
            now=now,
            lease_until=now + timedelta(seconds=self.config.lease_s),
            limit=min(free, self.config.batch),
        )
        if not claimed:
            return notifications > 0
        if self.pause_after_claim_s:
            await asyncio.sleep(self.pause_after_claim_s)
        self._idle_last = False
        to_send = await self._recheck(claimed, now)
        for item, shaped in to_send:
            task = asyncio.create_task(self._attempt(client, item, shaped))
            self._in_flight.add(task)
            task.add_done_callback(self._done)
        return True

    def _done(self, task: asyncio.Task[None]) -> None:
        self._in_flight.discard(task)
        self._wake.set()

    async def drain(self, client: httpx.AsyncClient) -> None:
        """Run passes until nothing is due and nothing is in flight (tests, benches)."""
        while True:
            busy = await self.step(client)
            if self._in_flight:
                await asyncio.gather(*list(self._in_flight), return_exceptions=True)
                continue
            if not busy:
                return

    # --- re-check and audit -----------------------------------------------------------

    async def _recheck(
        self, claimed: list[store.Claimed], now: datetime
    ) -> list[tuple[store.Claimed, Shaped]]:
        closed: list[store.Outcome] = []
        candidates: list[store.Claimed] = []
        for item in claimed:
            if not item.endpoint.active:
                closed.append(self._final(item, DeliveryState.CANCELLED, "endpoint disabled"))
            elif not service_may_receive(item.service_kind, item.service_sensitive):
                closed.append(self._final(item, DeliveryState.WITHHELD, "service is sensitive"))
            elif not item.notification_exists or not item.recipient_at_service:
                closed.append(
                    self._final(item, DeliveryState.WITHHELD, "recipient not at the service")
                )
            elif item.recipient_suspended:
                closed.append(self._final(item, DeliveryState.WITHHELD, "recipient suspended"))
            else:
                candidates.append(item)
        wanted = {item.delivery.id: self._shape_for(item) for item in candidates}
        shaped = await self.shaper(self.graph, list(set(wanted.values())), now) if wanted else {}
        to_send: list[tuple[store.Claimed, Shaped]] = []
        for item in candidates:
            s = shaped.get(wanted[item.delivery.id])
            if s is None:
                closed.append(self._final(item, DeliveryState.WITHHELD, "withheld by policy"))
            else:
                to_send.append((item, s))
        if closed:
            await store.record_outcome(self.graph, closed, now)
            for o in closed:
                if o.state == DeliveryState.CANCELLED:
                    self.stats.cancelled += 1
                else:
                    self.stats.withheld += 1
        if to_send:
            await append_events(self.graph, [self._audit(i, s, now) for i, s in to_send])
        return to_send

    @staticmethod
    def _shape_for(item: store.Claimed) -> ShapeFor:
        return ShapeFor(
            item.delivery.notification_id, item.endpoint.service_id, item.endpoint.local_authority
        )

    @staticmethod
    def _final(item: store.Claimed, state: DeliveryState, why: str) -> store.Outcome:
        return store.Outcome(item.delivery.id, item.lease, state.value, error=why)

    def _audit(self, item: store.Claimed, shaped: Shaped, now: datetime) -> AuditRecord:
        """The delivery is a read by the recipient's organisation's system, on the
        recipient's behalf: their role and practitioner id, the endpoint as subject."""
        return AuditRecord(
            id=str(uuid.uuid4()),
            at=now,
            subject=f"webhook:{item.endpoint.id}",
            role="PRACTITIONER",
            action=notification_action("webhook"),
            purpose=shaped.purpose or f"notification {item.delivery.notification_id}",
            child_ids=list(shaped.child_ids),
            disclosed=list(shaped.disclosed),
            denied=[],
            request_id=f"{item.delivery.id}#{item.delivery.attempts}",
            override_id=shaped.override_id,
            practitioner_id=shaped.recipient,
        )

    # --- one attempt ------------------------------------------------------------------

    def _keys(self, endpoint: store.EndpointRecord, now: datetime) -> list[bytes]:
        keys = [signing.decode_secret(self.box.open(endpoint.id, endpoint.secret_sealed))]
        if (
            endpoint.previous_secret_sealed
            and endpoint.previous_secret_until is not None
            and endpoint.previous_secret_until > now
        ):
            keys.append(
                signing.decode_secret(self.box.open(endpoint.id, endpoint.previous_secret_sealed))
            )
        return keys

    async def _attempt(
        self, client: httpx.AsyncClient, item: store.Claimed, shaped: Shaped
    ) -> None:
        started = _now()
        body = orjson.dumps(shaped.body)
        headers = signing.headers(
            self._keys(item.endpoint, started),
            item.delivery.notification_id,
            int(started.timestamp()),
            body,
        )
        sent = await self._send(client, item.endpoint.url, body, headers)
        await self._record(item, sent)

    async def _send(
        self, client: httpx.AsyncClient, url: str, body: bytes, headers: dict[str, str]
    ) -> _Sent:
        if urlsplit(url).scheme not in ("http", "https"):
            return _Sent(None, "address not allowed")
        status: int | None = None
        try:
            async with asyncio.timeout(self.config.attempt_timeout_s):
                async with client.stream("POST", url, content=body, headers=headers) as response:
                    # The status line is the answer: a 2xx acknowledges the delivery even if
                    # the body that follows trickles past the deadline or breaks off, so
                    # an acknowledged delivery is never sent again for its body's sake.
                    status = response.status_code
                    read = 0
                    async for chunk in response.aiter_raw():
                        read += len(chunk)
                        if read >= self.config.max_response_bytes:
                            break
        except AddressRefused as refused:  # raised by PinnedBackend before any connect
            return _Sent(None, refused.reason)
        except (TimeoutError, httpx.TimeoutException):
            if status is None:
                return _Sent(None, "timed out")
        except httpx.HTTPError:
            if status is None:
                return _Sent(None, "connection failed")
        if status is None:
            return _Sent(None, "no answer")
        if succeeded(status):
            return _Sent(status, None)
        # Coarse on purpose: an admin reads lastError, and exact codes and exception
        # names would make the worker a port scanner of the receiver's network.
        return _Sent(status, f"HTTP {status // 100}xx")

    async def _flush(self) -> None:
        """Write every outcome waiting, one statement for all of them, until none waits:
        attempts that end together cost one write, not one each. The gap between a 2xx
        and its DELIVERED stays one write long."""
        while self._outcomes:
            await asyncio.sleep(0)  # let outcomes finishing in this loop turn join
            group, self._outcomes = self._outcomes, []
            written: set[str] = set()
            for pause in (0.05, 0.2, 1.0, 2.0, None):
                try:
                    written = await store.record_outcome(self.graph, [o for o, _ in group], _now())
                    break
                except Exception as exc:
                    if pause is None:
                        for _, future in group:
                            future.set_exception(exc)
                        return
                    await asyncio.sleep(pause)
            for outcome, future in group:
                future.set_result(outcome.delivery_id in written)

    async def _record(self, item: store.Claimed, sent: _Sent) -> None:
        now = _now()
        d = item.delivery
        if succeeded(sent.status):
            outcome = store.Outcome(d.id, item.lease, DeliveryState.DELIVERED.value, sent.status)
        else:
            delay = self.config.retry.delay_after(d.attempts, random.random())
            if delay is None:
                outcome = store.Outcome(
                    d.id, item.lease, DeliveryState.DEAD.value, sent.status, sent.error
                )
            else:
                outcome = store.Outcome(
                    d.id,
                    item.lease,
                    DeliveryState.PENDING.value,
                    sent.status,
                    sent.error,
                    now + timedelta(seconds=delay),
                )
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._outcomes.append((outcome, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush())
        if not await future:
            self.stats.lost_leases += 1
        elif outcome.state == DeliveryState.DELIVERED:
            self.stats.delivered += 1
            if d.notified_at is not None:
                self.stats.latencies.append((now - d.notified_at).total_seconds())
        elif outcome.state == DeliveryState.DEAD:
            self.stats.dead += 1
        else:
            self.stats.failed += 1
