"""Hannah's story carried on (ICS guidance note 3.1, 4.2, 4.3; CAF guide 2.7, 4.9, 4.10):
the first review three months in, a second review that steps up to social care when her
mother's illness worsens, the step down, Lee handing over the holder role when he leaves,
and the family's own copy of the CAF. Every step is a GraphQL request; the assertions are
what each person may and may not see afterwards (R6, R7, R8, R17).

Time passes between the steps of the story: the CAF's start and review dates are moved
back in the graph (as the months would), never the clock.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import neo4j
import pytest
from pypdf import PdfReader

from tests.api.consent_support import (
    ADD_ACTION,
    ADD_MEMBER,
    codes,
    error,
    fresh_family,
    grant,
    ok,
    start_caf,
)

__all__ = ["fresh_family"]

pytestmark = pytest.mark.usefixtures("fresh_family", "lee_available")

COURSE = """
  id status nextReviewOn socialCareSince localAuthority closeOutcome
  holder { id name }
  needs { id domain element summary status metOn }
  actions { id description doneOn owner { id } }
  teamAroundTheChild { id }
  familyMembers { kind id name relationship }
  socialWorker { id name }
  reviews { id heldOn attendees { kind id name } progress { needId rating note } changes
            nextReviewOn actionsDone needsAdded actionsAdded }
  history { kind reason fromPractitionerId toPractitionerId fromLocalAuthority toLocalAuthority
            memberId memberName }
  form { childViews parentsViews assessorName assessorJobTitle assessorAgency
         assessor { id } checklist { outcome concern note }
         consentStatement consentSignedBy consentSignerName consentSignedOn }
