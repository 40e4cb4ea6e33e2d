"""Rate limiting per subject, by query cost: a token bucket per caller.

A caller may spend `per_minute` cost units a minute, in bursts up to that size. The
cost is the same estimate the limits use (api/limits.py), so one full search costs
what twenty profiles do.

`SharedRateLimiter` (the default) keeps each subject's bucket in Neo4j
(graph/shared_buckets.py), so the limit holds across every process and host behind the
load balancer. A process draws a lease of tokens (a sixteenth of the bucket, or the
request's cost if larger) and spends it locally, so a busy subject costs one small
write per lease rather than one per request. A lease unused for `lease_s` is dropped,
not returned: tokens idle in other processes are at most (processes - 1) sixteenths of
a minute's budget, and refill. If Neo4j cannot be reached for a draw, the process falls
back to its own bucket (`RateLimiter`): abuse is then bounded per process, as it was
before limits were shared. CONTACTGRAPH_RATE_LIMIT_STORE=process uses only that.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from api.logs import get_logger
from graph import shared_buckets
from graph.database import Graph

__all__ = ["RateLimiter", "SharedRateLimiter"]

log = get_logger("contactgraph.ratelimit")

_MAX_SUBJECTS = 100_000
_FORGET_EVERY_S = 300.0


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """Buckets in this process only: the fallback, and the arithmetic's reference."""

    def __init__(self, per_minute: int) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self._buckets: dict[str, _Bucket] = {}

    @property
    def enabled(self) -> bool:
        return self.capacity > 0

    async def check(self, subject: str, cost: int) -> float:
        return self.take(subject, cost)

    def take(self, subject: str, cost: int, now: float | None = None) -> float:
        """Spend `cost`; return 0 when allowed, else the seconds to wait before retrying."""
        if not self.enabled:
            return 0.0
        now = time.monotonic() if now is None else now
        bucket = self._buckets.get(subject)
        if bucket is None:
            if len(self._buckets) >= _MAX_SUBJECTS:
                self._forget_full(now)
            bucket = self._buckets[subject] = _Bucket(self.capacity, now)
        else:
            bucket.tokens = min(self.capacity, bucket.tokens + (now - bucket.updated) * self.rate)
            bucket.updated = now
        if cost > bucket.tokens:
            return (cost - bucket.tokens) / self.rate
        bucket.tokens -= cost
        return 0.0

    def _forget_full(self, now: float) -> None:
        """Drop buckets that have refilled: forgetting them changes nothing."""
        for subject, bucket in list(self._buckets.items()):
            if bucket.tokens + (now - bucket.updated) * self.rate >= self.capacity:
                del self._buckets[subject]


@dataclass
class _Lease:
    tokens: float
    drawn_at: float


class SharedRateLimiter:
    """One bucket per subject for all processes, spent here from leases."""

    def __init__(
        self, per_minute: int, graph: Graph, lease_fraction: float = 1 / 16, lease_s: float = 10.0
    ) -> None:
        self.graph = graph
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.chunk = max(1.0, self.capacity * lease_fraction)
        self.lease_s = lease_s
        self.fallback = RateLimiter(per_minute)
        self._leases: dict[str, _Lease] = {}
        self._drawing: dict[str, asyncio.Lock] = {}
        self._last_forget = time.monotonic()
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def enabled(self) -> bool:
        return self.capacity > 0

    async def check(self, subject: str, cost: int) -> float:
        """Spend `cost`; return 0 when allowed, else the seconds to wait before retrying."""
        if not self.enabled:
            return 0.0
        if self._spend(subject, cost):
            return 0.0
        # One draw per subject at a time in this process: concurrent requests of one
        # subject wait for it and spend from the lease it brings, rather than each
        # draining a lease of its own from the shared bucket.
        drawing = self._drawing.setdefault(subject, asyncio.Lock())
        try:
            async with drawing:
                if self._spend(subject, cost):
                    return 0.0
                return await self._draw(subject, cost)
        finally:
            if not drawing.locked():
                self._drawing.pop(subject, None)

    def _lease(self, subject: str, now: float) -> _Lease | None:
        lease = self._leases.get(subject)
        return None if lease is None or now - lease.drawn_at > self.lease_s else lease

    def _spend(self, subject: str, cost: int) -> bool:
        lease = self._lease(subject, time.monotonic())
        if lease is None or cost > lease.tokens:
            return False
        lease.tokens -= cost
        return True

    async def _draw(self, subject: str, cost: int) -> float:
        now = time.monotonic()
        lease = self._lease(subject, now)
        held = lease.tokens if lease is not None else 0.0
        try:
            got = await shared_buckets.draw(
                self.graph,
                f"rate:{subject}",
                want=max(self.chunk, cost - held),
                least=cost - held,
                capacity=self.capacity,
                per_second=self.rate,
            )
        except Exception as exc:  # the store is unreachable: limit in this process alone
            log.warning("rate_limit_store_unavailable", error=type(exc).__name__)
            return self.fallback.take(subject, cost)
        self._maybe_forget(now)
        if got.granted <= 0:
            return got.wait_s
        if len(self._leases) >= _MAX_SUBJECTS:
            self._leases = {
                s: v for s, v in self._leases.items() if now - v.drawn_at <= self.lease_s
            }
        self._leases[subject] = _Lease(held + got.granted - cost, now)
        return 0.0

    def _maybe_forget(self, now: float) -> None:
        """Now and then, drop shared buckets that have refilled (they mean nothing)."""
        if now - self._last_forget < _FORGET_EVERY_S:
            return
        self._last_forget = now

        async def forget() -> None:
            try:
                await shared_buckets.forget_stale(self.graph)
            except Exception as exc:
                log.warning("rate_limit_forget_failed", error=type(exc).__name__)

        task = asyncio.create_task(forget())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
