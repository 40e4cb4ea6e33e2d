"""The events the first notifications left out (issue 20): a CAF handed over, reopened and
stepped down from social care; an involvement moved by its feed.

Each is announced by the write that makes it (the outbox event commits with it) and told
by the same rules as a read: the team and the practitioners involved hear of a CAF as the
index shows it to them; the new holder is told they hold it and the holder until then that
they no longer do. An involvement moved within the clinic is told to nobody outside it
(R6), and one of Sam's (shielded) to nobody at all (R4).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import neo4j
import pytest

from notify.dispatcher import Dispatcher
from tests.api.consent_support import CLOSE, fresh_family, grant, join_team, ok, start_caf
from tests.feeds.conftest import Feed, clean_source, feed, feed_source, record
from tests.notify.conftest import CLINIC, INBOX, payloads, start

__all__ = ["clean_source", "feed", "feed_source", "fresh_family"]

pytestmark = pytest.mark.usefixtures("clean_notifications", "fresh_family")

HAND_OVER = """
mutation($id: ID!, $to: ID!, $leaves: Boolean) {
  handOverAssessment(assessmentId: $id, newHolderId: $to, reason: "Hand over",
    outgoingHolderLeavesTeam: $leaves) { id }
}
"""
STEP_UP = """
mutation($id: ID!) {
  stepUpToSocialCare(assessmentId: $id, socialWorkerId: "p-john", reason: "Worse") { id }
}
"""
STEP_DOWN = """
mutation($id: ID!) { stepDownFromSocialCare(assessmentId: $id, reason: "Better") { id } }
"""
REOPEN = 'mutation($id: ID!) { reopenAssessment(assessmentId: $id, reason: "Back") { id } }'


@pytest.fixture
def lee_available(sync_driver: neo4j.Driver) -> Iterator[None]:
    yield
    sync_driver.execute_query(
        "MATCH (p:Practitioner {id: 'p-lee'}) REMOVE p.availability, p.availableFrom"
    )


async def _told(caller: Any, kind: str) -> list[dict[str, Any]]:
    return [p for p in payloads(await caller.post(INBOX, {"first": 100})) if p["kind"] == kind]


def _moved_to(sync_driver: neo4j.Driver, child: str) -> list[str]:
    rows = sync_driver.execute_query(
        "MATCH (n:Notification {kind: 'INVOLVEMENT_MOVED', childId: $c}) RETURN n.recipient AS r",
        c=child,
    ).records
    return sorted(r["r"] for r in rows)


def _announced(sync_driver: neo4j.Driver, child: str) -> int:
    rows = sync_driver.execute_query(
        "MATCH (e:OutboxEvent {kind: 'INVOLVEMENT_MOVED', childId: $c}) RETURN count(e) AS n",
        c=child,
    ).records
    return int(rows[0]["n"])


@pytest.mark.usefixtures("lee_available")
async def test_the_caf_course_is_told_to_the_team_and_to_both_holders(
    dispatcher: Dispatcher, as_viewer: Any, sync_driver: neo4j.Driver
) -> None:
    melanie = as_viewer(practitioner_id="p-melanie")
    lee = as_viewer(practitioner_id="p-lee")
    steve = as_viewer(practitioner_id="p-steve")
    john = as_viewer(practitioner_id="p-john")
    caf_id = (await start_caf(melanie))["id"]

    # Stepped up to social care, and back: the holder hears John stepped it down.
    await grant(
        melanie,
        purpose="SHARE_ASSESSMENT",
        coversAssessmentId=caf_id,
        grantedToServiceIds=["s-nbr-social-care"],
    )
    ok(await melanie.post(STEP_UP, {"id": caf_id}), "stepUpToSocialCare")
    ok(await john.post(STEP_DOWN, {"id": caf_id}), "stepDownFromSocialCare")
    await dispatcher.drain()
    (down,) = await _told(melanie, "CAF_STEPPED_DOWN")
    assert down["assessment"]["id"] == caf_id
    assert down["summary"] == "The CAF for Hannah Whitlock came back from social care."
    assert await _told(john, "CAF_STEPPED_DOWN") == []  # he did it

    # Melanie hands it to Lee: Lee is told he holds it, Steve (involved) that it has a new
    # holder, Melanie (who did it) nothing.
    await join_team(melanie, caf_id, "p-lee")
    assert "errors" not in await melanie.post(HAND_OVER, {"id": caf_id, "to": "p-lee"})
    await dispatcher.drain()
    (to_lee,) = await _told(lee, "CAF_HANDED_OVER")
    assert to_lee["you"] == "NEW_HOLDER" and to_lee["assessment"]["holder"]["id"] == "p-lee"
    assert to_lee["summary"] == "You now hold the CAF for Hannah Whitlock."
    (to_steve,) = await _told(steve, "CAF_HANDED_OVER")
    assert "you" not in to_steve
    assert to_steve["summary"] == "The CAF for Hannah Whitlock has a new holder."
    assert await _told(melanie, "CAF_HANDED_OVER") == []

    # Lee leaves his service; Melanie, in the team, takes it back: Lee is told he no
    # longer holds it.
    await grant(
        lee,
        purpose="SHARE_ASSESSMENT",
        coversAssessmentId=caf_id,
        grantedToPractitionerIds=["p-melanie"],
    )
    sync_driver.execute_query("MATCH (p:Practitioner {id: 'p-lee'}) SET p.availability = 'LEFT'")
    taken = await melanie.post(HAND_OVER, {"id": caf_id, "to": "p-melanie", "leaves": True})
    assert "errors" not in taken, taken
    await dispatcher.drain()
    former = [p for p in await _told(lee, "CAF_HANDED_OVER") if p.get("you") == "FORMER_HOLDER"]
    assert [p["summary"] for p in former] == ["You no longer hold the CAF for Hannah Whitlock."]
    assert former[0]["assessment"]["holder"]["id"] == "p-melanie"

    # Closed and reopened: the practitioners involved hear both.
    closing = {"id": caf_id, "status": "CLOSED", "reason": "Met"}
    ok(await melanie.post(CLOSE, closing), "closeAssessment")
    ok(await melanie.post(REOPEN, {"id": caf_id}), "reopenAssessment")
    await dispatcher.drain()
    (reopened,) = await _told(steve, "CAF_REOPENED")
    assert reopened["summary"] == "The CAF for Hannah Whitlock was reopened."
    assert len(await _told(steve, "CAF_CLOSED")) == 1


async def test_a_moved_involvement_is_told_and_a_corrected_date_is_not(
    feed: Feed, dispatcher: Dispatcher, as_viewer: Any, sync_driver: neo4j.Driver
) -> None:
    melanie = as_viewer(practitioner_id="p-melanie")
    lee = start("c-hannah", "s-nbr-youth", "p-lee")
    assert (await feed.send(record("lee", "START_INVOLVEMENT", lee)))["accepted"] == 1
    await dispatcher.drain()
    corrected = start("c-hannah", "s-nbr-youth", "p-lee", on="2026-01-06")
    assert (await feed.send(record("lee", "START_INVOLVEMENT", corrected)))["accepted"] == 1
    await dispatcher.drain()
    assert _announced(sync_driver, "c-hannah") == 0
    assert [p["kind"] for p in payloads(await melanie.post(INBOX, {"first": 10}))] == [
        "INVOLVEMENT_STARTED"
    ]

    # The youth service's feed now says the involvement is the team's, no one named.
    team = start("c-hannah", "s-nbr-youth", None, on="2026-01-06")
    assert (await feed.send(record("lee", "START_INVOLVEMENT", team)))["accepted"] == 1
    await dispatcher.drain()
    (moved,) = await _told(melanie, "INVOLVEMENT_MOVED")
    assert moved["involvement"]["service"]["id"] == "s-nbr-youth"
    assert moved["involvement"]["practitioner"] is None
    assert moved["summary"].startswith("An involvement with Hannah Whitlock moved")


async def test_a_move_within_the_clinic_is_told_to_nobody_outside_it(
    clinic_feed: Feed, dispatcher: Dispatcher, as_viewer: Any, sync_driver: neo4j.Driver
) -> None:
    visit = start("c-hannah", CLINIC, "p-nurse")
    assert (await clinic_feed.send(record("visit", "START_INVOLVEMENT", visit)))["accepted"] == 1
    await dispatcher.drain()
    team = start("c-hannah", CLINIC, None)
    assert (await clinic_feed.send(record("visit", "START_INVOLVEMENT", team)))["accepted"] == 1
    await dispatcher.drain()
    assert _announced(sync_driver, "c-hannah") == 1
    outsiders = sync_driver.execute_query(
        "MATCH (n:Notification) WHERE n.payload CONTAINS $clinic AND NOT EXISTS "
        "{ (:Practitioner {id: n.recipient})-[:WORKS_FOR]->(:Service {id: $clinic}) } "
        "RETURN n.recipient AS r",
        clinic=CLINIC,
    ).records
    assert outsiders == []
    # Those who may see the clinic's work with Hannah (its own staff) are told.
    assert "p-nurse" in _moved_to(sync_driver, "c-hannah")
    for who in ("p-melanie", "p-lee", "p-steve", "p-libby"):
        assert await _told(as_viewer(practitioner_id=who), "INVOLVEMENT_MOVED") == []


async def test_a_move_of_a_shielded_childs_involvement_is_told_to_nobody(
    feed: Feed, dispatcher: Dispatcher, sync_driver: neo4j.Driver
) -> None:
    school = start("c-sam", "s-oakfield-school", "p-melanie")
    assert (await feed.send(record("sam", "START_INVOLVEMENT", school)))["accepted"] == 1
    team = start("c-sam", "s-oakfield-school", None)
    assert (await feed.send(record("sam", "START_INVOLVEMENT", team)))["accepted"] == 1
    await dispatcher.drain()
    assert _announced(sync_driver, "c-sam") == 1
    rows = sync_driver.execute_query(
        "MATCH (n:Notification {childId: 'c-sam'}) RETURN n.recipient AS r"
    ).records
    assert rows == []
