"""The lead professional: one source of truth, whoever sets it (issue 19).

appointLeadProfessional, recordOwnInvolvement(isLeadProfessional) and a feed's
START_INVOLVEMENT all write the one LEAD_PROFESSIONAL_FOR relationship;
standDownLeadProfessional removes it; appointFamilyLead makes a carer or the young
person the lead (CAF guide 3.8, R10), shown as Child.familyLead under R4. Migration
0025 moves older feed flags onto the relationship.
"""

from __future__ import annotations

import json

import pytest

from graph import migrations
from tests.api.consent_support import APPOINT_LEAD, codes, count, error, fresh_family, ok

__all__ = ["fresh_family"]

pytestmark = pytest.mark.usefixtures("fresh_family")

VIEW = """
  id
  leadProfessional { id name }
  familyLead { kind name since carer { id name contact { phone } } }
  involvements { id isLeadProfessional }
"""
STAND_DOWN = f"""
mutation S($childId: ID!, $reason: String!) {{
  standDownLeadProfessional(childId: $childId, reason: $reason) {{ {VIEW} }}
}}
"""
FAMILY = f"""
mutation F($childId: ID!, $carerId: ID, $competent: Boolean) {{
  appointFamilyLead(childId: $childId, carerId: $carerId, competenceAssessed: $competent) {{
    {VIEW}
  }}
}}
"""
CHILD = f"query C($id: ID!) {{ child(id: $id) {{ {VIEW} }} }}"


def _leads(driver, child: str = "c-hannah") -> int:
    return count(
        driver, "MATCH ()-[l:LEAD_PROFESSIONAL_FOR]->(:Child {id: $c}) RETURN count(l)", c=child
    )


async def test_a_lead_stands_down_and_the_index_says_so(as_viewer, sync_driver) -> None:
    melanie = as_viewer(practitioner_id="p-melanie")
    ok(
        await melanie.post(APPOINT_LEAD, {"childId": "c-hannah", "practitionerId": "p-lee"}),
        "appointLeadProfessional",
    )
    lee = as_viewer(practitioner_id="p-lee")
    body = await lee.post(STAND_DOWN, {"childId": "c-hannah", "reason": "leaving the service"})
    child = ok(body, "standDownLeadProfessional")
    assert child["leadProfessional"] is None and child["familyLead"] is None
    assert not any(i["isLeadProfessional"] for i in child["involvements"])
    assert _leads(sync_driver) == 0
    # Nobody leading: answered the same, changing nothing.
    again = ok(
        await lee.post(STAND_DOWN, {"childId": "c-hannah", "reason": "again"}),
        "standDownLeadProfessional",
    )
    assert again == child
    blank = await lee.post(STAND_DOWN, {"childId": "c-hannah", "reason": " "})
    assert error(blank)["extensions"] == {"code": "BAD_USER_INPUT", "field": "reason"}


async def test_only_those_who_may_record_a_lead_stand_one_down(as_viewer) -> None:
    melanie = as_viewer(practitioner_id="p-melanie")
    ok(
        await melanie.post(APPOINT_LEAD, {"childId": "c-hannah", "practitionerId": "p-lee"}),
        "appointLeadProfessional",
    )
    outsider = as_viewer(practitioner_id="p-eastvale")
    body = await outsider.post(STAND_DOWN, {"childId": "c-hannah", "reason": "not mine"})
    assert codes(body) == ["FORBIDDEN"]
    analyst = as_viewer("ANALYST", practitioner_id=None)
    assert codes(await analyst.post(STAND_DOWN, {"childId": "c-hannah", "reason": "x"})) == [
        "FORBIDDEN"
    ]
    unknown = await melanie.post(STAND_DOWN, {"childId": "c-nobody", "reason": "x"})
    assert codes(unknown) == ["NOT_FOUND"]
    seen = ok(await melanie.post(CHILD, {"id": "c-hannah"}), "child")
    assert seen["leadProfessional"]["id"] == "p-lee"


