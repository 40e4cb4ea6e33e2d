"""Audit search (issue 16): auditTrail narrowed by subject, action and period, and an
auditor following one subject across the index (auditTrailOfSubject). Filters narrow
what a reader is shown; they never widen it (an index admin filtering on a sensitive
service's practitioner learns nothing R6 withholds)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from policies.viewer import Role
from tests.misuse.conftest import codes, melanie_as, post, token

CHILD = "query($id: ID!) { child(id: $id) { id } }"
TRAIL = """
query($child: ID!, $subject: String, $action: String, $from: DateTime, $to: DateTime) {
  auditTrail(childId: $child, first: 1000, subject: $subject, action: $action,
    from: $from, to: $to) { id subject action at childIds } }
"""
TRAIL_PAGE = """
query($child: ID!, $subject: String, $after: String) {
  auditTrailConnection(childId: $child, first: 1, subject: $subject, after: $after) {
    nodes { id subject } pageInfo { hasNextPage endCursor } } }
"""
OF_SUBJECT = """
query($subject: String!, $first: Int, $after: String, $action: String, $from: DateTime,
      $to: DateTime) {
  auditTrailOfSubject(subject: $subject, first: $first, after: $after, action: $action,
    from: $from, to: $to) {
    nodes { id subject action childIds disclosed } pageInfo { hasNextPage endCursor } } }
