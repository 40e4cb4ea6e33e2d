"""overdueReviews, sharingDecisions and cafFigures through GraphQL against the real graph,
and the ways round them that must fail: the wrong role, another local authority, a
shielded child's CAF (R4), a CAF held from a sensitive service (R7), aliases."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta

import neo4j
import pytest

from policies.viewer import Role
from tests.api.consent_support import (
    SHARING_DECISION,
    codes,
    fresh_family,
    join_team,
    ok,
    start_caf,
)

__all__ = ["fresh_family"]

pytestmark = pytest.mark.usefixtures("fresh_family")

OVERDUE = """
query($la: String!) { overdueReviews(localAuthority: $la) {
  assessmentId childId nextReviewOn daysOverdue holder { id name contact { phone } } } }
"""
DECISIONS = """
query($id: ID!) { sharingDecisions(childId: $id) { id shared recipient reason recordedBy { id } } }
"""
FIGURES = """
query { cafFigures { since areas { localAuthority
  openNow { count suppressed } longRunning { count suppressed } overdueReviews { count suppressed }
  openedPerMonth { month count suppressed } closedPerMonth { month count suppressed }
  medianDaysToClose medianSuppressed closuresByOutcome { outcome count suppressed } } } }
"""


def _overdue(driver: neo4j.Driver, caf_id: str, days: int) -> None:
    """The review date passed `days` ago (set when it was in the future; time went by)."""
    driver.execute_query(
        "MATCH (a:Assessment {id: $id}) SET a.nextReviewOn = date() - duration({days: $days})",
        id=caf_id,
        days=days,
    )


@pytest.fixture
def sams_caf(sync_driver: neo4j.Driver) -> Iterator[str]:
    """Sam is shielded (R4): a CAF held by his Eastvale teacher, its review overdue."""
    sync_driver.execute_query(
        """
        MATCH (c:Child {id: 'c-sam'}), (p:Practitioner {id: 'p-eastvale'})
        CREATE (a:Assessment {id: 'caf-sam-test', status: 'OPEN', startedOn: date() - duration({days: 100}),
          nextReviewOn: date() - duration({days: 3}), strengths: []})-[:ABOUT]->(c)
        CREATE (p)-[:HOLDS]->(a), (p)-[:TEAM_MEMBER_OF]->(a)
        """
    )
    yield "caf-sam-test"


async def test_overdue_reviews_by_role_and_area(
    as_viewer, sync_driver, sams_caf, today: date
) -> None:
    melanie = as_viewer(practitioner_id="p-melanie", purpose="reviews due")
    caf = await start_caf(melanie)
    _overdue(sync_driver, caf["id"], 5)

    admin = as_viewer(Role.INDEX_ADMIN, local_authority="NBR", purpose="reviews due")
    rows = ok(await admin.post(OVERDUE, {"la": "nbr"}), "overdueReviews")
    by_caf = {r["assessmentId"]: r for r in rows}
    assert by_caf[caf["id"]]["childId"] == "c-hannah"
    assert by_caf[caf["id"]]["daysOverdue"] == 5
    assert by_caf[caf["id"]]["nextReviewOn"] == (today - timedelta(days=5)).isoformat()
    assert by_caf[caf["id"]]["holder"]["id"] == "p-melanie"
    # INDEX_ADMIN of the child's own authority sees the shielded child's CAF (R4).
    assert sams_caf in by_caf

    # The holder sees her own; a practitioner with no CAF and not the lead sees none.
    mine = ok(await melanie.post(OVERDUE, {"la": "NBR"}), "overdueReviews")
    assert [r["assessmentId"] for r in mine] == [caf["id"]]
    assert (
        ok(
            await as_viewer(practitioner_id="p-steve").post(OVERDUE, {"la": "NBR"}),
            "overdueReviews",
        )
        == []
    )
    # Sam's own holder: his CAF's holder is his whereabouts, withheld outside the index team.
    eastvale = as_viewer(practitioner_id="p-eastvale", local_authority="EVL")
    assert ok(await eastvale.post(OVERDUE, {"la": "NBR"}), "overdueReviews") == []

    # Another area's index team, analysts and auditors, and no purpose: refused.
    other = as_viewer(Role.INDEX_ADMIN, local_authority="EVL")
    assert codes(await other.post(OVERDUE, {"la": "NBR"})) == ["FORBIDDEN"]
    assert codes(await as_viewer(Role.ANALYST).post(OVERDUE, {"la": "NBR"})) == ["FORBIDDEN"]
    assert codes(await as_viewer(Role.AUDITOR).post(OVERDUE, {"la": "NBR"})) == ["FORBIDDEN"]
    no_purpose = as_viewer(Role.INDEX_ADMIN, local_authority="NBR", purpose=None)
    assert codes(await no_purpose.post(OVERDUE, {"la": "NBR"})) == ["BAD_USER_INPUT"]


async def test_a_caf_held_from_a_sensitive_service_is_not_listed(as_viewer, sync_driver) -> None:
    """R7: the nurse's CAF is not there for the index team, nor in any alias."""
    nurse = as_viewer(practitioner_id="p-nurse", purpose="Hannah's CAF")
    caf = await start_caf(nurse)
    _overdue(sync_driver, caf["id"], 2)
    assert [
        r["assessmentId"] for r in ok(await nurse.post(OVERDUE, {"la": "NBR"}), "overdueReviews")
    ] == [caf["id"]]
    admin = as_viewer(Role.INDEX_ADMIN, local_authority="NBR")
    body = await admin.post(
        'query { a: overdueReviews(localAuthority: "NBR") { assessmentId holder { name } } '
        'b: overdueReviews(localAuthority: "NBR") { childId } }'
    )
    assert caf["id"] not in json.dumps(body) and "Asha" not in json.dumps(body)


