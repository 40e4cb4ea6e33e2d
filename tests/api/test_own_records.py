"""A practitioner's own record on the index through GraphQL (CAF guide 2.15, issue 19):
recordOwnInvolvement, endOwnInvolvement, registerPaperAssessment, under R4-R7."""

from __future__ import annotations

import json

import pytest

from policies.viewer import Role
from tests.api.consent_support import (
    APPOINT_LEAD,
    RECORD_OVERRIDE,
    codes,
    count,
    error,
    fresh_family,
    ok,
)

__all__ = ["fresh_family"]

pytestmark = pytest.mark.usefixtures("fresh_family")

VIEW = """
  id hasCommonAssessment
  leadProfessional { id }
  involvements { id source isLeadProfessional active endedOn practitioner { id } service { id } }
  commonAssessments { id status holder { id } }
"""
RECORD_OWN = f"""
mutation Own($input: RecordOwnInvolvementInput!) {{ recordOwnInvolvement(input: $input) {{ {VIEW} }} }}
"""
END_OWN = f"""
mutation End($input: EndOwnInvolvementInput!) {{ endOwnInvolvement(input: $input) {{ {VIEW} }} }}
"""
PAPER = f"""
mutation Paper($childId: ID!) {{ registerPaperAssessment(childId: $childId) {{ {VIEW} }} }}
"""
CHILD = f"query C($id: ID!) {{ child(id: $id) {{ {VIEW} }} }}"


def _own(body_child: dict, source: str) -> list[dict]:
    return [i for i in body_child["involvements"] if i["source"] == source]


async def test_a_practitioner_records_and_ends_their_own_involvement(
    as_viewer, sync_driver
) -> None:
    steve = as_viewer(practitioner_id="p-steve")  # housing: already involved with Hannah
    gp_team = as_viewer(practitioner_id="p-gp")
    body = await gp_team.post(
        RECORD_OWN,
        {"input": {"childId": "c-jack", "purpose": "asthma review", "isLeadProfessional": True}},
    )
    jack = ok(body, "recordOwnInvolvement")
    (mine,) = _own(jack, "practitioner:p-gp")
    assert mine["practitioner"]["id"] == "p-gp" and mine["service"]["id"] == "s-riverside-gp"
    assert mine["active"] and mine["isLeadProfessional"]
    assert jack["leadProfessional"] == {"id": "p-gp"}
    # Shown to others like any involvement (R5), with the lead.
    seen = ok(await steve.post(CHILD, {"id": "c-jack"}), "child")
    assert [i["id"] for i in _own(seen, "practitioner:p-gp")] == [mine["id"]]
    assert seen["leadProfessional"] == {"id": "p-gp"}
    # Recording it again writes nothing new.
    again = ok(
        await gp_team.post(RECORD_OWN, {"input": {"childId": "c-jack", "purpose": "again"}}),
        "recordOwnInvolvement",
    )
    assert len(_own(again, "practitioner:p-gp")) == 1
    # The purpose is kept with it and in the audit event, not on the index.
    assert "asthma" not in json.dumps(seen)
    assert (
        count(
            sync_driver,
            "MATCH (i:Involvement {id: $id}) WHERE i.purpose = 'asthma review' RETURN count(i)",
            id=mine["id"],
        )
        == 1
    )
    ended = ok(
        await gp_team.post(END_OWN, {"input": {"childId": "c-jack", "reason": "discharged"}}),
        "endOwnInvolvement",
    )
    (gone,) = _own(ended, "practitioner:p-gp")
    assert gone["active"] is False and gone["isLeadProfessional"] is False
    # The lead stood on that involvement: its end stands the GP down, for everyone, and
    # the child's other practitioners hear of it in the same write.
    assert ended["leadProfessional"] is None
    assert ok(await steve.post(CHILD, {"id": "c-jack"}), "child")["leadProfessional"] is None
    assert (
        count(
            sync_driver,
            "MATCH ()-[r:LEAD_PROFESSIONAL_FOR]->(:Child {id: 'c-jack'}) RETURN count(r)",
        )
        == 0
    )
    assert (
        count(
            sync_driver,
            "MATCH (e:OutboxEvent {kind: 'LEAD_STOOD_DOWN', childId: 'c-jack', practitionerId: 'p-gp'})"
            " RETURN count(e)",
        )
        == 1
    )
    # Nothing open left to end: said so, with the field.
    body = await gp_team.post(END_OWN, {"input": {"childId": "c-jack"}})
    assert error(body)["extensions"] == {"code": "BAD_USER_INPUT", "field": "input.childId"}