"""

READ = f"""
query($childId: ID!, $id: ID!) {{ child(id: $childId) {{ assessment(id: $id) {{ {COURSE} }} }} }}
"""
REVIEW = f"""
mutation($id: ID!, $input: RecordReviewInput!) {{
  recordReview(assessmentId: $id, input: $input) {{ {COURSE} }}
}}
"""
STEP_UP = f"""
mutation($id: ID!, $sw: ID!, $reason: String!) {{
  stepUpToSocialCare(assessmentId: $id, socialWorkerId: $sw, reason: $reason) {{ {COURSE} }}
}}
"""
STEP_DOWN = f"""
mutation($id: ID!, $reason: String!) {{
  stepDownFromSocialCare(assessmentId: $id, reason: $reason) {{ {COURSE} }}
}}
"""
HAND_OVER = f"""
mutation($id: ID!, $to: ID!, $reason: String!, $leaves: Boolean) {{
  handOverAssessment(assessmentId: $id, newHolderId: $to, reason: $reason,
    outgoingHolderLeavesTeam: $leaves) {{ {COURSE} }}
}}
"""
FAMILY = f"""
mutation($id: ID!, $carer: ID) {{ addFamilyMember(assessmentId: $id, carerId: $carer) {{ {COURSE} }} }}
"""
FORM = f"""
mutation($id: ID!, $input: AssessmentFormInput!) {{
  recordAssessmentForm(assessmentId: $id, input: $input) {{ {COURSE} }}
}}
"""
COPY = """
query($childId: ID!, $id: ID!) {
  child(id: $childId) { assessment(id: $id) { familyCopy { filename contentType sizeBytes sha256 base64 } } }
}
"""
INDEX = 'query { child(id: "c-hannah") { commonAssessments { id status holder { id } } } }'

CHILD_VIEWS = "I want to stay with my mum and my brothers and sister. I need help with the bills."
PARENTS_VIEWS = "Karen: Hannah does too much at home since I became ill again. We need help."
STATEMENT = (
    "I agree that the information in this assessment can be stored and shared with the "
    "people named in the team around me, to help me and my family."
)


@pytest.fixture
def lee_available(sync_driver: neo4j.Driver) -> Iterator[None]:
    yield
    sync_driver.execute_query(
        "MATCH (p:Practitioner {id: 'p-lee'}) REMOVE p.availability, p.availableFrom"
    )


def _months_pass(driver: neo4j.Driver, caf_id: str, days: int) -> None:
    """The CAF was started `days` ago: what three months of the story would leave."""
    driver.execute_query(
        "MATCH (a:Assessment {id: $id}) SET a.startedOn = a.startedOn - duration({days: $days})",
        id=caf_id,
        days=days,
    )


async def _read(caller: Any, caf_id: str) -> dict[str, Any] | None:
    body = await caller.post(READ, {"childId": "c-hannah", "id": caf_id})
    child = ok(body, "child")
    result: dict[str, Any] | None = child["assessment"]
    return result


async def _hannahs_caf(melanie: Any, today: date) -> dict[str, Any]:
    caf = await start_caf(melanie)
    caf_id = caf["id"]
    for need in (
        ("DEVELOPMENT_OF_CHILD", "Learning", "Falling behind, missing lessons and homework"),
        ("PARENTS_AND_CARERS", "Basic care", "Mother unwell; Hannah cares for the family"),
    ):
        ok(
            await melanie.post(
                """mutation($id: ID!, $need: NeedInput!) { addNeed(assessmentId: $id, need: $need) { id } }""",
                {
                    "id": caf_id,
                    "need": dict(zip(("domain", "element", "summary"), need, strict=True)),
                },
            ),
            "addNeed",
        )
    for who, service in (("p-lee", None), ("p-libby", "s-young-carers")):
        await grant(
            melanie,
            purpose="SHARE_ASSESSMENT",
            coversAssessmentId=caf_id,
            **(
                {"grantedToServiceIds": [service]}
                if service
                else {"grantedToPractitionerIds": [who]}
            ),
        )
        ok(await melanie.post(ADD_MEMBER, {"id": caf_id, "practitionerId": who}), "addTeamMember")
    ok(
        await melanie.post(
            ADD_ACTION,
            {
                "id": caf_id,
                "description": "Take Hannah to the young carers' group",
                "ownerId": "p-libby",
            },
        ),
        "addDeliveryAction",
    )
    ok(await melanie.post(FAMILY, {"id": caf_id}), "addFamilyMember")
    mum = ok(await melanie.post(FAMILY, {"id": caf_id, "carer": "k-karen"}), "addFamilyMember")
    return mum


async def test_hannahs_caf_runs_its_course(as_viewer, sync_driver, today: date) -> None:
    melanie = as_viewer(practitioner_id="p-melanie", purpose="Hannah's CAF")
    lee = as_viewer(practitioner_id="p-lee", purpose="Hannah's CAF")
    libby = as_viewer(practitioner_id="p-libby", purpose="Hannah's CAF")
    john = as_viewer(practitioner_id="p-john", purpose="Hannah's CAF")
    steve = as_viewer(practitioner_id="p-steve", purpose="Hannah's CAF")

    caf = await _hannahs_caf(melanie, today)
    caf_id = caf["id"]
    assert {(m["kind"], m["id"], m["relationship"]) for m in caf["familyMembers"]} == {
        ("CHILD", "c-hannah", None),
        ("CARER", "k-karen", "mother"),
    }
    assert caf["form"]["assessorName"] == "Melanie Hart"
    assert caf["form"]["assessorAgency"] == "Oakfield Academy"
    assert caf["form"]["assessor"]["id"] == "p-melanie"
    learning, basic_care = caf["needs"]
    (libbys_action,) = caf["actions"]

    # --- The first review, three months in ---------------------------------------------
    _months_pass(sync_driver, caf_id, 92)
    first = ok(
        await melanie.post(
            REVIEW,
            {
                "id": caf_id,
                "input": {
                    "heldOn": today.isoformat(),
                    "attendees": [
                        {"kind": "CHILD"},
                        {"kind": "CARER", "id": "k-karen"},
                        {"kind": "PRACTITIONER", "id": "p-lee"},
                        {"kind": "PRACTITIONER", "id": "p-libby"},
                        {"kind": "OTHER", "name": "Mrs Ahmed, head of year"},
                    ],
                    "progress": [
                        {
                            "needId": learning["id"],
                            "rating": "GOOD_PROGRESS",
                            "note": "Homework handed in on time",
                        },
                        {"needId": basic_care["id"], "rating": "SOME_PROGRESS"},
                    ],
                    "actionsDone": [libbys_action["id"]],
                    "newNeeds": [
                        {
                            "domain": "FAMILY_AND_ENVIRONMENT",
                            "element": "Housing",
                            "summary": "Rent arrears and unpaid bills",
                        }
                    ],
                    "newActions": [
                        {"description": "Plan for the rent arrears", "ownerId": "p-melanie"}
                    ],
                    "changes": "Young carers' group weekly; school keeps the new deadlines",
                    "nextReviewOn": (today + timedelta(days=90)).isoformat(),
                },
            },
        ),
        "recordReview",
    )
    (review,) = first["reviews"]
    assert review["heldOn"] == today.isoformat()
    assert [(a["kind"], a["name"]) for a in review["attendees"]] == [
        ("CHILD", "Hannah Whitlock"),
        ("CARER", "Karen Whitlock"),
        ("PRACTITIONER", "Lee Brennan"),
        ("PRACTITIONER", "Libby Quinn"),
        ("OTHER", "Mrs Ahmed, head of year"),
    ]
    assert {p["needId"]: p["rating"] for p in review["progress"]} == {
        learning["id"]: "GOOD_PROGRESS",
        basic_care["id"]: "SOME_PROGRESS",
    }
    assert (
        next(a for a in first["actions"] if a["id"] == libbys_action["id"])["doneOn"]
        == today.isoformat()
    )
    housing = next(n for n in first["needs"] if n["element"].startswith("Housing"))
    assert review["needsAdded"] == [housing["id"]] and housing["status"] == "OPEN"
    assert len(review["actionsAdded"]) == 1
    assert first["nextReviewOn"] == (today + timedelta(days=90)).isoformat()
    # Libby, in the team with consent, reads the review; Steve, never given access, cannot.
    assert len((await _read(libby, caf_id))["reviews"]) == 1
    assert await _read(steve, caf_id) is None

    # --- Her mother's illness worsens: the second review steps up to social care -------
    second = ok(
        await melanie.post(
            REVIEW,
            {
                "id": caf_id,
                "input": {
                    "heldOn": today.isoformat(),
                    "attendees": [{"kind": "CHILD"}, {"kind": "PRACTITIONER", "id": "p-lee"}],
                    "progress": [
                        {
                            "needId": basic_care["id"],
                            "rating": "WORSE",
                            "note": "Mum back in hospital",
                        },
                        {"needId": learning["id"], "rating": "MET"},
                    ],
                    "changes": "Refer to children's social care for a young carer's assessment",
                    "nextReviewOn": (today + timedelta(days=28)).isoformat(),
                },
            },
        ),
        "recordReview",
    )
    assert [r["changes"][:5] for r in second["reviews"]] == ["Young", "Refer"]
    assert next(n for n in second["needs"] if n["id"] == learning["id"])["status"] == "MET"
    no_consent = await melanie.post(
        STEP_UP, {"id": caf_id, "sw": "p-john", "reason": "Mother's illness"}
    )
    assert codes(no_consent) == ["CONSENT_REQUIRED"]
    await grant(
        melanie,
        purpose="SHARE_ASSESSMENT",
        coversAssessmentId=caf_id,
        grantedToServiceIds=["s-nbr-social-care"],
    )
    not_social_care = await melanie.post(STEP_UP, {"id": caf_id, "sw": "p-steve", "reason": "x"})
    assert error(not_social_care)["extensions"] == {
        "code": "BAD_USER_INPUT",
        "field": "socialWorkerId",
    }
    up = ok(
        await melanie.post(
            STEP_UP, {"id": caf_id, "sw": "p-john", "reason": "Mother's illness has worsened"}
        ),
        "stepUpToSocialCare",
    )
    assert up["status"] == "OPEN" and up["socialCareSince"] == today.isoformat()
    assert up["socialWorker"]["id"] == "p-john" and "p-john" in {
        m["id"] for m in up["teamAroundTheChild"]
    }
    # The index shows the CAF still OPEN, held by Melanie; John reads it from now on.
    index = ok(await steve.post(INDEX), "child")["commonAssessments"]
    assert [(a["id"], a["status"], a["holder"]["id"]) for a in index] == [
        (caf_id, "OPEN", "p-melanie")
    ]
    assert (await _read(john, caf_id))["socialWorker"]["id"] == "p-john"

    # --- Stepping down: John records it; the CAF carries on -----------------------------
    assert codes(await lee.post(STEP_DOWN, {"id": caf_id, "reason": "x"})) == ["FORBIDDEN"]
    down = ok(
        await john.post(
            STEP_DOWN, {"id": caf_id, "reason": "Young carer's assessment done; support in place"}
        ),
        "stepDownFromSocialCare",
    )
    assert down["socialCareSince"] is None and down["socialWorker"] is None
    assert [e["kind"] for e in down["history"]][-2:] == ["STEPPED_UP", "STEPPED_DOWN"]

    # --- Melanie hands the CAF to Lee; Lee, leaving, hands it to Libby -------------------
    to_lee = await melanie.post(
        HAND_OVER,
        {"id": caf_id, "to": "p-lee", "reason": "Hannah asked for Lee as she leaves school"},
    )
    # Melanie stays in the team but no consent covers her as a member: R7 shows her nothing.
    assert ok(to_lee, "handOverAssessment") is None
    assert [
        (a["holder"]["id"]) for a in ok(await steve.post(INDEX), "child")["commonAssessments"]
    ] == ["p-lee"]
    assert await _read(melanie, caf_id) is None
    # Lee, leaving, cannot hand it to Steve: Hannah never agreed to share it with him (R8).
    no_consent = await lee.post(HAND_OVER, {"id": caf_id, "to": "p-steve", "reason": "Leaving"})
    assert codes(no_consent) == ["CONSENT_REQUIRED"]
    # Libby is not the holder: while Lee is there, he hands over, not she.
    forbidden = await libby.post(HAND_OVER, {"id": caf_id, "to": "p-libby", "reason": "x"})
    assert codes(forbidden) == ["FORBIDDEN"]
    # Lee's service marks him as having left (R17): a team member takes the CAF on.
    sync_driver.execute_query("MATCH (p:Practitioner {id: 'p-lee'}) SET p.availability = 'LEFT'")
    assert codes(await steve.post(HAND_OVER, {"id": caf_id, "to": "p-steve", "reason": "x"})) == [
        "NOT_FOUND"
    ]
    taken = ok(
        await libby.post(
            HAND_OVER,
            {
                "id": caf_id,
                "to": "p-libby",
                "reason": "Lee has left the youth service",
                "leaves": True,
            },
        ),
        "handOverAssessment",
    )
    assert taken["holder"]["id"] == "p-libby"
    assert "p-lee" not in {m["id"] for m in taken["teamAroundTheChild"]}
    handed = [e for e in taken["history"] if e["kind"] == "HANDED_OVER"]
    assert [(e["fromPractitionerId"], e["toPractitionerId"]) for e in handed] == [
        ("p-melanie", "p-lee"),
        ("p-lee", "p-libby"),
    ]
    # Nothing is lost in the hand-overs: needs, actions, reviews all still there.
    assert len(taken["needs"]) == 3 and len(taken["reviews"]) == 2 and len(taken["actions"]) == 2


async def test_the_familys_copy(as_viewer, sync_driver, today: date) -> None:
    """CAF guide 4.9: a copy for the child and family, in their words, with nothing of a
    sensitive service in it (R6) even when one is in the team."""
    melanie = as_viewer(practitioner_id="p-melanie", purpose="Hannah's CAF")
    nurse = as_viewer(practitioner_id="p-nurse", purpose="Hannah's CAF")
    caf = await _hannahs_caf(melanie, today)
    caf_id = caf["id"]
    recorded = ok(
        await melanie.post(
            FORM,
            {
                "id": caf_id,
                "input": {
                    "childViews": CHILD_VIEWS,
                    "parentsViews": PARENTS_VIEWS,
                    "checklist": [
                        {
                            "outcome": "ENJOY_AND_ACHIEVE",
                            "concern": "SOME_DOUBT",
                            "note": "Missing lessons",
                        },
                        {"outcome": "BE_HEALTHY", "concern": "ON_TRACK"},
                    ],
                    "consentStatement": {
                        "text": STATEMENT,
                        "signedBy": "CHILD",
                        "signerName": "Hannah Whitlock",
                        "signedOn": today.isoformat(),
                    },
                },
            },
        ),
        "recordAssessmentForm",
    )
    form = recorded["form"]
    assert form["childViews"] == CHILD_VIEWS and form["parentsViews"] == PARENTS_VIEWS
    assert form["consentSignedBy"] == "CHILD" and form["consentStatement"] == STATEMENT
    assert [c["outcome"] for c in form["checklist"]] == ["BE_HEALTHY", "ENJOY_AND_ACHIEVE"]
    again = await melanie.post(
        FORM,
        {
            "id": caf_id,
            "input": {
                "consentStatement": {
                    "text": "changed",
                    "signedBy": "CHILD",
                    "signerName": "x",
                    "signedOn": today.isoformat(),
                }
            },
        },
    )
    assert error(again)["extensions"]["field"] == "input.consentStatement"

    # The sexual health nurse joins with Hannah's consent, which only her service records
    # (R6b), and owns an action: none of it may reach the family's copy.
    await grant(
        nurse,
        purpose="SHARE_ASSESSMENT",
        coversAssessmentId=caf_id,
        grantedToPractitionerIds=["p-nurse"],
    )
    ok(await melanie.post(ADD_MEMBER, {"id": caf_id, "practitionerId": "p-nurse"}), "addTeamMember")
    ok(
        await melanie.post(
            ADD_ACTION,
            {
                "id": caf_id,
                "description": "Follow-up appointment at the clinic",
                "ownerId": "p-nurse",
            },
        ),
        "addDeliveryAction",
    )

    body = await melanie.post(COPY, {"childId": "c-hannah", "id": caf_id})
    copy = ok(body, "child")["assessment"]["familyCopy"]
    pdf = base64.b64decode(copy["base64"])
    assert copy["contentType"] == "application/pdf" and pdf.startswith(b"%PDF")
    assert copy["sizeBytes"] == len(pdf) and copy["sha256"] == hashlib.sha256(pdf).hexdigest()
    text = " ".join((page.extract_text() or "") for page in PdfReader(io.BytesIO(pdf)).pages)
    flat = " ".join(text.split())
    assert "Hannah Whitlock: your copy of the Common Assessment" in flat
    assert CHILD_VIEWS in flat and PARENTS_VIEWS in flat and STATEMENT in flat
    assert "Melanie Hart" in flat and "01632 960311" in flat
    assert "Take Hannah to the young carers' group" in flat and "Karen Whitlock (mother)" in flat
    for withheld in ("Asha", "Sexual Health", "clinic", "01632 960316", "Missing lessons"):
        assert withheld not in flat, withheld

    # Who may not read the CAF (R7) gets no copy either, under any alias.
    steve = as_viewer(practitioner_id="p-steve", purpose="Hannah's CAF")
    sneaky = await steve.post(
        'query($id: ID!) { child(id: "c-hannah") { a: assessment(id: $id) { familyCopy { base64 } } } }',
        {"id": caf_id},
    )
    assert sneaky["data"]["child"] == {"a": None}
    assert "JVBER" not in json.dumps(sneaky)


async def test_the_familys_copy_from_the_command_line(
    as_viewer, sync_driver, tmp_path, today: date
) -> None:
    """`contactgraph caf export ID --format pdf`: the same copy, for the practitioner who may
    read the CAF (R7), audited (R14); refused for one who may not."""
    import os
    import subprocess
    import sys

    melanie = as_viewer(practitioner_id="p-melanie", purpose="Hannah's CAF")
    caf = await _hannahs_caf(melanie, today)
    ok(
        await melanie.post(FORM, {"id": caf["id"], "input": {"childViews": CHILD_VIEWS}}),
        "recordAssessmentForm",
    )

    def export(practitioner: str, output: Any) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "api.cli", "caf", "export", caf["id"], "--format", "pdf",
             "--practitioner", practitioner, "--purpose", "copy for the family", "--output", str(output)],
            capture_output=True, text=True, env=os.environ.copy(), timeout=300, check=False,
        )  # fmt: skip

    done = export("p-melanie", tmp_path / "copy.pdf")
    assert done.returncode == 0, done.stderr
    text = " ".join(p.extract_text() or "" for p in PdfReader(tmp_path / "copy.pdf").pages)
    assert CHILD_VIEWS in " ".join(text.split())
    refused = export("p-steve", tmp_path / "no.pdf")
    assert refused.returncode == 3 and not (tmp_path / "no.pdf").exists()
    records, _, _ = sync_driver.execute_query(
        "MATCH (e:AuditEvent {action: 'cafExport'}) WHERE $id IN e.childIds OR e.denied[0] STARTS WITH $item "
        "RETURN e.subject AS s, e.disclosed AS d, e.denied AS n ORDER BY e.at DESC LIMIT 2",
        id="c-hannah",
        item=f"Assessment:{caf['id']}",
    )
    assert {(r["s"], bool(r["d"]), bool(r["n"])) for r in records} == {
        ("cli:p-melanie", True, False),
        ("cli:p-steve", False, True),
    }
