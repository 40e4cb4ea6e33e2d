"""R12 through GraphQL on Hannah's story: her family via her mother, Sam still shielded.

Hannah, Jack and Ellie live with their mother Karen; Sam, also Karen's son, is shielded
and lives elsewhere with his father. A safeguarding lead tracing Hannah's network must
find all four, with Sam shown exactly as `child(id:)` shows him (no address, carers or
contact details), whatever aliases or fragments ask for them, and every child must be
named in the audit event with the reason.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from policies.viewer import Role
from tests.network.conftest import CARER_NETWORK, NETWORK, REASON, audit_events
from tests.queries import CHILD_PROFILE
from tests.shielded import assert_nothing_of_where

FAMILY = {"c-hannah", "c-jack", "c-ellie", "c-sam"}


def _lead(as_viewer: Any, purpose: str = "child protection strategy discussion") -> Any:
    return as_viewer(
        Role.SAFEGUARDING_LEAD, local_authority="NBR", purpose=purpose, subject="lead-nbr"
    )


def _network(body: dict[str, Any]) -> dict[str, Any]:
    assert "errors" not in body, body
    return body["data"]["involvementNetwork"]


async def test_hannahs_family_via_her_mother_with_sam_still_shielded(as_viewer, today) -> None:
    body = await _lead(as_viewer).post(NETWORK, {"id": "c-hannah", "depth": 2, "reason": REASON})
    net = _network(body)
    children = {c["id"]: c for c in net["children"]}
    # R4: Karen is one of Sam's carers, and who cares for a shielded child is withheld on
    # every path: Hannah's network does not reach him through her.
    assert set(children) == FAMILY - {"c-sam"}
    assert net["children"][0]["id"] == "c-hannah"
    assert net["truncated"] is False
    assert "c-sam" not in json.dumps(body)
    assert_nothing_of_where(body, today)

    links = {(x["from"], x["to"], x["kind"], x["via"]) for x in net["links"]}
    assert ("c-hannah", "c-jack", "SHARES_CARER", "k-karen") in links
    assert ("c-hannah", "c-ellie", "SHARES_CARER", "k-karen") in links
    assert ("c-hannah", "c-jack", "SHARES_ADDRESS", None) in links
    # Sam is Karen's son too: linked, but the link names no carer and no address.
    for source, target, kind, _ in links:
        if "c-sam" in (source, target):
            assert kind in ("SHARES_CARER", "INVOLVED_WITH"), (source, target, kind)


async def test_each_child_is_shown_exactly_as_a_direct_lookup(as_viewer) -> None:
    lead = _lead(as_viewer)
    net = _network(await lead.post(NETWORK, {"id": "c-hannah", "depth": 1, "reason": REASON}))
    for child in net["children"]:
        direct = await lead.post(CHILD_PROFILE, {"id": child["id"]})
        assert "errors" not in direct, direct
        assert child == direct["data"]["child"], child["id"]


async def test_involved_with_links_follow_what_each_record_shows(as_viewer) -> None:
    """R6: Hannah's sexual health clinic and Jack's CAMHS are not on the lead's view of
    their records, so no INVOLVED_WITH link reveals them either."""
    net = _network(
        await _lead(as_viewer).post(NETWORK, {"id": "c-hannah", "depth": 1, "reason": REASON})
    )
    involved = {
        (x["from"], x["to"], x["via"]) for x in net["links"] if x["kind"] == "INVOLVED_WITH"
    }
    assert ("c-hannah", "p-lee", "i-hannah-youth") in involved
    assert ("c-hannah", "s-riverside-gp", "i-hannah-gp") in involved  # a team-level involvement
    shown = {x[2] for x in involved}
    for hidden in ("i-hannah-clinic", "i-jack-camhs", "i-hannah-sc-old"):
        assert hidden not in shown
    targets = {x[1] for x in involved}
    assert "p-nurse" not in targets and "p-camhs" not in targets
    for child in net["children"]:
        on_record = {i["id"] for i in child["involvements"]}
        assert {x[2] for x in involved if x[0] == child["id"]} == on_record


ALIASED = """
query($id: ID!, $reason: String!) {
  a: involvementNetwork(childId: $id, depth: 3, reason: $reason) {
    kids: children { id home: address { line1 postcode } c: carers { id name contact { phone } } }
  }
  b: involvementNetwork(childId: $id, depth: 2, reason: $reason) { ...Net }
}
fragment Net on InvolvementNetwork {
  children { ... on Child { ...Where } involvements { service { contact { ...C } } } }
  links { from to kind via }
}
fragment Where on Child {
  address { line1 line2 town postcode }
  carers { name relationship livesWithChild ... on Carer { contact { ...C } } }
  shieldingContact { phone }
}
fragment C on Contact { phone email address { line1 postcode } }
"""


async def test_aliases_and_fragments_reveal_nothing_of_sam(as_viewer, today) -> None:
    body = await _lead(as_viewer).post(ALIASED, {"id": "c-jack", "reason": REASON})
    assert "errors" not in body, body
    assert_nothing_of_where(body, today)
    assert not [c for c in body["data"]["a"]["kids"] if c["id"] == "c-sam"]


async def test_a_shielded_root_uses_neither_address_nor_resident_carer(as_viewer, today) -> None:
    body = await _lead(as_viewer).post(NETWORK, {"id": "c-sam", "depth": 3, "reason": REASON})
    net = _network(body)
    assert {c["id"] for c in net["children"]} == {"c-sam"}
    assert net["links"] == []
    assert_nothing_of_where(body, today)


@pytest.mark.parametrize("depth", [0, -1, 4, 99])
async def test_depth_outside_one_to_three_is_bad_user_input(as_viewer, depth: int) -> None:
    body = await _lead(as_viewer).post(
        NETWORK, {"id": "c-hannah", "depth": depth, "reason": REASON}
    )
    assert body["data"] is None or body["data"].get("involvementNetwork") is None
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["field"] == "depth"


@pytest.mark.parametrize("reason", ["", "   ", "\n\t"])
async def test_blank_reason_is_bad_user_input(as_viewer, reason: str) -> None:
    for query, variables in (
        (NETWORK, {"id": "c-hannah", "depth": 1, "reason": reason}),
        (CARER_NETWORK, {"id": "k-karen", "reason": reason}),
    ):
        body = await _lead(as_viewer).post(query, variables)
        (error,) = body["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert error["extensions"]["field"] == "reason"
        assert "Hannah" not in json.dumps(body)


async def test_missing_reason_argument_is_refused(as_viewer) -> None:
    body = await _lead(as_viewer).post(
        '{ involvementNetwork(childId: "c-hannah") { links { to } } }'
    )
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert body.get("data") is None


async def test_purpose_header_is_required(as_viewer) -> None:
    lead = as_viewer(Role.SAFEGUARDING_LEAD, purpose=None)
    body = await lead.post(NETWORK, {"id": "c-hannah", "depth": 1, "reason": REASON})
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


@pytest.mark.parametrize(
    ("role", "extra"),
    [
        (Role.PRACTITIONER, {"practitioner_id": "p-melanie"}),
        (Role.ANALYST, {}),
        (Role.INDEX_ADMIN, {}),
        (Role.AUDITOR, {}),
        (Role.FEED, {"source": "school-mis"}),
    ],
)
async def test_other_roles_are_forbidden(as_viewer, role: Role, extra: dict[str, str]) -> None:
    caller = as_viewer(role, **extra)
    for query, variables in (
        (NETWORK, {"id": "c-hannah", "depth": 1, "reason": REASON}),
        (CARER_NETWORK, {"id": "k-karen", "reason": REASON}),
    ):
        body = await caller.post(query, variables)
        codes = {e["extensions"]["code"] for e in body["errors"]}
        assert codes == {"FORBIDDEN"}, (role, body)
        assert "Whitlock" not in json.dumps(body)


async def test_unknown_child_is_not_found(as_viewer) -> None:
    body = await _lead(as_viewer).post(NETWORK, {"id": "c-nobody", "depth": 1, "reason": REASON})
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_audit_event_names_every_child_with_the_reason(as_viewer, sync_driver) -> None:
    request_id = uuid.uuid4().hex
    purpose = "strategy discussion for the Whitlock children"
    body = await _lead(as_viewer, purpose).post(
        NETWORK, {"id": "c-hannah", "depth": 2, "reason": REASON}, X_Request_Id=request_id
    )
    shown = {c["id"] for c in _network(body)["children"]}
    (event,) = audit_events(sync_driver, request_id)
    assert set(event["childIds"]) == shown == FAMILY - {"c-sam"}
    assert event["reason"] == REASON
    assert event["purpose"] == purpose
    assert event["action"] == "involvementNetwork"
    assert event["role"] == "SAFEGUARDING_LEAD"
    assert event["subject"] == "lead-nbr"
    # The guarded fields went out, or were withheld, and the event says which.
    assert "Child:c-hannah.address" in event["disclosed"]
    # Sam was read as a candidate and not shown: the event says so (R14).
    assert "Child:c-sam: not in the network shown" in event["denied"]
    assert not any(item.startswith("Child:c-sam") for item in event["disclosed"])
    assert len(event["hash"]) == 64


async def test_refused_request_is_audited_without_children(as_viewer, sync_driver) -> None:
    request_id = uuid.uuid4().hex
    caller = as_viewer(Role.PRACTITIONER, practitioner_id="p-melanie")
    await caller.post(
        NETWORK, {"id": "c-hannah", "depth": 1, "reason": REASON}, X_Request_Id=request_id
    )
    (event,) = audit_events(sync_driver, request_id)
    assert event["childIds"] == []
    assert any("R12" in item for item in event["denied"])


@pytest.mark.parametrize("depth", [1, 2, 3])
async def test_round_trips_do_not_grow_with_depth(as_viewer, depth: int) -> None:
    body = await _lead(as_viewer).post(
        NETWORK, {"id": "c-hannah", "depth": depth, "reason": REASON}
    )
    _network(body)
    # The day's browsing count (R2, before anything is read), the neighbourhood, the children.
    assert body["extensions"]["cypherRoundTrips"] == 3


async def test_carer_network_answers_who_else_karen_cares_for(
    as_viewer, sync_driver, today
) -> None:
    request_id = uuid.uuid4().hex
    body = await _lead(as_viewer).post(
        CARER_NETWORK, {"id": "k-karen", "reason": REASON}, X_Request_Id=request_id
    )
    assert "errors" not in body, body
    net = body["data"]["carerNetwork"]
    children = {c["id"]: c for c in net["children"]}
    assert set(children) == FAMILY - {"c-sam"}
    cares = {(x["from"], x["to"]) for x in net["links"] if x["kind"] == "CARES_FOR"}
    assert cares == {("k-karen", c) for c in FAMILY - {"c-sam"}}
    assert any(x["kind"] == "INVOLVED_WITH" and x["to"] == "p-lee" for x in net["links"])
    assert_nothing_of_where(body, today)
    assert body["extensions"]["cypherRoundTrips"] == 3  # R2's count, the household, the children
    (event,) = audit_events(sync_driver, request_id)
    assert set(event["childIds"]) == FAMILY - {"c-sam"}
    assert event["reason"] == REASON
    assert "Carer:k-karen.network" in event["disclosed"]
    assert "NetworkLink:k-karen-CARES_FOR-c-sam" in event["denied"]


async def test_carer_network_of_the_father_sam_lives_with_shows_nothing_of_sam(
    as_viewer, sync_driver, today
) -> None:
    request_id = uuid.uuid4().hex
    body = await _lead(as_viewer).post(
        CARER_NETWORK, {"id": "k-sam-father", "reason": REASON}, X_Request_Id=request_id
    )
    # A carer of shielded children only is answered like an id that is no carer (R4).
    unknown = await _lead(as_viewer).post(CARER_NETWORK, {"id": "k-nobody", "reason": REASON})
    assert body["data"] is None and body["errors"] == unknown["errors"]
    assert "c-sam" not in json.dumps(body)
    (event,) = audit_events(sync_driver, request_id)
    assert event["childIds"] == []
    assert "NetworkLink:k-sam-father-CARES_FOR-c-sam" in event["denied"]


async def test_unknown_carer_is_not_found(as_viewer) -> None:
    body = await _lead(as_viewer).post(CARER_NETWORK, {"id": "k-nobody", "reason": REASON})
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
