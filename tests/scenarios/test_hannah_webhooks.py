"""Hannah's story through her school's webhook (issue 20).

Oakfield School's system registers an endpoint. Lee's involvement starts: Melanie's
notification reaches the school's endpoint, signed (verified by the standardwebhooks
package). The clinic's involvement starts: nothing reaches it. The clinic records Hannah's
consent naming Melanie, and Hannah withdraws it before the worker gets to it: the delivery
is re-checked at the attempt and nothing is sent. Sam (shielded) moves school: nothing
delivered about him says where he is: nothing about him is delivered at all.
"""

from __future__ import annotations

import json
from typing import Any

import neo4j
import pytest

from notify.dispatcher import Dispatcher
from policies.viewer import Role
from tests.api.consent_support import (
    RECORD_CONSENT,
    RECORD_OVERRIDE,
    WITHDRAW,
    fresh_family,
    share_contact_details,
)
from tests.feeds.conftest import Feed, clean_source, feed, feed_source, record
from tests.notify.conftest import (
    CLINIC,
    clean_notifications,
    clinic_feed,
    clinic_names_melanie,
    dispatcher,
    start,
)
from tests.webhooks.conftest import admin, make_worker, notify, receiver, register
from tests.webhooks.receiver import Receiver, verify
from webhooks.core import recheck_for_webhooks

__all__ = [
    "admin",
    "clean_notifications",
    "clean_source",
    "clinic_feed",
    "dispatcher",
    "feed",
    "feed_source",
    "fresh_family",
    "make_worker",
    "notify",
    "receiver",
    "register",
]

pytestmark = pytest.mark.usefixtures("clean_notifications", "fresh_family")


async def deliver(make_worker: Any) -> Any:
    worker = make_worker(shaper=recheck_for_webhooks)
    async with worker.client() as client:
        await worker.drain(client)
    return worker


def melanies(sync_driver: neo4j.Driver) -> set[str]:
    rows, _, _ = sync_driver.execute_query(
        "MATCH (n:Notification {recipient: 'p-melanie'}) RETURN n.id AS id"
    )
    return {r["id"] for r in rows}


async def test_lee_starts_and_melanies_school_hears_it_signed(
    receiver: Receiver,
    register: Any,
    feed: Feed,
    dispatcher: Dispatcher,
    make_worker: Any,
    sync_driver: neo4j.Driver,
) -> None:
    _, secret = await register("s-oakfield-school", receiver.url)
    report = await feed.send(
        record("lee", "START_INVOLVEMENT", start("c-hannah", "s-nbr-youth", "p-lee"))
    )
    assert report["accepted"] == 1, report
    await dispatcher.drain()
    await deliver(make_worker)

    # Other Oakfield staff may work with Hannah by now (earlier tests record their own
    # involvements): each is told once, and Melanie's notification is among them.
    ids = [r.headers["webhook-id"] for r in receiver.received]
    assert len(ids) == len(set(ids)), ids  # nothing delivered twice
    (item,) = [r for r in receiver.received if r.headers["webhook-id"] in melanies(sync_driver)]
    body = verify(secret, item)  # standardwebhooks: signature and timestamp
    assert body["type"] == "notification.involvement_started"
    data = body["data"]
    assert data["id"] == item.headers["webhook-id"]
    assert data["child"] == {"id": "c-hannah", "givenName": "Hannah", "familyName": "Whitlock"}
    assert data["involvement"]["service"]["id"] == "s-nbr-youth"
    assert data["involvement"]["practitioner"] == {"id": "p-lee", "name": "Lee Brennan"}
    # Libby (young carers) and Steve (housing) were told too, but their services have no
    # endpoint: only Melanie's notification went to Oakfield's.
    # The delivery is audited like a read: the endpoint, on Melanie's behalf, about Hannah.
    rows, _, _ = sync_driver.execute_query(
        "MATCH (a:AuditEvent {action: 'Notification.webhook'}) WHERE a.subject STARTS WITH 'webhook:' "
        "AND 'c-hannah' IN a.childIds RETURN a.practitionerId AS p, a.role AS role"
    )
    assert [(r["p"], r["role"]) for r in rows][-1:] == [("p-melanie", "PRACTITIONER")]


