"""R6 and R7 inside a CAF: a practitioner of a sensitive service the viewer may not see is
not named anywhere in it, whichever path, alias or fragment asks (red-team finding F1).

Hannah (15, competent) lets the CAF be shared with the clinic's nurse and with Lee, but
refused to let the clinic's involvement be shared. Libby joins the team on her own
SHARE_ASSESSMENT consent; she has no consent or override about the clinic, so the
clinic's involvement is not in her index view, and the CAF must not name the nurse to
her either: not in the team, not as an action's owner, not at a review, not in the CAF's
history. The nurse herself still sees all of it (R6a)."""

from __future__ import annotations

import json
from datetime import date

import pytest

from tests.api.consent_support import (
    ADD_ACTION,
    ADD_MEMBER,
    RECORD_REFUSAL,
    fresh_family,
    grant,
    ok,
    start_caf,
)

__all__ = ["fresh_family"]

pytestmark = pytest.mark.usefixtures("fresh_family")

CLINIC = "s-nbr-sexual-health"

REVIEW = """
mutation($id: ID!, $input: RecordReviewInput!) {
  recordReview(assessmentId: $id, input: $input) { id }
}"""

PRACTITIONER = "id name jobTitle service { id name kind sensitive } contact { phone email }"

EVERY_PATH = f"""
fragment P on Practitioner {{ {PRACTITIONER} }}
fragment Caf on Assessment {{
  holder {{ ...P }}
  teamAroundTheChild {{ ...P }}
  actions {{ id description owner {{ ...P }} }}
  reviews {{ attendees {{ kind id name }} }}
  history {{ kind fromPractitionerId toPractitionerId memberId memberName }}
  socialWorker {{ ...P }}
  form {{ assessor {{ ...P }} assessorName assessorJobTitle assessorAgency }}
}}
query($id: ID!) {{ child(id: "c-hannah") {{
  involvements {{ service {{ id name }} practitioner {{ id name }} }}
  a: assessment(id: $id) {{ ...Caf }}
  b: assessment(id: $id) {{ team: teamAroundTheChild {{ id n: name s: service {{ name }} }}
    acts: actions {{ who: owner {{ id name }} }} revs: reviews {{ people: attendees {{ id name }} }} }}
  c: assessment(id: $id) {{ ... on Assessment {{ teamAroundTheChild {{ ... on Practitioner {{ name }} }} }} }}
}} }}
"""

#: Everything that would say the nurse or her clinic is in Hannah's life.
TELLS = ("p-nurse", "Asha", "Sexual Health", CLINIC)


async def _hannahs_caf(as_viewer, today: date) -> tuple[str, str]:
    melanie = as_viewer(practitioner_id="p-melanie", purpose="Hannah's CAF")
    nurse = as_viewer(practitioner_id="p-nurse", purpose="Hannah's care")
    caf = await start_caf(melanie)
    await grant(
        melanie,
        purpose="SHARE_ASSESSMENT",
        coversAssessmentId=caf["id"],
        grantedToPractitionerIds=["p-nurse", "p-lee"],
    )
    await grant(
        melanie,
        purpose="SHARE_ASSESSMENT",
        coversAssessmentId=caf["id"],
        grantedToPractitionerIds=["p-libby"],
    )
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
    for member in ("p-nurse", "p-lee", "p-libby"):
        ok(
            await melanie.post(ADD_MEMBER, {"id": caf["id"], "practitionerId": member}),
            "addTeamMember",
        )
    added = ok(
        await melanie.post(
            ADD_ACTION,
            {"id": caf["id"], "description": "Follow-up appointment", "ownerId": "p-nurse"},
        ),
        "addDeliveryAction",
    )
    ok(
        await melanie.post(
            ADD_ACTION,
            {"id": caf["id"], "description": "Weekly check-in at school", "ownerId": "p-lee"},
        ),
        "addDeliveryAction",
    )
    # Melanie's own answer does not name her either: R6 has no holder's exception.
    assert added["actions"][0]["owner"] is None
    ok(
        await melanie.post(
            REVIEW,
            {
                "id": caf["id"],
                "input": {
                    "heldOn": today.isoformat(),
                    "attendees": [
                        {"kind": "CHILD"},
                        {"kind": "PRACTITIONER", "id": "p-nurse"},
                        {"kind": "PRACTITIONER", "id": "p-lee"},
                    ],
                },
            },
        ),
        "recordReview",
    )
    return caf["id"], added["actions"][0]["id"]