async def test_a_feeds_involvement_is_not_ended_by_a_practitioner(as_viewer) -> None:
    melanie = as_viewer(practitioner_id="p-melanie")
    body = await melanie.post(END_OWN, {"input": {"childId": "c-hannah"}})
    assert codes(body) == ["BAD_USER_INPUT"]
    seen = ok(await melanie.post(CHILD, {"id": "c-hannah"}), "child")
    school = next(i for i in seen["involvements"] if i["id"] == "i-hannah-school")
    assert school["active"] is True


async def test_a_team_involvement_names_no_practitioner(as_viewer) -> None:
    libby = as_viewer(practitioner_id="p-libby")
    ellie = ok(
        await libby.post(
            RECORD_OWN,
            {"input": {"childId": "c-ellie", "purpose": "sibling group", "forTeam": True}},
        ),
        "recordOwnInvolvement",
    )
    (team,) = _own(ellie, "practitioner:p-libby")
    assert team["practitioner"] is None and team["service"]["id"] == "s-young-carers"
    lead = await libby.post(
        RECORD_OWN,
        {
            "input": {
                "childId": "c-ellie",
                "purpose": "x",
                "forTeam": True,
                "isLeadProfessional": True,
            }
        },
    )
    assert error(lead)["extensions"] == {
        "code": "BAD_USER_INPUT",
        "field": "input.isLeadProfessional",
    }


async def test_a_sensitive_services_own_involvement_stays_within_r6(as_viewer) -> None:
    """The clinic nurse records her own involvement with Jack: R6 shows it to her and to
    nobody else, not as a lead professional either, and not in the answer's shape."""
    nurse = as_viewer(practitioner_id="p-nurse")
    mine = ok(
        await nurse.post(
            RECORD_OWN,
            {"input": {"childId": "c-jack", "purpose": "clinic visit", "isLeadProfessional": True}},
        ),
        "recordOwnInvolvement",
    )
    assert [i["service"]["id"] for i in _own(mine, "practitioner:p-nurse")] == [
        "s-nbr-sexual-health"
    ]
    for other in ("p-melanie", "p-gp", "p-camhs"):
        seen = await as_viewer(practitioner_id=other).post(CHILD, {"id": "c-jack"})
        text = json.dumps(ok(seen, "child"))
        assert "p-nurse" not in text and "sexual-health" not in text
        assert ok(seen, "child")["leadProfessional"] is None
    admin = as_viewer(Role.INDEX_ADMIN, practitioner_id=None)
    text = json.dumps(ok(await admin.post(CHILD, {"id": "c-jack"}), "child"))
    assert "p-nurse" not in text


async def test_wrong_roles_and_unknown_children(as_viewer) -> None:
    for role in (Role.ANALYST, Role.AUDITOR, Role.INDEX_ADMIN):
        body = await as_viewer(role, practitioner_id=None).post(
            RECORD_OWN, {"input": {"childId": "c-hannah", "purpose": "x"}}
        )
        assert codes(body) == ["FORBIDDEN"], body
    lee = as_viewer(practitioner_id="p-lee")
    unknown = await lee.post(RECORD_OWN, {"input": {"childId": "c-nobody", "purpose": "x"}})
    assert error(unknown)["extensions"]["code"] == "NOT_FOUND"
    future = await lee.post(
        RECORD_OWN, {"input": {"childId": "c-hannah", "purpose": "x", "startedOn": "2999-01-01"}}
    )
    assert error(future)["extensions"] == {"code": "BAD_USER_INPUT", "field": "input.startedOn"}
    blank = await lee.post(RECORD_OWN, {"input": {"childId": "c-hannah", "purpose": "  "}})
    assert error(blank)["extensions"] == {"code": "BAD_USER_INPUT", "field": "input.purpose"}


