"""Pruning notifications' records (issue 20) in the retention sweep, against the graph.

What has served goes, in bounded batches: a finished webhook delivery after its period,
then a read notification once no delivery of it is kept, then a fanned-out outbox event
once none of its notifications is kept. What still serves stays: an unread notification
(and so its event), one still waiting for the webhook fan-out or with a delivery pending,
and anything younger than its period.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import neo4j
import pytest

from api.retention import run_retention
from graph.retention import prune_notifications
from policies.retention import NotificationRetention

NOW = datetime.now(UTC)

_MAKE = """
UNWIND $events AS e
CREATE (:OutboxEvent {id: e.id, kind: 'INVOLVEMENT_STARTED', state: e.state,
  occurredAt: $now - duration({days: e.age}), doneAt: $now - duration({days: e.age}),
  attempts: 1, childId: 'c-prune'})
WITH count(*) AS made
UNWIND $notifications AS n
CREATE (x:Notification {id: n.id, eventId: n.event, recipient: 'p-' + n.id,
  recipientKind: 'PRACTITIONER', kind: 'INVOLVEMENT_STARTED', payload: '{}',
  createdAt: $now - duration({days: n.age}),
  readAt: CASE WHEN n.read IS NULL THEN null ELSE $now - duration({days: n.read}) END})
FOREACH (_ IN CASE WHEN n.pending THEN [1] ELSE [] END | SET x:WebhookPending)
WITH count(*) AS made
UNWIND $deliveries AS d
CREATE (:WebhookDelivery {id: d.notification + '@wh-prune', notificationId: d.notification,
  endpointId: 'wh-prune', state: d.state, attempts: 1,
  createdAt: $now - duration({days: d.age}),
  deliveredAt: CASE WHEN d.state = 'DELIVERED' THEN $now - duration({days: d.age}) END,
  deadAt: CASE WHEN d.state = 'DEAD' THEN $now - duration({days: d.age}) END})
"""

EVENTS = [
    {"id": "evt-prune-old", "state": "DONE", "age": 40},  # no notification left: goes
    {"id": "evt-prune-unread", "state": "DONE", "age": 40},  # its notification is unread
    {"id": "evt-prune-chain", "state": "DONE", "age": 40},  # goes once its notes have
    {"id": "evt-prune-young", "state": "DONE", "age": 5},  # within its period
    {"id": "evt-prune-pending", "state": "PENDING", "age": 40},  # not fanned out
]
NOTIFICATIONS = [
    {"id": "ntf-prune-unread", "event": "evt-prune-unread", "age": 200, "read": None},
    {"id": "ntf-prune-read", "event": "evt-prune-chain", "age": 200, "read": 100},
    {"id": "ntf-prune-delivered", "event": "evt-prune-chain", "age": 200, "read": 100},
    {"id": "ntf-prune-retrying", "event": "evt-prune-young", "age": 200, "read": 100},
    {
        "id": "ntf-prune-fanout",
        "event": "evt-prune-young",
        "age": 200,
        "read": 100,
        "pending": True,
    },
    {"id": "ntf-prune-recent", "event": "evt-prune-young", "age": 20, "read": 10},
]
DELIVERIES = [
    {"notification": "ntf-prune-delivered", "state": "DELIVERED", "age": 45},
    {"notification": "ntf-prune-retrying", "state": "PENDING", "age": 45},
    {"notification": "ntf-prune-recent", "state": "DEAD", "age": 10},
]


@pytest.fixture
def prunable(sync_driver: neo4j.Driver) -> Iterator[neo4j.Driver]:
    def clean() -> None:
        sync_driver.execute_query(
            "MATCH (x) WHERE (x:OutboxEvent OR x:Notification OR x:WebhookDelivery) "
            "AND x.id CONTAINS 'prune' DETACH DELETE x"
        )

    clean()
    notes = [{"pending": False, **n} for n in NOTIFICATIONS]
    sync_driver.execute_query(
        _MAKE, events=EVENTS, notifications=notes, deliveries=DELIVERIES, now=NOW
    )
    yield sync_driver
    clean()


def _left(driver: neo4j.Driver) -> set[str]:
    rows = driver.execute_query(
        "MATCH (x) WHERE (x:OutboxEvent OR x:Notification OR x:WebhookDelivery) "
        "AND x.id CONTAINS 'prune' RETURN x.id AS id"
    ).records
    return {r["id"] for r in rows}


async def test_what_has_served_goes_in_batches_and_what_serves_stays(
    graph: Any, prunable: neo4j.Driver
) -> None:
    before = _left(prunable)
    counts = await prune_notifications(
        graph, NotificationRetention().cutoffs(NOW), dry_run=False, batch=1
    )
    assert counts == {"webhook deliveries": 1, "read notifications": 2, "outbox events": 2}
    gone = before - _left(prunable)
    assert gone == {
        "ntf-prune-delivered@wh-prune",
        "ntf-prune-read",
        "ntf-prune-delivered",
        "evt-prune-old",
        "evt-prune-chain",
    }
    # A second run finds nothing more: every step ran until its batch came back short.
    again = await prune_notifications(
        graph, NotificationRetention().cutoffs(NOW), dry_run=False, batch=1
    )
    assert again == {"webhook deliveries": 0, "read notifications": 0, "outbox events": 0}


async def test_the_periods_are_configurable(graph: Any, prunable: neo4j.Driver) -> None:
    # Kept for a year, nothing here is due.
    year = NotificationRetention(webhook_days=365, read_days=365, outbox_days=365)
    counts = await prune_notifications(graph, year.cutoffs(NOW), dry_run=False)
    assert counts == {"webhook deliveries": 0, "read notifications": 0, "outbox events": 0}
    # Kept for a day, the recent dead letter and the recent read notification go too.
    day = NotificationRetention(webhook_days=1, read_days=1, outbox_days=1)
    await prune_notifications(graph, day.cutoffs(NOW), dry_run=False)
    assert _left(prunable) == {
        "evt-prune-unread",
        "ntf-prune-unread",
        "evt-prune-young",
        "ntf-prune-retrying",
        "ntf-prune-retrying@wh-prune",
        "ntf-prune-fanout",
        "evt-prune-pending",
    }
    with pytest.raises(ValueError):
        NotificationRetention(read_days=0)


async def test_the_retention_run_reports_them_and_a_dry_run_changes_nothing(
    graph: Any, prunable: neo4j.Driver
) -> None:
    before = _left(prunable)
    dry = await run_retention(graph, as_of=NOW.date(), dry_run=True)
    # A dry run counts each step as the graph stands (the chain's second step waits on
    # the first), and deletes nothing.
    assert dry.notifications_pruned == {
        "webhook deliveries": 1,
        "read notifications": 1,
        "outbox events": 1,
    }
    assert _left(prunable) == before
    assert any("notifications (issue 20)" in line for line in dry.lines())
    # As of a date before the records aged, a run prunes none of them.
    past = await run_retention(graph, as_of=(NOW - timedelta(days=300)).date())
    assert past.notifications_pruned == {
        "webhook deliveries": 0,
        "read notifications": 0,
        "outbox events": 0,
    }
    assert _left(prunable) == before
    done = await run_retention(graph, as_of=NOW.date())
    assert done.notifications_pruned == {
        "webhook deliveries": 1,
        "read notifications": 2,
        "outbox events": 2,
    }
    assert "2 read notifications" in "\n".join(done.lines())
