"""Record errors through GraphQL (issue 19): reported by a practitioner, queued for the
index team of the child's local authority, resolved with an outcome, audited; no oracle
for a child the reporter cannot find (R4)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import neo4j
import pytest

from policies.viewer import Role
from tests.api.consent_support import codes, count, error, ok

REPORT = """
mutation R($childId: ID!, $field: RecordErrorField!, $description: String!) {
  reportRecordError(childId: $childId, field: $field, description: $description) {
    id status reportedAt
  }
}
"""
FIELDS = """id childId field description status reportedAt reporter { practitionerId name }
  outcome resolution resolvedAt resolvedBy"""
QUEUE = f"""
query Q($la: String, $status: RecordErrorStatus) {{
  recordErrors(localAuthority: $la, status: $status) {{ {FIELDS} }}
}}
"""
RESOLVE = f"""
mutation S($id: ID!, $outcome: RecordErrorOutcome!, $note: String) {{
  resolveRecordError(id: $id, outcome: $outcome, note: $note) {{ {FIELDS} }}
}}
"""


@pytest.fixture(autouse=True)
def no_reports(sync_driver: neo4j.Driver) -> Iterator[None]:
    sync_driver.execute_query("MATCH (e:RecordError) DETACH DELETE e")
    yield
    sync_driver.execute_query("MATCH (e:RecordError) DETACH DELETE e")


def _admin(as_viewer, la: str = "NBR"):
    return as_viewer(Role.INDEX_ADMIN, practitioner_id=None, local_authority=la)


async def test_a_report_is_queued_resolved_and_audited(as_viewer, sync_driver) -> None:
    melanie = as_viewer(practitioner_id="p-melanie")
    receipt = ok(
        await melanie.post(
            REPORT,
            {"childId": "c-hannah", "field": "ADDRESS", "description": "moved to 4 Elm Road"},
        ),
        "reportRecordError",
    )
    assert receipt["status"] == "OPEN"
    admin = _admin(as_viewer)
    (queued,) = ok(await admin.post(QUEUE, {}), "recordErrors")
    assert queued["id"] == receipt["id"] and queued["childId"] == "c-hannah"
    assert queued["field"] == "ADDRESS" and queued["description"] == "moved to 4 Elm Road"
    assert queued["reporter"] == {"practitionerId": "p-melanie", "name": "Melanie Hart"}
    # Another authority's team sees none of it, and may not resolve it.
    other = _admin(as_viewer, "EVL")
    assert ok(await other.post(QUEUE, {}), "recordErrors") == []
    assert codes(await other.post(QUEUE, {"la": "NBR"})) == ["FORBIDDEN"]
    assert codes(await other.post(RESOLVE, {"id": receipt["id"], "outcome": "CORRECTED"})) == [
        "NOT_FOUND"
    ]
    done = ok(
        await admin.post(
            RESOLVE, {"id": receipt["id"], "outcome": "SOURCE_ASKED_TO_CORRECT", "note": "MIS"}
        ),
        "resolveRecordError",
    )
    assert done["status"] == "RESOLVED" and done["outcome"] == "SOURCE_ASKED_TO_CORRECT"
    assert done["resolution"] == "MIS" and done["resolvedAt"] and done["resolvedBy"]
    assert ok(await admin.post(QUEUE, {}), "recordErrors") == []
    (closed,) = ok(await admin.post(QUEUE, {"status": "RESOLVED"}), "recordErrors")
    assert closed["id"] == receipt["id"]
    again = await admin.post(RESOLVE, {"id": receipt["id"], "outcome": "CORRECTED"})
    assert codes(again) == ["NOT_FOUND"]
    # Each step is an audit event naming Hannah.
    for action in ("reportRecordError", "recordErrors", "resolveRecordError"):
        assert (
            count(
                sync_driver,
                "MATCH (e:AuditEvent), (m:AuditMention) WHERE m.key STARTS WITH 'c-hannah ' "
                "AND m.key ENDS WITH ' ' + e.id AND e.action = $a RETURN count(e)",
                a=action,
            )
            >= 1
        ), action


async def test_no_oracle_for_a_child_the_reporter_cannot_find(as_viewer, sync_driver) -> None:
    """An unknown id and an archived child answer alike, and as Query.child does; Sam
    (shielded, findable by id) can be reported on, and his receipt says nothing of him."""
    sync_driver.execute_query(
        "MERGE (c:Child {id: 'c-archived-re'}) SET c.givenName = 'Old', c.familyName = 'Case',"
        " c.dateOfBirth = date('2001-01-01'), c.gender = 'MALE', c.localAuthority = 'NBR',"
        " c.shielded = false, c.archivedOn = date('2019-01-01')"
    )
    try:
        lee = as_viewer(practitioner_id="p-lee")
        args = {"field": "NAME", "description": "wrong spelling"}
        unknown = await lee.post(REPORT, {"childId": "c-nobody", **args})
        archived = await lee.post(REPORT, {"childId": "c-archived-re", **args})
        looked_up = await lee.post(
            "query C($id: ID!) { child(id: $id) { id } }", {"id": "c-nobody"}
        )
        assert error(unknown) == error(archived)
        assert error(unknown)["message"] == error(looked_up)["message"]
        assert error(unknown)["extensions"]["code"] == "NOT_FOUND"
        sam = ok(await lee.post(REPORT, {"childId": "c-sam", **args}), "reportRecordError")
        assert set(sam) == {"id", "status", "reportedAt"}
        assert count(sync_driver, "MATCH (e:RecordError) RETURN count(e)") == 1
    finally:
        sync_driver.execute_query("MATCH (c:Child {id: 'c-archived-re'}) DETACH DELETE c")


async def test_a_report_from_a_sensitive_service_is_not_there_for_the_index_team(
    as_viewer,
) -> None:
    """Red team (MEDIUM, R6): the clinic nurse's report was listed with `reporter: null`,
    and that blank said Hannah goes to a sensitive service. It is not listed at all, and
    resolving it by id answers exactly as an unknown id does, writing nothing."""
    nurse = as_viewer(practitioner_id="p-nurse")
    hidden = ok(
        await nurse.post(
            REPORT, {"childId": "c-hannah", "field": "GENDER", "description": "recorded wrong"}
        ),
        "reportRecordError",
    )
    melanie = as_viewer(practitioner_id="p-melanie")
    shown = ok(
        await melanie.post(
            REPORT, {"childId": "c-hannah", "field": "NAME", "description": "spelt wrong"}
        ),
        "reportRecordError",
    )
    admin = _admin(as_viewer)
    queued = ok(await admin.post(QUEUE, {}), "recordErrors")
    assert [q["id"] for q in queued] == [shown["id"]]
    assert "p-nurse" not in json.dumps(queued) and "Asha" not in json.dumps(queued)
    answers = [
        await admin.post(RESOLVE, {"id": error_id, "outcome": "CORRECTED"})
        for error_id in (hidden["id"], "re-no-such-report")
    ]
    assert answers[0]["errors"] == answers[1]["errors"]
    assert error(answers[0])["extensions"]["code"] == "NOT_FOUND"
    still = ok(await admin.post(QUEUE, {"status": "RESOLVED"}), "recordErrors")
    assert hidden["id"] not in json.dumps(still)


async def test_wrong_roles_and_bad_input(as_viewer) -> None:
    for role in (Role.ANALYST, Role.AUDITOR, Role.FEED):
        caller = as_viewer(role, practitioner_id=None, source="x" if role == Role.FEED else None)
        body = await caller.post(
            REPORT, {"childId": "c-hannah", "field": "NAME", "description": "x"}
        )
        assert codes(body) == ["FORBIDDEN"], (role, body)
    practitioner = as_viewer(practitioner_id="p-melanie")
    assert codes(await practitioner.post(QUEUE, {})) == ["FORBIDDEN"]
    blank = await practitioner.post(
        REPORT, {"childId": "c-hannah", "field": "NAME", "description": "  "}
    )
    assert error(blank)["extensions"] == {"code": "BAD_USER_INPUT", "field": "description"}
    no_purpose = as_viewer(practitioner_id="p-melanie", purpose=None)
    body = await no_purpose.post(
        REPORT, {"childId": "c-hannah", "field": "NAME", "description": "x"}
    )
    assert codes(body) == ["BAD_USER_INPUT"]
    for role in (Role.ANALYST, Role.AUDITOR):
        caller = as_viewer(role, practitioner_id=None)
        assert codes(await caller.post(WITHDRAW, {"id": "re-x"})) == ["FORBIDDEN"], role


WITHDRAW = """
mutation W($id: ID!, $note: String) {
  withdrawRecordError(id: $id, note: $note) { id status reportedAt }
}
"""


async def test_the_reporter_alone_withdraws_a_report_the_team_cannot_see(as_viewer) -> None:
    """SECURITY.md (Low): a report made from a sensitive service, which the index team
    may not know of, was kept open for good. Its reporter closes it; to anyone else its
    id answers as an unknown one does, and the team still never sees it."""
    nurse = as_viewer(practitioner_id="p-nurse")
    hidden = ok(
        await nurse.post(
            REPORT, {"childId": "c-hannah", "field": "GENDER", "description": "recorded wrong"}
        ),
        "reportRecordError",
    )
    unknown = await nurse.post(WITHDRAW, {"id": "re-no-such-report"})
    for other in (as_viewer(practitioner_id="p-melanie"), _admin(as_viewer)):
        theirs = await other.post(WITHDRAW, {"id": hidden["id"]})
        assert theirs["errors"] == unknown["errors"]
        assert error(theirs)["extensions"]["code"] == "NOT_FOUND"
    done = ok(
        await nurse.post(WITHDRAW, {"id": hidden["id"], "note": "rang the team"}),
        "withdrawRecordError",
    )
    assert done == {**hidden, "status": "RESOLVED"}
    again = await nurse.post(WITHDRAW, {"id": hidden["id"]})
    assert again["errors"] == unknown["errors"]
    admin = _admin(as_viewer)
    for status in ("OPEN", "RESOLVED"):
        listed = ok(await admin.post(QUEUE, {"status": status}), "recordErrors")
        assert hidden["id"] not in json.dumps(listed)


async def test_a_withdrawn_report_the_team_can_see_is_listed_as_withdrawn(as_viewer) -> None:
    melanie = as_viewer(practitioner_id="p-melanie")
    report = ok(
        await melanie.post(
            REPORT, {"childId": "c-hannah", "field": "NAME", "description": "spelt wrong"}
        ),
        "reportRecordError",
    )
    ok(await melanie.post(WITHDRAW, {"id": report["id"]}), "withdrawRecordError")
    admin = _admin(as_viewer)
    assert ok(await admin.post(QUEUE, {}), "recordErrors") == []
    (listed,) = ok(await admin.post(QUEUE, {"status": "RESOLVED"}), "recordErrors")
    assert (listed["id"], listed["outcome"], listed["resolvedBy"]) == (
        report["id"],
        "WITHDRAWN",
        "p-melanie",
    )
    closed = await admin.post(RESOLVE, {"id": report["id"], "outcome": "CORRECTED"})
    assert error(closed)["extensions"]["code"] == "NOT_FOUND"


async def test_hidden_reports_however_many_never_hide_one_the_team_may_see(
    as_viewer, sync_driver: neo4j.Driver
) -> None:
    """SECURITY.md (Low): the listing read on past hidden reports 100 at a time, up to
    1,000, so more than that, older than a report the team may see, hid it for good. The
    hidden ones are now read apart from the others."""
    nurse = as_viewer(practitioner_id="p-nurse")
    first = ok(
        await nurse.post(
            REPORT, {"childId": "c-hannah", "field": "GENDER", "description": "recorded wrong"}
        ),
        "reportRecordError",
    )
    # 1,200 more like it, all older than the one the team may see.
    sync_driver.execute_query(
        "MATCH (e:RecordError {id: $id})-[:ABOUT]->(c:Child) "
        "WITH e, c, properties(e) AS p UNWIND range(1, 1200) AS n "
        "CREATE (x:RecordError) SET x = p {.*, id: 're-hidden-' + n, "
        "  reportedAt: e.reportedAt - duration({seconds: n})} "
        "CREATE (x)-[:ABOUT]->(c)",
        id=first["id"],
    )
    melanie = as_viewer(practitioner_id="p-melanie")
    shown = ok(
        await melanie.post(
            REPORT, {"childId": "c-hannah", "field": "NAME", "description": "spelt wrong"}
        ),
        "reportRecordError",
    )
    queued = ok(await _admin(as_viewer).post(QUEUE, {}), "recordErrors")
    assert [q["id"] for q in queued] == [shown["id"]]