async def test_a_carer_with_parental_responsibility_may_lead(as_viewer, sync_driver) -> None:
    melanie = as_viewer(practitioner_id="p-melanie")
    ok(
        await melanie.post(APPOINT_LEAD, {"childId": "c-hannah", "practitionerId": "p-lee"}),
        "appointLeadProfessional",
    )
    child = ok(
        await melanie.post(FAMILY, {"childId": "c-hannah", "carerId": "k-karen"}),
        "appointFamilyLead",
    )
    assert child["leadProfessional"] is None
    lead = child["familyLead"]
    assert lead["kind"] == "CARER" and lead["carer"]["id"] == "k-karen"
    assert lead["name"] == lead["carer"]["name"] and lead["carer"]["contact"] is not None
    assert _leads(sync_driver) == 1
    # Another practitioner sees the same lead.
    seen = ok(await as_viewer(practitioner_id="p-steve").post(CHILD, {"id": "c-hannah"}), "child")
    assert seen["familyLead"]["carer"]["id"] == "k-karen"
    # Sam's father is not Hannah's carer.
    other = await melanie.post(FAMILY, {"childId": "c-hannah", "carerId": "k-sam-father"})
    assert error(other)["extensions"] == {"code": "BAD_USER_INPUT", "field": "carerId"}


async def test_the_young_person_leads_only_when_r10_lets_them_decide(as_viewer) -> None:
    melanie = as_viewer(practitioner_id="p-melanie")  # Hannah is 15: competence needed
    body = await melanie.post(FAMILY, {"childId": "c-hannah"})
    assert error(body)["extensions"] == {"code": "BAD_USER_INPUT", "field": "competenceAssessed"}
    child = ok(
        await melanie.post(FAMILY, {"childId": "c-hannah", "competent": True}), "appointFamilyLead"
    )
    assert child["familyLead"]["kind"] == "YOUNG_PERSON"
    assert child["familyLead"]["name"] == "Hannah Whitlock"
    assert child["familyLead"]["carer"] is None
    # Ellie is 9: never, competence or not.
    school = as_viewer(practitioner_id="p-melanie")
    young = await school.post(FAMILY, {"childId": "c-ellie", "competent": True})
    assert codes(young) == ["BAD_USER_INPUT"]
    # A practitioner appointed afterwards replaces her: one lead a child.
    replaced = ok(
        await melanie.post(APPOINT_LEAD, {"childId": "c-hannah", "practitionerId": "p-melanie"}),
        "appointLeadProfessional",
    )
    assert replaced["leadProfessional"]["id"] == "p-melanie"
    seen = ok(await melanie.post(CHILD, {"id": "c-hannah"}), "child")
    assert seen["familyLead"] is None


async def test_a_shielded_childs_family_lead_is_whereabouts(as_viewer, sync_driver) -> None:
    """R4: Sam's family and who leads for him are withheld; only his index team sees the
    lead, and naming his carer is not for a practitioner without a shield lift."""
    sync_driver.execute_query(
        "MATCH (k:Carer {id: 'k-sam-father'}), (c:Child {id: 'c-sam'}) "
        "MERGE (k)-[l:LEAD_PROFESSIONAL_FOR]->(c) SET l.since = date(), l.setBy = 'test'"
    )
    eastvale = as_viewer(practitioner_id="p-eastvale")
    seen = ok(await eastvale.post(CHILD, {"id": "c-sam"}), "child")
    assert seen["familyLead"] is None and seen["leadProfessional"] is None
    assert "k-sam-father" not in json.dumps(seen)
    admin = as_viewer("INDEX_ADMIN", practitioner_id=None, local_authority="NBR")
    mine = ok(await admin.post(CHILD, {"id": "c-sam"}), "child")
    assert mine["familyLead"]["carer"]["id"] == "k-sam-father"
    body = await eastvale.post(FAMILY, {"childId": "c-sam", "carerId": "k-sam-father"})
    nobody = await eastvale.post(FAMILY, {"childId": "c-sam", "carerId": "k-nobody"})
    assert error(body) == error(nobody)


def test_migration_0025_moves_a_feeds_lead_onto_the_relationship(sync_driver) -> None:
    sync_driver.execute_query(
        "MATCH (i:Involvement {id: 'i-hannah-youth'}) SET i.isLeadProfessional = true"
    )
    (lead_migration,) = [m for m in migrations.available() if m.id == "0025"]
    for statement in lead_migration.statements():
        sync_driver.execute_query(statement)
    rows, _, _ = sync_driver.execute_query(
        "MATCH (p)-[l:LEAD_PROFESSIONAL_FOR]->(:Child {id: 'c-hannah'}) "
        "RETURN p.id AS id, l.involvementId AS via, l.setBy AS setBy"
    )
    assert [r.data() for r in rows] == [
        {"id": "p-lee", "via": "i-hannah-youth", "setBy": "feed:youth-service"}
    ]
    assert (
        count(
            sync_driver,
            "MATCH (i:Involvement) WHERE i.isLeadProfessional IS NOT NULL RETURN count(i)",
        )
        == 0
    )
