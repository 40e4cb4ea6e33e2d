"""recordConsent, recordConsentRefusal, withdrawConsent, Query.consents through GraphQL.

Who may consent (R10), who may record it (R9, R10), what a record reveals (R6, R4),
withdrawal and refusal on the very next request, and one audited transaction each (R14).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import neo4j
import pytest

from policies.viewer import Role
from tests.api.consent_support import (
    CONSENTS,
    RECORD_CONSENT,
    RECORD_REFUSAL,
    WITHDRAW,
    codes,
    consent_input,
    count,
    error,
    fresh_family,
    grant,
    ok,
)
from tests.queries import CHILD_PROFILE

__all__ = ["fresh_family"]

pytestmark = pytest.mark.usefixtures("fresh_family")

CLINIC = "s-nbr-sexual-health"


def _school_grant(**overrides: Any) -> dict[str, Any]:
    """A SHARE_CONTACT_DETAILS grant Melanie may record: it covers her own school."""
    return _clinic_grant(coversServiceIds=["s-oakfield-school"], **overrides)


def _clinic_grant(**overrides: Any) -> dict[str, Any]:
    """Hannah's consent to share the clinic with Melanie: only the clinic records it (R6b)."""
    return {
        "purpose": "SHARE_CONTACT_DETAILS",
        "coversServiceIds": [CLINIC],
        "grantedToPractitionerIds": ["p-melanie"],
        **overrides,
    }


async def _sees_clinic(caller: Any) -> bool:
    child = ok(await caller.post(CHILD_PROFILE, {"id": "c-hannah"}), "child")
    return any(i["id"] == "i-hannah-clinic" for i in child["involvements"])


def _grants(driver: neo4j.Driver) -> int:
    return count(
        driver, "MATCH (g:ConsentGrant)-[:ABOUT]->(:Child {id: 'c-hannah'}) RETURN count(g)"
    )


@pytest.fixture
def uncle(sync_driver: neo4j.Driver) -> Iterator[str]:
    """A carer of Hannah's without parental responsibility."""
    sync_driver.execute_query(
        "MATCH (c:Child {id: 'c-hannah'}) MERGE (k:Carer {id: 'k-test-uncle'})"
        " SET k.name = 'Test Uncle'"
        " MERGE (k)-[r:CARES_FOR]->(c)"
        " SET r.relationship = 'uncle', r.parentalResponsibility = false, r.livesWithChild = false"
    )
    yield "k-test-uncle"
    sync_driver.execute_query("MATCH (k:Carer {id: 'k-test-uncle'}) DETACH DELETE k")


# --- R10: who can consent --------------------------------------------------------------


async def test_a_nine_year_olds_own_consent_does_not_count(as_viewer, sync_driver) -> None:
    melanie = as_viewer(practitioner_id="p-melanie")
    for competent in (True, False):
        body = await melanie.post(
            RECORD_CONSENT,
            {"input": consent_input(childId="c-ellie", childCompetenceAssessed=competent)},
        )
        failure = error(body)
        assert failure["extensions"] == {"code": "BAD_USER_INPUT", "field": "input.givenByChild"}
        assert "under 12" in failure["message"]
    # Her mother, who has parental responsibility, can consent for her (CAF guide 4.15).
    by_mother = await grant(
        melanie, childId="c-ellie", givenByChild=False, givenByCarerId="k-karen"
    )
    assert by_mother["givenByCarer"]["id"] == "k-karen"
    assert by_mother["givenByChild"] is False
    assert (
        count(
            sync_driver, "MATCH (g:ConsentGrant)-[:ABOUT]->(:Child {id: 'c-ellie'}) RETURN count(g)"
        )
        == 1
    )


@pytest.mark.parametrize(("competent", "allowed"), [(True, True), (False, False)])
async def test_fifteen_year_old_needs_competence_assessed(as_viewer, competent, allowed) -> None:
    body = await as_viewer(practitioner_id="p-melanie").post(
        RECORD_CONSENT, {"input": consent_input(childCompetenceAssessed=competent)}
    )
    if allowed:
        assert ok(body, "recordConsent")["state"] == "ACTIVE"
    else:
        assert error(body)["extensions"]["field"] == "input.givenByChild"


