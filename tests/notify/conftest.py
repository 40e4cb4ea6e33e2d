"""Notification tests: a dispatcher drained in the test, feeds and mutations as in production.

Every test starts with the outbox drained (what other tests left is dispatched first), and
removes the notifications and events it made, so counts are its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import neo4j
import pytest

from notify.dispatcher import Dispatcher

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
    sync_driver.execute_query("MATCH (n:Notification) DETACH DELETE n")
    sync_driver.execute_query("MATCH (e:OutboxEvent) DETACH DELETE e")


def payloads(body: dict[str, Any]) -> list[dict[str, Any]]:
    import json

    assert "errors" not in body, body
    return [json.loads(e["node"]["payload"]) for e in body["data"]["notifications"]["edges"]]
