"""Notification tests: a dispatcher drained in the test, feeds and mutations as in production.

Every test starts with the outbox drained (what other tests left is dispatched first), and
removes the notifications and events it made, so counts are its own.

Hannah's story as every notification test tells it (the inbox, subscriptions, the school's
webhook: tests/scenarios/test_hannah_webhooks.py imports these too): the children's NHS
numbers a feed names them by, a feed's START record, and the clinic's own feed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import neo4j
import pytest

from notify.dispatcher import Dispatcher
from tests.api.consent_support import RECORD_CONSENT, share_contact_details
from tests.feeds.conftest import Feed

#: The sensitive service of Hannah's story (R6): the clinic.
CLINIC = "s-nbr-sexual-health"
NHS = {"c-hannah": "9990001014", "c-sam": "9990001049"}

INBOX = """
query Inbox($first: Int, $after: String, $unreadOnly: Boolean) {
  notifications(first: $first, after: $after, unreadOnly: $unreadOnly) {
    edges { cursor node { id kind summary readAt child { id givenName familyName } payload } }
    pageInfo { hasNextPage endCursor }
  }
}
"""

MARK_READ = "mutation Read($ids: [ID!]!) { markNotificationsRead(ids: $ids) { ids } }"


@pytest.fixture
async def dispatcher(graph: Any) -> Dispatcher:
    d = Dispatcher(graph, batch=500, sweep_every_s=3600)
    await d.drain()
    return d


@pytest.fixture
def clean_notifications(sync_driver: neo4j.Driver) -> Iterator[None]:
    yield
    sync_driver.execute_query(
        "MATCH (n:Notification) OPTIONAL MATCH (d:WebhookDelivery {notificationId: n.id}) "
        "DETACH DELETE d, n"
    )
    sync_driver.execute_query("MATCH (e:OutboxEvent) DETACH DELETE e")


def payloads(body: dict[str, Any]) -> list[dict[str, Any]]:
    assert "errors" not in body, body
    return [json.loads(e["node"]["payload"]) for e in body["data"]["notifications"]["edges"]]


def start(
    child: str, service: str, practitioner: str | None, on: str = "2026-01-05"
) -> dict[str, Any]:
    """A START_INVOLVEMENT payload for one of the story's children (None: a team's)."""
    payload: dict[str, Any] = {
        "child": {"nhsNumber": NHS[child]},
        "serviceId": service,
        "startedOn": on,
    }
    if practitioner:
        payload["practitionerId"] = practitioner
    return payload


def stored(sync_driver: neo4j.Driver, recipient: str) -> list[dict[str, Any]]:
    """What was written for a recipient, whatever any channel would deliver of it."""
    rows = sync_driver.execute_query(
        "MATCH (n:Notification {recipient: $r}) RETURN n.kind AS kind, n.payload AS payload",
        r=recipient,
    ).records
    return [r.data() for r in rows]


@pytest.fixture
def clinic_feed(feed: Feed, sync_driver: neo4j.Driver) -> Iterator[Feed]:
    """The clinic's own system: the one source that may write its involvements (R15)."""
    sync_driver.execute_query(
        "MATCH (s:Service {id: $id}) SET s.source = $source", id=CLINIC, source=feed.source
    )
    yield feed
    sync_driver.execute_query("MATCH (s:Service {id: $id}) REMOVE s.source", id=CLINIC)


async def clinic_names_melanie(nurse: Any) -> str:
    """The clinic's nurse records Hannah's own consent to share the clinic's contact with
    Melanie (R6: what lets Melanie hear of the clinic); the grant's id."""
    body = await nurse.post(
        RECORD_CONSENT,
        share_contact_details("c-hannah", [CLINIC], grantedToPractitionerIds=["p-melanie"]),
    )
    assert "errors" not in body, body
    return str(body["data"]["recordConsent"]["id"])
