"""Crash safety: the delivery worker (`contactgraph webhooks run`, a real process) is killed
with SIGKILL twice (once holding claims it had not yet sent, once with requests sent and
not yet answered) and started again: every notification is delivered at least once, and
none is sent again after the receiver acknowledged it with a 2xx.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import neo4j
import pytest

from notify.dispatcher import Dispatcher
from tests.api.consent_support import fresh_family
from tests.feeds.conftest import Feed, clean_source, feed, feed_source, record
from tests.webhooks.conftest import admin, register
from tests.webhooks.receiver import Receiver, verify

__all__ = ["admin", "clean_source", "feed", "feed_source", "fresh_family", "register"]

REPO = Path(__file__).resolve().parents[2]
N = 12


@pytest.fixture
def crash_receiver() -> Iterator[Receiver]:
    r = Receiver(8282).start()
    yield r
    r.stop()


@pytest.fixture
def outbox_cleaned(sync_driver: neo4j.Driver) -> Iterator[None]:
    """No notification or event of another test before or after: the counts are ours."""

    def clean() -> None:
        sync_driver.execute_query(
            "MATCH (n:Notification) OPTIONAL MATCH (d:WebhookDelivery {notificationId: n.id}) "
            "DETACH DELETE d, n"
        )
        sync_driver.execute_query("MATCH (e:OutboxEvent) DETACH DELETE e")

    clean()
    yield
    clean()


def worker(name: str, *extra: str) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    env.update(
        CONTACTGRAPH_WEBHOOK_LEASE="2",
        CONTACTGRAPH_WEBHOOK_POLL="0.05",
        CONTACTGRAPH_WEBHOOK_RETRY_BASE="0.2",
        CONTACTGRAPH_WEBHOOK_TIMEOUT="30",
    )
    return subprocess.Popen(
        [sys.executable, "-m", "api.cli", "webhooks", "run", "--name", name, *extra],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def wait_for(check: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting: {what}")
        time.sleep(0.05)


def kill9(proc: subprocess.Popen[bytes]) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)


def claimed_by(sync_driver: neo4j.Driver, name: str) -> int:
    rows, _, _ = sync_driver.execute_query(
        "MATCH (d:WebhookDelivery {state: 'PENDING', leaseOwner: $n}) RETURN count(d) AS c",
        n=name,
    )
    return int(rows[0]["c"])


@pytest.mark.usefixtures("fresh_family", "outbox_cleaned")
async def test_kill_9_delivers_at_least_once_and_never_again_after_a_2xx(
    crash_receiver: Receiver,
    register: Any,
    feed: Feed,
    graph: Any,
    sync_driver: neo4j.Driver,
) -> None:
    receiver = crash_receiver
    endpoint, secret = await register("s-oakfield-school", receiver.url)
    await Dispatcher(graph, batch=500, sweep_every_s=3600).drain()  # what others left
    # N changes committed: N youth-work involvements for Hannah, each one Melanie hears of.
    records = [
        record(
            f"lee-{i}",
            "START_INVOLVEMENT",
            {
                "child": {"nhsNumber": "9990001014"},
                "serviceId": "s-nbr-youth",
                "practitionerId": "p-lee",
                "startedOn": f"2026-01-{i + 1:02d}",
            },
        )
        for i in range(N)
    ]
    assert (await feed.send(*records))["accepted"] == N
    await Dispatcher(graph, batch=500, sweep_every_s=3600).drain()
    rows, _, _ = sync_driver.execute_query(
        "MATCH (n:Notification {recipient: 'p-melanie', kind: 'INVOLVEMENT_STARTED'}) RETURN n.id AS id"
    )
    expected = {r["id"] for r in rows}
    assert len(expected) == N

    # 1. Killed between the claim and the send: claims held, nothing sent.
    first = worker("crash-1", "--pause-after-claim", "30")
    try:
        wait_for(lambda: claimed_by(sync_driver, "crash-1") > 0, "the first worker's claims")
    finally:
        kill9(first)
    assert receiver.received == []

    # 2. Killed with requests sent and held unanswered by the receiver.
    receiver.hold.set()
    second = worker("crash-2")
    try:
        wait_for(lambda: len(receiver.received) >= 3, "requests reaching the receiver")
    finally:
        kill9(second)
    receiver.hold.clear()  # the held requests find their sender gone: nothing acknowledged
    wait_for(
        lambda: all(r.status is not None for r in receiver.received),
        "held requests to end unacknowledged",
        timeout=10,
    )
    assert not any(r.status == 200 for r in receiver.received)

    # 3. Restarted: everything arrives, once acknowledged.
    third = worker("crash-3")
    try:
        wait_for(lambda: set(receiver.ids(answered=200)) >= expected, "every delivery acknowledged")
        # Let any lease of the killed workers run out and the worker go round again: nothing
        # acknowledged is sent a second time.
        time.sleep(3)
    finally:
        third.send_signal(signal.SIGTERM)
        third.wait(timeout=30)
    ours = [r for r in receiver.received if r.headers["webhook-id"] in expected]
    acked: dict[str, float] = {}
    for item in ours:
        wid = item.headers["webhook-id"]
        assert wid not in acked, f"{wid} sent again after a 2xx"
        if item.status == 200:
            acked[wid] = item.at
            assert verify(secret, item)["data"]["id"] == wid
    assert set(acked) == expected
    rows, _, _ = sync_driver.execute_query(
        "MATCH (d:WebhookDelivery {endpointId: $e}) WHERE d.notificationId IN $ids "
        "RETURN d.state AS s, count(*) AS c",
        e=endpoint,
        ids=list(expected),
    )
    assert {r["s"]: r["c"] for r in rows} == {"DELIVERED": N}
