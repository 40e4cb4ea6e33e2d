"""Mutation.ingest end to end (R15, R14): idempotency, references, who may push, audit."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest

from policies.viewer import Role
from tests.feeds.conftest import INGEST, Feed, record
from tests.queries import CHILD_PROFILE, SEARCH


def _family_records(feed: Feed, child_ref: str = "child-1") -> list[dict[str, Any]]:
    return [
        record("child-1", "UPSERT_CHILD", feed.child()),
        record(
            "carer-1",
            "UPSERT_CARER",
            {
                "child": {"ref": child_ref},
                "id": "parent-77",
                "name": "Jo Feedparent",
                "relationship": "mother",
                "parentalResponsibility": True,
                "livesWithChild": True,
                "contact": {"phone": "07700 900777"},
            },
        ),
        record(
            "inv-1",
            "START_INVOLVEMENT",
            {
                "child": {"ref": child_ref},
                "serviceId": "s-oakfield-school",
                "practitionerId": "p-melanie",
                "startedOn": "2023-09-04",
            },
        ),
    ]


async def test_resend_is_unchanged_and_a_changed_payload_updates(feed: Feed, cypher) -> None:
    records = _family_records(feed)
    first = await feed.send(*records)
    assert (first["accepted"], first["unchanged"], first["rejected"]) == (3, 0, 0), first

    again = await feed.send(*records)
    assert (again["accepted"], again["unchanged"], again["rejected"]) == (0, 3, 0), again

    moved = feed.child()
    moved.update(
        nhsNumber=cypher(
            "MATCH (c:Child) WHERE c.source = $s RETURN c.nhsNumber AS n", s=feed.source
        )[0]["n"],
        address={"line1": "3 New Road", "postcode": "NB7 1QT"},
    )
    changed = await feed.send(record("child-1", "UPSERT_CHILD", moved), *records[1:])
    assert (changed["accepted"], changed["unchanged"]) == (1, 2), changed

    children = cypher(
        "MATCH (c:Child) WHERE c.source = $s "
        "RETURN c.addressLine1 AS line1, c.postcodeKey AS pc, c.addressKey AS ak",
        s=feed.source,
    )
    assert children == [{"line1": "3 New Road", "pc": "NB71QT", "ak": "3newroad|NB71QT"}]
    counts = cypher("MATCH (f:FeedRecord {source: $s}) RETURN count(f) AS records", s=feed.source)
    assert counts == [{"records": 3}]
    carers = cypher(
        "MATCH (k:Carer)-[r:CARES_FOR]->(c:Child) WHERE c.source = $s RETURN count(r) AS n",
        s=feed.source,
    )
    assert carers == [{"n": 1}]


async def test_references_across_calls_and_across_chunks(feed: Feed, cypher) -> None:
    first = await feed.send(record("child-1", "UPSERT_CHILD", feed.child()))
    assert first["accepted"] == 1
    # A later call refers to the child by ref and to nothing else sent in that call.
    second = await feed.send(*_family_records(feed)[1:])
    assert second["accepted"] == 2, second
    third = await feed.send(
        record("end-1", "END_INVOLVEMENT", {"involvementRef": "inv-1", "endedOn": "2025-07-18"})
    )
    assert third["accepted"] == 1, third
    rows = cypher(
        "MATCH (i:Involvement)-[:OF]->(c:Child) WHERE c.source = $s "
        "RETURN toString(i.endedOn) AS ended, i.source AS source",
        s=feed.source,
    )
    assert rows == [{"ended": "2025-07-18", "source": feed.source}]


async def test_cross_chunk_references_inside_one_call(
    feed: Feed, cypher, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chunks of two records: the carer and the START refer to a child in an earlier chunk."""
    import api.resolvers.ingest as resolver

    monkeypatch.setattr(resolver, "CHUNK_RECORDS", 2)
    family = _family_records(feed)
    renamed = {**json.loads(family[0]["payload"]), "givenName": "Robyn"}
    report = await feed.send(
        *family,
        record("end-1", "END_INVOLVEMENT", {"involvementRef": "inv-1", "endedOn": "2025-07-18"}),
        record("child-1", "UPSERT_CHILD", renamed),  # a corrected version, two chunks later
    )
    assert (report["accepted"], report["rejected"]) == (5, 0), report
    rows = cypher(
        "MATCH (c:Child) WHERE c.source = $s "
        "OPTIONAL MATCH (c)<-[:OF]-(i:Involvement) "
        "RETURN c.givenName AS name, toString(i.endedOn) AS ended",
        s=feed.source,
    )
    assert rows == [{"name": "Robyn", "ended": "2025-07-18"}]