async def test_sharing_decisions_are_read_back(as_viewer, sync_driver) -> None:
    melanie = as_viewer(practitioner_id="p-melanie", purpose="Hannah's CAF")
    lee = as_viewer(practitioner_id="p-lee", purpose="Hannah's CAF")
    steve = as_viewer(practitioner_id="p-steve", purpose="Hannah's CAF")
    nurse = as_viewer(practitioner_id="p-nurse", purpose="Hannah's care")
    caf = await start_caf(melanie)
    decision = {
        "childId": "c-hannah",
        "shared": False,
        "withConsent": False,
        "recipient": "Hannah's father",
        "reason": "Hannah does not see him and asked that he is not told",
    }
    ok(await melanie.post(SHARING_DECISION, decision), "recordSharingDecision")
    # A decision recorded at the sexual health clinic says Hannah goes there (R6).
    ok(
        await nurse.post(
            SHARING_DECISION,
            {
                **decision,
                "shared": True,
                "recipient": "GP",
                "reason": "Shared with the GP with consent",
            },
        ),
        "recordSharingDecision",
    )

    (mine,) = ok(await melanie.post(DECISIONS, {"id": "c-hannah"}), "sharingDecisions")
    assert mine["recipient"] == "Hannah's father" and mine["recordedBy"]["id"] == "p-melanie"
    # The nurse recorded one, but is neither lead nor in the CAF team: that is no standing.
    assert codes(await nurse.post(DECISIONS, {"id": "c-hannah"})) == ["FORBIDDEN"]

    # Lee is not in the team yet: refused; with consent and a place in the team, allowed.
    assert codes(await lee.post(DECISIONS, {"id": "c-hannah"})) == ["FORBIDDEN"]
    await join_team(melanie, caf["id"], "p-lee")
    assert [
        d["id"] for d in ok(await lee.post(DECISIONS, {"id": "c-hannah"}), "sharingDecisions")
    ] == [mine["id"]]

    # Steve is neither lead nor in the team: refused, under aliases too.
    sneaky = await steve.post(
        'query { a: sharingDecisions(childId: "c-hannah") { reason } b: sharingDecisions(childId: "c-hannah") { id } }'
    )
    assert set(codes(sneaky)) == {"FORBIDDEN"} and "father" not in json.dumps(sneaky)
    # As the lead professional he may read them.
    ok(
        await melanie.post(
            'mutation { appointLeadProfessional(childId: "c-hannah", practitionerId: "p-steve") { id } }'
        ),
        "appointLeadProfessional",
    )
    assert len(ok(await steve.post(DECISIONS, {"id": "c-hannah"}), "sharingDecisions")) == 1

    # The safeguarding lead of Hannah's area, not another area's; never an analyst.
    lead = as_viewer(Role.SAFEGUARDING_LEAD, practitioner_id="p-old-sw", local_authority="NBR")
    assert len(ok(await lead.post(DECISIONS, {"id": "c-hannah"}), "sharingDecisions")) == 1
    away = as_viewer(Role.SAFEGUARDING_LEAD, practitioner_id="p-eastvale", local_authority="EVL")
    assert codes(await away.post(DECISIONS, {"id": "c-hannah"})) == ["FORBIDDEN"]
    assert codes(await as_viewer(Role.ANALYST).post(DECISIONS, {"id": "c-hannah"})) == ["FORBIDDEN"]
    assert codes(await melanie.post(DECISIONS, {"id": "c-nobody"})) == ["NOT_FOUND"]