async def test_a_carer_of_another_child_cannot_consent(as_viewer, sync_driver) -> None:
    body = await as_viewer(practitioner_id="p-melanie").post(
        RECORD_CONSENT,
        {"input": consent_input(givenByChild=False, givenByCarerId="k-sam-father")},
    )
    failure = error(body)
    assert failure["extensions"] == {"code": "BAD_USER_INPUT", "field": "input.givenByCarerId"}
    assert "not a carer of this child" in failure["message"]
    assert _grants(sync_driver) == 0


async def test_a_carer_without_parental_responsibility_cannot_consent(
    as_viewer, uncle, sync_driver
) -> None:
    body = await as_viewer(practitioner_id="p-melanie").post(
        RECORD_CONSENT, {"input": consent_input(givenByChild=False, givenByCarerId=uncle)}
    )
    failure = error(body)
    assert failure["extensions"]["field"] == "input.givenByCarerId"
    assert "no parental responsibility" in failure["message"]
    refusal = await as_viewer(practitioner_id="p-melanie").post(
        RECORD_REFUSAL,
        {
            "input": {
                "childId": "c-hannah",
                "purpose": "STORE_ASSESSMENT",
                "refusedByChild": False,
                "refusedByCarerId": uncle,
            }
        },
    )
    assert error(refusal)["extensions"]["field"] == "input.refusedByCarerId"
    assert _grants(sync_driver) == 0


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"givenByCarerId": "k-karen"}, "input.givenByCarerId"),  # both child and carer
        ({"givenByChild": False}, "input.givenByCarerId"),  # neither
        (
            {"purpose": "SHARE_CONTACT_DETAILS", "grantedToPractitionerIds": ["p-lee"]},
            "input.coversServiceIds",
        ),
        (
            {"purpose": "SHARE_CONTACT_DETAILS", "coversServiceIds": [CLINIC]},
            "input.grantedToPractitionerIds",
        ),
        (
            {"purpose": "SHARE_ASSESSMENT", "grantedToPractitionerIds": ["p-lee"]},
            "input.coversAssessmentId",
        ),
        (_clinic_grant(coversServiceIds=["s-no-such-service"]), "input.coversServiceIds"),
        # R6, R6b: Melanie may not name the clinic she cannot see (tests/api/test_consent_r6b.py).
        (_clinic_grant(), "input.coversServiceIds"),
        (_school_grant(grantedToPractitionerIds=["p-nobody"]), "input.grantedToPractitionerIds"),
        (_school_grant(grantedToServiceIds=["s-nowhere"]), "input.grantedToServiceIds"),
        (_school_grant(grantedToServiceIds=[CLINIC]), "input.grantedToServiceIds"),
        ({"coversAssessmentId": "caf-not-hannahs"}, "input.coversAssessmentId"),
        ({"expiresOn": "2001-01-01"}, "input.expiresOn"),
        ({"childId": "  "}, "input.childId"),
        ({"coversServiceIds": [f"s-{i}" for i in range(21)]}, "input.coversServiceIds"),
    ],
)
async def test_input_is_validated_and_nothing_is_half_written(
    as_viewer, sync_driver, overrides, field
) -> None:
    body = await as_viewer(practitioner_id="p-melanie").post(
        RECORD_CONSENT, {"input": consent_input(**overrides)}
    )
    assert error(body)["extensions"] == {"code": "BAD_USER_INPUT", "field": field}
    assert body["data"] is None or body["data"]["recordConsent"] is None
    assert _grants(sync_driver) == 0


# --- R9, R10: who may record consent ---------------------------------------------------


