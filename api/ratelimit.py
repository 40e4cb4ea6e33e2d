"""Rate limiting per subject, by query cost: a token bucket per caller.

A caller may spend `per_minute` cost units a minute, in bursts up to that size. The
cost is the same estimate the limits use (api/limits.py), so one full search costs
what twenty profiles do. Buckets live in this process: behind a load balancer each
instance limits on its own, which bounds abuse per instance and needs no shared store.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

__all__ = ["RateLimiter"]

_MAX_SUBJECTS = 100_000


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    def __init__(self, per_minute: int) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self._buckets: dict[str, _Bucket] = {}

    @property
    def enabled(self) -> bool:
        return self.capacity > 0

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