async def test_a_shielded_childs_own_involvement_answers_alike(as_viewer) -> None:
    """R4: whether Lee's service already works with Sam must change no answer."""
    lee = as_viewer(practitioner_id="p-lee")
    first = await lee.post(END_OWN, {"input": {"childId": "c-sam", "forTeam": True}})
    recorded = ok(
        await lee.post(RECORD_OWN, {"input": {"childId": "c-sam", "purpose": "outreach"}}),
        "recordOwnInvolvement",
    )
    assert recorded["involvements"] == [] and recorded["leadProfessional"] is None
    again = ok(
        await lee.post(RECORD_OWN, {"input": {"childId": "c-sam", "purpose": "outreach"}}),
        "recordOwnInvolvement",
    )
    assert again == recorded
    nothing = await lee.post(END_OWN, {"input": {"childId": "c-sam", "forTeam": True}})
    assert first["data"] == nothing["data"] and "errors" not in nothing


async def test_a_paper_caf_is_an_indicator_and_a_holder(as_viewer, sync_driver) -> None:
    libby = as_viewer(practitioner_id="p-libby")
    hannah = ok(await libby.post(PAPER, {"childId": "c-hannah"}), "registerPaperAssessment")
    assert hannah["hasCommonAssessment"] is True
    (caf,) = hannah["commonAssessments"]
    assert caf["status"] == "OPEN" and caf["holder"] == {"id": "p-libby"}
    assert (
        count(
            sync_driver,
            "MATCH (a:Assessment {id: $id}) WHERE a.onPaper AND a.source = 'practitioner:p-libby'"
            " AND NOT EXISTS { (:AssessmentNeed)-[:OF]->(a) } RETURN count(a)",
            id=caf["id"],
        )
        == 1
    )
    twice = await libby.post(PAPER, {"childId": "c-hannah"})
    assert error(twice)["extensions"] == {"code": "BAD_USER_INPUT", "field": "childId"}
    # Not involved with Ellie and no override: no standing to say a CAF exists.
    body = await as_viewer(practitioner_id="p-steve").post(PAPER, {"childId": "c-ellie"})
    assert codes(body) == ["FORBIDDEN"]


async def test_naming_oneself_lead_never_takes_the_role_from_another(as_viewer) -> None:
    """Recording one's involvement is open to any practitioner who finds the child; taking
    the lead from whoever has it is not (they stand down, or the team appoints)."""
    melanie = as_viewer(practitioner_id="p-melanie")
    ok(
        await melanie.post(APPOINT_LEAD, {"childId": "c-hannah", "practitionerId": "p-melanie"}),
        "appointLeadProfessional",
    )
    eastvale = as_viewer(practitioner_id="p-eastvale")
    body = await eastvale.post(
        RECORD_OWN,
        {"input": {"childId": "c-hannah", "purpose": "x", "isLeadProfessional": True}},
    )
    assert error(body)["extensions"] == {
        "code": "BAD_USER_INPUT",
        "field": "input.isLeadProfessional",
    }
    seen = ok(await melanie.post(CHILD, {"id": "c-hannah"}), "child")
    assert seen["leadProfessional"] == {"id": "p-melanie"}
    assert _own(seen, "practitioner:p-eastvale") == []  # the whole write was refused
    # Melanie herself may confirm she leads.
    ok(
        await melanie.post(
            RECORD_OWN,
            {"input": {"childId": "c-hannah", "purpose": "mentor", "isLeadProfessional": True}},
        ),
        "recordOwnInvolvement",
    )
    # Sam (shielded): who leads is whereabouts, refused alike whoever leads (R4).
    lee = as_viewer(practitioner_id="p-lee")
    first = await lee.post(
        RECORD_OWN, {"input": {"childId": "c-sam", "purpose": "x", "isLeadProfessional": True}}
    )
    assert codes(first) == ["FORBIDDEN"]