async def test_the_same_record_twice_in_one_call_applies_in_order(feed: Feed, cypher) -> None:
    first = feed.child(givenName="Ash")
    second = {**first, "givenName": "Asha"}
    report = await feed.send(
        record("c", "UPSERT_CHILD", first),
        record("c", "UPSERT_CHILD", second),
        record("c", "UPSERT_CHILD", second),
    )
    assert (report["accepted"], report["unchanged"]) == (2, 1), report
    assert cypher("MATCH (c:Child) WHERE c.source = $s RETURN c.givenName AS n", s=feed.source) == [
        {"n": "Asha"}
    ]


@pytest.mark.parametrize(
    ("role", "token_source"),
    [
        (Role.FEED, "another-system"),
        (Role.FEED, None),
        (Role.INDEX_ADMIN, "feed-x"),
        (Role.PRACTITIONER, None),
    ],
)
async def test_only_a_feed_token_for_that_source_may_push(
    as_viewer, feed: Feed, cypher, role, token_source
) -> None:
    """R15: FORBIDDEN for a FEED token of another source, or without one, or another role."""
    caller = as_viewer(role, source=token_source, practitioner_id=None)
    body = await caller.post(
        INGEST, {"source": feed.source, "records": [record("c1", "UPSERT_CHILD", feed.child())]}
    )
    assert body["data"] is None or body["data"].get("ingest") is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
    assert cypher("MATCH (f:FeedRecord {source: $s}) RETURN f", s=feed.source) == []
    assert cypher("MATCH (c:Child) WHERE c.source = $s RETURN c", s=feed.source) == []


async def test_aliased_ingest_for_another_source_is_still_forbidden(feed: Feed, cypher) -> None:
    """An alias for another source is refused even beside a call for the token's own source.

    ingest returns a non-null report, so the refusal nulls the whole `data` (GraphQL); the
    call for the token's own source ran first and, being idempotent, is simply re-sent.
    """
    document = """
    mutation($records: [IngestRecord!]!, $mine: String!) {
      mine: ingest(source: $mine, records: $records) { accepted }
      theirs: ingest(source: "school-mis", records: $records) { accepted }
    }"""
    body = await feed.caller.post(
        document,
        {"records": [record("c1", "UPSERT_CHILD", feed.child())], "mine": feed.source},
    )
    assert [(e["extensions"]["code"], e["path"]) for e in body["errors"]] == [
        ("FORBIDDEN", ["theirs"])
    ]
    assert cypher("MATCH (f:FeedRecord {source: 'school-mis', sourceRef: 'c1'}) RETURN f") == []
    assert cypher("MATCH (f:FeedRecord {source: $s}) RETURN f.sourceRef AS r", s=feed.source) == [
        {"r": "c1"}
    ]


async def test_more_than_1000_records_is_bad_user_input(feed: Feed, cypher) -> None:
    tiny = '{"involvementRef": "x", "endedOn": "2025-01-01"}'
    records = [
        {"sourceRef": f"e{i}", "op": "END_INVOLVEMENT", "payload": tiny} for i in range(1001)
    ]
    body = await feed.caller.post(INGEST, {"source": feed.source, "records": records})
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert body["errors"][0]["extensions"]["field"] == "records"
    body = await feed.caller.post(INGEST, {"source": feed.source, "records": records[:1000]})
    assert body["data"]["ingest"]["rejected"] == 1000  # all END_BEFORE_START, but accepted in size


