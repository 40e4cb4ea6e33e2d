"""Limits that hold across processes: buckets in Neo4j (graph/shared_buckets.py).

Two limiters on one graph stand for two API processes: what one spends, the other
cannot.
"""

from __future__ import annotations

import math
import uuid

from api.ratelimit import SharedRateLimiter
from graph import shared_buckets


async def test_two_processes_share_one_subjects_bucket(graph) -> None:
    subject = f"shared-{uuid.uuid4().hex}"
    first, second = SharedRateLimiter(1600, graph), SharedRateLimiter(1600, graph)
    assert await first.check(subject, 1000) == 0
    # 600 left in the shared bucket: the other process may not spend 700 of it.
    wait = await second.check(subject, 700)
    assert wait > 0
    assert await second.check(subject, 500) == 0
    # The first process still spends from its lease without asking the store.
    assert await first.check(f"other-{subject}", 10) == 0


async def test_a_lease_is_spent_locally(graph) -> None:
    subject = f"lease-{uuid.uuid4().hex}"
    limiter = SharedRateLimiter(16_000, graph)  # leases of 1000
    assert await limiter.check(subject, 10) == 0
    rows = await graph.read(
        "MATCH (b:SharedBucket {key: $k}) RETURN b.tokens AS t, b.drawn AS n", k=f"rate:{subject}"
    )
    assert rows[0]["n"] == 1
    assert rows[0]["t"] <= 15_000.5
    for _ in range(50):
        assert await limiter.check(subject, 10) == 0
    rows = await graph.read(
        "MATCH (b:SharedBucket {key: $k}) RETURN b.drawn AS n", k=f"rate:{subject}"
    )
    assert rows[0]["n"] == 1


async def test_a_budget_that_never_refills(graph) -> None:
    key = f"daily:{uuid.uuid4().hex}"
    common = {"capacity": 5, "per_second": 0}
    assert (await shared_buckets.draw(graph, key, want=3, least=3, **common)).granted == 3
    refused = await shared_buckets.draw(graph, key, want=3, least=3, **common)
    assert refused.granted == 0 and math.isinf(refused.wait_s)
    assert (await shared_buckets.draw(graph, key, want=3, least=1, **common)).granted == 2


async def test_stale_buckets_are_forgotten(graph) -> None:
    key = f"gone:{uuid.uuid4().hex}"
    await shared_buckets.draw(graph, key, want=1, least=1, capacity=5, per_second=0, keep_s=-1)
    assert await shared_buckets.forget_stale(graph) >= 1
    assert not await graph.read("MATCH (b:SharedBucket {key: $k}) RETURN b", k=key)