@pytest.mark.parametrize(
    ("role", "practitioner"),
    [
        (Role.INDEX_ADMIN, None),
        (Role.ANALYST, None),
        (Role.AUDITOR, None),
        (Role.PRACTITIONER, "p-eastvale"),  # not involved with Hannah
        (Role.PRACTITIONER, "p-old-sw"),  # involvement ended over a year ago
        (Role.SAFEGUARDING_LEAD, "p-gp"),  # the GP practice's involvement is service-level
    ],
)
async def test_only_an_involved_practitioner_records_consent(
    as_viewer, sync_driver, role, practitioner
) -> None:
    caller = as_viewer(role, practitioner_id=practitioner)
    body = await caller.post(RECORD_CONSENT, {"input": consent_input()})
    if practitioner == "p-gp":
        # Dr Reyes works for the practice that is involved with Hannah: that is involvement.
        assert ok(body, "recordConsent")["state"] == "ACTIVE"
        return
    assert codes(body) == ["FORBIDDEN"]
    assert _grants(sync_driver) == 0
    listing = await caller.post(CONSENTS, {"childId": "c-hannah"})
    assert codes(listing) == ["FORBIDDEN"]


async def test_forbidden_roles_cannot_probe_whether_a_child_exists(as_viewer) -> None:
    analyst = as_viewer(Role.ANALYST)
    real = await analyst.post(CONSENTS, {"childId": "c-hannah"})
    fake = await analyst.post(CONSENTS, {"childId": "c-nobody"})
    assert error(real) == error(fake)


async def test_an_override_lets_an_uninvolved_practitioner_record_consent(as_viewer) -> None:
    omar = as_viewer(practitioner_id="p-eastvale", local_authority="EVL")
    assert codes(await omar.post(RECORD_CONSENT, {"input": consent_input()})) == ["FORBIDDEN"]
    ok(
        await omar.post(
            "mutation($i: RecordOverrideInput!) { recordAccessOverride(input: $i) { id } }",
            {
                "i": {
                    "childId": "c-hannah",
                    "ground": "SIGNIFICANT_HARM_SUSPECTED",
                    "justification": "Hannah disclosed being left alone with the younger ones",
                }
            },
        ),
        "recordAccessOverride",
    )
    assert ok(await omar.post(RECORD_CONSENT, {"input": consent_input()}), "recordConsent")


# --- Withdrawal and refusal take effect on the very next request -------------------------


async def test_withdrawal_takes_effect_on_the_next_request(as_viewer) -> None:
    melanie = as_viewer(practitioner_id="p-melanie")
    nurse = as_viewer(practitioner_id="p-nurse")
    assert not await _sees_clinic(melanie)
    record = await grant(nurse, **_clinic_grant())
    assert await _sees_clinic(melanie)
    body = await nurse.post(WITHDRAW, {"id": record["id"], "reason": "Hannah changed her mind"})
    withdrawn = ok(body, "withdrawConsent")
    assert withdrawn["state"] == "WITHDRAWN" and withdrawn["withdrawnOn"] is not None
    assert not await _sees_clinic(melanie)
    # A withdrawn grant cannot be withdrawn again: a clear error, not a silent success.
    again = await nurse.post(WITHDRAW, {"id": record["id"]})
    assert error(again)["extensions"] == {"code": "BAD_USER_INPUT", "field": "id"}
    assert "already been withdrawn" in error(again)["message"]


async def test_a_refusal_cannot_be_withdrawn_and_unknown_ids_are_not_found(as_viewer) -> None:
    melanie = as_viewer(practitioner_id="p-melanie")
    refusal = ok(
        await melanie.post(
            RECORD_REFUSAL,
            {
                "input": {
                    "childId": "c-hannah",
                    "purpose": "SHARE_ASSESSMENT",
                    "refusedByChild": True,
                    "childCompetenceAssessed": True,
                }
            },
        ),
        "recordConsentRefusal",
    )
    assert refusal["state"] == "REFUSED" and refusal["method"] == "VERBAL"
    body = await melanie.post(WITHDRAW, {"id": refusal["id"]})
    assert error(body)["extensions"]["code"] == "BAD_USER_INPUT"
    assert "refusal" in error(body)["message"]
    assert codes(await melanie.post(WITHDRAW, {"id": "consent-nope"})) == ["NOT_FOUND"]


