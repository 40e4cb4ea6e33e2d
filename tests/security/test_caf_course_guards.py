"""The CAF's course against the ways round it: the wrong role, another local authority, a
CAF held from a sensitive service (R7: not there at all), a practitioner hidden by R6, a
shielded child's CAF (R4), aliases; and the transfer, re-opening and leaving that the
story test does not walk."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from typing import Any

import neo4j
import pytest

from policies.viewer import Role
from tests.api.consent_support import (
    CLOSE,
    codes,
    error,
    fresh_family,
    grant,
    join_team,
    ok,
    start_caf,
)
from tests.scenarios.test_hannah_caf_course import COPY, FAMILY, HAND_OVER, READ, REVIEW

__all__ = ["fresh_family"]

pytestmark = pytest.mark.usefixtures("fresh_family")

TRANSFER = """
mutation($id: ID!, $la: String!, $to: ID!) {
  transferAssessment(assessmentId: $id, toLocalAuthority: $la, newHolderId: $to, reason: "The family moved to Eastvale") {
    id localAuthority holder { id } teamAroundTheChild { id } needs { id }
    history { kind fromLocalAuthority toLocalAuthority fromPractitionerId toPractitionerId } } }
"""
REOPEN = 'mutation($id: ID!) { reopenAssessment(assessmentId: $id, reason: "Needs came back") { id status history { kind } } }'
LEAVE = 'mutation($id: ID!) { leaveTeam(assessmentId: $id, reason: "Moving to another team") }'
REMOVE = 'mutation($id: ID!, $m: ID!) { removeTeamMember(assessmentId: $id, memberId: $m, reason: "Asked to be taken off") { familyMembers { id } history { kind memberId memberName reason } } }'


def _review(today: date) -> dict[str, Any]:
    return {"heldOn": today.isoformat(), "attendees": [{"kind": "CHILD"}]}


async def test_roles_that_never_work_on_a_caf(as_viewer, today: date) -> None:
    melanie = as_viewer(practitioner_id="p-melanie")
    caf = await start_caf(melanie)
    for role in (Role.ANALYST, Role.AUDITOR, Role.INDEX_ADMIN, Role.FEED):
        caller = as_viewer(role, source="school-mis" if role is Role.FEED else None)
        for document, variables in (
            (REVIEW, {"id": caf["id"], "input": _review(today)}),
            (HAND_OVER, {"id": caf["id"], "to": "p-lee", "reason": "x"}),
            (FAMILY, {"id": caf["id"]}),
            (LEAVE, {"id": caf["id"]}),
        ):
            assert codes(await caller.post(document, variables)) == ["FORBIDDEN"], (role, document)


async def test_a_caf_held_from_a_sensitive_service_is_not_there(as_viewer, today: date) -> None:
    """R7: for Melanie, the nurse's CAF answers exactly as an id that does not exist."""
    nurse = as_viewer(practitioner_id="p-nurse", purpose="Hannah's CAF")
    melanie = as_viewer(practitioner_id="p-melanie", purpose="Hannah's CAF")
    caf = await start_caf(nurse)
    for document, variables in (
        (REVIEW, {"input": _review(today)}),
        (HAND_OVER, {"to": "p-melanie", "reason": "x"}),
        (REOPEN, {}),
        (FAMILY, {}),
    ):
        hidden = await melanie.post(document, {"id": caf["id"], **variables})
        missing = await melanie.post(document, {"id": "caf-nope", **variables})
        assert codes(hidden) == ["NOT_FOUND"], document
        assert json.dumps(error(hidden)["extensions"]) == json.dumps(error(missing)["extensions"])
        assert error(hidden)["message"] == error(missing)["message"]


