"""Documents and clean-up shared by the consent, assessment and override tests.

Hannah's story is loaded once per session, so every test that records consent, a CAF,
an override or a lead professional puts the family back as it found it (`fresh_family`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import neo4j
import pytest

from tests.queries import CHILD_FIELDS, PRACTITIONER

FAMILY = ("c-hannah", "c-jack", "c-ellie", "c-sam")

GRANT_FIELDS = """
  id childId purpose state givenByChild competenceAssessed coversServiceIds coversAssessmentId
  grantedToPractitionerIds grantedToServiceIds method recordedOn expiresOn withdrawnOn
  givenByCarer { id name relationship parentalResponsibility contact { phone email } }
"""

RECORD_CONSENT = f"""
mutation Record($input: RecordConsentInput!) {{ recordConsent(input: $input) {{ {GRANT_FIELDS} }} }}
"""

RECORD_REFUSAL = f"""
mutation Refuse($input: RecordRefusalInput!) {{
  recordConsentRefusal(input: $input) {{ {GRANT_FIELDS} }}
}}
"""

WITHDRAW = f"""
mutation Withdraw($id: ID!, $reason: String) {{
  withdrawConsent(id: $id, reason: $reason) {{ {GRANT_FIELDS} }}
}}
"""

CONSENTS = f"query Consents($childId: ID!) {{ consents(childId: $childId) {{ {GRANT_FIELDS} }} }}"

ASSESSMENT_FIELDS = f"""
  id status startedOn closedOn closeReason nextReviewOn strengths
  holder {{ id name }}
  needs {{ domain element summary }}
  actions {{ id description dueOn doneOn owner {{ id name }} }}
  teamAroundTheChild {{ {PRACTITIONER} }}
"""

START = f"""
mutation Start($input: StartAssessmentInput!) {{
  startAssessment(input: $input) {{ {ASSESSMENT_FIELDS} }}
}}
"""

ADD_NEED = f"""
mutation AddNeed($id: ID!, $need: NeedInput!) {{
  addNeed(assessmentId: $id, need: $need) {{ {ASSESSMENT_FIELDS} }}
}}
"""

ADD_STRENGTH = f"""
mutation AddStrength($id: ID!, $strength: String!) {{
  addStrength(assessmentId: $id, strength: $strength) {{ {ASSESSMENT_FIELDS} }}
}}
"""

ADD_ACTION = f"""
mutation AddAction($id: ID!, $description: String!, $ownerId: ID, $dueOn: Date) {{
  addDeliveryAction(assessmentId: $id, description: $description, ownerId: $ownerId,
    dueOn: $dueOn) {{ {ASSESSMENT_FIELDS} }}
}}
"""

UPDATE_ACTION = f"""
mutation UpdateAction($id: ID!, $doneOn: Date) {{
  updateDeliveryAction(actionId: $id, doneOn: $doneOn) {{ {ASSESSMENT_FIELDS} }}
}}
"""

ADD_MEMBER = f"""
mutation AddMember($id: ID!, $practitionerId: ID!) {{
  addTeamMember(assessmentId: $id, practitionerId: $practitionerId) {{ {ASSESSMENT_FIELDS} }}
}}
"""

APPOINT_LEAD = f"""
mutation Appoint($childId: ID!, $practitionerId: ID!) {{
  appointLeadProfessional(childId: $childId, practitionerId: $practitionerId) {{ {CHILD_FIELDS} }}
}}
"""

SET_REVIEW = f"""
mutation Review($id: ID!, $on: Date!) {{
  setNextReview(assessmentId: $id, nextReviewOn: $on) {{ {ASSESSMENT_FIELDS} }}
}}
"""

CLOSE = f"""
mutation Close($id: ID!, $status: AssessmentStatus!, $reason: String!) {{
  closeAssessment(assessmentId: $id, status: $status, reason: $reason) {{ {ASSESSMENT_FIELDS} }}
}}
"""

READ_CAF = f"""
query Caf($childId: ID!, $id: ID!) {{
  child(id: $childId) {{ id hasCommonAssessment assessment(id: $id) {{ {ASSESSMENT_FIELDS} }} }}
}}
"""

OVERRIDE_FIELDS = """
  id childId ground justification recordedAt expiresAt liftsShielding active
  recordedBy { id name }
"""

RECORD_OVERRIDE = f"""
mutation Override($input: RecordOverrideInput!) {{
  recordAccessOverride(input: $input) {{ {OVERRIDE_FIELDS} }}
}}
"""

FOR_REVIEW = (
    f"query Review($first: Int) {{ overridesForReview(first: $first) {{ {OVERRIDE_FIELDS} }} }}"
)

SHARING_DECISION = """
mutation Decide($childId: ID!, $shared: Boolean!, $withConsent: Boolean!, $recipient: String!,
  $reason: String!) {
  recordSharingDecision(childId: $childId, shared: $shared, withConsent: $withConsent,
    recipient: $recipient, reason: $reason) {
    id childId shared withConsent recipient reason recordedAt recordedBy { id name }
  }
}
"""


def consent_input(**overrides: Any) -> dict[str, Any]:
    """Hannah's own consent (15, competence assessed), recorded in writing."""
    base: dict[str, Any] = {
        "childId": "c-hannah",
        "purpose": "UNDERTAKE_ASSESSMENT",
        "givenByChild": True,
        "childCompetenceAssessed": True,
        "method": "WRITTEN",
    }
    base.update(overrides)
    return base


