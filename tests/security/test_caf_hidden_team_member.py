"""R7 for a member of the team of a CAF that is not there for them (red-team finding F4).

The clinic's nurse holds a CAF for Hannah, adds Steve to its team on Hannah's consent and
gives him a delivery action. Steve has no standing with the clinic, so R6 hides the nurse
from him and R7 says her CAF is not there for him at all: every change he tries on it,
leaving the team and updating his own action included, answers exactly as for an id that
does not exist (no oracle), and changes nothing."""

from __future__ import annotations

from datetime import date

import pytest

from tests.api.consent_support import (
    ADD_ACTION,
    ADD_MEMBER,
    ADD_STRENGTH,
    UPDATE_ACTION,
    fresh_family,
    join_team,
    ok,
    same_as_missing,
    start_caf,
)
from tests.scenarios.test_hannah_caf_course import (
    FAMILY,
    FORM,
    HAND_OVER,
    READ,
    REVIEW,
    STEP_DOWN,
    STEP_UP,
)
from tests.security.test_caf_course_guards import LEAVE, REMOVE, REOPEN, TRANSFER

__all__ = ["fresh_family"]

pytestmark = pytest.mark.usefixtures("fresh_family")


async def test_every_change_to_a_caf_not_there_answers_as_no_caf(as_viewer, today: date) -> None:
    nurse = as_viewer(practitioner_id="p-nurse", purpose="Hannah's CAF")
    steve = as_viewer(practitioner_id="p-steve", purpose="Hannah's CAF")
    caf = await start_caf(nurse)
    await join_team(nurse, caf["id"], "p-steve")
    added = ok(
        await nurse.post(
            ADD_ACTION, {"id": caf["id"], "description": "Walk to school", "ownerId": "p-steve"}
        ),
        "addDeliveryAction",
    )
    action_id = added["actions"][0]["id"]
    review = {"heldOn": today.isoformat(), "attendees": [{"kind": "CHILD"}]}
    for document, variables in (
        (LEAVE, {}),
        (REVIEW, {"input": review}),
        (HAND_OVER, {"to": "p-steve", "reason": "x"}),
        (TRANSFER, {"la": "EVL", "to": "p-eastvale"}),
        (REOPEN, {}),
        (STEP_UP, {"sw": "p-john", "reason": "x"}),
        (STEP_DOWN, {"reason": "x"}),
        (FORM, {"input": {"childViews": "I like school"}}),
        (FAMILY, {}),
        (REMOVE, {"m": "p-steve"}),
        (ADD_STRENGTH, {"strength": "Kind"}),
    ):
        hidden = await steve.post(document, {"id": caf["id"], **variables})
        missing = await steve.post(document, {"id": "caf-nope", **variables})
        same_as_missing(hidden, missing, document)
    hidden = await steve.post(UPDATE_ACTION, {"id": action_id, "doneOn": today.isoformat()})
    missing = await steve.post(UPDATE_ACTION, {"id": "action-nope", "doneOn": today.isoformat()})
    same_as_missing(hidden, missing, "updateDeliveryAction")

    # Nothing changed: Steve is still in the team, his action is not done.
    read = ok(await nurse.post(READ, {"childId": "c-hannah", "id": caf["id"]}), "child")
    assert "p-steve" in [m["id"] for m in read["assessment"]["teamAroundTheChild"]]
    assert [a["doneOn"] for a in read["assessment"]["actions"]] == [None]
    assert ("LEFT_TEAM", "p-steve") not in [
        (e["kind"], e.get("memberId")) for e in read["assessment"]["history"]
    ]


async def test_a_shielded_childs_caf_is_no_caf_to_a_would_be_team_member(
    as_viewer, sync_driver
) -> None:
    """Red team round 2 (LOW, R4): `addTeamMember` on Sam's CAF answered FORBIDDEN ("only
    the holder") where an unknown id answers NOT_FOUND, so it confirmed a live CAF of a
    shielded child to anyone holding its id. R4 is now asked first, for every holder-only
    change: answered as no CAF, whoever asks."""
    sync_driver.execute_query(
        "MATCH (c:Child {id: 'c-sam'}), (h:Practitioner {id: 'p-gp'}) "
        "CREATE (a:Assessment {id: 'a-sam-shielded-test', status: 'OPEN', startedOn: date(), "
        "strengths: []})-[:ABOUT]->(c) CREATE (h)-[:HOLDS]->(a)"
    )
    try:
        for who in ("p-melanie", "p-eastvale"):
            caller = as_viewer(practitioner_id=who)
            for document, variables in (
                (ADD_MEMBER, {"practitionerId": who}),
                (ADD_STRENGTH, {"strength": "Kind"}),
            ):
                hidden = await caller.post(document, {"id": "a-sam-shielded-test", **variables})
                missing = await caller.post(document, {"id": "caf-nope", **variables})
                same_as_missing(hidden, missing, f"{who} {document[:40]}")
    finally:
        sync_driver.execute_query(
            "MATCH (a:Assessment {id: 'a-sam-shielded-test'}) DETACH DELETE a"
        )
