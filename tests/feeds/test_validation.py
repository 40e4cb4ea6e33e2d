"""R15 validation: every kind of bad record is rejected alone, with a code naming the field.

Each case sends one bad record between two good ones: the bad one is rejected with its
code and a message naming the field (and never the value sent), the good ones are
written, and nothing of the bad one remains in the graph.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest

from feeds.ndjson import ndjson_lines, parse_line
from feeds.records import IncomingRecord, Rejection
from feeds.validation import MAX_LINE_BYTES
from tests.feeds.conftest import Feed, fresh_nhs_number, record

TODAY = date.today()
TOMORROW = (TODAY + timedelta(days=1)).isoformat()


def _child(feed: Feed, **changes: Any) -> dict[str, Any]:
    payload = feed.child()
    for key, value in changes.items():
        if value is _DROP:
            payload.pop(key, None)
        else:
            payload[key] = value
    return payload


_DROP = object()


def _start(**changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "child": {"nhsNumber": "9990001014"},  # Hannah
        "serviceId": "s-oakfield-school",
        "practitionerId": "p-melanie",
        "startedOn": "2024-09-02",
    }
    payload.update(changes)
    return {k: v for k, v in payload.items() if v is not _DROP}


# (case name, op, payload builder, expected code, field the message must name)
CHILD_CASES = [
    ("bad NHS check digit", {"nhsNumber": "9990001015"}, "INVALID_NHS_NUMBER", "payload.nhsNumber"),
    ("NHS number too short", {"nhsNumber": "999000101"}, "INVALID_NHS_NUMBER", "payload.nhsNumber"),
    (
        "NHS number with spaces",
        {"nhsNumber": "999 000 1014"},
        "INVALID_NHS_NUMBER",
        "payload.nhsNumber",
    ),
    (
        "NHS number as a number",
        {"nhsNumber": 9990001014},
        "INVALID_NHS_NUMBER",
        "payload.nhsNumber",
    ),
    ("missing given name", {"givenName": _DROP}, "MISSING_FIELD", "payload.givenName"),
    ("blank family name", {"familyName": "   "}, "MISSING_FIELD", "payload.familyName"),
    ("punctuation for a name", {"familyName": "--"}, "INVALID_FIELD", "payload.familyName"),
    ("name not a string", {"givenName": ["Robin"]}, "INVALID_FIELD", "payload.givenName"),
    ("date of birth not ISO", {"dateOfBirth": "14/03/2015"}, "INVALID_DATE", "payload.dateOfBirth"),
    (
        "date of birth impossible",
        {"dateOfBirth": "2015-02-30"},
        "INVALID_DATE",
        "payload.dateOfBirth",
    ),
    (
        "date of birth week date",
        {"dateOfBirth": "2015-W11-5"},
        "INVALID_DATE",
        "payload.dateOfBirth",
    ),
    (
        "date of birth in the future",
        {"dateOfBirth": TOMORROW},
        "INVALID_DATE",
        "payload.dateOfBirth",
    ),
    ("gender not in enum", {"gender": "female"}, "INVALID_ENUM", "payload.gender"),
    ("missing address", {"address": _DROP}, "MISSING_FIELD", "payload.address"),
    (
        "postcode not a postcode",
        {"address": {"line1": "1 Road", "postcode": "NOT A PC"}},
        "INVALID_FIELD",
        "payload.address.postcode",
    ),
    (
        "missing local authority",
        {"localAuthority": _DROP},
        "MISSING_FIELD",
        "payload.localAuthority",
    ),
    (
        "unknown local authority",
        {"localAuthority": "ZZZ"},
        "UNKNOWN_LOCAL_AUTHORITY",
        "payload.localAuthority",
    ),
    ("unknown field", {"shielded": False}, "UNKNOWN_FIELD", "payload.shielded"),
    ("death before birth", {"dateOfDeath": "2001-01-01"}, "INVALID_DATE", "payload.dateOfDeath"),
    ("control characters", {"givenName": "Rob\u0000in"}, "INVALID_FIELD", "payload.givenName"),
    ("eighteen or over", {"dateOfBirth": "2000-01-01"}, "OUT_OF_SCOPE", "payload.dateOfBirth"),
]


@pytest.mark.parametrize(
    ("case", "changes", "code", "field"), CHILD_CASES, ids=[c[0] for c in CHILD_CASES]
)
async def test_bad_child_is_rejected_alone(feed: Feed, cypher, case, changes, code, field) -> None:
    bad = _child(feed, **changes)
    good_before, good_after = feed.child(givenName="Alex"), feed.child(givenName="Sam")
    report = await feed.send(
        record("good-1", "UPSERT_CHILD", good_before),
        record("bad", "UPSERT_CHILD", bad),
        record("good-2", "UPSERT_CHILD", good_after),
    )
    assert report["accepted"] == 2 and report["rejected"] == 1, report
    (error,) = report["errors"]
    assert error["sourceRef"] == "bad" and error["code"] == code, error
    assert field in error["message"], error
    # The message never repeats what was sent (it may be a child's NHS number or address).
    for value in (bad.get("nhsNumber"), "NOT A PC", "14/03/2015", "Rob"):
        if isinstance(value, str):
            assert value not in error["message"]
    stored = cypher(
        "MATCH (c:Child) WHERE c.source = $source RETURN c.givenName AS name ORDER BY name",
        source=feed.source,
    )
    assert [r["name"] for r in stored] == ["Alex", "Sam"]
    assert (
        cypher(
            "MATCH (f:FeedRecord {source: $source, sourceRef: 'bad'}) RETURN f", source=feed.source
        )
        == []
    )


START_CASES = [
    ("unknown service", {"serviceId": "s-no-such"}, "UNKNOWN_SERVICE", "payload.serviceId"),
    (
        "unknown practitioner",
        {"practitionerId": "p-nobody"},
        "UNKNOWN_PRACTITIONER",
        "payload.practitionerId",
    ),
    (
        "practitioner of another service",
        {"practitionerId": "p-lee"},
        "PRACTITIONER_NOT_IN_SERVICE",
        "payload.practitionerId",
    ),
    ("start date not ISO", {"startedOn": "2024-9-2"}, "INVALID_DATE", "payload.startedOn"),
    ("start date in the future", {"startedOn": TOMORROW}, "INVALID_DATE", "payload.startedOn"),
    ("missing start date", {"startedOn": _DROP}, "MISSING_FIELD", "payload.startedOn"),
    ("missing child", {"child": _DROP}, "MISSING_FIELD", "payload.child"),
    (
        "child by both ref and NHS number",
        {"child": {"ref": "x", "nhsNumber": "9990001014"}},
        "INVALID_FIELD",
        "payload.child",
    ),
    (
        "child NHS number unknown",
        {"child": {"nhsNumber": "9990000026"}},
        "UNKNOWN_CHILD",
        "payload.child.nhsNumber",
    ),
    ("child ref unknown", {"child": {"ref": "never-sent"}}, "UNKNOWN_CHILD", "payload.child.ref"),
    (
        "lead flag not boolean",
        {"isLeadProfessional": "yes"},
        "INVALID_FIELD",
        "payload.isLeadProfessional",
    ),
]


@pytest.mark.parametrize(
    ("case", "changes", "code", "field"), START_CASES, ids=[c[0] for c in START_CASES]
)
async def test_bad_involvement_is_rejected_alone(
    feed: Feed, cypher, case, changes, code, field
) -> None:
    report = await feed.send(
        record("bad", "START_INVOLVEMENT", _start(**changes)),
        record("good", "START_INVOLVEMENT", _start()),
    )
    assert report["accepted"] == 1 and report["rejected"] == 1, report
    assert report["errors"][0]["code"] == code, report
    assert field in report["errors"][0]["message"]
    involvements = cypher(
        "MATCH (i:Involvement) WHERE i.source = $source RETURN i.sourceRef AS ref",
        source=feed.source,
    )
    assert involvements == [{"ref": "good"}]


async def test_end_before_its_start_and_end_before_start_date(feed: Feed, cypher) -> None:
    early = await feed.send(
        record("end-1", "END_INVOLVEMENT", {"involvementRef": "start-1", "endedOn": "2025-01-10"}),
        record("start-1", "START_INVOLVEMENT", _start(startedOn="2024-09-02")),
    )
    assert early["accepted"] == 1 and early["errors"][0]["code"] == "END_BEFORE_START", early
    assert "payload.involvementRef" in early["errors"][0]["message"]

    backwards = await feed.send(
        record("end-1", "END_INVOLVEMENT", {"involvementRef": "start-1", "endedOn": "2024-09-01"})
    )
    assert backwards["errors"][0]["code"] == "ENDED_BEFORE_STARTED", backwards
    assert "payload.endedOn" in backwards["errors"][0]["message"]
    ended = cypher(
        "MATCH (i:Involvement {sourceRef: 'start-1'}) WHERE i.source = $source "
        "RETURN i.endedOn AS e",
        source=feed.source,
    )
    assert ended == [{"e": None}]

    fixed = await feed.send(
        record("end-1", "END_INVOLVEMENT", {"involvementRef": "start-1", "endedOn": "2025-01-10"})
    )
    assert fixed["accepted"] == 1, fixed
    ended = cypher(
        "MATCH (i:Involvement {sourceRef: 'start-1'}) WHERE i.source = $source "
        "RETURN toString(i.endedOn) AS e",
        source=feed.source,
    )
    assert ended == [{"e": "2025-01-10"}]


RECORD_CASES = [
    ("payload not JSON", "UPSERT_CHILD", "{not json", "MALFORMED_JSON", "payload"),
    ("payload a list", "UPSERT_CHILD", "[1, 2]", "INVALID_FIELD", "payload"),
    ("unknown op", "DELETE_CHILD", "{}", "UNKNOWN_OP", "op"),
    (
        "service kind not in enum",
        "UPSERT_SERVICE",
        json.dumps({"id": "s-x", "name": "X", "kind": "SPA", "localAuthority": "NBR"}),
        "INVALID_ENUM",
        "payload.kind",
    ),
    (
        "assessment status not in enum",
        "REGISTER_ASSESSMENT",
        json.dumps(
            {
                "child": {"nhsNumber": "9990001014"},
                "holderPractitionerId": "p-melanie",
                "startedOn": "2025-01-01",
                "status": "DONE",
            }
        ),
        "INVALID_ENUM",
        "payload.status",
    ),
    (
        "assessment holder unknown",
        "REGISTER_ASSESSMENT",
        json.dumps(
            {
                "child": {"nhsNumber": "9990001014"},
                "holderPractitionerId": "p-nobody",
                "startedOn": "2025-01-01",
                "status": "OPEN",
            }
        ),
        "SOURCE_CONFLICT",
        "payload.holderPractitionerId",
    ),
    (
        "assessment holder of a service the source does not maintain",
        "REGISTER_ASSESSMENT",
        json.dumps(
            {
                "child": {"nhsNumber": "9990001014"},
                "holderPractitionerId": "p-melanie",
                "startedOn": "2025-01-01",
                "status": "OPEN",
            }
        ),
        "SOURCE_CONFLICT",
        "payload.holderPractitionerId",
    ),
    (
        "practitioner of an unknown service",
        "UPSERT_PRACTITIONER",
        json.dumps({"id": "p-new", "name": "New Person", "serviceId": "s-no-such"}),
        "UNKNOWN_SERVICE",
        "payload.serviceId",
    ),
    (
        "staffing a service another source maintains",
        "UPSERT_PRACTITIONER",
        json.dumps({"id": "p-new", "name": "New Person", "serviceId": "s-nbr-sexual-health"}),
        "SOURCE_CONFLICT",
        "payload.serviceId",
    ),
    (
        "rewriting a service the source does not maintain",
        "UPSERT_SERVICE",
        json.dumps(
            {"id": "s-nbr-camhs", "name": "Not CAMHS", "kind": "OTHER", "localAuthority": "NBR"}
        ),
        "SOURCE_CONFLICT",
        "payload.id",
    ),
    (
        "end with no date",
        "END_INVOLVEMENT",
        json.dumps({"involvementRef": "x"}),
        "MISSING_FIELD",
        "payload.endedOn",
    ),
    (
        "carer without a name",
        "UPSERT_CARER",
        json.dumps({"child": {"nhsNumber": "9990001014"}, "id": "k1", "relationship": "aunt"}),
        "MISSING_FIELD",
        "payload.name",
    ),
]


@pytest.mark.parametrize(
    ("case", "op", "payload", "code", "field"), RECORD_CASES, ids=[c[0] for c in RECORD_CASES]
)
async def test_bad_record_of_any_op(feed: Feed, cypher, case, op, payload, code, field) -> None:
    good = feed.child()
    report = await feed.send(
        {"sourceRef": "bad", "op": op, "payload": payload},
        record("good", "UPSERT_CHILD", good),
    )
    assert report["rejected"] == 1 and report["accepted"] == 1, report
    assert report["errors"][0]["code"] == code
    assert field in report["errors"][0]["message"]
    # Nothing of the refused record: the clinic and CAMHS are untouched, no practitioner.
    assert cypher("MATCH (p:Practitioner {id: 'p-new'}) RETURN p") == []
    assert cypher("MATCH (s:Service {id: 's-nbr-camhs'}) RETURN s.name AS n") == [
        {"n": "Northbridge CAMHS"}
    ]


async def test_sourceref_reused_with_another_op(feed: Feed) -> None:
    first = await feed.send(record("r1", "UPSERT_CHILD", feed.child()))
    assert first["accepted"] == 1
    again = await feed.send(record("r1", "START_INVOLVEMENT", _start()))
    assert again["errors"][0]["code"] == "SOURCE_REF_REUSED"


# --- NDJSON lines (the CLI's input), no database ----------------------------------------


def test_malformed_line_is_rejected_with_its_line_number() -> None:
    result = parse_line(b'{"sourceRef": "x", "op": "UPSERT_CHILD", "payload": {\n', 17, TODAY)
    assert result == Rejection("line 17", "MALFORMED_JSON", "line 17 is not valid JSON")
    not_object = parse_line(b"[1, 2, 3]\n", 4, TODAY)
    assert isinstance(not_object, Rejection) and not_object.source_ref == "line 4"
    assert not_object.code == "MALFORMED_JSON"
    missing_ref = parse_line(b'{"op": "UPSERT_CHILD", "payload": {}}\n', 9, TODAY)
    assert isinstance(missing_ref, Rejection)
    assert (missing_ref.source_ref, missing_ref.code) == ("line 9", "MISSING_FIELD")
    assert parse_line(b"   \n", 5, TODAY) is None


def test_overlong_line_is_rejected_without_being_held(tmp_path) -> None:
    path = tmp_path / "feed.ndjson"
    good = json.dumps(
        {
            "sourceRef": "ok",
            "op": "END_INVOLVEMENT",
            "payload": {"involvementRef": "s", "endedOn": "2025-01-01"},
        }
    )
    path.write_bytes(
        b'{"sourceRef": "big", "pad": "'
        + b"x" * (3 * MAX_LINE_BYTES)
        + b'"}\n'
        + good.encode()
        + b"\n"
    )
    with path.open("rb") as handle:
        lines = list(ndjson_lines(handle))
    assert [n for n, _ in lines] == [1, 2]
    assert len(lines[0][1]) <= MAX_LINE_BYTES + 1
    first = parse_line(lines[0][1], 1, TODAY)
    assert isinstance(first, Rejection) and first.code == "RECORD_TOO_LARGE"
    second = parse_line(lines[1][1], 2, TODAY)
    assert isinstance(second, IncomingRecord) and second.source_ref == "ok"


def test_payload_hash_ignores_key_order_but_not_values() -> None:
    nhs = fresh_nhs_number()
    payload = {
        "nhsNumber": nhs,
        "givenName": "A",
        "familyName": "B",
        "dateOfBirth": "2015-01-01",
        "gender": "MALE",
        "address": {"line1": "1 Road", "postcode": "NB1 1AA"},
        "localAuthority": "NBR",
    }
    reordered = dict(reversed(list(payload.items())))
    line = lambda p: json.dumps({"sourceRef": "r", "op": "UPSERT_CHILD", "payload": p}).encode()  # noqa: E731
    a, b = parse_line(line(payload), 1, TODAY), parse_line(line(reordered), 1, TODAY)
    c = parse_line(line({**payload, "givenName": "C"}), 1, TODAY)
    assert isinstance(a, IncomingRecord) and isinstance(b, IncomingRecord)
    assert isinstance(c, IncomingRecord)
    assert a.payload_hash == b.payload_hash != c.payload_hash