async def test_a_feed_token_reads_nothing_but_me(feed: Feed) -> None:
    me = await feed.caller.post("{ me { subject roles } }")
    assert me["data"]["me"]["roles"] == ["FEED"]
    for query, variables in (
        (CHILD_PROFILE, {"id": "c-hannah"}),
        (SEARCH, {"input": {"childId": "c-hannah"}}),
        ("{ matchReviews { id } }", {}),
        ('{ auditTrail(childId: "c-hannah") { id } }', {}),
    ):
        body = await feed.caller.post(query, variables)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", (query, body)
        assert "Hannah" not in str(body) and "Whitlock" not in str(body)


async def test_ingest_is_audited_with_the_children_it_changed(feed: Feed, cypher) -> None:
    report = await feed.send(
        *_family_records(feed),
        record(
            "inv-hannah",
            "START_INVOLVEMENT",
            {
                "child": {"nhsNumber": "9990001014"},
                "serviceId": "s-oakfield-school",
                "startedOn": (date.today() - timedelta(days=3)).isoformat(),
            },
        ),
    )
    assert report["accepted"] == 4
    child_id = cypher("MATCH (c:Child) WHERE c.source = $s RETURN c.id AS id", s=feed.source)[0][
        "id"
    ]
    events = cypher(
        "MATCH (e:AuditEvent {action: 'ingest'}) WHERE $id IN e.childIds "
        "RETURN e.role AS role, e.childIds AS ids, e.subject AS subject",
        id=child_id,
    )
    assert len(events) == 1
    assert events[0]["role"] == "FEED"
    assert set(events[0]["ids"]) == {child_id, "c-hannah"}
    # The mentions make the event show up in each child's audit trail (R14): a key each,
    # the child's id, then `at` as 12 digits of epoch seconds and 9 of nanoseconds, then
    # the event's id, so one child's keys sort as the trail reads them.
    (event,) = cypher(
        "MATCH (e:AuditEvent {action: 'ingest'}) WHERE $id IN e.childIds "
        "RETURN e.id AS id, e.at.epochSeconds AS s, e.at.nanosecond AS ns",
        id=child_id,
    )
    at = f"{event['s']:012d}{event['ns']:09d}"
    for child in (child_id, "c-hannah"):
        key = f"{child} {at} {event['id']}"
        mention = cypher("MATCH (m:AuditMention {key: $key}) RETURN keys(m) AS k", key=key)
        assert mention == [{"k": ["key"]}], key


async def test_unchanged_resend_writes_no_child_ids(feed: Feed, cypher) -> None:
    records = _family_records(feed)
    await feed.send(*records)
    before = cypher("MATCH (e:AuditEvent {action: 'ingest'}) RETURN count(e) AS n")[0]["n"]
    again = await feed.send(*records)
    assert again["unchanged"] == 3
    events = cypher(
        "MATCH (e:AuditEvent {action: 'ingest'}) WITH e ORDER BY e.at DESC LIMIT 1 "
        "RETURN e.childIds AS ids, e.seq AS seq"
    )
    total = cypher("MATCH (e:AuditEvent {action: 'ingest'}) RETURN count(e) AS n")[0]["n"]
    assert total == before + 1  # the call is audited ...
    assert events[0]["ids"] == []  # ... and changed no child


async def test_report_never_echoes_an_address_or_nhs_number(feed: Feed) -> None:
    bad = feed.child(address={"line1": "99 Secret Refuge Lane", "postcode": "XX"})
    report = await feed.send(record("bad", "UPSERT_CHILD", bad))
    text = str(report)
    assert report["rejected"] == 1
    assert "Secret" not in text and "XX" not in text and bad["nhsNumber"] not in text


