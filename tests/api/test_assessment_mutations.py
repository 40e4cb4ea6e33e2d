"""The CAF's mutations through GraphQL: R8 before anything is stored, R7 on every answer,
the holder's lifecycle, the team and the lead professional."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest

from policies.viewer import Role
from tests.api.consent_support import (
    ADD_ACTION,
    ADD_MEMBER,
    ADD_NEED,
    APPOINT_LEAD,
    CLOSE,
    READ_CAF,
    SET_REVIEW,
    START,
    UPDATE_ACTION,
    WITHDRAW,
    codes,
    count,
    error,
    fresh_family,
    grant,
    ok,
    start_caf,
)
from tests.queries import CHILD_PROFILE

__all__ = ["fresh_family"]

pytestmark = pytest.mark.usefixtures("fresh_family")


def _cafs(driver, child: str = "c-hannah") -> int:
    return count(
        driver, "MATCH (a:Assessment)-[:ABOUT]->(:Child {id: $c}) RETURN count(a)", c=child
    )


async def test_nothing_is_stored_without_both_consents(as_viewer, sync_driver) -> None:
    melanie = as_viewer(practitioner_id="p-melanie")
    undertake = await grant(melanie, purpose="UNDERTAKE_ASSESSMENT")
    body = await melanie.post(
        START,
        {
            "input": {
                "childId": "c-hannah",
                "consentIds": [undertake["id"]],
                "needs": [{"domain": "DEVELOPMENT_OF_CHILD", "element": "Health", "summary": "x"}],
            }
        },
    )
    assert codes(body) == ["CONSENT_REQUIRED"]
    assert "store" in error(body)["message"]
    assert _cafs(sync_driver) == 0
    assert count(sync_driver, "MATCH (n:AssessmentNeed) RETURN count(n)") == 0
    # Withdrawn consent to store does not count either.
    store = await grant(melanie, purpose="STORE_ASSESSMENT")
    ok(await melanie.post(WITHDRAW, {"id": store["id"]}), "withdrawConsent")
    body = await melanie.post(
        START, {"input": {"childId": "c-hannah", "consentIds": [undertake["id"], store["id"]]}}
    )
    assert codes(body) == ["CONSENT_REQUIRED"]
    assert _cafs(sync_driver) == 0


async def test_a_competent_childs_refusal_to_store_outweighs_her_mothers_consent(
    as_viewer, sync_driver
) -> None:
    melanie = as_viewer(practitioner_id="p-melanie")
    carer = {"givenByChild": False, "givenByCarerId": "k-karen"}
    ids = [
        (await grant(melanie, purpose=p, **carer))["id"]
        for p in ("UNDERTAKE_ASSESSMENT", "STORE_ASSESSMENT")
    ]
    ok(
        await melanie.post(
            "mutation($i: RecordRefusalInput!) { recordConsentRefusal(input: $i) { id } }",
            {
                "i": {
                    "childId": "c-hannah",
                    "purpose": "STORE_ASSESSMENT",
                    "refusedByChild": True,
                    "childCompetenceAssessed": True,
                }
            },
        ),
        "recordConsentRefusal",
    )
    body = await melanie.post(START, {"input": {"childId": "c-hannah", "consentIds": ids}})
    assert codes(body) == ["CONSENT_REQUIRED"]
    assert _cafs(sync_driver) == 0


async def test_a_carer_consents_for_a_nine_year_old(as_viewer) -> None:
    melanie = as_viewer(practitioner_id="p-melanie")
    caf = await start_caf(melanie, "c-ellie", givenByChild=False, givenByCarerId="k-karen")
    assert caf["status"] == "OPEN"
    index = ok(await melanie.post(CHILD_PROFILE, {"id": "c-ellie"}), "child")
    assert index["hasCommonAssessment"] is True


async def test_consent_ids_must_be_this_childs_and_one_open_caf_at_a_time(
    as_viewer, sync_driver
) -> None:
    melanie = as_viewer(practitioner_id="p-melanie")
    carer = {"givenByChild": False, "givenByCarerId": "k-karen"}
    ellies = [
        (await grant(melanie, childId="c-ellie", purpose=p, **carer))["id"]
        for p in ("UNDERTAKE_ASSESSMENT", "STORE_ASSESSMENT")
    ]
    body = await melanie.post(START, {"input": {"childId": "c-hannah", "consentIds": ellies}})
    assert error(body)["extensions"] == {"code": "BAD_USER_INPUT", "field": "input.consentIds"}
    caf = await start_caf(melanie)
    fresh = [
        (await grant(melanie, purpose=p))["id"]
        for p in ("UNDERTAKE_ASSESSMENT", "STORE_ASSESSMENT")
    ]
    again = await melanie.post(START, {"input": {"childId": "c-hannah", "consentIds": fresh}})
    assert error(again)["extensions"] == {"code": "BAD_USER_INPUT", "field": "input.childId"}
    assert caf["id"] in error(again)["message"]
    assert _cafs(sync_driver) == 1


async def test_elements_are_checked_against_the_domain(as_viewer) -> None:
    melanie = as_viewer(practitioner_id="p-melanie")
    caf = await start_caf(melanie)
    body = await melanie.post(
        ADD_NEED,
        {
            "id": caf["id"],
            "need": {"domain": "PARENTS_AND_CARERS", "element": "Housing", "summary": "rent"},
        },
    )
    failure = error(body)
    assert failure["extensions"] == {"code": "BAD_USER_INPUT", "field": "need.element"}
    assert "Emotional warmth and stability" in failure["message"]
    assert "Guidance, boundaries and stimulation" in failure["message"]
    blank = await melanie.post(
        ADD_NEED,
        {
            "id": caf["id"],
            "need": {"domain": "DEVELOPMENT_OF_CHILD", "element": "Health", "summary": "  "},
        },
    )
    assert error(blank)["extensions"]["field"] == "need.summary"
    start = await melanie.post(
        START,
        {
            "input": {
                "childId": "c-ellie",
                "consentIds": [],
                "needs": [
                    {"domain": "FAMILY_AND_ENVIRONMENT", "element": "Learning", "summary": "x"}
                ],
            }
        },
    )
    assert error(start)["extensions"]["field"] == "input.needs[0].element"
    listed = ok(
        await melanie.post("{ assessmentElements { domain elements } }"), "assessmentElements"
    )
    by_domain = {d["domain"]: d["elements"] for d in listed}
    assert set(by_domain) == {
        "DEVELOPMENT_OF_CHILD",
        "PARENTS_AND_CARERS",
        "FAMILY_AND_ENVIRONMENT",
    }
    assert (
        "Learning" in by_domain["DEVELOPMENT_OF_CHILD"]
        and len(by_domain["FAMILY_AND_ENVIRONMENT"]) == 4
    )


async def test_only_the_holder_changes_an_open_caf(as_viewer, today) -> None:
    melanie = as_viewer(practitioner_id="p-melanie")
    caf = await start_caf(melanie)
    need = {"domain": "DEVELOPMENT_OF_CHILD", "element": "Health", "summary": "tired"}
    for caller in (
        as_viewer(practitioner_id="p-lee"),
        as_viewer(Role.SAFEGUARDING_LEAD, practitioner_id="p-gp"),
    ):
        assert codes(await caller.post(ADD_NEED, {"id": caf["id"], "need": need})) == ["FORBIDDEN"]
    assert codes(
        await as_viewer(Role.INDEX_ADMIN).post(ADD_NEED, {"id": caf["id"], "need": need})
    ) == ["FORBIDDEN"]
    assert codes(await melanie.post(ADD_NEED, {"id": "caf-nope", "need": need})) == ["NOT_FOUND"]
    past = await melanie.post(
        SET_REVIEW, {"id": caf["id"], "on": (today - timedelta(days=1)).isoformat()}
    )
    assert error(past)["extensions"] == {"code": "BAD_USER_INPUT", "field": "nextReviewOn"}
    reopen = await melanie.post(CLOSE, {"id": caf["id"], "status": "OPEN", "reason": "x"})
    assert error(reopen)["extensions"] == {"code": "BAD_USER_INPUT", "field": "status"}
    no_reason = await melanie.post(CLOSE, {"id": caf["id"], "status": "CLOSED", "reason": " "})
    assert error(no_reason)["extensions"] == {"code": "BAD_USER_INPUT", "field": "reason"}
    closed = ok(
        await melanie.post(CLOSE, {"id": caf["id"], "status": "CLOSED", "reason": "Needs met"}),
        "closeAssessment",
    )
    assert closed["status"] == "CLOSED" and closed["closedOn"] == today.isoformat()
    twice = await melanie.post(CLOSE, {"id": caf["id"], "status": "CLOSED", "reason": "again"})
    assert error(twice)["extensions"] == {"code": "BAD_USER_INPUT", "field": "assessmentId"}
    # With the first one closed, a new CAF may start.
    assert (await start_caf(melanie))["id"] != caf["id"]


async def test_withdrawing_consent_to_store_stops_the_next_change(as_viewer) -> None:
    melanie = as_viewer(practitioner_id="p-melanie")
    caf = await start_caf(melanie)
    need = {"domain": "DEVELOPMENT_OF_CHILD", "element": "Health", "summary": "tired"}
    ok(await melanie.post(ADD_NEED, {"id": caf["id"], "need": need}), "addNeed")
    listed = ok(
        await melanie.post('query { consents(childId: "c-hannah") { id purpose state } }'),
        "consents",
    )
    store = next(g for g in listed if g["purpose"] == "STORE_ASSESSMENT")
    ok(await melanie.post(WITHDRAW, {"id": store["id"]}), "withdrawConsent")
    body = await melanie.post(ADD_NEED, {"id": caf["id"], "need": need})
    assert codes(body) == ["CONSENT_REQUIRED"]
    # Closing stores nothing new: the holder can still close it.
    closed = ok(
        await melanie.post(
            CLOSE, {"id": caf["id"], "status": "CLOSED", "reason": "Consent withdrawn"}
        ),
        "closeAssessment",
    )
    assert len(closed["needs"]) == 1


async def test_a_team_member_loses_the_caf_when_sharing_consent_goes(as_viewer, today) -> None:
    melanie = as_viewer(practitioner_id="p-melanie")
    lee = as_viewer(practitioner_id="p-lee")
    caf = await start_caf(melanie)
    share = await grant(
        melanie,
        purpose="SHARE_ASSESSMENT",
        coversAssessmentId=caf["id"],
        grantedToServiceIds=["s-nbr-youth"],
    )
    ok(
        await melanie.post(ADD_MEMBER, {"id": caf["id"], "practitionerId": "p-lee"}),
        "addTeamMember",
    )
    with_action = ok(
        await melanie.post(
            ADD_ACTION, {"id": caf["id"], "description": "Young carers' group", "ownerId": "p-lee"}
        ),
        "addDeliveryAction",
    )
    action_id = with_action["actions"][0]["id"]
    read = ok(await lee.post(READ_CAF, {"childId": "c-hannah", "id": caf["id"]}), "child")
    assert read["assessment"]["actions"][0]["id"] == action_id
    ok(await melanie.post(WITHDRAW, {"id": share["id"]}), "withdrawConsent")
    read = ok(await lee.post(READ_CAF, {"childId": "c-hannah", "id": caf["id"]}), "child")
    assert read["assessment"] is None
    update = await lee.post(UPDATE_ACTION, {"id": action_id, "doneOn": today.isoformat()})
    assert codes(update) == ["NOT_FOUND"]
    assert "Young carers" not in json.dumps(update)
    # The holder still updates it; doneOn cannot be in the future.
    future = await melanie.post(
        UPDATE_ACTION, {"id": action_id, "doneOn": (today + timedelta(days=1)).isoformat()}
    )
    assert error(future)["extensions"] == {"code": "BAD_USER_INPUT", "field": "doneOn"}
    done = ok(
        await melanie.post(UPDATE_ACTION, {"id": action_id, "doneOn": today.isoformat()}),
        "updateDeliveryAction",
    )
    assert done["actions"][0]["doneOn"] == today.isoformat()
    reopened = ok(
        await melanie.post(UPDATE_ACTION, {"id": action_id, "doneOn": None}), "updateDeliveryAction"
    )
    assert reopened["actions"][0]["doneOn"] is None


async def test_a_consent_to_share_with_someone_else_does_not_admit_a_member(as_viewer) -> None:
    melanie = as_viewer(practitioner_id="p-melanie")
    caf = await start_caf(melanie)
    await grant(
        melanie,
        purpose="SHARE_ASSESSMENT",
        coversAssessmentId=caf["id"],
        grantedToPractitionerIds=["p-lee"],
    )
    for member in ("p-steve", "p-libby"):
        body = await melanie.post(ADD_MEMBER, {"id": caf["id"], "practitionerId": member})
        assert codes(body) == ["CONSENT_REQUIRED"]
    unknown = await melanie.post(ADD_MEMBER, {"id": caf["id"], "practitionerId": "p-nobody"})
    assert error(unknown)["extensions"] == {"code": "BAD_USER_INPUT", "field": "practitionerId"}


async def test_appointing_a_hidden_sensitive_practitioner_reveals_nothing(as_viewer) -> None:
    """The nurse is involved with Hannah, but Melanie may not know it (R6): the refusal to
    appoint her reads exactly like the refusal for someone not involved at all."""
    melanie = as_viewer(practitioner_id="p-melanie")
    nurse_attempt = await melanie.post(
        APPOINT_LEAD, {"childId": "c-hannah", "practitionerId": "p-nurse"}
    )
    outsider = await melanie.post(
        APPOINT_LEAD, {"childId": "c-hannah", "practitionerId": "p-eastvale"}
    )
    nobody = await melanie.post(APPOINT_LEAD, {"childId": "c-hannah", "practitionerId": "p-nobody"})
    assert error(nurse_attempt) == error(outsider) == error(nobody)
    assert error(outsider)["extensions"] == {"code": "BAD_USER_INPUT", "field": "practitionerId"}
    # The nurse may record herself; Melanie's index view still shows no trace of the clinic.
    nurse = as_viewer(practitioner_id="p-nurse")
    ok(
        await nurse.post(APPOINT_LEAD, {"childId": "c-hannah", "practitionerId": "p-nurse"}),
        "appointLeadProfessional",
    )
    seen = ok(await melanie.post(CHILD_PROFILE, {"id": "c-hannah"}), "child")
    assert seen["leadProfessional"] is None
    assert "Sexual Health" not in json.dumps(seen) and "p-nurse" not in json.dumps(seen)


async def test_appointing_a_lead_replaces_the_previous_one(as_viewer, sync_driver) -> None:
    melanie = as_viewer(practitioner_id="p-melanie")
    request_id = uuid.uuid4().hex
    body = await melanie.post(
        APPOINT_LEAD, {"childId": "c-hannah", "practitionerId": "p-lee"}, X_Request_Id=request_id
    )
    assert ok(body, "appointLeadProfessional")["leadProfessional"]["id"] == "p-lee"
    assert body["extensions"]["cypherRoundTrips"] == 2  # the write, then the index view
    child = ok(
        await melanie.post(APPOINT_LEAD, {"childId": "c-hannah", "practitionerId": "p-melanie"}),
        "appointLeadProfessional",
    )
    assert child["leadProfessional"]["id"] == "p-melanie"
    flags = {i["id"]: i["isLeadProfessional"] for i in child["involvements"]}
    assert flags["i-hannah-school"] is True and flags["i-hannah-youth"] is False
    assert (
        count(
            sync_driver,
            "MATCH (:Practitioner)-[l:LEAD_PROFESSIONAL_FOR]->(:Child {id: 'c-hannah'})"
            " RETURN count(l)",
        )
        == 1
    )
    event = sync_driver.execute_query(
        "MATCH (a:AuditEvent {clientRequestId: $rid}) RETURN a { .* } AS a", rid=request_id
    ).records[0]["a"]
    assert event["action"] == "appointLeadProfessional" and event["childIds"] == ["c-hannah"]
    # Someone not working with Hannah may not appoint anyone.
    outsider = await as_viewer(practitioner_id="p-eastvale").post(
        APPOINT_LEAD, {"childId": "c-hannah", "practitionerId": "p-eastvale"}
    )
    assert codes(outsider) == ["FORBIDDEN"]


async def test_a_retried_start_stores_one_caf(as_viewer, sync_driver) -> None:
    melanie = as_viewer(practitioner_id="p-melanie")
    ids = [
        (await grant(melanie, purpose=p))["id"]
        for p in ("UNDERTAKE_ASSESSMENT", "STORE_ASSESSMENT")
    ]
    key = f"consent-test-{uuid.uuid4()}"
    variables = {"input": {"childId": "c-hannah", "consentIds": ids}}
    first = ok(await melanie.post(START, variables, Idempotency_Key=key), "startAssessment")
    retry = ok(await melanie.post(START, variables, Idempotency_Key=key), "startAssessment")
    assert first == retry
    assert _cafs(sync_driver) == 1
