"""Cursor pagination on the lists that grow (issue 18): each connection pages over
exactly what the list field shows the same reader, in the same order."""

from __future__ import annotations

from typing import Any

from policies.viewer import Role

CONNECTIONS = {
    "auditTrail": (
        '{ auditTrail(childId: "c-hannah", first: 1000) { id } }',
        'query($after: String) { auditTrailConnection(childId: "c-hannah", first: 3, after: $after) { edges { cursor node { id } } nodes { id } pageInfo { hasNextPage endCursor } } }',
    ),
    "consents": (
        '{ consents(childId: "c-hannah") { id } }',
        'query($after: String) { consentsConnection(childId: "c-hannah", first: 1, after: $after) { edges { cursor node { id } } nodes { id } pageInfo { hasNextPage endCursor } } }',
    ),
    "overridesForReview": (
        "{ overridesForReview(first: 500) { id } }",
        "query($after: String) { overridesForReviewConnection(first: 1, after: $after) { edges { cursor node { id } } nodes { id } pageInfo { hasNextPage endCursor } } }",
    ),
    "matchReviews": (
        "{ matchReviews(first: 100) { id } }",
        "query($after: String) { matchReviewsConnection(first: 1, after: $after) { edges { cursor node { id } } nodes { id } pageInfo { hasNextPage endCursor } } }",
    ),
}


async def _all_pages(caller: Any, query: str) -> list[str]:
    ids: list[str] = []
    after = None
    for _ in range(200):
        body = await caller.post(query, {"after": after})
        assert "errors" not in body, body
        (connection,) = body["data"].values()
        assert [e["node"]["id"] for e in connection["edges"]] == [
            n["id"] for n in connection["nodes"]
        ]
        ids += [n["id"] for n in connection["nodes"]]
        info = connection["pageInfo"]
        if not info["hasNextPage"]:
            return ids
        assert info["endCursor"] == connection["edges"][-1]["cursor"]
        after = info["endCursor"]
    raise AssertionError("never reached the last page")


async def _same_as_the_list(caller: Any, name: str, newer: int = 0) -> list[str]:
    """`newer`: events written since the list was read (reading the trail is audited,
    so the first page starts with the event of the list's own read)."""
    listing, paged = CONNECTIONS[name]
    body = await caller.post(listing)
    assert "errors" not in body, body
    expected = [item["id"] for item in body["data"][name]]
    pages = await _all_pages(caller, paged)
    assert len(pages) == len(expected) + newer
    assert pages[newer:] == expected
    return expected


async def test_audit_trail_pages_as_the_auditor_reads_it(as_viewer) -> None:
    reader = as_viewer(Role.PRACTITIONER, practitioner_id="p-melanie")
    for _ in range(4):  # make sure the trail has several pages
        await reader.post('{ child(id: "c-hannah") { givenName } }')
    auditor = as_viewer(Role.AUDITOR, local_authority=None, purpose="audit sample")
    assert len(await _same_as_the_list(auditor, "auditTrail", newer=1)) > 3


async def test_audit_trail_pages_over_what_an_index_admin_is_shown(as_viewer) -> None:
    admin = as_viewer(Role.INDEX_ADMIN, local_authority="NBR", purpose="checking the trail")
    await _same_as_the_list(admin, "auditTrail", newer=1)


async def test_consents_overrides_and_reviews_page_like_their_lists(as_viewer) -> None:
    await _same_as_the_list(as_viewer(Role.PRACTITIONER, practitioner_id="p-melanie"), "consents")
    lead = as_viewer(Role.SAFEGUARDING_LEAD, practitioner_id="p-gp", local_authority="NBR")
    await _same_as_the_list(lead, "overridesForReview")
    await _same_as_the_list(as_viewer(Role.INDEX_ADMIN, local_authority="NBR"), "matchReviews")


async def test_a_foreign_or_forged_cursor_is_bad_user_input(as_viewer) -> None:
    auditor = as_viewer(Role.AUDITOR, local_authority=None, purpose="audit sample")
    _, paged = CONNECTIONS["auditTrail"]
    first = (await auditor.post(paged))["data"]["auditTrailConnection"]
    cursor = first["pageInfo"]["endCursor"]
    _, consents = CONNECTIONS["consents"]
    melanie = as_viewer(Role.PRACTITIONER, practitioner_id="p-melanie")
    for caller, query, after in ((melanie, consents, cursor), (auditor, paged, "not-a-cursor")):
        body = await caller.post(query, {"after": after})
        assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "after"}


async def test_who_may_not_read_the_list_is_told_so_before_the_cursor(as_viewer) -> None:
    analyst = as_viewer(Role.ANALYST, local_authority=None)
    _, paged = CONNECTIONS["auditTrail"]
    body = await analyst.post(paged, {"after": "forged"})
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