def codes(body: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors", ())]


def error(body: dict[str, Any]) -> dict[str, Any]:
    assert body.get("errors"), body
    first: dict[str, Any] = body["errors"][0]
    return first


def same_as_missing(hidden: dict[str, Any], missing: dict[str, Any], what: str) -> None:
    """No oracle: the answer about something not there for the caller is byte for byte
    the answer about an id that does not exist (NOT_FOUND)."""
    assert error(hidden)["extensions"]["code"] == "NOT_FOUND", (what, hidden)
    assert hidden.get("data") == missing.get("data"), what
    assert error(hidden)["message"] == error(missing)["message"], what
    assert json.dumps(error(hidden)["extensions"]) == json.dumps(error(missing)["extensions"]), what


def ok(body: dict[str, Any], field: str) -> Any:
    assert "errors" not in body, body
    return body["data"][field]


async def grant(caller: Any, **overrides: Any) -> dict[str, Any]:
    body = await caller.post(RECORD_CONSENT, {"input": consent_input(**overrides)})
    result: dict[str, Any] = ok(body, "recordConsent")
    return result


async def start_caf(melanie: Any, child_id: str = "c-hannah", **extra: Any) -> dict[str, Any]:
    """Consent to undertake and to store (the child's own, or `extra` for a carer), then start."""
    ids = []
    for purpose in ("UNDERTAKE_ASSESSMENT", "STORE_ASSESSMENT"):
        record = await grant(melanie, childId=child_id, purpose=purpose, **extra)
        ids.append(record["id"])
    body = await melanie.post(START, {"input": {"childId": child_id, "consentIds": ids}})
    result: dict[str, Any] = ok(body, "startAssessment")
    return result


async def join_team(holder: Any, caf_id: str, practitioner_id: str) -> dict[str, Any]:
    """The holder records SHARE_ASSESSMENT consent naming the practitioner (R8), then adds
    them to the team around the child: the CAF as the holder then reads it."""
    await grant(
        holder,
        purpose="SHARE_ASSESSMENT",
        coversAssessmentId=caf_id,
        grantedToPractitionerIds=[practitioner_id],
    )
    added: dict[str, Any] = ok(
        await holder.post(ADD_MEMBER, {"id": caf_id, "practitionerId": practitioner_id}),
        "addTeamMember",
    )
    return added


def count(driver: neo4j.Driver, cypher: str, **params: Any) -> int:
    records, _, _ = driver.execute_query(cypher, params)
    return int(records[0][0])


def clean(driver: neo4j.Driver, child_ids: tuple[str, ...] = FAMILY) -> None:
    """Remove what the consent, CAF and override mutations add to these children."""
    driver.execute_query(
        """
        MATCH (c:Child) WHERE c.id IN $ids
        OPTIONAL MATCH (a:Assessment)-[:ABOUT]->(c)
        OPTIONAL MATCH (x)-[:OF]->(a)
          WHERE x:AssessmentNeed OR x:DeliveryAction OR x:AssessmentReview OR x:CourseEvent
            OR x:OutcomeCheck
        OPTIONAL MATCH (np:NeedProgress)-[:IN]->(x)
        DETACH DELETE np, x, a
        """,
        ids=list(child_ids),
    )
    driver.execute_query(
        """
        MATCH (c:Child) WHERE c.id IN $ids
        OPTIONAL MATCH (n)-[:ABOUT|FOR]->(c)
          WHERE n:ConsentGrant OR n:AccessOverride OR n:SharingDecision
        DETACH DELETE n
        """,
        ids=list(child_ids),
    )
    driver.execute_query(
        """
        MATCH (c:Child) WHERE c.id IN $ids
        OPTIONAL MATCH ()-[l:LEAD_PROFESSIONAL_FOR]->(c) DELETE l
        WITH DISTINCT c
        OPTIONAL MATCH (i:Involvement)-[:OF]->(c) WHERE i.source STARTS WITH 'practitioner:'
        DETACH DELETE i
        """,
        ids=list(child_ids),
    )


@pytest.fixture
def fresh_family(sync_driver: neo4j.Driver) -> Iterator[neo4j.Driver]:
    clean(sync_driver)
    yield sync_driver
    clean(sync_driver)


def share_contact_details(child_id: str, covers: list[str], **to: list[str]) -> dict[str, Any]:
    """recordConsent's variables: the child's own written SHARE_CONTACT_DETAILS covering
    `covers`, granted `to` (grantedToPractitionerIds= or grantedToServiceIds=)."""
    given = {"givenByChild": True, "childCompetenceAssessed": True, "method": "WRITTEN"}
    return {
        "input": {
            "childId": child_id,
            "purpose": "SHARE_CONTACT_DETAILS",
            "coversServiceIds": covers,
            **given,
            **to,
        }
    }