async def test_a_lead_appointed_otherwise_outlives_an_own_involvement(as_viewer) -> None:
    """Only the lead named on an involvement ends with it: a GP appointed lead on the CAF
    who also records (and later ends) an own involvement as lead stays the lead."""
    gp = as_viewer(practitioner_id="p-gp")
    ok(
        await gp.post(APPOINT_LEAD, {"childId": "c-jack", "practitionerId": "p-gp"}),
        "appointLeadProfessional",
    )
    mine = ok(
        await gp.post(
            RECORD_OWN,
            {"input": {"childId": "c-jack", "purpose": "asthma", "isLeadProfessional": True}},
        ),
        "recordOwnInvolvement",
    )
    assert mine["leadProfessional"] == {"id": "p-gp"}
    ended = ok(
        await gp.post(END_OWN, {"input": {"childId": "c-jack", "reason": "discharged"}}),
        "endOwnInvolvement",
    )
    assert ended["leadProfessional"] == {"id": "p-gp"}


async def test_a_lead_r6_hides_is_no_lead_to_whoever_names_themselves(
    as_viewer, sync_driver
) -> None:
    """Red team (HIGH): refusing Melanie because CAMHS leads for Jack, while Jack's index
    view shows no lead, told her that Jack goes to a sensitive service. A lead she may not
    see is, for her, nobody: she is answered as for Ellie, whom nobody leads, and the
    CAMHS practitioner is stood down and told, as an appointment by the team would."""
    camhs = as_viewer(practitioner_id="p-camhs")
    ok(
        await camhs.post(
            RECORD_OWN,
            {"input": {"childId": "c-jack", "purpose": "therapy", "isLeadProfessional": True}},
        ),
        "recordOwnInvolvement",
    )
    melanie = as_viewer(practitioner_id="p-melanie")
    assert ok(await melanie.post(CHILD, {"id": "c-jack"}), "child")["leadProfessional"] is None
    answers = {}
    for child in ("c-jack", "c-ellie"):
        body = await melanie.post(
            RECORD_OWN,
            {"input": {"childId": child, "purpose": "mentoring", "isLeadProfessional": True}},
        )
        answers[child] = ok(body, "recordOwnInvolvement")["leadProfessional"]
    assert answers == {"c-jack": {"id": "p-melanie"}, "c-ellie": {"id": "p-melanie"}}
    assert (
        count(
            sync_driver,
            "MATCH (e:OutboxEvent {kind: 'LEAD_STOOD_DOWN', childId: 'c-jack',"
            " practitionerId: 'p-camhs'}) RETURN count(e)",
        )
        == 1
    )
    # A lead she can see still stands in her way (they stand down first).
    lee = as_viewer(practitioner_id="p-lee")
    body = await lee.post(
        RECORD_OWN,
        {"input": {"childId": "c-jack", "purpose": "youth club", "isLeadProfessional": True}},
    )
    assert error(body)["extensions"] == {
        "code": "BAD_USER_INPUT",
        "field": "input.isLeadProfessional",
    }


async def test_a_paper_caf_on_a_shielded_child_is_for_his_index_team(
    as_viewer, sync_driver
) -> None:
    """Red team (LOW, R4/R9): Steve, with a practitioner's override (which does not lift
    the shield), registered a paper CAF on Sam and so became a holder who could name
    himself lead. Refused before anything is written, alike for someone involved, someone
    not, and someone with that override; a safeguarding lead's override lifts it."""
    steve = as_viewer(practitioner_id="p-steve")
    ok(
        await steve.post(
            RECORD_OVERRIDE,
            {
                "input": {
                    "childId": "c-sam",
                    "ground": "SIGNIFICANT_HARM_EVIDENCE",
                    "justification": "housing officer: evidence of risk of significant harm",
                }
            },
        ),
        "recordAccessOverride",
    )
    answers = [
        (await as_viewer(practitioner_id=who).post(PAPER, {"childId": "c-sam"}))["errors"]
        for who in ("p-steve", "p-eastvale", "p-melanie")
    ]
    assert answers[0] == answers[1] == answers[2]
    assert answers[0][0]["extensions"]["code"] == "FORBIDDEN"
    assert (
        count(sync_driver, "MATCH (a:Assessment)-[:ABOUT]->(:Child {id: 'c-sam'}) RETURN count(a)")
        == 0
    )
