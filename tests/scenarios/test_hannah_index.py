"""Hannah's story through GraphQL: who else is working with her, under R4 to R6 and R14."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import neo4j
import pytest

from tests.queries import CHILD_PROFILE, SEARCH


def _search_hannah(today: date) -> dict[str, Any]:
    dob = _hannah_dob(today)
    return {"input": {"familyName": "Whitlock", "dateOfBirth": dob.isoformat()}}


def _hannah_dob(today: date) -> date:
    from seed import hannah

    scenario = hannah.scenario(today)
    return next(c["dateOfBirth"] for c in scenario.children if c["id"] == "c-hannah")


def _involvements(child: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {i["id"]: i for i in child["involvements"]}


async def test_melanie_finds_hannah_and_sees_who_is_involved(as_viewer, today) -> None:
    melanie = as_viewer(practitioner_id="p-melanie")
    body = await melanie.post(SEARCH, _search_hannah(today))
    assert "errors" not in body, body
    result = body["data"]["searchChildren"]
    hannah = next(c for c in result["matches"] if c["id"] == "c-hannah")
    assert result["truncated"] is False
    seen = _involvements(hannah)
    # The school, Lee at the youth service with his phone, the social care involvement
    # that ended six months ago...
    assert seen["i-hannah-school"]["practitioner"]["id"] == "p-melanie"
    lee = seen["i-hannah-youth"]["practitioner"]
    assert lee["name"].startswith("Lee")
    assert lee["contact"]["phone"]
    recent = seen["i-hannah-sc-recent"]
    assert recent["active"] is False and recent["endedOn"] is not None
    assert (today - date.fromisoformat(recent["endedOn"])).days < 365
    # ...and not the one that ended more than a year ago, nor the clinic (R5, R6).
    assert "i-hannah-sc-old" not in seen
    assert "i-hannah-clinic" not in seen
    assert all(not i["service"]["sensitive"] for i in hannah["involvements"])
    assert hannah["address"]["postcode"]
    assert {c["id"] for c in hannah["carers"]} == {"k-karen"}


async def test_clinic_invisible_to_lee_visible_to_the_nurse(as_viewer) -> None:
    lee = await as_viewer(practitioner_id="p-lee").post(CHILD_PROFILE, {"id": "c-hannah"})
    assert "i-hannah-clinic" not in _involvements(lee["data"]["child"])
    nurse = await as_viewer(practitioner_id="p-nurse").post(CHILD_PROFILE, {"id": "c-hannah"})
    clinic = _involvements(nurse["data"]["child"])["i-hannah-clinic"]
    assert clinic["service"]["kind"] == "SEXUAL_HEALTH"
    assert clinic["practitioner"]["contact"]["phone"]


def _grant(driver: neo4j.Driver, **props: Any) -> str:
    """A grant written as the clinic's nurse would record it (R6b: the clinic passes it on)."""
    grant_id = f"g-test-{uuid.uuid4().hex[:8]}"
    driver.execute_query(
        """
        MATCH (c:Child {id: $child}), (s:Service {id: $service}), (p:Practitioner {id: $to})
        CREATE (g:ConsentGrant {id: $id, purpose: 'SHARE_CONTACT_DETAILS', state: $state,
                method: 'WRITTEN', givenByChild: true, competenceAssessed: true,
                recordedOn: datetime() - duration('PT1M'), expiresOn: $expires, recordedBy: 'test',
                recordedByServiceIds: $recordedBy})
        CREATE (g)-[:ABOUT]->(c), (g)-[:COVERS]->(s), (g)-[:GRANTED_TO]->(p)
        """,
        id=grant_id,
        child="c-hannah",
        service="s-nbr-sexual-health",
        to=props.get("to", "p-melanie"),
        state=props.get("state", "ACTIVE"),
        expires=props.get("expires"),
        recordedBy=props.get("recorded_by", ["s-nbr-sexual-health"]),
    )
    return grant_id


def _delete(driver: neo4j.Driver, node_id: str) -> None:
    driver.execute_query("MATCH (n {id: $id}) DETACH DELETE n", id=node_id)


async def test_consent_naming_melanie_reveals_the_clinic_to_her_only(
    as_viewer, sync_driver
) -> None:
    grant_id = _grant(sync_driver)
    try:
        melanie = await as_viewer(practitioner_id="p-melanie").post(
            CHILD_PROFILE, {"id": "c-hannah"}
        )
        assert "i-hannah-clinic" in _involvements(melanie["data"]["child"])
        lee = await as_viewer(practitioner_id="p-lee").post(CHILD_PROFILE, {"id": "c-hannah"})
        assert "i-hannah-clinic" not in _involvements(lee["data"]["child"])
        # Withdrawal takes effect on the very next request (R10).
        sync_driver.execute_query(
            "MATCH (g:ConsentGrant {id: $id}) SET g.state = 'WITHDRAWN', g.withdrawnOn = datetime()",
            id=grant_id,
        )
        again = await as_viewer(practitioner_id="p-melanie").post(CHILD_PROFILE, {"id": "c-hannah"})
        assert "i-hannah-clinic" not in _involvements(again["data"]["child"])
    finally:
        _delete(sync_driver, grant_id)


async def test_consent_the_clinic_did_not_record_does_not_reveal(as_viewer, sync_driver) -> None:
    """R6b: a grant recorded by the school (or by nobody known) cannot open the clinic."""
    for recorded_by in (["s-oakfield-school"], []):
        grant_id = _grant(sync_driver, recorded_by=recorded_by)
        try:
            body = await as_viewer(practitioner_id="p-melanie").post(
                CHILD_PROFILE, {"id": "c-hannah"}
            )
            assert "i-hannah-clinic" not in _involvements(body["data"]["child"])
        finally:
            _delete(sync_driver, grant_id)


@pytest.mark.parametrize(
    "state,expires_days", [("ACTIVE", -1), ("WITHDRAWN", None), ("REFUSED", None)]
)
async def test_stale_consent_does_not_reveal(
    as_viewer, sync_driver, today, state, expires_days
) -> None:
    expires = today + timedelta(days=expires_days) if expires_days is not None else None
    grant_id = _grant(sync_driver, state=state, expires=expires)
    try:
        body = await as_viewer(practitioner_id="p-melanie").post(CHILD_PROFILE, {"id": "c-hannah"})
        assert "i-hannah-clinic" not in _involvements(body["data"]["child"])
    finally:
        _delete(sync_driver, grant_id)
