"""Hannah's story (ICS guidance note 3.1), all of it, through GraphQL: consent, the CAF, the
team around the child, the lead professional; and stepping up to social care.

Every step is a request a front end would send; the assertions are what each person
in the story may and may not see afterwards (R6, R7, R8, R10, R14).
"""

from __future__ import annotations

import json
import uuid
from datetime import date, timedelta
from typing import Any

import pytest

from tests.api.consent_support import (
    ADD_ACTION,
    ADD_MEMBER,
    ADD_NEED,
    ADD_STRENGTH,
    APPOINT_LEAD,
    CLOSE,
    READ_CAF,
    SET_REVIEW,
    SHARING_DECISION,
    START,
    UPDATE_ACTION,
    codes,
    count,
    error,
    fresh_family,
    grant,
    ok,
)
from tests.queries import CHILD_PROFILE

__all__ = ["fresh_family"]

pytestmark = pytest.mark.usefixtures("fresh_family")


def _events(driver: Any, request_id: str) -> list[dict[str, Any]]:
    records, _, _ = driver.execute_query(
        "MATCH (a:AuditEvent {clientRequestId: $rid}) RETURN a { .* } AS a", rid=request_id
    )
    return [r["a"] for r in records]


async def _profile(caller: Any) -> dict[str, Any]:
    child: dict[str, Any] = ok(await caller.post(CHILD_PROFILE, {"id": "c-hannah"}), "child")
    return child


async def _caf(caller: Any, caf_id: str) -> dict[str, Any] | None:
    child = ok(await caller.post(READ_CAF, {"childId": "c-hannah", "id": caf_id}), "child")
    assessment: dict[str, Any] | None = child["assessment"]
    return assessment