async def test_a_full_call_of_1000_children_fits_and_is_one_transaction(feed: Feed, cypher) -> None:
    """About 350 kB of GraphQL: more than an ordinary request may carry, within a feed's limit."""
    records = [
        record(f"pupil-{n}", "UPSERT_CHILD", feed.child(givenName=f"Pupil{n}x", nhsNumber=None))
        for n in range(1000)
    ]
    body = await feed.caller.post(INGEST, {"source": feed.source, "records": records})
    assert "errors" not in body, body
    assert body["data"]["ingest"]["accepted"] == 1000
    assert body["extensions"]["cypherRoundTrips"] == 1  # one chunk, one transaction
    assert cypher("MATCH (c:Child) WHERE c.source = $s RETURN count(c) AS n", s=feed.source) == [
        {"n": 1000}
    ]


_T = (
    "fragment T on __Type { kind name "
    "ofType { kind name ofType { kind name ofType { kind name } } } }"
)
_ROOT_FIELDS = (
    '{ __type(name: "Query") { fields { name args { name type { ...T } } type { ...T } } } }' + _T
)
_TYPES = (
    "{ __schema { types { name kind enumValues { name } inputFields { name type { ...T } } } } }"
    + _T
)


# `me` is the caller's own record; assessmentElements is the CAF guide's fixed list of
# domains and elements (reference text, nothing about any child or person).
_NOT_ABOUT_ANYONE = frozenset({"me", "assessmentElements"})


def _sample(type_ref: dict[str, Any], types: dict[str, Any]) -> Any:
    """A plausible value of a GraphQL input type, for probing every root field."""
    kind, name = type_ref["kind"], type_ref["name"]
    if kind == "NON_NULL":
        return _sample(type_ref["ofType"], types)
    if kind == "LIST":
        return [_sample(type_ref["ofType"], types)]
    if kind == "ENUM":
        return types[name]["enumValues"][0]["name"]
    if kind == "INPUT_OBJECT":
        return {
            f["name"]: _sample(f["type"], types)
            for f in types[name]["inputFields"]
            if f["type"]["kind"] == "NON_NULL"
        }
    return {
        "Int": 5,
        "Boolean": False,
        "Date": "2015-01-01",
        "DateTime": "2025-01-01T00:00:00Z",
    }.get(name, "c-hannah")


async def test_a_feed_token_is_refused_by_every_other_root_query_field(feed: Feed) -> None:
    """R15: whatever other domains add to Query, a FEED token reads nothing but `me`."""
    roots = await feed.caller.post(_ROOT_FIELDS)
    listed = await feed.caller.post(_TYPES)
    assert "data" in roots and "data" in listed, (roots, listed)
    types = {t["name"]: t for t in listed["data"]["__schema"]["types"]}
    probed = []
    refused_late: list[tuple[str, Any]] = []
    for field in roots["data"]["__type"]["fields"]:
        if field["name"] in _NOT_ABOUT_ANYONE:
            continue
        required = [a for a in field["args"] if a["type"]["kind"] == "NON_NULL"]
        variables = {a["name"]: _sample(a["type"], types) for a in required}

        def declared(t: dict[str, Any]) -> str:
            if t["kind"] == "NON_NULL":
                return declared(t["ofType"]) + "!"
            if t["kind"] == "LIST":
                return "[" + declared(t["ofType"]) + "]"
            return str(t["name"])

        signature = ", ".join(f"${a['name']}: {declared(a['type'])}" for a in required)
        call = ", ".join(f"{a['name']}: ${a['name']}" for a in required)
        inner = field["type"]
        while inner.get("ofType"):
            inner = inner["ofType"]
        selection = (
            "{ __typename }" if types[inner["name"]]["kind"] in ("OBJECT", "INTERFACE") else ""
        )
        document = (
            f"query{f'({signature})' if signature else ''} "
            f"{{ {field['name']}{f'({call})' if call else ''} {selection} }}"
        )
        answer = await feed.caller.post(document, variables)
        codes = {e["extensions"]["code"] for e in answer.get("errors", [])}
        if "FORBIDDEN" not in codes or (answer.get("data") or {}).get(field["name"]):
            refused_late.append((field["name"], answer))
        probed.append(field["name"])
    assert refused_late == []
    assert {"child", "searchChildren", "matchReviews", "auditTrail"} <= set(probed)
