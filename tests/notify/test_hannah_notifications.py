"""Hannah's story, told as it happens (issue 20): the dispatcher and the inbox.

Lee's involvement starts and Melanie is told. The clinic's involvement starts and
Melanie is told nothing, through any channel, until the clinic records Hannah's consent
naming her; once Hannah withdraws it, the next notification about the clinic is not
delivered either. Sam (shielded) changes school and no ordinary practitioner is told.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import neo4j
import pytest

from notify.dispatcher import Dispatcher
from policies.viewer import Role
from tests.api.consent_support import WITHDRAW, fresh_family
from tests.feeds.conftest import Feed, clean_source, feed, feed_source, record
from tests.notify.conftest import (
    CLINIC,
    INBOX,
    MARK_READ,
    clinic_names_melanie,
    payloads,
    start,
    stored,
)

__all__ = ["clean_source", "feed", "feed_source", "fresh_family"]

pytestmark = pytest.mark.usefixtures("clean_notifications", "fresh_family")


TRAIL_SINCE = """
query($id: ID!, $from: DateTime) {
  auditTrail(childId: $id, first: 500, from: $from) { id subject action disclosed }
}
"""


def _kinds(items: list[dict[str, Any]]) -> list[tuple[str, str | None]]:
    return [(p["kind"], (p.get("involvement") or {}).get("service", {}).get("id")) for p in items]


async def test_lee_starts_and_melanie_is_told(
    feed: Feed, dispatcher: Dispatcher, as_viewer: Any, sync_driver: neo4j.Driver
) -> None:
    report = await feed.send(
        record("lee", "START_INVOLVEMENT", start("c-hannah", "s-nbr-youth", "p-lee"))
    )
    assert report["accepted"] == 1, report
    await dispatcher.drain()

    melanie = as_viewer(practitioner_id="p-melanie")
    told = payloads(await melanie.post(INBOX, {"first": 10}))
    assert _kinds(told) == [("INVOLVEMENT_STARTED", "s-nbr-youth")]
    (note,) = told
    assert note["child"] == {"id": "c-hannah", "givenName": "Hannah", "familyName": "Whitlock"}
    assert note["involvement"]["practitioner"] == {"id": "p-lee", "name": "Lee Brennan"}
    # Lee is not told of his own involvement; every other practitioner involved is.
    assert stored(sync_driver, "p-lee") == []
    assert {r["kind"] for r in stored(sync_driver, "p-libby")} == {"INVOLVEMENT_STARTED"}
    # John's involvement ended six months ago: he is no longer told.
    assert stored(sync_driver, "p-john") == []

    # Read and unread.
    body = await melanie.post(INBOX, {"first": 10})
    ident = body["data"]["notifications"]["edges"][0]["node"]["id"]
    marked = await melanie.post(MARK_READ, {"ids": [ident, "ntf-not-hers"]})
    assert marked["data"]["markNotificationsRead"]["ids"] == [ident]
    assert payloads(await melanie.post(INBOX, {"first": 10, "unreadOnly": True})) == []
    # Another practitioner cannot read or mark Melanie's.
    libby = as_viewer(practitioner_id="p-libby")
    other = await libby.post(MARK_READ, {"ids": [ident]})
    assert other["data"]["markNotificationsRead"]["ids"] == []
    assert all(p["id"] != ident for p in payloads(await libby.post(INBOX, {"first": 50})))


async def test_the_clinic_is_announced_only_once_hannah_consents(
    clinic_feed: Feed, dispatcher: Dispatcher, as_viewer: Any, sync_driver: neo4j.Driver
) -> None:
    report = await clinic_feed.send(
        record("visit", "START_INVOLVEMENT", start("c-hannah", CLINIC, "p-nurse"))
    )
    assert report["accepted"] == 1, report
    await dispatcher.drain()

    melanie = as_viewer(practitioner_id="p-melanie")
    # Not through the inbox, and nothing stored for her at all (nor for any other
    # practitioner outside the clinic): no channel can deliver what was never written.
    assert payloads(await melanie.post(INBOX, {"first": 50})) == []
    told = sync_driver.execute_query(
        "MATCH (n:Notification) WHERE n.payload CONTAINS $clinic RETURN n.recipient AS r",
        clinic=CLINIC,
    ).records
    assert told == []

    # The clinic records Hannah's consent naming Melanie.
    nurse = as_viewer(practitioner_id="p-nurse")
    grant_id = await clinic_names_melanie(nurse)
    await dispatcher.drain()
    told_now = payloads(await melanie.post(INBOX, {"first": 50}))
    assert [p["kind"] for p in told_now] == ["CONSENT_GRANTED"]
    # The grant opens the clinic to her: its involvements (the seeded one and today's).
    assert {i["service"]["id"] for i in told_now[0]["involvements"]} == {CLINIC}
    # The earlier INVOLVEMENT_STARTED was never written for her, so it does not appear now.

    # Hannah withdraws it: the next notification about the clinic is not delivered...
    withdrawn = await nurse.post(WITHDRAW, {"id": grant_id, "reason": "Hannah changed her mind"})
    assert "errors" not in withdrawn, withdrawn
    await clinic_feed.send(
        record("visit-2", "START_INVOLVEMENT", start("c-hannah", CLINIC, "p-nurse", "2026-02-01"))
    )
    await dispatcher.drain()
    after = payloads(await melanie.post(INBOX, {"first": 50}))
    assert all(CLINIC not in str(p) for p in after), after
    # ... and the grant's own notification, delivered before, is re-checked and gone too.
    assert "CONSENT_GRANTED" not in [p["kind"] for p in after]
    # She is told the consent she relied on was withdrawn, without the clinic's name.
    assert [p["kind"] for p in after] == ["CONSENT_WITHDRAWN"]
    assert CLINIC not in str(after) and "Sexual" not in str(after)


async def test_sams_school_change_reaches_no_ordinary_practitioner(
    feed: Feed, dispatcher: Dispatcher, as_viewer: Any, sync_driver: neo4j.Driver
) -> None:
    report = await feed.send(
        record("sam-move", "START_INVOLVEMENT", start("c-sam", "s-oakfield-school", "p-melanie"))
    )
    assert report["accepted"] == 1, report
    await dispatcher.drain()
    rows = sync_driver.execute_query(
        "MATCH (n:Notification {childId: 'c-sam'}) RETURN n.recipient AS r"
    ).records
    assert rows == []  # Omar (Sam's old school), the GP's team: nobody is told
    for who in ("p-eastvale", "p-gp", "p-melanie"):
        told = payloads(await as_viewer(practitioner_id=who).post(INBOX, {"first": 50}))
        assert all("c-sam" not in str(p) and "Oakfield" not in str(p) for p in told)
    # Not even the index team's mailbox carries it: involvement changes go to practitioners.
    admin = as_viewer(Role.INDEX_ADMIN, local_authority="NBR")
    assert all("c-sam" not in str(p) for p in payloads(await admin.post(INBOX, {"first": 50})))


async def test_an_index_teams_trail_shows_no_delivery_of_what_it_withholds(
    clinic_feed: Feed, dispatcher: Dispatcher, as_viewer: Any
) -> None:
    """A delivery is the telling of what it names (R14): Hannah's index team used to see
    "Melanie was told of a consent" while the consent's own event, recorded at the clinic,
    was withheld; the pair said a sensitive service had recorded it (R6). Now the event
    goes whole with any entry the reader may not see; AUDITOR still reads every one."""
    since = {"id": "c-hannah", "from": datetime.now(UTC).isoformat()}  # this test's events
    melanie = as_viewer(practitioner_id="p-melanie")
    lee = record("lee-trail", "START_INVOLVEMENT", start("c-hannah", "s-nbr-youth", "p-lee"))
    assert (await clinic_feed.send(lee))["accepted"] == 1
    await dispatcher.drain()
    payloads(await melanie.post(INBOX, {"first": 50}))  # delivered: one audit event each
    grant_id = await clinic_names_melanie(as_viewer(practitioner_id="p-nurse"))
    await dispatcher.drain()
    told = payloads(await melanie.post(INBOX, {"first": 50}))
    assert "CONSENT_GRANTED" in [p["kind"] for p in told]

    auditor = await as_viewer(Role.AUDITOR, local_authority=None).post(TRAIL_SINCE, since)
    written = [e for e in auditor["data"]["auditTrail"] if e["subject"] == "p-melanie"]
    reads = [e for e in written if e["action"] in ("notifications", "Notification.dispatch")]
    told_consent = {e["id"] for e in reads if any("Consent:" in x for x in e["disclosed"])}
    told_lee = {
        e["id"]
        for e in reads
        if not any("Consent:" in x or "clinic" in x for x in e["disclosed"])
        and any(x.startswith("Involvement:") for x in e["disclosed"])
    }
    assert told_consent and told_lee, reads  # AUDITOR reads every one, as written

    admin = await as_viewer(Role.INDEX_ADMIN, local_authority="NBR").post(TRAIL_SINCE, since)
    assert "errors" not in admin, admin
    shown = {e["id"]: e for e in admin["data"]["auditTrail"]}
    # The ordinary deliveries are there, whole: what they told is the index team's to see.
    assert told_lee <= set(shown), (told_lee, shown)
    # Nothing of the consent's: not its recording, not its delivery, not its id.
    assert not told_consent & set(shown), shown
    assert grant_id not in str(admin) and CLINIC not in str(admin)
    assert all(e["subject"] != "p-nurse" for e in shown.values())