@pytest.fixture
def westfield_cafs(sync_driver: neo4j.Driver) -> Iterator[None]:
    """Eight CAFs in Westfield for the figures: six open (one for eight months), two closed."""
    sync_driver.execute_query(
        """
        UNWIND range(1, 8) AS i
        CREATE (c:Child {id: 'c-mi-' + i, givenName: 'Test', familyName: 'Child' + i,
          dateOfBirth: date('2015-01-01'), gender: 'NOT_KNOWN', localAuthority: 'WFD',
          shielded: false})
        CREATE (a:Assessment {id: 'caf-mi-' + i, strengths: [],
          status: CASE WHEN i <= 6 THEN 'OPEN' ELSE 'CLOSED' END,
          startedOn: date() - duration({days: CASE WHEN i = 1 THEN 240 ELSE 30 END}),
          closedOn: CASE WHEN i > 6 THEN date() ELSE null END,
          closeOutcome: CASE WHEN i > 6 THEN 'NEEDS_MET' ELSE null END,
          nextReviewOn: date() + duration({days: 10})})-[:ABOUT]->(c)
        """
    )
    yield
    sync_driver.execute_query(
        "MATCH (c:Child) WHERE c.id STARTS WITH 'c-mi-' OPTIONAL MATCH (a:Assessment)-[:ABOUT]->(c) DETACH DELETE a, c"
    )


async def test_caf_figures_for_analysts(as_viewer, westfield_cafs, today: date) -> None:
    analyst = as_viewer(Role.ANALYST, purpose=None)
    figures = ok(await analyst.post(FIGURES), "cafFigures")
    (wfd,) = [a for a in figures["areas"] if a["localAuthority"] == "WFD"]
    assert wfd["openNow"] == {"count": 6, "suppressed": False}
    # One long-running CAF and two closed ones: counts of 1 to 4 are never shown (R11).
    assert wfd["longRunning"] == {"count": None, "suppressed": True}
    assert wfd["overdueReviews"] == {"count": 0, "suppressed": False}
    this_month = today.strftime("%Y-%m")
    closed = {m["month"]: m for m in wfd["closedPerMonth"]}
    assert closed[this_month] == {"month": this_month, "count": None, "suppressed": True}
    assert wfd["medianDaysToClose"] is None and wfd["medianSuppressed"] is True
    outcomes = {o["outcome"]: o for o in wfd["closuresByOutcome"]}
    assert outcomes["NEEDS_MET"]["suppressed"] is True and outcomes["NEEDS_MET"]["count"] is None
    assert len(wfd["openedPerMonth"]) in (12, 13)
    # Nothing in the answer names a child or a CAF.
    text = json.dumps(figures)
    assert "c-mi-" not in text and "caf-mi-" not in text
    # Only analysts.
    for role in (Role.PRACTITIONER, Role.INDEX_ADMIN, Role.SAFEGUARDING_LEAD, Role.AUDITOR):
        assert codes(await as_viewer(role, practitioner_id="p-melanie").post(FIGURES)) == [
            "FORBIDDEN"
        ]


async def test_overdue_reviews_answer_real_rows_for_every_caller(as_viewer, sync_driver) -> None:
    """The list is read through the child projection: every caller gets rows, never an
    INTERNAL error (a WITH in the match that dropped a variable the projection reads)."""
    melanie = as_viewer(practitioner_id="p-melanie", purpose="reviews due")
    caf = await start_caf(melanie)
    _overdue(sync_driver, caf["id"], 9)
    document = (
        'query { a: overdueReviews(localAuthority: "NBR") { assessmentId daysOverdue '
        'holder { id } } b: overdueReviews(localAuthority: "nbr") { childId } }'
    )
    for caller in (melanie, as_viewer(Role.INDEX_ADMIN, local_authority="NBR", purpose="due")):
        body = await caller.post(document)
        assert "errors" not in body, body
        (row,) = [r for r in body["data"]["a"] if r["assessmentId"] == caf["id"]]
        assert row == {"assessmentId": caf["id"], "daysOverdue": 9, "holder": {"id": "p-melanie"}}
        assert "c-hannah" in {r["childId"] for r in body["data"]["b"]}