async def test_the_clinic_never_reaches_the_school_and_a_withdrawn_consent_stops_it(
    receiver: Receiver,
    register: Any,
    clinic_feed: Feed,
    dispatcher: Dispatcher,
    make_worker: Any,
    as_viewer: Any,
    sync_driver: neo4j.Driver,
) -> None:
    endpoint, secret = await register("s-oakfield-school", receiver.url)
    report = await clinic_feed.send(
        record("visit", "START_INVOLVEMENT", start("c-hannah", CLINIC, "p-nurse"))
    )
    assert report["accepted"] == 1, report
    await dispatcher.drain()
    await deliver(make_worker)
    assert all(CLINIC not in r.body.decode() for r in receiver.received)
    assert receiver.received == []

    # The clinic records Hannah's consent naming Melanie: she is told, and so is her school.
    nurse = as_viewer(practitioner_id="p-nurse")
    grant_id = await clinic_names_melanie(nurse)
    await dispatcher.drain()
    # Hannah withdraws it before the worker runs: the delivery waiting for the school is
    # shaped again at the attempt, and goes nowhere.
    withdrawn = await nurse.post(WITHDRAW, {"id": grant_id, "reason": "Hannah changed her mind"})
    assert "errors" not in withdrawn, withdrawn
    await dispatcher.drain()
    await deliver(make_worker)
    bodies = [verify(secret, r) for r in receiver.received]
    assert CLINIC not in json.dumps(bodies) and "Sexual" not in json.dumps(bodies)
    assert "notification.consent_granted" not in [b["type"] for b in bodies]
    rows, _, _ = sync_driver.execute_query(
        "MATCH (d:WebhookDelivery {endpointId: $e}) MATCH (n:Notification {id: d.notificationId}) "
        "RETURN n.kind AS kind, d.state AS state",
        e=endpoint,
    )
    states = {r["kind"]: r["state"] for r in rows}
    assert states.get("CONSENT_GRANTED") == "WITHHELD"


async def test_sams_move_reaches_no_endpoint(
    receiver: Receiver,
    register: Any,
    feed: Feed,
    dispatcher: Dispatcher,
    make_worker: Any,
    sync_driver: neo4j.Driver,
) -> None:
    await register("s-oakfield-school", receiver.url)
    await register("s-eastvale-school", receiver.url, la="EVL")
    report = await feed.send(
        record("sam-move", "START_INVOLVEMENT", start("c-sam", "s-oakfield-school", "p-melanie"))
    )
    assert report["accepted"] == 1, report
    await dispatcher.drain()
    await deliver(make_worker)
    # Nobody ordinary is told of a shielded child's move (the core writes no notification),
    # so no endpoint receives anything about him, and no delivery waits for one.
    assert all("c-sam" not in r.body.decode() for r in receiver.received)
    rows, _, _ = sync_driver.execute_query(
        "MATCH (n:Notification {childId: 'c-sam'}) "
        "OPTIONAL MATCH (d:WebhookDelivery {notificationId: n.id}) RETURN count(d) AS c"
    )
    assert rows[0]["c"] == 0


async def test_what_a_practitioner_sees_through_another_service_stays_off_this_ones_endpoint(
    receiver: Receiver,
    register: Any,
    clinic_feed: Feed,
    dispatcher: Dispatcher,
    make_worker: Any,
    sync_driver: neo4j.Driver,
) -> None:
    """Melanie also works a session at the clinic: as its practitioner she is told of the
    clinic's involvement (R6a), in her inbox. Her school's endpoint is the school's system:
    the delivery is shaped for her as a member of the school only, and nothing goes."""
    endpoint, _ = await register("s-oakfield-school", receiver.url)
    sync_driver.execute_query(
        "MATCH (p:Practitioner {id: 'p-melanie'}), (s:Service {id: $clinic}) "
        "MERGE (p)-[:WORKS_FOR]->(s)",
        clinic=CLINIC,
    )
    try:
        told = await clinic_visit_told_melanie(clinic_feed, dispatcher, sync_driver, "visit-m")
        assert told, "the core tells her as the clinic's practitioner"
        await deliver(make_worker)
    finally:
        sync_driver.execute_query(
            "MATCH (:Practitioner {id: 'p-melanie'})-[w:WORKS_FOR]->(:Service {id: $clinic}) "
            "DELETE w",
            clinic=CLINIC,
        )
    assert all(CLINIC not in r.body.decode() for r in receiver.received)
    rows, _, _ = sync_driver.execute_query(
        "MATCH (d:WebhookDelivery {endpointId: $e}) WHERE d.notificationId IN $ids "
        "RETURN d.state AS s",
        e=endpoint,
        ids=list(told),
    )
    assert [r["s"] for r in rows] == ["WITHHELD"] * len(told)


async def clinic_visit_told_melanie(
    clinic_feed: Feed, dispatcher: Dispatcher, sync_driver: neo4j.Driver, key: str
) -> set[str]:
    """The clinic starts a visit for Hannah with the nurse; Melanie's notifications that
    name the clinic."""
    report = await clinic_feed.send(
        record(key, "START_INVOLVEMENT", start("c-hannah", CLINIC, "p-nurse"))
    )
    assert report["accepted"] == 1, report
    await dispatcher.drain()
    rows, _, _ = sync_driver.execute_query(
        "MATCH (n:Notification {recipient: 'p-melanie'}) WHERE n.payload CONTAINS $clinic "
        "RETURN n.id AS id",
        clinic=CLINIC,
    )
    return {r["id"] for r in rows}