async def test_hannahs_story(as_viewer, sync_driver, today: date) -> None:
    melanie = as_viewer(practitioner_id="p-melanie", purpose="Hannah's CAF")
    lee = as_viewer(practitioner_id="p-lee", purpose="Hannah's CAF")
    steve = as_viewer(practitioner_id="p-steve", purpose="Hannah's CAF")
    libby = as_viewer(practitioner_id="p-libby", purpose="Hannah's CAF")

    # Melanie looks Hannah up: Lee and social care are there; no CAF, no lead professional.
    index = await _profile(melanie)
    assert {"i-hannah-youth", "i-hannah-sc-recent"} <= {i["id"] for i in index["involvements"]}
    assert index["hasCommonAssessment"] is False and index["leadProfessional"] is None

    # Hannah is 15: her own consent counts only once Melanie has assessed her competence.
    refused = await melanie.post(
        START.replace("startAssessment", "startAssessment"),
        {"input": {"childId": "c-hannah", "consentIds": []}},
    )
    assert codes(refused) == ["CONSENT_REQUIRED"]
    not_assessed = await melanie.post(
        "mutation($i: RecordConsentInput!) { recordConsent(input: $i) { id } }",
        {
            "i": {
                "childId": "c-hannah",
                "purpose": "UNDERTAKE_ASSESSMENT",
                "givenByChild": True,
                "method": "WRITTEN",
            }
        },
    )
    assert error(not_assessed)["extensions"] == {
        "code": "BAD_USER_INPUT",
        "field": "input.givenByChild",
    }
    undertake = await grant(melanie, purpose="UNDERTAKE_ASSESSMENT")
    store = await grant(melanie, purpose="STORE_ASSESSMENT")
    assert undertake["state"] == store["state"] == "ACTIVE"
    assert undertake["givenByChild"] is True and undertake["competenceAssessed"] is True

    # The CAF: needs across the three domains (CAF guide Table 1) and a strength.
    request_id = uuid.uuid4().hex
    body = await melanie.post(
        START,
        {
            "input": {
                "childId": "c-hannah",
                "consentIds": [undertake["id"], store["id"]],
                "needs": [
                    {
                        "domain": "DEVELOPMENT_OF_CHILD",
                        "element": "learning",
                        "summary": "Falling behind, missing lessons and homework",
                    },
                    {
                        "domain": "PARENTS_AND_CARERS",
                        "element": "Basic care",
                        "summary": "Mother unwell; Hannah cares for the family",
                    },
                ],
                "strengths": ["Hannah is determined to keep the family together"],
            }
        },
        X_Request_Id=request_id,
    )
    caf = ok(body, "startAssessment")
    assert body["extensions"]["cypherRoundTrips"] == 1
    caf_id = caf["id"]
    assert caf["status"] == "OPEN" and caf["holder"]["id"] == "p-melanie"
    assert [m["id"] for m in caf["teamAroundTheChild"]] == ["p-melanie"]
    assert [(n["domain"], n["element"]) for n in caf["needs"]] == [
        ("DEVELOPMENT_OF_CHILD", "Learning"),
        ("PARENTS_AND_CARERS", "Basic care, ensuring safety and protection"),
    ]
    (event,) = _events(sync_driver, request_id)
    assert event["action"] == "startAssessment" and event["childIds"] == ["c-hannah"]
    assert f"Assessment:{caf_id}" in event["disclosed"]
    housing = ok(
        await melanie.post(
            ADD_NEED,
            {
                "id": caf_id,
                "need": {
                    "domain": "FAMILY_AND_ENVIRONMENT",
                    "element": "Housing",
                    "summary": "Rent arrears and unpaid bills",
                },
            },
        ),
        "addNeed",
    )
    assert {n["domain"] for n in housing["needs"]} == {
        "DEVELOPMENT_OF_CHILD",
        "PARENTS_AND_CARERS",
        "FAMILY_AND_ENVIRONMENT",
    }
    ok(
        await melanie.post(ADD_STRENGTH, {"id": caf_id, "strength": "Close to her siblings"}),
        "addStrength",
    )

    # The eCAF-to-index notification: Lee's index view shows the CAF and its holder, never
    # its content, and Lee may not read the CAF yet.
    lee_index = await _profile(lee)
    assert lee_index["hasCommonAssessment"] is True
    (summary,) = lee_index["commonAssessments"]
    assert summary["id"] == caf_id and summary["holder"]["id"] == "p-melanie"
    assert "Rent arrears" not in json.dumps(lee_index)
    assert await _caf(lee, caf_id) is None

    # The team around the child: Lee with Hannah's consent; Steve has none.
    share_with_lee = await grant(
        melanie,
        purpose="SHARE_ASSESSMENT",
        coversAssessmentId=caf_id,
        grantedToPractitionerIds=["p-lee"],
    )
    team = ok(
        await melanie.post(ADD_MEMBER, {"id": caf_id, "practitionerId": "p-lee"}), "addTeamMember"
    )
    assert {m["id"] for m in team["teamAroundTheChild"]} == {"p-melanie", "p-lee"}
    no_consent = await melanie.post(ADD_MEMBER, {"id": caf_id, "practitionerId": "p-steve"})
    assert codes(no_consent) == ["CONSENT_REQUIRED"]
    assert share_with_lee["grantedToPractitionerIds"] == ["p-lee"]

    # At the meeting Hannah asks for Melanie as her lead professional: on the index at once.
    appointed = ok(
        await melanie.post(APPOINT_LEAD, {"childId": "c-hannah", "practitionerId": "p-melanie"}),
        "appointLeadProfessional",
    )
    assert appointed["leadProfessional"]["id"] == "p-melanie"
    school = next(i for i in appointed["involvements"] if i["id"] == "i-hannah-school")
    assert school["isLeadProfessional"] is True
    assert (await _profile(lee))["leadProfessional"]["id"] == "p-melanie"
    assert (await _profile(steve))["leadProfessional"]["name"] == "Melanie Hart"

    # The delivery plan: who does what.
    with_actions = ok(
        await melanie.post(
            ADD_ACTION,
            {
                "id": caf_id,
                "description": "Contact a young carers' group",
                "ownerId": "p-lee",
                "dueOn": (today + timedelta(days=14)).isoformat(),
            },
        ),
        "addDeliveryAction",
    )
    ok(
        await melanie.post(
            ADD_ACTION,
            {"id": caf_id, "description": "Agree new homework deadlines", "ownerId": "p-melanie"},
        ),
        "addDeliveryAction",
    )
    not_in_team = await melanie.post(
        ADD_ACTION, {"id": caf_id, "description": "Plan for rent arrears", "ownerId": "p-steve"}
    )
    assert error(not_in_team)["extensions"] == {"code": "BAD_USER_INPUT", "field": "ownerId"}
    lees_action = with_actions["actions"][0]
    assert lees_action["owner"]["id"] == "p-lee"

    # Lee can read the CAF and update his action, not Melanie's, and cannot add needs.
    lee_view = await _caf(lee, caf_id)
    assert lee_view is not None and len(lee_view["needs"]) == 3
    melanies_action = next(a for a in lee_view["actions"] if a["owner"]["id"] == "p-melanie")
    done = ok(
        await lee.post(UPDATE_ACTION, {"id": lees_action["id"], "doneOn": today.isoformat()}),
        "updateDeliveryAction",
    )
    assert next(a for a in done["actions"] if a["id"] == lees_action["id"])["doneOn"] == (
        today.isoformat()
    )
    assert codes(
        await lee.post(UPDATE_ACTION, {"id": melanies_action["id"], "doneOn": today.isoformat()})
    ) == ["FORBIDDEN"]
    assert codes(
        await lee.post(
            ADD_NEED,
            {
                "id": caf_id,
                "need": {"domain": "DEVELOPMENT_OF_CHILD", "element": "Health", "summary": "x"},
            },
        )
    ) == ["FORBIDDEN"]

    # Libby joins later, with Hannah's consent given to the young carers' service.
    assert await _caf(libby, caf_id) is None
    await grant(
        melanie,
        purpose="SHARE_ASSESSMENT",
        coversAssessmentId=caf_id,
        grantedToServiceIds=["s-young-carers"],
    )
    ok(await melanie.post(ADD_MEMBER, {"id": caf_id, "practitionerId": "p-libby"}), "addTeamMember")
    libby_view = await _caf(libby, caf_id)
    assert libby_view is not None
    assert {m["id"] for m in libby_view["teamAroundTheChild"]} == {"p-melanie", "p-lee", "p-libby"}

    # Steve was at the meeting but was never given access: no alias or fragment reaches it.
    assert await _caf(steve, caf_id) is None
    sneaky = await steve.post(
        """
        query($id: ID!) {
          child(id: "c-hannah") {
            a: assessment(id: $id) { needs { summary } }
            ...F
          }
        }
        fragment F on Child { b: assessment(id: $id) { actions { description } } }
        """,
        {"id": caf_id},
    )
    assert sneaky["data"]["child"] == {"a": None, "b": None}
    assert "arrears" not in json.dumps(sneaky)

    # A review date is set.
    reviewed = ok(
        await melanie.post(
            SET_REVIEW, {"id": caf_id, "on": (today + timedelta(days=42)).isoformat()}
        ),
        "setNextReview",
    )
    assert reviewed["nextReviewOn"] == (today + timedelta(days=42)).isoformat()
    assert (
        count(
            sync_driver,
            "MATCH (:Assessment {id: $id})<-[:OF]-(n:AssessmentNeed) RETURN count(n)",
            id=caf_id,
        )
        == 3
    )


