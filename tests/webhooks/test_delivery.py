"""Deliveries end to end: a notification for a practitioner of a service with an endpoint
reaches a real receiver on loopback, signed so that the standardwebhooks package (an
implementation independent of ours) verifies it; failures are retried, then dead, then
replayed by an admin; what policy or the endpoint no longer allows is not sent."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import neo4j
import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from graph import webhooks as store
from policies.viewer import Role
from tests.webhooks.conftest import now
from tests.webhooks.receiver import Receiver, verify
from webhooks.worker import DeliveryWorker

DEAD = """
query D($endpoint: ID) {
  webhookDeliveries(state: DEAD, endpointId: $endpoint) {
    id notificationId endpointId state attempts lastStatusCode lastError deadAt
  }
}
"""
REPLAY = """
mutation R($id: ID!) { replayWebhookDelivery(deliveryId: $id) { id state attempts replays } }
"""


async def deliver(worker: DeliveryWorker) -> None:
    async with worker.client() as client:
        await worker.drain(client)


async def test_a_notification_reaches_the_endpoint_signed(
    receiver: Receiver, register: Any, notify: Any, make_worker: Any
) -> None:
    _endpoint, secret = await register("s-oakfield-school", receiver.url)
    nid = notify("p-melanie", summary="Lee Brennan (youth service) is now working with Hannah")
    await deliver(make_worker())
    mine = [r for r in receiver.received if r.headers["webhook-id"] == nid]
    assert len(mine) == 1
    body = verify(secret, mine[0])
    assert body["id"] == nid and body["summary"].startswith("Lee Brennan")
    assert mine[0].headers["webhook-signature"].startswith("v1,")
    # Another secret does not verify: the signature really is over this body.
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + "A" * 43 + "=").verify(mine[0].body, mine[0].headers)
    tampered = mine[0].body.replace(b"Lee", b"Lea")
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(tampered, mine[0].headers)


async def test_only_practitioners_of_the_service_reach_its_endpoint(
    receiver: Receiver, register: Any, notify: Any, make_worker: Any
) -> None:
    await register("s-oakfield-school", receiver.url)
    for_melanie = notify("p-melanie")
    for_lee = notify("p-lee")  # youth service: no endpoint
    for_nurse = notify("p-nurse")  # the clinic: no endpoint
    await deliver(make_worker())
    ids = receiver.ids()
    assert for_melanie in ids
    assert for_lee not in ids and for_nurse not in ids


async def test_policy_withholding_at_the_attempt_sends_nothing(
    receiver: Receiver, register: Any, notify: Any, make_worker: Any, sync_driver: neo4j.Driver
) -> None:
    await register("s-oakfield-school", receiver.url)
    nid = notify("p-melanie", withheld=True)
    await deliver(make_worker())
    assert nid not in receiver.ids()
    rows, _, _ = sync_driver.execute_query(
        "MATCH (d:WebhookDelivery {notificationId: $id}) RETURN d.state AS s", id=nid
    )
    assert [r["s"] for r in rows] == ["WITHHELD"]


async def test_retries_then_dead_then_replay(
    receiver: Receiver, register: Any, notify: Any, make_worker: Any, admin: Any
) -> None:
    endpoint, secret = await register("s-oakfield-school", receiver.url)
    receiver.statuses.extend([500, 302, 503])  # three attempts, all failing
    nid = notify("p-melanie")
    await deliver(make_worker())
    assert [r.status for r in receiver.received if r.headers["webhook-id"] == nid] == [
        500,
        302,
        503,
    ]
    # Every attempt carries the same webhook-id and verifies on its own timestamp.
    for item in receiver.received:
        verify(secret, item)
    dead = (await admin.post(DEAD, {"endpoint": endpoint}))["data"]["webhookDeliveries"]
    assert [d["notificationId"] for d in dead] == [nid]
    assert dead[0]["attempts"] == 3 and dead[0]["lastStatusCode"] == 503
    assert dead[0]["lastError"] == "HTTP 5xx"

    replayed = await admin.post(REPLAY, {"id": dead[0]["id"]})
    assert replayed["data"]["replayWebhookDelivery"]["state"] == "PENDING"
    await deliver(make_worker())
    answered = [r.status for r in receiver.received if r.headers["webhook-id"] == nid]
    assert answered == [500, 302, 503, 200]
    assert (await admin.post(DEAD, {"endpoint": endpoint}))["data"]["webhookDeliveries"] == []
    # A delivered one cannot be replayed.
    again = await admin.post(REPLAY, {"id": dead[0]["id"]})
    assert again["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_a_timeout_is_a_failure(
    receiver: Receiver, register: Any, notify: Any, make_worker: Any, sync_driver: neo4j.Driver
) -> None:
    await register("s-oakfield-school", receiver.url)
    nid = notify("p-melanie")
    receiver.hold.set()
    worker = make_worker(attempt_timeout_s=0.5)
    async with worker.client() as client:
        await worker.step(client)
        await asyncio.gather(*list(worker._in_flight))
    receiver.hold.clear()
    rows, _, _ = sync_driver.execute_query(
        "MATCH (d:WebhookDelivery {notificationId: $id}) RETURN d.state AS s, d.lastError AS e, "
        "d.attempts AS a",
        id=nid,
    )
    assert [(r["s"], r["e"], r["a"]) for r in rows] == [("PENDING", "timed out", 1)]


async def test_a_disabled_endpoint_gets_nothing_more(
    receiver: Receiver,
    register: Any,
    notify: Any,
    make_worker: Any,
    admin: Any,
    sync_driver: neo4j.Driver,
) -> None:
    endpoint, _ = await register("s-oakfield-school", receiver.url)
    worker = make_worker()
    waiting = notify("p-melanie")
    await store.fan_out(worker.graph, now(), 100)  # its delivery is PENDING, not yet sent
    disabled = await admin.post(
        "mutation D($id: ID!) { disableWebhookEndpoint(endpointId: $id) { active disabledBy } }",
        {"id": endpoint},
    )
    assert disabled["data"]["disableWebhookEndpoint"] == {
        "active": False,
        "disabledBy": "admin-nbr",
    }
    later = notify("p-melanie")
    await deliver(worker)
    assert waiting not in receiver.ids() and later not in receiver.ids()
    rows, _, _ = sync_driver.execute_query(
        "MATCH (d:WebhookDelivery {endpointId: $e}) RETURN d.notificationId AS n, d.state AS s",
        e=endpoint,
    )
    assert {r["n"]: r["s"] for r in rows} == {waiting: "CANCELLED"}


async def test_the_recipient_leaving_the_service_stops_it(
    receiver: Receiver, register: Any, notify: Any, make_worker: Any, sync_driver: neo4j.Driver
) -> None:
    await register("s-oakfield-school", receiver.url)
    nid = notify("p-melanie")
    worker = make_worker()
    await store.fan_out(worker.graph, now(), 100)
    sync_driver.execute_query(
        "MATCH (:Practitioner {id: 'p-melanie'})-[w:WORKS_FOR]->(:Service {id: 's-oakfield-school'}) "
        "DELETE w"
    )
    try:
        await deliver(worker)
    finally:
        sync_driver.execute_query(
            "MATCH (p:Practitioner {id: 'p-melanie'}), (s:Service {id: 's-oakfield-school'}) "
            "MERGE (p)-[:WORKS_FOR]->(s)"
        )
    assert nid not in receiver.ids()
    rows, _, _ = sync_driver.execute_query(
        "MATCH (d:WebhookDelivery {notificationId: $id}) RETURN d.state AS s", id=nid
    )
    assert [r["s"] for r in rows] == ["WITHHELD"]


async def test_a_suspended_recipients_service_hears_nothing_for_them(
    receiver: Receiver, register: Any, notify: Any, make_worker: Any, sync_driver: neo4j.Driver
) -> None:
    """Red team (MEDIUM, R2): Lee suspended, his socket closed and his inbox refused, but
    his service's endpoint still received his notifications. Withheld at the attempt until
    he is reinstated; the next one after reinstatement goes."""
    await register("s-oakfield-school", receiver.url)
    sync_driver.execute_query(
        "MERGE (s:SubjectSuspension {subject: 'p-melanie'}) SET s.suspended = true, "
        "s.reason = 'webhook test', s.since = datetime(), s.by = 'test'"
    )
    try:
        held = notify("p-melanie")
        await deliver(make_worker())
    finally:
        sync_driver.execute_query(
            "MATCH (s:SubjectSuspension {subject: 'p-melanie'}) SET s.suspended = false"
        )
    assert held not in receiver.ids()
    rows, _, _ = sync_driver.execute_query(
        "MATCH (d:WebhookDelivery {notificationId: $id}) RETURN d.state AS s, d.lastError AS e",
        id=held,
    )
    assert [(r["s"], r["e"]) for r in rows] == [("WITHHELD", "recipient suspended")]
    after = notify("p-melanie")
    await deliver(make_worker())
    assert after in receiver.ids()


async def test_two_workers_deliver_each_once(
    receiver: Receiver, register: Any, notify: Any, make_worker: Any
) -> None:
    await register("s-oakfield-school", receiver.url)
    ids = [notify("p-melanie") for _ in range(60)]
    a, b = make_worker(batch=7, concurrency=8), make_worker(batch=7, concurrency=8)
    await asyncio.gather(deliver(a), deliver(b))
    got = [i for i in receiver.ids() if i in set(ids)]
    assert sorted(got) == sorted(ids)  # each exactly once
    assert a.stats.delivered > 0 and b.stats.delivered > 0


async def test_a_rotated_secret_signs_with_both_for_the_grace_period(
    receiver: Receiver, register: Any, notify: Any, make_worker: Any, admin: Any
) -> None:
    endpoint, old = await register("s-oakfield-school", receiver.url)
    rotated = await admin.post(
        "mutation R($id: ID!) { rotateWebhookSecret(endpointId: $id) { secret "
        "endpoint { secretRotatedAt previousSecretValidUntil } } }",
        {"id": endpoint},
    )
    answer = rotated["data"]["rotateWebhookSecret"]
    new = answer["secret"]
    assert new != old and new.startswith("whsec_")
    assert answer["endpoint"]["previousSecretValidUntil"] is not None
    nid = notify("p-melanie")
    await deliver(make_worker())
    (item,) = [r for r in receiver.received if r.headers["webhook-id"] == nid]
    assert len(item.headers["webhook-signature"].split(" ")) == 2
    assert verify(new, item)["id"] == nid
    assert verify(old, item)["id"] == nid
    assert json.loads(item.body)["id"] == nid


async def test_an_address_refused_at_the_attempt_is_never_contacted(
    receiver: Receiver, register: Any, notify: Any, make_worker: Any, sync_driver: neo4j.Driver
) -> None:
    """A production worker checks what the host resolves to at every attempt: an endpoint
    that now points at this machine (here: registered in development, then delivered by a
    production worker) is not contacted, and the attempt fails."""
    await register("s-oakfield-school", receiver.url)
    nid = notify("p-melanie")
    worker = make_worker(production=True)
    async with worker.client() as client:
        await worker.step(client)
        await asyncio.gather(*list(worker._in_flight))
    assert receiver.received == []
    rows, _, _ = sync_driver.execute_query(
        "MATCH (d:WebhookDelivery {notificationId: $id}) RETURN d.state AS s, d.lastError AS e",
        id=nid,
    )
    assert [(r["s"], r["e"]) for r in rows] == [("PENDING", "address not allowed")]


async def test_a_2xx_whose_body_trickles_past_the_deadline_is_still_acknowledged(
    receiver: Receiver, register: Any, notify: Any, make_worker: Any, sync_driver: neo4j.Driver
) -> None:
    """The status line is the acknowledgement: a slow or endless body after a 2xx does not
    make the delivery fail (which would send it again after the receiver took it)."""
    await register("s-oakfield-school", receiver.url)
    receiver.trickle_s = 3.0
    nid = notify("p-melanie")
    await deliver(make_worker(attempt_timeout_s=1.0))
    assert receiver.ids() == [nid]
    rows, _, _ = sync_driver.execute_query(
        "MATCH (d:WebhookDelivery {notificationId: $id}) RETURN d.state AS s, d.attempts AS a",
        id=nid,
    )
    assert [(r["s"], r["a"]) for r in rows] == [("DELIVERED", 1)]


async def test_a_long_answer_does_not_fail_the_delivery(
    receiver: Receiver, register: Any, notify: Any, make_worker: Any, sync_driver: neo4j.Driver
) -> None:
    await register("s-oakfield-school", receiver.url)
    receiver.trickle_s = 0.01  # 20 KiB body
    nid = notify("p-melanie")
    await deliver(make_worker(max_response_bytes=2048))
    rows, _, _ = sync_driver.execute_query(
        "MATCH (d:WebhookDelivery {notificationId: $id}) RETURN d.state AS s", id=nid
    )
    assert [r["s"] for r in rows] == ["DELIVERED"]


async def test_the_readmes_verification_code_verifies_a_real_delivery(
    receiver: Receiver, register: Any, notify: Any, make_worker: Any
) -> None:
    """What README.md tells a supplier to write, run against a delivery we really sent."""
    text = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    snippet = text.split("or by hand:\n\n```python\n", 1)[1].split("```", 1)[0]
    _, secret = await register("s-oakfield-school", receiver.url)
    nid = notify("p-melanie")
    await deliver(make_worker())
    (item,) = [r for r in receiver.received if r.headers["webhook-id"] == nid]
    exec(snippet, {"secret": secret, "headers": item.headers, "body": item.body})
    forged = {**item.headers, "webhook-signature": "v1," + "A" * 44}
    with pytest.raises(AssertionError):
        exec(snippet, {"secret": secret, "headers": forged, "body": item.body})


async def test_a_service_that_became_sensitive_receives_nothing_and_is_not_listed(
    receiver: Receiver,
    register: Any,
    notify: Any,
    make_worker: Any,
    admin: Any,
    as_viewer: Any,
    sync_driver: neo4j.Driver,
) -> None:
    """An endpoint registered before its service was flagged sensitive (R6) is checked at
    every attempt: WITHHELD, nothing sent; an index admin no longer sees it or its
    deliveries (their timestamps would correlate with the children's audit trails)."""
    endpoint, _ = await register("s-oakfield-school", receiver.url)
    sync_driver.execute_query("MATCH (s:Service {id: 's-oakfield-school'}) SET s.sensitive = true")
    try:
        nid = notify("p-melanie")
        worker = make_worker()
        async with worker.client() as client:
            await worker.drain(client)
        assert receiver.received == []
        rows, _, _ = sync_driver.execute_query(
            "MATCH (d:WebhookDelivery {notificationId: $id}) RETURN d.state AS s", id=nid
        )
        assert [r["s"] for r in rows] == ["WITHHELD"]
        listed = await admin.post(
            "query Q($e: ID) { webhookEndpoints(includeDisabled: true) { id } "
            "webhookDeliveries(endpointId: $e) { id } }",
            {"e": endpoint},
        )
        assert endpoint not in {e["id"] for e in listed["data"]["webhookEndpoints"]}
        assert listed["data"]["webhookDeliveries"] == []
        auditor = as_viewer(Role.AUDITOR, subject="auditor-1")
        seen = await auditor.post(
            "query Q($e: ID) { webhookDeliveries(endpointId: $e) { id } }", {"e": endpoint}
        )
        assert len(seen["data"]["webhookDeliveries"]) == 1
    finally:
        sync_driver.execute_query("MATCH (s:Service {id: 's-oakfield-school'}) REMOVE s.sensitive")


async def test_an_index_admin_lists_a_delivery_once_it_was_sent(
    admin: Any, as_viewer: Any, register: Any, sync_driver: neo4j.Driver, receiver: Receiver
) -> None:
    """Found by red-teaming (Medium): a delivery listed PENDING before its first attempt,
    then gone from the admin's list once that attempt withheld it, said that something
    happened its school may not know of, and when. Never sent, it is AUDITOR's to list;
    replaying it by id is NOT_FOUND, like an unknown id."""
    endpoint, _ = await register("s-oakfield-school", receiver.url)
    delivery_id = f"ntf-unsent@{endpoint}"
    sync_driver.execute_query(
        "CREATE (:WebhookDelivery {id: $id, notificationId: 'ntf-unsent', endpointId: $e, "
        "localAuthority: 'NBR', state: 'PENDING', attempts: 0, createdAt: datetime(), "
        "nextAttemptAt: datetime(), replays: 0})",
        id=delivery_id,
        e=endpoint,
    )
    listing = "query($e: ID!) { webhookDeliveries(endpointId: $e) { id state } }"
    auditor = as_viewer(Role.AUDITOR, local_authority=None)

    async def listed(caller: Any) -> list[str]:
        body = await caller.post(listing, {"e": endpoint})
        assert "errors" not in body, body
        return [d["id"] for d in body["data"]["webhookDeliveries"]]

    assert await listed(auditor) == [delivery_id]
    assert await listed(admin) == []
    replay = "mutation($id: ID!) { replayWebhookDelivery(deliveryId: $id) { id } }"
    refused = await admin.post(replay, {"id": delivery_id})
    assert refused["errors"][0]["extensions"]["code"] == "NOT_FOUND", refused
    sync_driver.execute_query(
        "MATCH (d:WebhookDelivery {id: $id}) SET d.sent = true", id=delivery_id
    )
    assert await listed(admin) == [delivery_id], "sent once, it passed the policy's check"