async def test_a_competent_childs_refusal_outweighs_her_mothers_grant(as_viewer) -> None:
    melanie = as_viewer(practitioner_id="p-melanie")
    # The clinic passes on what Hannah and her mother told it (R6b).
    nurse = as_viewer(practitioner_id="p-nurse")
    await grant(nurse, **_clinic_grant(givenByChild=False, givenByCarerId="k-karen"))
    assert await _sees_clinic(melanie)
    ok(
        await nurse.post(
            RECORD_REFUSAL,
            {
                "input": {
                    "childId": "c-hannah",
                    "purpose": "SHARE_CONTACT_DETAILS",
                    "refusedByChild": True,
                    "childCompetenceAssessed": True,
                    "coversServiceIds": [CLINIC],
                }
            },
        ),
        "recordConsentRefusal",
    )
    assert not await _sees_clinic(melanie)
    # Hannah's own later grant supersedes her own earlier refusal (R10).
    await grant(nurse, **_clinic_grant())
    assert await _sees_clinic(melanie)


async def test_an_expired_grant_counts_no_more(as_viewer, sync_driver, today) -> None:
    melanie = as_viewer(practitioner_id="p-melanie")
    nurse = as_viewer(practitioner_id="p-nurse")
    record = await grant(nurse, **_clinic_grant(expiresOn=today.isoformat()))
    assert record["expiresOn"] == today.isoformat() and record["state"] == "ACTIVE"
    assert await _sees_clinic(melanie)
    sync_driver.execute_query(
        "MATCH (g:ConsentGrant {id: $id}) SET g.expiresOn = $day",
        id=record["id"],
        day=today - timedelta(days=1),
    )
    assert not await _sees_clinic(melanie)
    # Melanie may no longer see the clinic, so not the record naming it either (R6); the
    # clinic's nurse sees it, as EXPIRED: worked out today, never stored.
    listed = ok(await melanie.post(CONSENTS, {"childId": "c-hannah"}), "consents")
    assert record["id"] not in {g["id"] for g in listed}
    listed = ok(await nurse.post(CONSENTS, {"childId": "c-hannah"}), "consents")
    assert [g["state"] for g in listed if g["id"] == record["id"]] == ["EXPIRED"]
    stored = sync_driver.execute_query(
        "MATCH (g:ConsentGrant {id: $id}) RETURN g.state AS s", id=record["id"]
    ).records[0]["s"]
    assert stored == "ACTIVE"


# --- Query.consents: R6 and R4 on the records themselves ----------------------------------


async def test_records_naming_a_hidden_sensitive_service_are_not_listed(as_viewer) -> None:
    melanie = as_viewer(practitioner_id="p-melanie")
    await grant(melanie, purpose="UNDERTAKE_ASSESSMENT")
    clinic = await grant(as_viewer(practitioner_id="p-nurse"), **_clinic_grant())
    # A SHARE_ASSESSMENT grant naming the nurse would say where Hannah goes just as plainly.
    await grant(
        melanie,
        purpose="STORE_ASSESSMENT",
        grantedToPractitionerIds=["p-nurse"],
    )
    lee = ok(
        await as_viewer(practitioner_id="p-lee").post(CONSENTS, {"childId": "c-hannah"}), "consents"
    )
    assert [g["purpose"] for g in lee] == ["UNDERTAKE_ASSESSMENT"]
    assert CLINIC not in json.dumps(lee) and "p-nurse" not in json.dumps(lee)
    mine = ok(await melanie.post(CONSENTS, {"childId": "c-hannah"}), "consents")
    assert clinic["id"] in {g["id"] for g in mine}
    assert (
        len(
            ok(
                await as_viewer(practitioner_id="p-nurse").post(CONSENTS, {"childId": "c-hannah"}),
                "consents",
            )
        )
        == 3
    )
    # ...nor can they be withdrawn by someone who may not see them.
    hidden = await as_viewer(practitioner_id="p-lee").post(WITHDRAW, {"id": clinic["id"]})
    assert codes(hidden) == ["NOT_FOUND"]