async def test_the_caf_supports_a_referral_to_social_care(as_viewer, sync_driver) -> None:
    """Stepping up (ICS guidance note 4.2): the CAF goes with the referral, then closes."""
    melanie = as_viewer(practitioner_id="p-melanie", purpose="referral to social care")
    john = as_viewer(practitioner_id="p-john", purpose="referral from school")
    undertake = await grant(melanie, purpose="UNDERTAKE_ASSESSMENT")
    store = await grant(melanie, purpose="STORE_ASSESSMENT")
    caf = ok(
        await melanie.post(
            START,
            {
                "input": {
                    "childId": "c-hannah",
                    "consentIds": [undertake["id"], store["id"]],
                    "needs": [
                        {
                            "domain": "FAMILY_AND_ENVIRONMENT",
                            "element": "Family history, functioning and well-being",
                            "summary": "Mother's health has deteriorated again",
                        }
                    ],
                }
            },
        ),
        "startAssessment",
    )
    caf_id = caf["id"]
    # Hannah agrees that the CAF is shared with children's social care (the service).
    await grant(
        melanie,
        purpose="SHARE_ASSESSMENT",
        coversAssessmentId=caf_id,
        grantedToServiceIds=["s-nbr-social-care"],
    )
    decision = ok(
        await melanie.post(
            SHARING_DECISION,
            {
                "childId": "c-hannah",
                "shared": True,
                "withConsent": True,
                "recipient": "Northbridge Children's Social Care",
                "reason": "Referral for a young carer's assessment",
            },
        ),
        "recordSharingDecision",
    )
    assert decision["shared"] is True and decision["recordedBy"]["id"] == "p-melanie"
    ok(await melanie.post(ADD_MEMBER, {"id": caf_id, "practitionerId": "p-john"}), "addTeamMember")
    assert (await _caf(john, caf_id)) is not None

    closed = ok(
        await melanie.post(
            CLOSE,
            {
                "id": caf_id,
                "status": "TRANSFERRED_TO_SOCIAL_CARE",
                "reason": "Referred to children's social care for a young carer's assessment",
            },
        ),
        "closeAssessment",
    )
    assert closed["status"] == "TRANSFERRED_TO_SOCIAL_CARE"
    assert closed["closedOn"] is not None and closed["closeReason"].startswith("Referred")
    # The index shows the new status to everyone allowed R3; the content stays closed to them.
    steve_index = await _profile(as_viewer(practitioner_id="p-steve"))
    assert steve_index["commonAssessments"] == [
        {**steve_index["commonAssessments"][0], "status": "TRANSFERRED_TO_SOCIAL_CARE"}
    ]
    # A closed CAF is not changed any more; the social worker still reads it.
    late = await melanie.post(
        ADD_NEED,
        {
            "id": caf_id,
            "need": {"domain": "DEVELOPMENT_OF_CHILD", "element": "Health", "summary": "too late"},
        },
    )
    assert error(late)["extensions"] == {"code": "BAD_USER_INPUT", "field": "assessmentId"}
    john_view = await _caf(john, caf_id)
    assert john_view is not None and john_view["status"] == "TRANSFERRED_TO_SOCIAL_CARE"
    assert (
        count(
            sync_driver,
            "MATCH (d:SharingDecision)-[:ABOUT]->(:Child {id: 'c-hannah'}) RETURN count(d)",
        )
        == 1
    )
