"""R15 matching through the API, the shielded-duplicate case (R4), and the review queue."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import neo4j
import pytest

from graph.keys import address_key, name_key, postcode_key
from policies.viewer import Role
from tests.feeds.conftest import Feed, fresh_nhs_number, record

REVIEWS = """
query Reviews {
  matchReviews(first: 100) {
    id source sourceRef status reason
    incoming {
      nhsNumber givenName familyName dateOfBirth localAuthority address { line1 postcode }
    }
    candidates {
      id givenName shielded archived sameNhsNumber localAuthority address { line1 postcode }
    }
    resolvedChildId
  }
}
"""

RESOLVE = """
mutation Resolve($id: ID!, $to: ID, $createNew: Boolean! = false) {
  resolveMatchReview(id: $id, matchToChildId: $to, createNew: $createNew) {
    id status resolvedChildId
  }
}
"""


@pytest.fixture
def existing_child(sync_driver: neo4j.Driver) -> Iterator[Callable[..., str]]:
    """Puts a child on the index directly (as another system or the index team did)."""
    made: list[str] = []

    def make(
        given: str,
        family: str,
        born: str,
        line1: str,
        postcode: str,
        la: str = "NBR",
        nhs: str | None = None,
        shielded: bool = False,
    ) -> str:
        child_id = f"c-test-{uuid.uuid4().hex[:12]}"
        sync_driver.execute_query(
            "CREATE (c:Child) SET c = $props, c.dateOfBirth = date($born)",
            props={
                "id": child_id,
                "nhsNumber": nhs,
                "givenName": given,
                "familyName": family,
                "givenNameKey": name_key(given),
                "familyNameKey": name_key(family),
                "gender": "FEMALE",
                "addressLine1": line1,
                "town": "Somewhere",
                "postcode": postcode,
                "postcodeKey": postcode_key(postcode),
                "addressKey": address_key(line1, postcode),
                "localAuthority": la,
                "shielded": shielded,
                "source": "index-team",
            },
            born=born,
        )
        made.append(child_id)
        return child_id

    yield make
    for child_id in made:
        sync_driver.execute_query(
            "MATCH (c:Child {id: $id}) OPTIONAL MATCH (c)<-[:OF]-(i:Involvement) "
            "DETACH DELETE i, c",
            id=child_id,
        )


async def _reviews_for(caller: Any, source: str) -> list[dict[str, Any]]:
    body = await caller.post(REVIEWS)
    assert "errors" not in body, body
    return [r for r in body["data"]["matchReviews"] if r["source"] == source]


async def test_match_by_nhs_number_across_sources(
    feed: Feed, as_viewer, clean_source, cypher
) -> None:
    payload = feed.child()
    assert (await feed.send(record("gp-1", "UPSERT_CHILD", payload)))["accepted"] == 1
    school = Feed(f"{feed.source}-school", as_viewer(Role.FEED, source=f"{feed.source}-school"))
    clean_source(school.source)
    # Another system knows her by another address and a nickname: the NHS number decides.
    other = {
        **payload,
        "givenName": "Robbie",
        "address": {"line1": "1 Elsewhere", "postcode": "NB9 9ZZ"},
    }
    report = await school.send(record("pupil-9", "UPSERT_CHILD", other))
    assert (report["accepted"], report["pendingMatchReview"]) == (1, 0), report
    rows = cypher(
        "MATCH (f:FeedRecord) WHERE f.source IN [$a, $b] RETURN f.source AS s, f.entityId AS id",
        a=feed.source,
        b=school.source,
    )
    assert len(rows) == 2 and rows[0]["id"] == rows[1]["id"]
    assert cypher(
        "MATCH (c:Child {nhsNumber: $n}) RETURN c.givenName AS g", n=payload["nhsNumber"]
    ) == [{"g": "Robbie"}]


async def test_match_by_demographics_ignores_case_spaces_and_punctuation(
    feed: Feed, existing_child, cypher
) -> None:
    child_id = existing_child("Zoë", f"O'{feed.family}", "2015-03-14", "4 Kiln Row", "NB6 1HL")
    incoming = feed.child(
        givenName="ZOE",
        familyName=f"o {feed.family.upper()}",
        dateOfBirth="2015-03-14",
        address={"line1": "4 Kiln Row", "postcode": "nb61hl"},
    )
    report = await feed.send(record("c1", "UPSERT_CHILD", incoming))
    assert report["accepted"] == 1, report
    rows = cypher(
        "MATCH (f:FeedRecord {source: $s}) MATCH (c:Child {id: f.entityId}) "
        "RETURN c.id AS id, c.nhsNumber AS nhs",
        s=feed.source,
    )
    # The same child, now with the NHS number the source knew.
    assert rows == [{"id": child_id, "nhs": incoming["nhsNumber"]}]
    assert cypher("MATCH (c:Child) WHERE c.source = $s RETURN c", s=feed.source) == []


async def test_ambiguous_match_is_held_never_merged(
    feed: Feed, existing_child, cypher, as_viewer
) -> None:
    twin_a = existing_child("Robin", feed.family, "2016-05-01", "7 Mill Lane", "NB2 4RT")
    twin_b = existing_child("Robin", feed.family, "2016-05-01", "7 Mill Lane", "NB2 4RT")
    incoming = feed.child(
        dateOfBirth="2016-05-01", address={"line1": "7 Mill Lane", "postcode": "NB2 4RT"}
    )
    report = await feed.send(
        record("c1", "UPSERT_CHILD", incoming),
        record(
            "k1",
            "UPSERT_CARER",
            {"child": {"ref": "c1"}, "id": "k", "name": "A Parent", "relationship": "mother"},
        ),
    )
    assert report["pendingMatchReview"] == 1 and report["heldForReview"] == ["c1"], report
    assert report["errors"] == [
        {
            "sourceRef": "k1",
            "code": "CHILD_PENDING_REVIEW",
            "message": "payload.child.ref names a child record held for review by the index "
            "team; send this record again once it is resolved",
        }
    ]
    assert cypher("MATCH (c:Child) WHERE c.source = $s RETURN c", s=feed.source) == []
    untouched = cypher(
        "MATCH (c:Child) WHERE c.id IN [$a, $b] RETURN c.nhsNumber AS nhs", a=twin_a, b=twin_b
    )
    assert untouched == [{"nhs": None}, {"nhs": None}]

    again = await feed.send(record("c1", "UPSERT_CHILD", incoming))
    assert again["pendingMatchReview"] == 1 and again["accepted"] == 0

    admin = as_viewer(Role.INDEX_ADMIN, local_authority="NBR", purpose="working the match queue")
    (review,) = await _reviews_for(admin, feed.source)
    assert review["reason"] == "AMBIGUOUS" and review["status"] == "PENDING"
    assert {c["id"] for c in review["candidates"]} == {twin_a, twin_b}
    assert review["incoming"]["address"] == {"line1": "7 Mill Lane", "postcode": "NB2 4RT"}

    resolved = await admin.post(RESOLVE, {"id": review["id"], "createNew": True})
    assert resolved["data"]["resolveMatchReview"]["status"] == "RESOLVED", resolved
    new_id = resolved["data"]["resolveMatchReview"]["resolvedChildId"]
    assert new_id not in (twin_a, twin_b)
    # The source's held record is now the new child: its later records refer to it.
    later = await feed.send(
        record(
            "k1",
            "UPSERT_CARER",
            {"child": {"ref": "c1"}, "id": "k", "name": "A Parent", "relationship": "mother"},
        ),
        record("c1", "UPSERT_CHILD", incoming),
    )
    assert (later["accepted"], later["unchanged"]) == (1, 1), later
    assert cypher(
        "MATCH (:Carer)-[:CARES_FOR]->(c:Child {id: $id}) RETURN count(*) AS n", id=new_id
    ) == [{"n": 1}]
    # Resolved once only.
    twice = await admin.post(RESOLVE, {"id": review["id"], "createNew": True})
    assert twice["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_nhs_number_conflict_is_held(feed: Feed, existing_child) -> None:
    existing_child(
        "Robin", feed.family, "2014-02-02", "1 Oak Road", "NB3 3AA", nhs=fresh_nhs_number()
    )
    incoming = feed.child(
        dateOfBirth="2014-02-02", address={"line1": "1 Oak Road", "postcode": "NB3 3AA"}
    )
    report = await feed.send(record("c1", "UPSERT_CHILD", incoming))
    assert report["pendingMatchReview"] == 1 and report["accepted"] == 0, report


SHIELDED_HOME = ("9 Hidden Close", "EV4 8QS")
OLD_HOME = ("12 Feed Street", "NB5 2XT")


async def test_a_feed_never_creates_an_unshielded_duplicate_of_a_shielded_child(
    feed: Feed, existing_child, cypher, as_viewer
) -> None:
    """R4/R15: a school still holding the old address must not create a second record."""
    shielded_nhs = fresh_nhs_number()
    shielded = existing_child(
        "Robin",
        feed.family,
        "2015-06-06",
        *SHIELDED_HOME,
        la="EVL",
        nhs=shielded_nhs,
        shielded=True,
    )
    plain = existing_child("Kim", feed.family, "2015-06-06", "5 Open Road", "NB1 5PL")
    old_address = {"line1": OLD_HOME[0], "postcode": OLD_HOME[1]}

    to_shielded = await feed.send(
        record(
            "s1",
            "UPSERT_CHILD",
            feed.child(nhsNumber=None, dateOfBirth="2015-06-06", address=old_address),
        )
    )
    to_plain = await feed.send(
        record(
            "p1",
            "UPSERT_CHILD",
            feed.child(
                nhsNumber=None, givenName="Kim", dateOfBirth="2015-06-06", address=old_address
            ),
        )
    )
    # Held, not created; and the same answer as for an ordinary child who moved (no tell).
    strip = lambda r: {k: v for k, v in r.items() if k != "heldForReview"}  # noqa: E731
    assert (
        strip(to_shielded)
        == strip(to_plain)
        == {
            "accepted": 0,
            "unchanged": 0,
            "rejected": 0,
            "pendingMatchReview": 1,
            "errors": [],
        }
    )
    assert cypher("MATCH (c:Child) WHERE c.source = $s RETURN c", s=feed.source) == []
    assert cypher(
        "MATCH (c:Child) WHERE c.familyNameKey = $k AND c.dateOfBirth = date('2015-06-06') "
        "RETURN count(c) AS n",
        k=name_key(feed.family),
    ) == [{"n": 2}]

    # By NHS number it matches, and updates only what does not say where the child is.
    update = await feed.send(
        record(
            "s2",
            "UPSERT_CHILD",
            feed.child(
                nhsNumber=shielded_nhs,
                givenName="Robyn",
                dateOfBirth="2015-06-06",
                address=old_address,
                localAuthority="NBR",
            ),
        )
    )
    assert update["accepted"] == 1, update
    row = cypher(
        "MATCH (c:Child {id: $id}) RETURN c.givenName AS g, c.addressLine1 AS line1, "
        "c.postcodeKey AS pc, c.localAuthority AS la, c.shielded AS shielded",
        id=shielded,
    )
    assert row == [
        {"g": "Robyn", "line1": SHIELDED_HOME[0], "pc": "EV48QS", "la": "EVL", "shielded": True}
    ]
    assert "Hidden" not in str(update) and "EVL" not in str(update)

    # The index team of another authority sees the review but not where the child lives.
    nbr = as_viewer(Role.INDEX_ADMIN, local_authority="NBR", purpose="working the match queue")
    reviews = {r["sourceRef"]: r for r in await _reviews_for(nbr, feed.source)}
    held = reviews["s1"]
    assert held["reason"] == "POSSIBLE_MATCH"
    (candidate,) = held["candidates"]
    assert candidate["id"] == shielded and candidate["shielded"] is True
    assert candidate["address"] is None and candidate["localAuthority"] is None
    assert held["incoming"]["address"] is None  # it may be where the child now is
    assert "Hidden" not in str(reviews) and "EV4" not in str(reviews)
    # The ordinary child's review shows everything to the same team.
    assert reviews["p1"]["candidates"][0]["address"]["line1"] == "5 Open Road"
    assert reviews["p1"]["candidates"][0]["id"] == plain

    # Only the shielding authority's team may decide it is another child, or match it.
    refused = await nbr.post(RESOLVE, {"id": held["id"], "createNew": True})
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    refused = await nbr.post(RESOLVE, {"id": held["id"], "to": shielded})
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert cypher("MATCH (c:Child) WHERE c.source = $s RETURN c", s=feed.source) == []

    evl = as_viewer(Role.INDEX_ADMIN, local_authority="EVL", purpose="working the match queue")
    (own,) = [r for r in await _reviews_for(evl, feed.source) if r["sourceRef"] == "s1"]
    assert own["candidates"][0]["address"]["line1"] == SHIELDED_HOME[0]
    matched = await evl.post(RESOLVE, {"id": own["id"], "to": shielded})
    assert matched["data"]["resolveMatchReview"]["resolvedChildId"] == shielded, matched
    row = cypher(
        "MATCH (c:Child {id: $id}) RETURN c.addressLine1 AS line1, c.localAuthority AS la",
        id=shielded,
    )
    assert row == [{"line1": SHIELDED_HOME[0], "la": "EVL"}]  # still protected after the merge

    # Audited: the review listing named the candidates and what it withheld.
    denied = cypher(
        "MATCH (e:AuditEvent {action: 'matchReviews'}) WHERE $id IN e.childIds "
        "AND $item IN e.denied RETURN count(e) AS n",
        id=shielded,
        item=f"Child:{shielded}.address",
    )
    assert denied[0]["n"] >= 1


async def test_corrected_record_supersedes_its_review(feed: Feed, existing_child, cypher) -> None:
    existing_child("Robin", feed.family, "2013-01-09", "2 Ash Way", "NB4 4AA")
    near = feed.child(nhsNumber=None, dateOfBirth="2013-01-09")  # another postcode: held
    assert (await feed.send(record("c1", "UPSERT_CHILD", near)))["pendingMatchReview"] == 1
    exact = {**near, "address": {"line1": "2 Ash Way", "postcode": "NB4 4AA"}}
    report = await feed.send(record("c1", "UPSERT_CHILD", exact))
    assert report["accepted"] == 1, report
    assert cypher(
        "MATCH (r:MatchReview {source: $s}) RETURN r.status AS status", s=feed.source
    ) == [{"status": "SUPERSEDED"}]


@pytest.mark.parametrize(
    "role", [Role.PRACTITIONER, Role.FEED, Role.ANALYST, Role.SAFEGUARDING_LEAD]
)
async def test_only_index_admin_works_the_queue(as_viewer, role) -> None:
    caller = as_viewer(role, source="x" if role is Role.FEED else None, practitioner_id="p-melanie")
    body = await caller.post(REVIEWS)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    body = await caller.post(RESOLVE, {"id": "mr-anything", "createNew": True})
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_review_queue_needs_a_purpose_and_one_decision(as_viewer) -> None:
    no_purpose = as_viewer(Role.INDEX_ADMIN, local_authority="NBR", purpose=None)
    body = await no_purpose.post(REVIEWS)
    assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    admin = as_viewer(Role.INDEX_ADMIN, local_authority="NBR", purpose="queue")
    both = await admin.post(RESOLVE, {"id": "mr-x", "to": "c-hannah", "createNew": True})
    assert both["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    missing = await admin.post(RESOLVE, {"id": "mr-does-not-exist", "createNew": True})
    assert missing["errors"][0]["extensions"]["code"] == "NOT_FOUND"