async def test_a_practitioner_hidden_by_r6_is_an_unknown_id(as_viewer) -> None:
    melanie = as_viewer(practitioner_id="p-melanie")
    caf = await start_caf(melanie)
    nurse = await melanie.post(HAND_OVER, {"id": caf["id"], "to": "p-nurse", "reason": "x"})
    nobody = await melanie.post(HAND_OVER, {"id": caf["id"], "to": "p-nobody", "reason": "x"})
    assert error(nurse)["message"] == error(nobody)["message"]
    assert error(nurse)["extensions"] == error(nobody)["extensions"]
    assert error(nurse)["extensions"] == {"code": "BAD_USER_INPUT", "field": "newHolderId"}


async def test_transfer_to_the_area_the_family_moved_to(as_viewer) -> None:
    melanie = as_viewer(practitioner_id="p-melanie", purpose="family moving")
    caf = await start_caf(melanie)
    bad_area = await melanie.post(TRANSFER, {"id": caf["id"], "la": "XXX", "to": "p-eastvale"})
    assert error(bad_area)["extensions"] == {"code": "BAD_USER_INPUT", "field": "toLocalAuthority"}
    same_area = await melanie.post(TRANSFER, {"id": caf["id"], "la": "NBR", "to": "p-lee"})
    assert error(same_area)["extensions"]["field"] == "toLocalAuthority"
    not_there = await melanie.post(TRANSFER, {"id": caf["id"], "la": "EVL", "to": "p-lee"})
    assert error(not_there)["extensions"] == {"code": "BAD_USER_INPUT", "field": "newHolderId"}
    assert codes(
        await melanie.post(TRANSFER, {"id": caf["id"], "la": "EVL", "to": "p-eastvale"})
    ) == ["CONSENT_REQUIRED"]
    await grant(
        melanie,
        purpose="SHARE_ASSESSMENT",
        coversAssessmentId=caf["id"],
        grantedToPractitionerIds=["p-eastvale"],
    )
    # Melanie leaves the team as the CAF leaves her area: the answer to her is null (R7).
    assert (
        ok(
            await melanie.post(TRANSFER, {"id": caf["id"], "la": "evl", "to": "p-eastvale"}),
            "transferAssessment",
        )
        is None
    )
    omar = as_viewer(practitioner_id="p-eastvale", local_authority="EVL", purpose="new school")
    moved = ok(await omar.post(READ, {"childId": "c-hannah", "id": caf["id"]}), "child")[
        "assessment"
    ]
    assert moved["localAuthority"] == "EVL" and moved["holder"]["id"] == "p-eastvale"
    assert "p-melanie" not in {m["id"] for m in moved["teamAroundTheChild"]}
    (transferred,) = [e for e in moved["history"] if e["kind"] == "TRANSFERRED"]
    assert (transferred["fromLocalAuthority"], transferred["toLocalAuthority"]) == ("NBR", "EVL")
    assert (transferred["fromPractitionerId"], transferred["toPractitionerId"]) == (
        "p-melanie",
        "p-eastvale",
    )


async def test_reopen_leave_and_remove(as_viewer, today: date) -> None:
    melanie = as_viewer(practitioner_id="p-melanie")
    lee = as_viewer(practitioner_id="p-lee")
    caf = await start_caf(melanie)
    assert codes(await melanie.post(REOPEN, {"id": caf["id"]})) == ["BAD_USER_INPUT"]  # still OPEN
    ok(
        await melanie.post(CLOSE, {"id": caf["id"], "status": "CLOSED", "reason": "Needs met"}),
        "closeAssessment",
    )
    assert codes(await lee.post(REOPEN, {"id": caf["id"]})) == ["FORBIDDEN"]
    reopened = ok(await melanie.post(REOPEN, {"id": caf["id"]}), "reopenAssessment")
    assert reopened["status"] == "OPEN" and [e["kind"] for e in reopened["history"]] == [
        "CLOSED",
        "REOPENED",
    ]

    await join_team(melanie, caf["id"], "p-lee")
    assert codes(await melanie.post(LEAVE, {"id": caf["id"]})) == [
        "BAD_USER_INPUT"
    ]  # the holder hands over
    assert ok(await lee.post(LEAVE, {"id": caf["id"]}), "leaveTeam") is True
    assert (
        ok(await lee.post(READ, {"childId": "c-hannah", "id": caf["id"]}), "child")["assessment"]
        is None
    )
    assert codes(await lee.post(LEAVE, {"id": caf["id"]})) == ["NOT_FOUND"]

    ok(await melanie.post(FAMILY, {"id": caf["id"], "carer": "k-karen"}), "addFamilyMember")
    not_hers = await melanie.post(FAMILY, {"id": caf["id"], "carer": "k-sam-father"})
    assert error(not_hers)["extensions"] == {"code": "BAD_USER_INPUT", "field": "carerId"}
    removed = ok(await melanie.post(REMOVE, {"id": caf["id"], "m": "k-karen"}), "removeTeamMember")
    assert removed["familyMembers"] == []
    kinds = [(e["kind"], e["memberId"]) for e in removed["history"]]
    assert ("LEFT_TEAM", "p-lee") in kinds and ("REMOVED_FROM_TEAM", "k-karen") in kinds