def through_endpoint(sync_driver: neo4j.Driver, endpoint: str) -> dict[str, str]:
    """What became of each notification kind at this endpoint (kind: delivery state)."""
    rows, _, _ = sync_driver.execute_query(
        "MATCH (d:WebhookDelivery {endpointId: $e}) MATCH (n:Notification {id: d.notificationId}) "
        "RETURN n.kind AS kind, d.state AS state",
        e=endpoint,
    )
    return {r["kind"]: r["state"] for r in rows}


async def test_melanies_override_is_hers_and_never_reaches_her_schools_system(
    sync_driver: neo4j.Driver,
    as_viewer: Any,
    make_worker: Any,
    dispatcher: Dispatcher,
    clinic_feed: Feed,
    register: Any,
    receiver: Receiver,
) -> None:
    """R9: an access override is the practitioner's own, for 72 hours. Under it Melanie is
    told of the clinic's involvement in her inbox; Oakfield's system is the school, which
    holds no override: the delivery is WITHHELD and nothing about the clinic is sent."""
    endpoint, secret = await register("s-oakfield-school", receiver.url)
    melanie = as_viewer(practitioner_id="p-melanie")
    why = "Police report of a threat to the child at home last night"
    grounds = {"ground": "SIGNIFICANT_HARM_EVIDENCE", "justification": why}
    override = await melanie.post(RECORD_OVERRIDE, {"input": {"childId": "c-hannah", **grounds}})
    assert "errors" not in override, override
    assert await clinic_visit_told_melanie(clinic_feed, dispatcher, sync_driver, "visit-o"), (
        "under her override Melanie herself is told (her inbox)"
    )
    listing = (
        "query($e: ID!, $s: WebhookDeliveryState) { "
        "webhookDeliveries(endpointId: $e, state: $s) { id state } }"
    )
    index_admin = as_viewer(role=Role.INDEX_ADMIN)
    auditor = as_viewer(role=Role.AUDITOR, local_authority=None)
    await deliver(make_worker)
    bodies = json.dumps([verify(secret, r) for r in receiver.received])
    assert CLINIC not in bodies and "Sexual" not in bodies and "p-nurse" not in bodies
    assert through_endpoint(sync_driver, endpoint).get("INVOLVEMENT_STARTED") == "WITHHELD"

    # R4, no oracle: that Oakfield's endpoint was withheld something, and when, would tell
    # the index admin that something happened that its school may not know of. Listed to
    # the auditor only, whatever the admin asks for.
    for state in (None, "WITHHELD"):
        shown = await index_admin.post(listing, {"e": endpoint, "s": state})
        assert "errors" not in shown, shown
        assert "WITHHELD" not in json.dumps(shown["data"]), state
    audited = await auditor.post(listing, {"e": endpoint, "s": "WITHHELD"})
    assert "errors" not in audited, audited
    withheld = audited["data"]["webhookDeliveries"]
    assert withheld, "the auditor sees the withheld delivery"
    # Its id (a notification's and the endpoint's) answers a replay like an unknown one.
    replay = "mutation($id: ID!) { replayWebhookDelivery(deliveryId: $id) { id } }"
    for delivery_id in (withheld[0]["id"], withheld[0]["id"] + "0"):
        refused = await index_admin.post(replay, {"id": delivery_id})
        assert refused["errors"][0]["extensions"]["code"] == "NOT_FOUND", refused


async def test_a_consent_granted_to_steve_by_name_is_not_his_services(
    receiver: Receiver,
    register: Any,
    dispatcher: Dispatcher,
    make_worker: Any,
    as_viewer: Any,
    sync_driver: neo4j.Driver,
) -> None:
    """R6b: a consent granted to a named practitioner is theirs. The nurse records Hannah's
    SHARE_CONTACT_DETAILS covering the clinic for Steve by name: Housing Options' system
    receives nothing about it. Granted to the housing service itself, it does."""
    endpoint, secret = await register("s-nbr-housing", receiver.url)
    nurse = as_viewer(practitioner_id="p-nurse")

    async def grant(**to: list[str]) -> None:
        body = await nurse.post(RECORD_CONSENT, share_contact_details("c-hannah", [CLINIC], **to))
        assert "errors" not in body, body
        await dispatcher.drain()
        await deliver(make_worker)

    await grant(grantedToPractitionerIds=["p-steve"])
    bodies = json.dumps([verify(secret, r) for r in receiver.received])
    assert "i-hannah-clinic" not in bodies and "Sexual" not in bodies and CLINIC not in bodies
    assert through_endpoint(sync_driver, endpoint).get("CONSENT_GRANTED") == "WITHHELD"

    await grant(grantedToServiceIds=["s-nbr-housing"])
    bodies = json.dumps([verify(secret, r) for r in receiver.received])
    assert "i-hannah-clinic" in bodies, "a consent granted to the service is the service's"
