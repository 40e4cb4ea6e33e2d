"""Query.accessAlerts and Mutation.resolveAccessAlert: who, what, a page at a time.

Alerts are raised the real way, by a feed putting probe children at Sam's address
(R4's household rule, tests/feeds/test_household_alerts.py), then listed and resolved
through the GraphQL endpoint as an index team, an auditor and everyone else.
"""

from __future__ import annotations

from typing import Any

import pytest

from policies.viewer import Role
from tests.feeds.conftest import Feed, record

SAMS_HOME = {"line1": "3 Kestrel Way", "town": "Eastvale", "postcode": "EV2 5HD"}

ALERTS = """
query Alerts($la: String!, $state: AccessAlertState, $first: Int, $after: String) {
  accessAlerts(localAuthority: $la, state: $state, first: $first, after: $after) {
    edges { cursor node { id state raisedAt childIds } }
    nodes { id }
    pageInfo { hasNextPage endCursor }
  }
}
"""

RESOLVE = """
mutation Resolve($id: ID!, $outcome: String!) {
  resolveAccessAlert(id: $id, outcome: $outcome) {
    id kind state localAuthority childIds resolvedAt resolvedBy outcome
  }
}
"""

OUTCOME = "Spoke to the school's data manager: a test record, deleted. Feed access reviewed."


@pytest.fixture
def sams_authority(cypher) -> str:
    (row,) = cypher("MATCH (c:Child {id: 'c-sam'}) RETURN c.localAuthority AS la")
    return str(row["la"])


@pytest.fixture
def other_authority(sams_authority: str) -> str:
    return "EVL" if sams_authority != "EVL" else "NBR"


@pytest.fixture
async def raised(feed: Feed, cypher) -> list[str]:
    """Five alerts: three from one ingest call (raised at one instant), two from another."""
    for refs in (("p1", "p2", "p3"), ("p4", "p5")):
        report = await feed.send(
            *(
                record(ref, "UPSERT_CHILD", feed.child(givenName=f"Probe{ref}", address=SAMS_HOME))
                for ref in refs
            )
        )
        assert report["accepted"] == len(refs), report
    rows = cypher(
        "MATCH (a:AccessAlert) WHERE a.detail CONTAINS ' from source ' + $s + ' (' "
        "RETURN a.id AS id",
        s=feed.source,
    )
    assert len(rows) == 5
    return [r["id"] for r in rows]


def _code(body: dict[str, Any]) -> str:
    return str(body["errors"][0]["extensions"]["code"])


async def _all_pages(caller, la: str, first: int, **variables: Any) -> list[dict[str, Any]]:
    pages, after = [], None
    while True:
        body = await caller.post(ALERTS, {"la": la, "first": first, "after": after, **variables})
        assert "errors" not in body, body
        page = body["data"]["accessAlerts"]
        pages.append(page)
        assert len(page["edges"]) <= first
        assert [e["node"]["id"] for e in page["edges"]] == [n["id"] for n in page["nodes"]]
        if page["edges"]:
            assert page["pageInfo"]["endCursor"] == page["edges"][-1]["cursor"]
        if not page["pageInfo"]["hasNextPage"]:
            return pages
        after = page["pageInfo"]["endCursor"]
        assert len(pages) < 1000, "pagination never ended"


async def test_pagination_walks_every_alert_once_newest_first(
    raised, as_viewer, sams_authority
) -> None:
    admin = as_viewer(Role.INDEX_ADMIN, local_authority=sams_authority, purpose="alerts")
    pages = await _all_pages(admin, sams_authority, 2)
    nodes = [e["node"] for page in pages for e in page["edges"]]
    ids = [n["id"] for n in nodes]
    assert len(ids) == len(set(ids)), "an alert was listed twice"
    assert set(raised) <= set(ids)
    order = [(n["raisedAt"], n["id"]) for n in nodes]
    assert order == sorted(order, reverse=True), "not newest first"
    assert len(pages) >= 3 and all(len(p["edges"]) == 2 for p in pages[:-1])

    # The same walk as one page gives the same list.
    (whole,) = await _all_pages(admin, sams_authority, 100)
    assert [e["node"]["id"] for e in whole["edges"]] == ids
    # An auditor reads every authority's alerts.
    auditor = as_viewer(Role.AUDITOR, local_authority=None, purpose="audit")
    assert [
        e["node"]["id"] for p in await _all_pages(auditor, sams_authority, 3) for e in p["edges"]
    ] == ids


async def test_listing_needs_a_purpose_and_sane_arguments(as_viewer, sams_authority) -> None:
    no_purpose = as_viewer(Role.INDEX_ADMIN, local_authority=sams_authority, purpose=None)
    body = await no_purpose.post(ALERTS, {"la": sams_authority})
    assert body["data"] is None and _code(body) == "BAD_USER_INPUT"
    admin = as_viewer(Role.INDEX_ADMIN, local_authority=sams_authority, purpose="alerts")
    for variables, field in (
        ({"first": 0}, "first"),
        ({"first": 101}, "first"),
        ({"after": "not-a-cursor"}, "after"),
        ({"after": "MjAyNS0wMS0wMQ"}, "after"),  # base64 of a date without an id
    ):
        body = await admin.post(ALERTS, {"la": sams_authority, **variables})
        assert _code(body) == "BAD_USER_INPUT", (variables, body)
        assert body["errors"][0]["extensions"]["field"] == field