@pytest.fixture
def sams_caf(sync_driver: neo4j.Driver) -> Iterator[str]:
    sync_driver.execute_query(
        """
        MATCH (c:Child {id: 'c-sam'}), (p:Practitioner {id: 'p-eastvale'})
        CREATE (a:Assessment {id: 'caf-sam-guard', status: 'OPEN', startedOn: date(), strengths: [],
          childViews: 'I like my new school'})-[:ABOUT]->(c)
        CREATE (p)-[:HOLDS]->(a), (p)-[:TEAM_MEMBER_OF]->(a)
        """
    )
    yield "caf-sam-guard"


async def test_a_shielded_childs_caf_and_its_copy(as_viewer, sams_caf) -> None:
    """R4: the CAF is not on a shielded child's list, even for its holder; nor its copy."""
    omar = as_viewer(practitioner_id="p-eastvale", local_authority="EVL")
    body = await omar.post(
        'query($id: ID!) { child(id: "c-sam") { a: assessment(id: $id) { reviews { id } } b: assessment(id: $id) { familyCopy { base64 } } } }',
        {"id": sams_caf},
    )
    assert body["data"]["child"] == {"a": None, "b": None}
    assert "new school" not in json.dumps(body)
    copy = await as_viewer(practitioner_id="p-melanie").post(
        COPY, {"childId": "c-sam", "id": sams_caf}
    )
    assert copy["data"]["child"]["assessment"] is None


async def test_aliased_writes_by_someone_else_all_fail(as_viewer, today: date) -> None:
    melanie = as_viewer(practitioner_id="p-melanie")
    steve = as_viewer(practitioner_id="p-steve")
    caf = await start_caf(melanie)
    body = await steve.post(
        """mutation($id: ID!, $input: RecordReviewInput!) {
          a: recordReview(assessmentId: $id, input: $input) { reviews { id } }
          b: recordReview(assessmentId: $id, input: $input) { reviews { id } }
        }""",
        {"id": caf["id"], "input": _review(today)},
    )
    # The first refusal nulls the whole (non-null) answer; nothing of the CAF leaks.
    assert body["data"] is None and codes(body) == ["FORBIDDEN"]
    read = ok(await melanie.post(READ, {"childId": "c-hannah", "id": caf["id"]}), "child")
    assert read["assessment"]["reviews"] == []


async def test_the_familys_copy_is_priced(as_viewer) -> None:
    """A PDF is made on request: a document asking for many copies is refused before any is
    made, and each costs the rate limit accordingly."""
    fields = " ".join(f'c{i}: assessment(id: "x") {{ familyCopy {{ sha256 }} }}' for i in range(9))
    body = await as_viewer(practitioner_id="p-melanie").post(
        f'query {{ child(id: "c-hannah") {{ {fields} }} }}'
    )
    assert body["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"
