"""Hannah's story: the practitioners keep the index right (issue 19; CAF guide 2.15,
ICS guidance note 3.1, "ContactPoint explained").

- The school's system reports Melanie as Ellie's lead professional: the index shows her
  as Ellie's lead to Steve at housing, and her involvement as the lead one.
- Steve records his own involvement with Jack (housing support for the family); the
  housing system later reports the same involvement: Jack's record shows it once, now the
  feed's.
- Melanie finds Hannah's address wrong and reports it; Northbridge's index team finds it
  in their queue and resolves it.

Every step is a GraphQL request (the feed's too, as the FEED role); the assertions are
what each person then sees.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import neo4j
import pytest

from feeds.plan import derived_id
from policies.viewer import Role
from tests.api.consent_support import fresh_family, ok

__all__ = ["fresh_family"]

pytestmark = pytest.mark.usefixtures("fresh_family")

INGEST = """
mutation Ingest($source: String!, $records: [IngestRecord!]!) {
  ingest(source: $source, records: $records) { accepted rejected errors { sourceRef code } }
}
"""
VIEW = """
  leadProfessional { id name service { name } }
  involvements { id source isLeadProfessional active practitioner { id name } service { id } }
"""
CHILD = f"query C($id: ID!) {{ child(id: $id) {{ {VIEW} }} }}"
RECORD_OWN = f"""
mutation Own($input: RecordOwnInvolvementInput!) {{ recordOwnInvolvement(input: $input) {{ {VIEW} }} }}
"""
REPORT = """
mutation R($childId: ID!, $field: RecordErrorField!, $description: String!) {
  reportRecordError(childId: $childId, field: $field, description: $description) { id status }
}
"""
QUEUE = """
query { recordErrors { id childId field description reporter { name } } }
"""
RESOLVE = """
mutation S($id: ID!, $outcome: RecordErrorOutcome!, $note: String) {
  resolveRecordError(id: $id, outcome: $outcome, note: $note) { id status outcome resolution }
}
"""


@pytest.fixture
def systems(sync_driver: neo4j.Driver) -> Iterator[dict[str, str]]:
    """The school's and the housing office's feeds, under names of this test's own."""
    names = {
        "school": f"school-mis-{uuid.uuid4().hex[:8]}",
        "housing": f"ho-{uuid.uuid4().hex[:8]}",
    }
    yield names
    for source in names.values():
        sync_driver.execute_query(
            "MATCH (n:Involvement|FeedRecord) WHERE n.source = $s DETACH DELETE n", s=source
        )
    sync_driver.execute_query("MATCH (e:RecordError) DETACH DELETE e")


def _start(ref: str, child_nhs: str, service: str, practitioner: str, lead: bool) -> dict[str, Any]:
    payload = {"child": {"nhsNumber": child_nhs}, "serviceId": service,
               "practitionerId": practitioner, "startedOn": "2026-09-01",
               "isLeadProfessional": lead}  # fmt: skip
    return {"sourceRef": ref, "op": "START_INVOLVEMENT", "payload": json.dumps(payload)}


async def _ingest(as_viewer, source: str, *records: dict[str, Any]) -> None:
    feed = as_viewer(Role.FEED, source=source, local_authority=None, practitioner_id=None)
    report = ok(await feed.post(INGEST, {"source": source, "records": list(records)}), "ingest")
    assert report["accepted"] == len(records), report


async def test_a_feeds_lead_professional_is_on_the_index(as_viewer, systems) -> None:
    steve = as_viewer(practitioner_id="p-steve")
    before = ok(await steve.post(CHILD, {"id": "c-ellie"}), "child")
    assert before["leadProfessional"] is None
    await _ingest(
        as_viewer,
        systems["school"],
        _start("ELLIE-LEAD", "9990001030", "s-oakfield-school", "p-melanie", lead=True),
    )
    ellie = ok(await steve.post(CHILD, {"id": "c-ellie"}), "child")
    assert ellie["leadProfessional"] == {
        "id": "p-melanie",
        "name": "Melanie Hart",
        "service": {"name": "Oakfield Academy"},
    }
    (hers,) = [i for i in ellie["involvements"] if i["source"] == systems["school"]]
    assert hers["isLeadProfessional"] is True and hers["practitioner"]["id"] == "p-melanie"
    others = [i for i in ellie["involvements"] if i["source"] != systems["school"]]
    assert others and not any(i["isLeadProfessional"] for i in others)


async def test_steves_own_involvement_is_confirmed_by_the_housing_feed_once(
    as_viewer, systems
) -> None:
    steve = as_viewer(practitioner_id="p-steve")
    jack = ok(
        await steve.post(
            RECORD_OWN,
            {"input": {"childId": "c-jack", "purpose": "housing support for the family"}},
        ),
        "recordOwnInvolvement",
    )
    (own,) = [i for i in jack["involvements"] if i["source"] == "practitioner:p-steve"]
    # Melanie sees it like any involvement (R5).
    melanie = as_viewer(practitioner_id="p-melanie")
    seen = ok(await melanie.post(CHILD, {"id": "c-jack"}), "child")
    assert own["id"] in {i["id"] for i in seen["involvements"]}

    await _ingest(
        as_viewer,
        systems["housing"],
        _start("HO-JW-1", "9990001022", "s-nbr-housing", "p-steve", lead=False),
    )
    after = ok(await melanie.post(CHILD, {"id": "c-jack"}), "child")
    steves = [i for i in after["involvements"] if (i["practitioner"] or {}).get("id") == "p-steve"]
    assert len(steves) == 1, steves
    assert steves[0]["source"] == systems["housing"]
    assert steves[0]["id"] == derived_id("i-", systems["housing"], "HO-JW-1")
    assert steves[0]["active"] is True


async def test_melanies_report_of_a_wrong_address_is_resolved(as_viewer) -> None:
    melanie = as_viewer(practitioner_id="p-melanie")
    receipt = ok(
        await melanie.post(
            REPORT,
            {
                "childId": "c-hannah",
                "field": "ADDRESS",
                "description": "The family moved to 4 Elm Road in September.",
            },
        ),
        "reportRecordError",
    )
    index_team = as_viewer(Role.INDEX_ADMIN, practitioner_id=None, local_authority="NBR")
    (queued,) = ok(await index_team.post(QUEUE), "recordErrors")
    assert queued["childId"] == "c-hannah" and queued["field"] == "ADDRESS"
    assert queued["reporter"] == {"name": "Melanie Hart"}
    done = ok(
        await index_team.post(
            RESOLVE,
            {"id": receipt["id"], "outcome": "SOURCE_ASKED_TO_CORRECT", "note": "asked the MIS"},
        ),
        "resolveRecordError",
    )
    assert done == {
        "id": receipt["id"],
        "status": "RESOLVED",
        "outcome": "SOURCE_ASKED_TO_CORRECT",
        "resolution": "asked the MIS",
    }
    assert ok(await index_team.post(QUEUE), "recordErrors") == []