async def test_libby_sees_no_trace_of_the_nurse_anywhere_in_the_caf(as_viewer, today) -> None:
    caf_id, nurses_action = await _hannahs_caf(as_viewer, today)
    libby = as_viewer(practitioner_id="p-libby", purpose="Hannah's CAF")
    body = await libby.post(EVERY_PATH, {"id": caf_id})
    assert "errors" not in body, body
    child = body["data"]["child"]
    # The involvement view already omits the clinic: the CAF agrees with it.
    assert CLINIC not in json.dumps(child["involvements"])
    text = json.dumps(body)
    for tell in TELLS:
        assert tell not in text, tell
    # What is left is real, not emptied: the rest of the team, Lee's action, Lee at the review.
    a = child["a"]
    assert {m["id"] for m in a["teamAroundTheChild"]} == {"p-melanie", "p-lee", "p-libby"}
    owners = {act["description"]: act["owner"] for act in a["actions"]}
    assert owners["Weekly check-in at school"]["id"] == "p-lee"
    # The nurse's action stays (the plan is the family's), with no owner and no hint.
    assert owners["Follow-up appointment"] is None
    assert nurses_action in {act["id"] for act in a["actions"]}
    (review,) = a["reviews"]
    assert [(x["kind"], x["id"]) for x in review["attendees"]] == [
        ("CHILD", "c-hannah"),
        ("PRACTITIONER", "p-lee"),
    ]
    assert all(e["memberId"] != "p-nurse" for e in a["history"])
    assert a["holder"]["id"] == "p-melanie" and a["form"]["assessor"]["id"] == "p-melanie"
    assert child["c"]["teamAroundTheChild"] == [
        {"name": m["name"]} for m in a["teamAroundTheChild"]
    ]


async def test_libby_alone_in_the_team_sees_the_same(as_viewer, today) -> None:
    """Lee, another member without the clinic, and the mutation answers Libby gets."""
    caf_id, nurses_action = await _hannahs_caf(as_viewer, today)
    lee = as_viewer(practitioner_id="p-lee", purpose="Hannah's CAF")
    body = await lee.post(EVERY_PATH, {"id": caf_id})
    assert "errors" not in body, body
    for tell in TELLS:
        assert tell not in json.dumps(body), tell
    # Lee owns an action: his own update's answer is shaped the same way.
    read = body["data"]["child"]["a"]
    (mine,) = [x for x in read["actions"] if x["owner"] and x["owner"]["id"] == "p-lee"]
    answer = await lee.post(
        "mutation($id: ID!, $on: Date) { updateDeliveryAction(actionId: $id, doneOn: $on) {"
        " teamAroundTheChild { id name service { name } } actions { id owner { id name } }"
        " reviews { attendees { id name } } history { memberId memberName } } }",
        {"id": mine["id"], "on": today.isoformat()},
    )
    assert "errors" not in answer, answer
    for tell in TELLS:
        assert tell not in json.dumps(answer), tell
    # He cannot reach the nurse's action by its id either: it is not his (and says nothing).
    other = await lee.post(
        "mutation($id: ID!) { updateDeliveryAction(actionId: $id, doneOn: null) { id } }",
        {"id": nurses_action},
    )
    assert "Asha" not in json.dumps(other) and "p-nurse" not in json.dumps(other)


async def test_the_nurse_and_the_holder_still_see_her(as_viewer, today) -> None:
    """R6a: her own service sees her; Melanie, who has no consent about the clinic, sees
    her neither (the holder is no exception to R6)."""
    caf_id, _ = await _hannahs_caf(as_viewer, today)
    nurse = as_viewer(practitioner_id="p-nurse", purpose="Hannah's care")
    seen = ok(await nurse.post(EVERY_PATH, {"id": caf_id}), "child")["a"]
    assert "p-nurse" in {m["id"] for m in seen["teamAroundTheChild"]}
    assert "p-nurse" in {x["owner"]["id"] for x in seen["actions"] if x["owner"]}
    assert "p-nurse" in {x["id"] for x in seen["reviews"][0]["attendees"]}
    melanie = as_viewer(practitioner_id="p-melanie", purpose="Hannah's CAF")
    body = await melanie.post(EVERY_PATH, {"id": caf_id})
    assert "errors" not in body, body
    for tell in TELLS:
        assert tell not in json.dumps(body), tell


async def test_an_override_shows_her(as_viewer, today) -> None:
    """R6c: with an override of her own, Libby sees the nurse in the CAF."""
    from tests.api.consent_support import RECORD_OVERRIDE

    caf_id, _ = await _hannahs_caf(as_viewer, today)
    libby = as_viewer(practitioner_id="p-libby", purpose="Hannah's CAF")
    ok(
        await libby.post(
            RECORD_OVERRIDE,
            {
                "input": {
                    "childId": "c-hannah",
                    "ground": "SIGNIFICANT_HARM_SUSPECTED",
                    "justification": "Disclosure at the young carers group this afternoon",
                }
            },
        ),
        "recordAccessOverride",
    )
    seen = ok(await libby.post(EVERY_PATH, {"id": caf_id}), "child")["a"]
    assert "p-nurse" in {m["id"] for m in seen["teamAroundTheChild"]}