"""


def _auditor(settings: Any, subject: str | None = None) -> str:
    return token(settings, Role.AUDITOR, subject=subject or f"auditor-{uuid.uuid4().hex[:8]}")


async def _read(client: httpx.AsyncClient, token_: str, *children: str) -> None:
    for child in children:
        body = await post(client, token_, CHILD, {"id": child})
        assert body["data"]["child"]["id"] == child, body


async def _trail(client: httpx.AsyncClient, token_: str, **variables: Any) -> list[dict[str, Any]]:
    body = await post(client, token_, TRAIL, {"child": "c-hannah", **variables})
    assert "errors" not in body, body
    events: list[dict[str, Any]] = body["data"]["auditTrail"]
    return events


async def test_a_childs_trail_narrows_to_one_subject_action_and_period(
    client: httpx.AsyncClient, settings: Any
) -> None:
    tag = uuid.uuid4().hex[:8]
    first, second = f"p-one-{tag}", f"p-two-{tag}"
    await _read(client, melanie_as(settings, first), "c-hannah")
    between = datetime.now(UTC)
    await _read(client, melanie_as(settings, second), "c-hannah", "c-hannah")
    auditor = _auditor(settings)

    everyone = await _trail(client, auditor)
    assert {first, second} <= {e["subject"] for e in everyone}
    mine = await _trail(client, auditor, subject=second)
    assert [e["subject"] for e in mine] == [second, second]
    assert await _trail(client, auditor, subject=f"p-nobody-{tag}") == []

    action = mine[0]["action"]
    assert all(e["action"] == action for e in await _trail(client, auditor, action=action))
    assert await _trail(client, auditor, subject=second, action="consentWithdrawn") == []

    since = await _trail(client, auditor, subject=first, **{"from": between.isoformat()})
    assert since == []
    until = await _trail(client, auditor, subject=first, to=between.isoformat())
    assert [e["subject"] for e in until] == [first]
    assert all(e["at"] < between.isoformat() for e in until)


async def test_a_filtered_trail_pages_over_exactly_the_filtered_events(
    client: httpx.AsyncClient, settings: Any
) -> None:
    subject = f"p-pager-{uuid.uuid4().hex[:8]}"
    for _ in range(3):
        await _read(client, melanie_as(settings, subject), "c-hannah")
    # Someone else in between: pages skip them without coming up short.
    await _read(client, melanie_as(settings, f"p-other-{uuid.uuid4().hex[:8]}"), "c-hannah")
    auditor = _auditor(settings)
    seen, after = [], None
    for _ in range(10):
        body = await post(
            client, auditor, TRAIL_PAGE, {"child": "c-hannah", "subject": subject, "after": after}
        )
        page = body["data"]["auditTrailConnection"]
        assert len(page["nodes"]) == 1 or not page["pageInfo"]["hasNextPage"]
        seen += [n["subject"] for n in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == [subject] * 3


async def test_an_index_admin_filtering_on_a_sensitive_practitioner_learns_nothing(
    client: httpx.AsyncClient, settings: Any
) -> None:
    """R6 with R14: the nurse's reads say Hannah goes to the clinic. Filtering on her
    subject gives the index admin what an unknown subject gives: nothing."""
    nurse = f"p-nurse-{uuid.uuid4().hex[:8]}"
    clinic = token(
        settings, Role.PRACTITIONER, subject=nurse, practitioner_id="p-nurse", local_authority="NBR"
    )
    await _read(client, clinic, "c-hannah")
    auditor = _auditor(settings)
    assert [e["subject"] for e in await _trail(client, auditor, subject=nurse)] == [nurse]
    admin = token(settings, Role.INDEX_ADMIN, subject=f"admin-{nurse}", local_authority="NBR")
    assert await _trail(client, admin, subject=nurse) == []
    assert await _trail(client, admin, subject=f"p-nobody-{nurse}") == []


async def test_an_auditor_follows_one_subject_across_children(
    client: httpx.AsyncClient, settings: Any
) -> None:
    subject = f"p-browser-{uuid.uuid4().hex[:8]}"
    await _read(client, melanie_as(settings, subject), "c-hannah", "c-jack", "c-ellie")
    auditor_subject = f"auditor-{uuid.uuid4().hex[:8]}"
    auditor = _auditor(settings, auditor_subject)
    seen: list[list[str]] = []
    after = None
    for _ in range(10):
        body = await post(
            client, auditor, OF_SUBJECT, {"subject": subject, "first": 2, "after": after}
        )
        assert "errors" not in body, body
        page = body["data"]["auditTrailOfSubject"]
        assert {n["subject"] for n in page["nodes"]} <= {subject}
        seen += [n["childIds"] for n in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == [["c-ellie"], ["c-jack"], ["c-hannah"]]  # newest first

    # The investigation is itself on the trail, naming every child it was shown.
    body = await post(client, auditor, OF_SUBJECT, {"subject": auditor_subject, "first": 10})
    own = body["data"]["auditTrailOfSubject"]["nodes"]
    assert own and own[0]["action"] == "auditTrailOfSubject"
    assert set(own[-1]["childIds"]) == {"c-ellie", "c-jack"}  # the first page (first: 2)
    assert f"Subject:{subject}.auditTrail" in own[-1]["disclosed"]

    narrowed = await post(
        client, auditor, OF_SUBJECT, {"subject": subject, "action": "consentWithdrawn"}
    )
    assert narrowed["data"]["auditTrailOfSubject"]["nodes"] == []


async def test_only_an_auditor_follows_a_subject(client: httpx.AsyncClient, settings: Any) -> None:
    subject = f"p-target-{uuid.uuid4().hex[:8]}"
    await _read(client, melanie_as(settings, subject), "c-hannah")
    for role in (Role.PRACTITIONER, Role.SAFEGUARDING_LEAD, Role.INDEX_ADMIN):
        caller = token(
            settings,
            role,
            subject=f"x-{uuid.uuid4().hex[:8]}",
            practitioner_id="p-melanie",
            local_authority="NBR",
        )
        body = await post(client, caller, OF_SUBJECT, {"subject": subject})
        assert codes(body) == ["FORBIDDEN"], body
        assert body["data"] is None or body["data"].get("auditTrailOfSubject") is None


async def test_bad_filters_name_their_argument(client: httpx.AsyncClient, settings: Any) -> None:
    auditor = _auditor(settings)
    now = datetime.now(UTC)
    cases = [
        ({"subject": "  "}, "subject"),
        ({"action": "x" * 201}, "action"),
        ({"from": now.isoformat(), "to": (now - timedelta(hours=1)).isoformat()}, "to"),
    ]
    for variables, field in cases:
        body = await post(client, auditor, TRAIL, {"child": "c-hannah", **variables})
        assert codes(body) == ["BAD_USER_INPUT"], body
        assert body["errors"][0]["extensions"]["field"] == field
    body = await post(client, auditor, OF_SUBJECT, {"subject": "p-x", "after": "not-a-cursor"})
    assert codes(body) == ["BAD_USER_INPUT"], body
