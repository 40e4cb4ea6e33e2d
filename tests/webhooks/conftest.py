"""Fixtures for the webhook tests: a receiver on loopback, endpoints registered through the
API (and disabled and removed afterwards), notifications, and a delivery worker.

Ports: the receivers listen on 127.0.0.1:8281-8284 (this worktree's range is 8280-8289).
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import neo4j
import pytest

from graph.database import Graph
from policies.viewer import Role
from policies.webhooks import RetrySchedule
from tests.webhooks.receiver import Receiver
from webhooks.config import WebhookConfig
from webhooks.secretbox import box_from
from webhooks.worker import DeliveryWorker, Shaped, ShapeFor, Shaper

REGISTER = """
mutation R($service: ID!, $url: String!, $description: String!) {
  registerWebhookEndpoint(serviceId: $service, url: $url, description: $description) {
    secret endpoint { id serviceId url active localAuthority }
  }
}
"""


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver(8281).start()
    yield r
    r.stop()


@pytest.fixture
def admin(as_viewer: Any) -> Any:
    return as_viewer(Role.INDEX_ADMIN, local_authority="NBR", subject="admin-nbr")


@pytest.fixture
def register(admin: Any, as_viewer: Any, sync_driver: neo4j.Driver) -> Iterator[Callable[..., Any]]:
    """Registers an endpoint as the index admin of `la` (NBR's by default); removes it and
    its deliveries after."""
    made: list[str] = []

    async def make(service_id: str, url: str, la: str = "NBR") -> tuple[str, str]:
        caller = admin if la == "NBR" else as_viewer(Role.INDEX_ADMIN, local_authority=la)
        body = await caller.post(
            REGISTER, {"service": service_id, "url": url, "description": "school MIS webhook"}
        )
        assert "errors" not in body, body
        answer = body["data"]["registerWebhookEndpoint"]
        made.append(answer["endpoint"]["id"])
        return answer["endpoint"]["id"], answer["secret"]

    yield make
    sync_driver.execute_query(
        "MATCH (e:WebhookEndpoint) WHERE e.id IN $ids "
        "OPTIONAL MATCH (d:WebhookDelivery {endpointId: e.id}) DETACH DELETE d, e",
        ids=made,
    )


@pytest.fixture
def notify(sync_driver: neo4j.Driver) -> Iterator[Callable[..., str]]:
    """Writes a practitioner's notification as the core's dispatcher does (graph model in
    /work/notify_interface.md), label :WebhookPending included."""
    made: list[str] = []

    def make(recipient: str, child_id: str = "c-hannah", **payload: Any) -> str:
        nid = f"ntf-test-{uuid.uuid4()}"
        body = {"id": nid, "kind": "INVOLVEMENT_STARTED", "child": {"id": child_id}, **payload}
        sync_driver.execute_query(
            "CREATE (:Notification:WebhookPending {id: $id, eventId: $id, kind: "
            "'INVOLVEMENT_STARTED', recipient: $recipient, recipientKind: 'PRACTITIONER', "
            "childId: $child, createdAt: datetime(), payload: $payload})",
            id=nid,
            recipient=recipient,
            child=child_id,
            payload=json.dumps(body),
        )
        made.append(nid)
        return nid

    yield make
    sync_driver.execute_query(
        "MATCH (n:Notification) WHERE n.id IN $ids "
        "OPTIONAL MATCH (d:WebhookDelivery {notificationId: n.id}) DETACH DELETE d, n",
        ids=made,
    )


async def stored_payloads(
    graph: Graph, items: Sequence[ShapeFor], now: datetime
) -> Mapping[ShapeFor, Shaped | None]:
    """A stand-in for the core's re-check: the payload as stored, None when it says
    `withheld` (the tests' way of saying policy refuses it now)."""
    rows = await graph.read(
        "MATCH (n:Notification) WHERE n.id IN $ids RETURN n.id AS id, n.payload AS p, "
        "n.recipient AS r, n.childId AS c",
        ids=[i.notification_id for i in items],
    )
    stored = {row["id"]: row for row in rows}
    out: dict[ShapeFor, Shaped | None] = {}
    for item in items:
        row = stored[item.notification_id]
        payload = json.loads(row["p"])
        out[item] = (
            None
            if payload.get("withheld")
            else Shaped(body=payload, recipient=row["r"], child_ids=(row["c"],))
        )
    return out


def fast_config(**changes: Any) -> WebhookConfig:
    base = WebhookConfig(
        retry=RetrySchedule(max_attempts=3, base_s=0.0),
        attempt_timeout_s=3.0,
        connect_timeout_s=1.0,
        lease_s=30.0,
        poll_s=0.05,
    )
    return dataclasses.replace(base, **changes)


@pytest.fixture
def make_worker(graph: Graph, settings: Any) -> Callable[..., DeliveryWorker]:
    def make(
        shaper: Shaper = stored_payloads, production: bool = False, **changes: Any
    ) -> DeliveryWorker:
        cfg = settings.webhooks
        box = box_from(cfg.key_b64, cfg.key_file, production=False)
        return DeliveryWorker(graph, fast_config(**changes), box, shaper, production=production)

    return make


def now() -> datetime:
    return datetime.now(UTC)
