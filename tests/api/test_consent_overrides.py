"""Sharing without consent (R9), decisions to share or not (CAF guide 4.24), setShielded (R4)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta

import neo4j
import pytest

from policies.viewer import Role
from tests.api.consent_support import (
    FOR_REVIEW,
    READ_CAF,
    RECORD_OVERRIDE,
    SHARING_DECISION,
    codes,
    count,
    error,
    fresh_family,
    ok,
    start_caf,
)
from tests.queries import CHILD_FIELDS, CHILD_PROFILE

__all__ = ["fresh_family"]

pytestmark = pytest.mark.usefixtures("fresh_family")

JUSTIFICATION = "Police report of a threat to the child at home last night"
SET_SHIELDED = f"""
mutation($childId: ID!, $shielded: Boolean!, $reason: String!) {{
  setShielded(childId: $childId, shielded: $shielded, reason: $reason) {{ {CHILD_FIELDS} }}
}}
"""


def _override(child_id: str = "c-hannah", justification: str = JUSTIFICATION) -> dict:
    return {
        "input": {
            "childId": child_id,
            "ground": "SIGNIFICANT_HARM_EVIDENCE",
            "justification": justification,
        }
    }


def _involvement_ids(body: dict) -> set[str]:
    return {i["id"] for i in ok(body, "child")["involvements"]}


@pytest.mark.parametrize("justification", ["", "too short", " " * 30, "x" * 19])
async def test_an_override_with_a_short_justification_is_refused(
    as_viewer, sync_driver, justification
) -> None:
    body = await as_viewer(practitioner_id="p-lee").post(
        RECORD_OVERRIDE, _override(justification=justification)
    )
    assert error(body)["extensions"] == {"code": "BAD_USER_INPUT", "field": "input.justification"}
    assert "20 characters" in error(body)["message"]
    assert count(sync_driver, "MATCH (o:AccessOverride) RETURN count(o)") == 0


@pytest.mark.parametrize("role", [Role.INDEX_ADMIN, Role.ANALYST, Role.AUDITOR])
async def test_only_practitioners_and_leads_record_overrides(as_viewer, role) -> None:
    body = await as_viewer(role).post(RECORD_OVERRIDE, _override())
    assert codes(body) == ["FORBIDDEN"]


async def test_a_practitioners_override_opens_r6_and_r7_for_72_hours(
    as_viewer, sync_driver
) -> None:
    melanie = as_viewer(practitioner_id="p-melanie")
    caf = await start_caf(melanie)
    steve = as_viewer(practitioner_id="p-steve")
    assert "i-hannah-clinic" not in _involvement_ids(
        await steve.post(CHILD_PROFILE, {"id": "c-hannah"})
    )
    request_id = uuid.uuid4().hex
    body = await steve.post(RECORD_OVERRIDE, _override(), X_Request_Id=request_id)
    override = ok(body, "recordAccessOverride")
    recorded = datetime.fromisoformat(override["recordedAt"])
    assert datetime.fromisoformat(override["expiresAt"]) - recorded == timedelta(hours=72)
    assert override["liftsShielding"] is False and override["active"] is True
    assert override["recordedBy"]["id"] == "p-steve"
    (event,) = [
        r["a"]
        for r in sync_driver.execute_query(
            "MATCH (a:AuditEvent {clientRequestId: $rid}) RETURN a { .* } AS a", rid=request_id
        ).records
    ]
    assert event["overrideId"] == override["id"]
    assert JUSTIFICATION in event["reason"] and "SIGNIFICANT_HARM_EVIDENCE" in event["reason"]
    # From the next request on: the clinic (R6c) and the CAF (R7) for Steve, nobody else.
    assert "i-hannah-clinic" in _involvement_ids(
        await steve.post(CHILD_PROFILE, {"id": "c-hannah"})
    )
    read = ok(await steve.post(READ_CAF, {"childId": "c-hannah", "id": caf["id"]}), "child")
    assert read["assessment"]["id"] == caf["id"]
    lee = as_viewer(practitioner_id="p-lee")
    assert "i-hannah-clinic" not in _involvement_ids(
        await lee.post(CHILD_PROFILE, {"id": "c-hannah"})
    )
    # 72 hours later it is over.
    sync_driver.execute_query(
        "MATCH (o:AccessOverride {id: $id}) SET o.recordedAt = o.recordedAt - duration('PT73H'),"
        " o.expiresAt = o.expiresAt - duration('PT73H')",
        id=override["id"],
    )
    assert "i-hannah-clinic" not in _involvement_ids(
        await steve.post(CHILD_PROFILE, {"id": "c-hannah"})
    )
    read = ok(await steve.post(READ_CAF, {"childId": "c-hannah", "id": caf["id"]}), "child")
    assert read["assessment"] is None


async def test_only_a_leads_override_lifts_shielding_and_only_for_an_hour(
    as_viewer, sync_driver, today
) -> None:
    from seed import hannah

    sam = next(c for c in hannah.scenario(today).children if c["id"] == "c-sam")
    practitioner = as_viewer(practitioner_id="p-eastvale", local_authority="EVL")
    ok(await practitioner.post(RECORD_OVERRIDE, _override("c-sam")), "recordAccessOverride")
    seen = ok(await practitioner.post(CHILD_PROFILE, {"id": "c-sam"}), "child")
    assert seen["address"] is None and seen["carers"] == []
    assert sam["postcode"] not in json.dumps(seen)

    lead = as_viewer(Role.SAFEGUARDING_LEAD, practitioner_id="p-gp")
    override = ok(await lead.post(RECORD_OVERRIDE, _override("c-sam")), "recordAccessOverride")
    assert override["liftsShielding"] is True
    seen = ok(await lead.post(CHILD_PROFILE, {"id": "c-sam"}), "child")
    assert seen["address"]["postcode"] == sam["postcode"]
    sync_driver.execute_query(
        "MATCH (o:AccessOverride {id: $id}) SET o.recordedAt = o.recordedAt - duration('PT61M')",
        id=override["id"],
    )
    seen = ok(await lead.post(CHILD_PROFILE, {"id": "c-sam"}), "child")
    assert seen["address"] is None and sam["postcode"] not in json.dumps(seen)


async def test_overrides_are_listed_for_review_newest_first(as_viewer) -> None:
    first = ok(
        await as_viewer(practitioner_id="p-steve").post(RECORD_OVERRIDE, _override()),
        "recordAccessOverride",
    )
    second = ok(
        await as_viewer(practitioner_id="p-lee").post(RECORD_OVERRIDE, _override("c-jack")),
        "recordAccessOverride",
    )
    lead = as_viewer(Role.SAFEGUARDING_LEAD, practitioner_id="p-gp", local_authority="NBR")
    listed = ok(await lead.post(FOR_REVIEW, {"first": 10}), "overridesForReview")
    ids = [o["id"] for o in listed]
    assert ids.index(second["id"]) < ids.index(first["id"])
    assert listed[ids.index(first["id"])]["justification"] == JUSTIFICATION
    assert len(ok(await lead.post(FOR_REVIEW, {"first": 1}), "overridesForReview")) == 1
    # Another local authority's lead reviews their own area only; others may not review.
    other = as_viewer(Role.SAFEGUARDING_LEAD, practitioner_id="p-eastvale", local_authority="EVL")
    assert ok(await other.post(FOR_REVIEW, {}), "overridesForReview") == []
    assert codes(await as_viewer(practitioner_id="p-lee").post(FOR_REVIEW, {})) == ["FORBIDDEN"]
    assert codes(await as_viewer(Role.INDEX_ADMIN).post(FOR_REVIEW, {})) == ["FORBIDDEN"]
    for bad in (0, 501, -3):
        body = await lead.post(FOR_REVIEW, {"first": bad})
        assert error(body)["extensions"] == {"code": "BAD_USER_INPUT", "field": "first"}


async def test_decisions_to_share_and_not_to_share_are_both_recorded(
    as_viewer, sync_driver
) -> None:
    melanie = as_viewer(practitioner_id="p-melanie")
    not_shared = ok(
        await melanie.post(
            SHARING_DECISION,
            {
                "childId": "c-hannah",
                "shared": False,
                "withConsent": False,
                "recipient": "Eastvale High",
                "reason": "Not necessary for their purpose",
            },
        ),
        "recordSharingDecision",
    )
    assert not_shared["shared"] is False and not_shared["recipient"] == "Eastvale High"
    short = await melanie.post(
        SHARING_DECISION,
        {
            "childId": "c-hannah",
            "shared": True,
            "withConsent": False,
            "recipient": "Police",
            "reason": "risk",
        },
    )
    assert error(short)["extensions"] == {"code": "BAD_USER_INPUT", "field": "reason"}
    blank = await melanie.post(
        SHARING_DECISION,
        {
            "childId": "c-hannah",
            "shared": True,
            "withConsent": True,
            "recipient": " ",
            "reason": "with her consent",
        },
    )
    assert error(blank)["extensions"]["field"] == "recipient"
    outsider = await as_viewer(practitioner_id="p-eastvale").post(
        SHARING_DECISION,
        {
            "childId": "c-hannah",
            "shared": False,
            "withConsent": False,
            "recipient": "x",
            "reason": "not needed",
        },
    )
    assert codes(outsider) == ["FORBIDDEN"]
    lead = as_viewer(Role.SAFEGUARDING_LEAD, practitioner_id="p-gp", local_authority="NBR")
    ok(
        await lead.post(
            SHARING_DECISION,
            {
                "childId": "c-hannah",
                "shared": True,
                "withConsent": False,
                "recipient": "Northbridge Police Child Protection Unit",
                "reason": "Reasonable cause to believe she is at risk of significant harm",
            },
        ),
        "recordSharingDecision",
    )
    assert (
        count(
            sync_driver,
            "MATCH (d:SharingDecision)-[:ABOUT]->(:Child {id: 'c-hannah'}) RETURN count(d)",
        )
        == 2
    )


@pytest.fixture
def jack_unshielded(sync_driver: neo4j.Driver) -> Iterator[None]:
    yield
    sync_driver.execute_query("MATCH (c:Child {id: 'c-jack'}) SET c.shielded = false")


async def test_set_shielded_is_for_the_childs_own_index_team(
    as_viewer, sync_driver, jack_unshielded
) -> None:
    for caller in (
        as_viewer(practitioner_id="p-melanie"),
        as_viewer(Role.SAFEGUARDING_LEAD, practitioner_id="p-gp"),
        as_viewer(Role.INDEX_ADMIN, local_authority="EVL"),
    ):
        body = await caller.post(
            SET_SHIELDED, {"childId": "c-jack", "shielded": True, "reason": "risk"}
        )
        assert codes(body) == ["FORBIDDEN"]
    admin = as_viewer(Role.INDEX_ADMIN, local_authority="NBR")
    blank = await admin.post(SET_SHIELDED, {"childId": "c-jack", "shielded": True, "reason": ""})
    assert error(blank)["extensions"] == {"code": "BAD_USER_INPUT", "field": "reason"}
    request_id = uuid.uuid4().hex
    body = await admin.post(
        SET_SHIELDED,
        {"childId": "c-jack", "shielded": True, "reason": "Court order: placement at risk"},
        X_Request_Id=request_id,
    )
    jack = ok(body, "setShielded")
    assert jack["shielded"] is True and jack["address"] is not None  # own index team sees all
    assert body["extensions"]["cypherRoundTrips"] == 2
    event = sync_driver.execute_query(
        "MATCH (a:AuditEvent {clientRequestId: $rid}) RETURN a { .* } AS a", rid=request_id
    ).records[0]["a"]
    assert event["action"] == "setShielded" and "Court order" in event["reason"]
    seen = ok(
        await as_viewer(practitioner_id="p-melanie").post(CHILD_PROFILE, {"id": "c-jack"}), "child"
    )
    assert seen["shielded"] is True and seen["address"] is None and seen["carers"] == []
    assert codes(
        await admin.post(SET_SHIELDED, {"childId": "c-nobody", "shielded": True, "reason": "x"})
    ) == ["NOT_FOUND"]