async def test_resolving_is_for_the_index_team_and_auditors_once_and_audited(
    raised, feed: Feed, as_viewer, cypher, sams_authority, other_authority
) -> None:
    first_id, second_id = raised[0], raised[1]
    for caller in (
        as_viewer(Role.PRACTITIONER, practitioner_id="p-melanie", local_authority=sams_authority),
        as_viewer(Role.SAFEGUARDING_LEAD, practitioner_id="p-john", local_authority=sams_authority),
        as_viewer(Role.ANALYST),
        as_viewer(Role.FEED, source=feed.source, local_authority=None),
        as_viewer(Role.INDEX_ADMIN, local_authority=other_authority),
    ):
        body = await caller.post(RESOLVE, {"id": first_id, "outcome": OUTCOME})
        assert _code(body) == "FORBIDDEN", body
    assert cypher("MATCH (a:AccessAlert {id: $id}) RETURN a.state AS s", id=first_id) == [
        {"s": "OPEN"}
    ]

    admin = as_viewer(
        Role.INDEX_ADMIN, local_authority=sams_authority, subject="index-admin-1", purpose="alerts"
    )
    blank = await admin.post(RESOLVE, {"id": first_id, "outcome": "   "})
    assert _code(blank) == "BAD_USER_INPUT" and blank["errors"][0]["extensions"]["field"] == (
        "outcome"
    )
    missing = await admin.post(RESOLVE, {"id": "alert-does-not-exist", "outcome": OUTCOME})
    assert _code(missing) == "NOT_FOUND"

    done = await admin.post(RESOLVE, {"id": first_id, "outcome": OUTCOME}, Idempotency_Key="r-1")
    assert "errors" not in done, done
    alert = done["data"]["resolveAccessAlert"]
    assert alert["state"] == "RESOLVED" and alert["kind"] == "HOUSEHOLD_RULE_TRIGGERED"
    assert alert["resolvedBy"] == "index-admin-1" and alert["outcome"] == OUTCOME
    assert alert["resolvedAt"] is not None and alert["childIds"][0] == "c-sam"
    # A retry with the same key returns the first result; without one it is refused.
    replay = await admin.post(RESOLVE, {"id": first_id, "outcome": OUTCOME}, Idempotency_Key="r-1")
    assert replay["data"]["resolveAccessAlert"] == alert, replay
    twice = await admin.post(RESOLVE, {"id": first_id, "outcome": OUTCOME})
    assert _code(twice) == "BAD_USER_INPUT" and twice["errors"][0]["extensions"]["field"] == "id"

    auditor = as_viewer(Role.AUDITOR, local_authority=None, subject="auditor-1", purpose="audit")
    by_auditor = await auditor.post(RESOLVE, {"id": second_id, "outcome": "Checked: a test."})
    assert by_auditor["data"]["resolveAccessAlert"]["resolvedBy"] == "auditor-1", by_auditor

    # The state filter sees the change.
    open_ids = {
        e["node"]["id"]
        for p in await _all_pages(admin, sams_authority, 100, state="OPEN")
        for e in p["edges"]
    }
    resolved_ids = {
        e["node"]["id"]
        for p in await _all_pages(admin, sams_authority, 100, state="RESOLVED")
        for e in p["edges"]
    }
    assert {first_id, second_id} <= resolved_ids and not {first_id, second_id} & open_ids
    assert set(raised[2:]) <= open_ids

    # Audited: the resolution names the children and says what was done; refusals are kept.
    events = cypher(
        "MATCH (e:AuditEvent {action: 'resolveAccessAlert', subject: 'index-admin-1'}) "
        "WHERE e.reason CONTAINS $outcome AND size(e.disclosed) > 0 "
        "RETURN e.childIds AS ids, e.disclosed AS disclosed",
        outcome=OUTCOME,
    )
    assert len(events) == 2  # the resolution and its replay
    assert all(e["ids"][0] == "c-sam" and len(e["ids"]) == 2 for e in events)
    assert f"AccessAlert:{first_id}" in events[0]["disclosed"]
    refusals = cypher(
        "MATCH (e:AuditEvent {action: 'resolveAccessAlert'}) "
        "WHERE any(d IN e.denied WHERE d STARTS WITH $item) RETURN count(e) AS n",
        item=f"AccessAlert:{first_id}:",
    )
    assert refusals == [{"n": 5}]
    listing = cypher(
        "MATCH (e:AuditEvent {action: 'accessAlerts', subject: 'index-admin-1'}) "
        "WHERE 'c-sam' IN e.childIds RETURN count(e) AS n"
    )
    assert listing[0]["n"] >= 1