async def test_a_shielded_childs_carer_is_never_shown(as_viewer) -> None:
    """R4: whether a login's service works with Sam must change no answer, so his own
    teacher's involvement gives no standing to act on it; he is refused exactly as a
    stranger is, and neither learns who Sam's carers are."""
    variables = {
        "input": consent_input(
            childId="c-sam",
            givenByChild=False,
            givenByCarerId="k-sam-father",
            purpose="UNDERTAKE_ASSESSMENT",
        )
    }
    omar = await as_viewer(practitioner_id="p-eastvale", local_authority="EVL").post(
        RECORD_CONSENT, variables
    )
    stranger = await as_viewer(practitioner_id="p-melanie").post(RECORD_CONSENT, variables)
    assert omar["errors"] == stranger["errors"]
    assert omar["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert "Daniel" not in json.dumps(omar) and "07700 900456" not in json.dumps(omar)


# --- One transaction, audited, idempotent -----------------------------------------------


async def test_one_round_trip_and_one_audit_event(as_viewer, sync_driver) -> None:
    request_id = uuid.uuid4().hex
    body = await as_viewer(practitioner_id="p-melanie").post(
        RECORD_CONSENT, {"input": consent_input()}, X_Request_Id=request_id
    )
    record = ok(body, "recordConsent")
    assert body["extensions"]["cypherRoundTrips"] == 1
    events, _, _ = sync_driver.execute_query(
        "MATCH (a:AuditEvent {clientRequestId: $rid}) RETURN a { .* } AS a", rid=request_id
    )
    (event,) = [e["a"] for e in events]
    assert event["action"] == "recordConsent"
    assert event["childIds"] == ["c-hannah"]
    assert f"ConsentGrant:{record['id']}" in event["disclosed"]
    withdraw_id = uuid.uuid4().hex
    await as_viewer(practitioner_id="p-melanie").post(
        WITHDRAW, {"id": record["id"], "reason": "changed her mind"}, X_Request_Id=withdraw_id
    )
    events, _, _ = sync_driver.execute_query(
        "MATCH (a:AuditEvent {clientRequestId: $rid}) RETURN a { .* } AS a", rid=withdraw_id
    )
    assert events[0]["a"]["reason"] == "changed her mind"
    assert events[0]["a"]["childIds"] == ["c-hannah"]


async def test_a_refused_attempt_is_audited_too(as_viewer, sync_driver) -> None:
    request_id = uuid.uuid4().hex
    await as_viewer(practitioner_id="p-eastvale").post(
        RECORD_CONSENT, {"input": consent_input()}, X_Request_Id=request_id
    )
    events, _, _ = sync_driver.execute_query(
        "MATCH (a:AuditEvent {clientRequestId: $rid}) RETURN a { .* } AS a", rid=request_id
    )
    (event,) = [e["a"] for e in events]
    assert event["action"] == "recordConsent" and event["childIds"] == ["c-hannah"]
    assert any(d.startswith("recordConsent") for d in event["denied"])


async def test_a_retry_with_the_same_key_returns_the_first_result(as_viewer, sync_driver) -> None:
    melanie = as_viewer(practitioner_id="p-melanie")
    key = f"consent-test-{uuid.uuid4()}"
    first = ok(
        await melanie.post(RECORD_CONSENT, {"input": consent_input()}, Idempotency_Key=key),
        "recordConsent",
    )
    second = ok(
        await melanie.post(RECORD_CONSENT, {"input": consent_input()}, Idempotency_Key=key),
        "recordConsent",
    )
    assert second["id"] == first["id"]
    assert _grants(sync_driver) == 1
    # The same key for another mutation, or other input, is a client error.
    other = await melanie.post(WITHDRAW, {"id": first["id"]}, Idempotency_Key=key)
    assert error(other)["extensions"] == {"code": "BAD_USER_INPUT", "field": "Idempotency-Key"}
    changed = await melanie.post(
        RECORD_CONSENT, {"input": consent_input(method="VERBAL")}, Idempotency_Key=key
    )
    assert error(changed)["extensions"]["field"] == "Idempotency-Key"
    # Another caller's identical key is theirs, not a replay of Melanie's.
    lee = ok(
        await as_viewer(practitioner_id="p-lee").post(
            RECORD_CONSENT, {"input": consent_input()}, Idempotency_Key=key
        ),
        "recordConsent",
    )
    assert lee["id"] != first["id"]
    assert _grants(sync_driver) == 2


async def test_concurrent_retries_create_once(as_viewer, sync_driver) -> None:
    import asyncio

    melanie = as_viewer(practitioner_id="p-melanie")
    key = f"consent-test-{uuid.uuid4()}"
    bodies = await asyncio.gather(
        *(
            melanie.post(RECORD_CONSENT, {"input": consent_input()}, Idempotency_Key=key)
            for _ in range(4)
        )
    )
    assert len({ok(b, "recordConsent")["id"] for b in bodies}) == 1
    assert _grants(sync_driver) == 1


async def test_a_withdrawal_retried_after_success_returns_the_withdrawn_grant(as_viewer) -> None:
    melanie = as_viewer(practitioner_id="p-melanie")
    record = await grant(melanie)
    key = f"consent-test-{uuid.uuid4()}"
    first = ok(
        await melanie.post(WITHDRAW, {"id": record["id"]}, Idempotency_Key=key), "withdrawConsent"
    )
    retry = ok(
        await melanie.post(WITHDRAW, {"id": record["id"]}, Idempotency_Key=key), "withdrawConsent"
    )
    assert first == retry and retry["state"] == "WITHDRAWN"


async def test_one_key_covers_one_mutation(as_viewer, sync_driver) -> None:
    body = await as_viewer(practitioner_id="p-melanie").post(
        """
        mutation($i: RecordConsentInput!) {
          a: recordConsent(input: $i) { id }
          b: recordConsent(input: $i) { id }
        }
        """,
        {"i": consent_input()},
        Idempotency_Key=f"consent-test-{uuid.uuid4()}",
    )
    assert set(codes(body)) == {"BAD_USER_INPUT"}
    assert _grants(sync_driver) == 0


async def test_mutations_need_a_purpose(as_viewer, sync_driver) -> None:
    body = await as_viewer(practitioner_id="p-melanie", purpose=None).post(
        RECORD_CONSENT, {"input": consent_input()}
    )
    assert body["data"] is None and codes(body) == ["BAD_USER_INPUT"]
    assert _grants(sync_driver) == 0


async def test_a_refused_attempt_does_not_use_up_its_key(as_viewer, sync_driver) -> None:
    """The key is claimed inside the mutation's transaction: a refusal rolls it back too."""
    melanie = as_viewer(practitioner_id="p-melanie")
    key = f"consent-test-{uuid.uuid4()}"
    wrong = consent_input(givenByChild=False, givenByCarerId="k-sam-father")
    assert codes(await melanie.post(RECORD_CONSENT, {"input": wrong}, Idempotency_Key=key)) == [
        "BAD_USER_INPUT"
    ]
    fixed = consent_input(givenByChild=False, givenByCarerId="k-karen")
    assert ok(
        await melanie.post(RECORD_CONSENT, {"input": fixed}, Idempotency_Key=key), "recordConsent"
    )
    assert _grants(sync_driver) == 1


async def test_a_key_is_remembered_for_a_day(as_viewer, sync_driver) -> None:
    melanie = as_viewer(practitioner_id="p-melanie")
    key = f"consent-test-{uuid.uuid4()}"
    first = ok(
        await melanie.post(RECORD_CONSENT, {"input": consent_input()}, Idempotency_Key=key),
        "recordConsent",
    )
    sync_driver.execute_query(
        "MATCH (r:IdempotencyRecord {key: $key}) SET r.createdAt = r.createdAt - duration('PT25H')",
        key=key,
    )
    later = ok(
        await melanie.post(RECORD_CONSENT, {"input": consent_input()}, Idempotency_Key=key),
        "recordConsent",
    )
    assert later["id"] != first["id"]
    assert _grants(sync_driver) == 2
    assert (
        count(sync_driver, "MATCH (r:IdempotencyRecord {key: $key}) RETURN count(r)", key=key) == 1
    )
