"""Crash safety of the dispatcher: `kill -9` between the claim and the write, then a restart.

Every event committed is dispatched at least once; no notification is written twice,
however many dispatchers run and whichever of them dies.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from typing import Any

import neo4j
import pytest

from notify.dispatcher import Dispatcher
from tests.feeds.conftest import REPO, Feed, clean_source, feed, feed_source, record
from tests.notify.conftest import start

__all__ = ["clean_source", "feed", "feed_source"]

pytestmark = pytest.mark.usefixtures("clean_notifications")

EVENTS = 12


def _dispatcher(*args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "api.cli", "notify", "run", *args],
        cwd=REPO,
        env=dict(os.environ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _one(driver: neo4j.Driver, cypher: str, **params: Any) -> Any:
    return driver.execute_query(cypher, params).records[0][0]


def _wait_for(driver: neo4j.Driver, cypher: str, check: Any, **params: Any) -> Any:
    """Polls until `check` holds (bounded: a dispatcher that never gets there fails)."""
    for _ in range(1200):
        value = _one(driver, cypher, **params)
        if check(value):
            return value
        time.sleep(0.1)
    raise AssertionError(f"never reached: {cypher} (last {value!r})")


async def test_kill_9_between_claim_and_write_then_restart(
    feed: Feed, dispatcher: Dispatcher, sync_driver: neo4j.Driver
) -> None:
    await feed.send(
        *(
            record(f"lee-{n}", "START_INVOLVEMENT", start("c-hannah", "s-nbr-youth", "p-lee"))
            for n in range(EVENTS)
        )
    )
    ids = [
        r["id"]
        for r in sync_driver.execute_query(
            "MATCH (e:OutboxEvent {state: 'PENDING', kind: 'INVOLVEMENT_STARTED'}) RETURN e.id AS id"
        ).records
    ]
    assert len(ids) == EVENTS

    # The first dispatcher claims a batch and stops before writing: killed there.
    doomed = _dispatcher("--batch", "5", "--lease-ms", "2000", "--pause-after-claim", "600")
    try:
        _wait_for(
            sync_driver,
            "MATCH (e:OutboxEvent) WHERE e.id IN $ids AND e.claimedBy IS NOT NULL RETURN count(e)",
            lambda n: n >= 5,
            ids=ids,
        )
    finally:
        os.kill(doomed.pid, signal.SIGKILL)
        doomed.wait()
    claimed = _one(
        sync_driver,
        "MATCH (e:OutboxEvent) WHERE e.id IN $ids AND e.state = 'PENDING' "
        "AND e.claimedBy IS NOT NULL RETURN count(e)",
        ids=ids,
    )
    assert claimed == 5  # committed claims, nothing written for them
    assert (
        _one(sync_driver, "MATCH (n:Notification) WHERE n.eventId IN $ids RETURN count(n)", ids=ids)
        == 0
    )

    # Two dispatchers restart at once (one in this process): the dead one's lease runs
    # out and its events are taken over.
    survivor = _dispatcher("--batch", "3", "--lease-ms", "2000")
    try:
        for _ in range(100):
            await dispatcher.drain()
            left = _one(
                sync_driver,
                "MATCH (e:OutboxEvent) WHERE e.id IN $ids AND e.state = 'PENDING' RETURN count(e)",
                ids=ids,
            )
            if left == 0:
                break
            await asyncio.sleep(0.5)
        assert left == 0
    finally:
        survivor.send_signal(signal.SIGTERM)
        survivor.wait(timeout=60)

    rows = sync_driver.execute_query(
        "MATCH (n:Notification) WHERE n.eventId IN $ids "
        "RETURN n.eventId AS event, n.recipient AS recipient",
        ids=ids,
    ).records
    pairs = [(r["event"], r["recipient"]) for r in rows]
    assert len(pairs) == len(set(pairs))  # none twice
    by_event: dict[str, set[str]] = {}
    for event, recipient in pairs:
        by_event.setdefault(event, set()).add(recipient)
    # Every event delivered, to the same people (Melanie among them, never Lee himself).
    assert set(by_event) == set(ids)
    first = next(iter(by_event.values()))
    assert "p-melanie" in first and "p-lee" not in first
    assert all(recipients == first for recipients in by_event.values())
    retried = _one(
        sync_driver,
        "MATCH (e:OutboxEvent) WHERE e.id IN $ids AND e.attempts > 1 RETURN count(e)",
        ids=ids,
    )
    assert retried >= 5  # the killed dispatcher's events were claimed again
