"""R17's feed payload: UPSERT_PRACTITIONER's optional `availability` (feeds.md).

`{"status": AVAILABLE | UNAVAILABLE | LEFT, "until": date}`, `until` required for
UNAVAILABLE and only there; stored on the Practitioner as `availability` and
`availableFrom` (the `until`); no availability means AVAILABLE. What the index view
then shows is the read side's (policies); here, only what the feed writes.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.feeds.conftest import Feed, record

_DROP = object()


def _service(feed: Feed) -> dict[str, Any]:
    return {"id": f"s-{feed.source}", "name": "Test Youth Club", "kind": "YOUTH_SERVICE",
            "localAuthority": "NBR"}  # fmt: skip


def _practitioner(feed: Feed, availability: Any = _DROP) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "id": f"p-{feed.source}",
        "name": "Robin Youth Worker",
        "jobTitle": "Youth Worker",
        "serviceId": f"s-{feed.source}",
        "contact": {"phone": "01632 960999"},
    }
    if availability is not _DROP:
        payload["availability"] = availability
    return payload


def _stored(cypher, feed: Feed) -> dict[str, Any]:
    (row,) = cypher(
        "MATCH (p:Practitioner {id: $id}) "
        "RETURN p.availability AS availability, toString(p.availableFrom) AS availableFrom",
        id=f"p-{feed.source}",
    )
    return row


async def test_availability_is_stored_updated_and_idempotent(feed: Feed, cypher) -> None:
    first = await feed.send(
        record("svc", "UPSERT_SERVICE", _service(feed)),
        record("worker", "UPSERT_PRACTITIONER", _practitioner(feed)),
    )
    assert first["accepted"] == 2, first
    assert _stored(cypher, feed) == {"availability": "AVAILABLE", "availableFrom": None}

    away = _practitioner(feed, {"status": "UNAVAILABLE", "until": "2027-03-01"})
    assert (await feed.send(record("worker", "UPSERT_PRACTITIONER", away)))["accepted"] == 1
    assert _stored(cypher, feed) == {"availability": "UNAVAILABLE", "availableFrom": "2027-03-01"}
    again = await feed.send(record("worker", "UPSERT_PRACTITIONER", away))
    assert (again["accepted"], again["unchanged"]) == (0, 1), again

    later = _practitioner(feed, {"status": "UNAVAILABLE", "until": "2027-04-15"})
    assert (await feed.send(record("worker", "UPSERT_PRACTITIONER", later)))["accepted"] == 1
    assert _stored(cypher, feed)["availableFrom"] == "2027-04-15"

    left = _practitioner(feed, {"status": "LEFT"})
    assert (await feed.send(record("worker", "UPSERT_PRACTITIONER", left)))["accepted"] == 1
    assert _stored(cypher, feed) == {"availability": "LEFT", "availableFrom": None}

    back = _practitioner(feed, {"status": "AVAILABLE"})
    assert (await feed.send(record("worker", "UPSERT_PRACTITIONER", back)))["accepted"] == 1
    assert _stored(cypher, feed) == {"availability": "AVAILABLE", "availableFrom": None}

    # Leaving `availability` out again means AVAILABLE too (a changed payload: written).
    plain = await feed.send(record("worker", "UPSERT_PRACTITIONER", _practitioner(feed)))
    assert plain["accepted"] == 1
    assert _stored(cypher, feed) == {"availability": "AVAILABLE", "availableFrom": None}


CASES = [
    ("not an object", "away", "INVALID_FIELD", "payload.availability must be an object"),
    ("no status", {"until": "2027-01-01"}, "MISSING_FIELD", "payload.availability.status"),
    ("unknown status", {"status": "ON_LEAVE"}, "INVALID_ENUM", "payload.availability.status"),
    (
        "unavailable without until",
        {"status": "UNAVAILABLE"},
        "MISSING_FIELD",
        "payload.availability.until is required when status is UNAVAILABLE",
    ),
    (
        "until for LEFT",
        {"status": "LEFT", "until": "2027-01-01"},
        "INVALID_FIELD",
        "payload.availability.until is only for status UNAVAILABLE",
    ),
    (
        "until for AVAILABLE",
        {"status": "AVAILABLE", "until": "2027-01-01"},
        "INVALID_FIELD",
        "payload.availability.until",
    ),
    (
        "until not a date",
        {"status": "UNAVAILABLE", "until": "01/03/2027"},
        "INVALID_DATE",
        "payload.availability.until",
    ),
    (
        "until not a real day",
        {"status": "UNAVAILABLE", "until": "2027-02-30"},
        "INVALID_DATE",
        "payload.availability.until",
    ),
    (
        "unknown field",
        {"status": "UNAVAILABLE", "until": "2027-01-01", "reason": "sick"},
        "UNKNOWN_FIELD",
        "payload.availability.reason",
    ),
]


@pytest.mark.parametrize(("case", "availability", "code", "says"), CASES, ids=[c[0] for c in CASES])
async def test_bad_availability_is_rejected_alone(
    feed: Feed, cypher, case, availability, code, says
) -> None:
    report = await feed.send(
        record("svc", "UPSERT_SERVICE", _service(feed)),
        record("worker", "UPSERT_PRACTITIONER", _practitioner(feed, availability)),
    )
    assert (report["accepted"], report["rejected"]) == (1, 1), report
    (error,) = report["errors"]
    assert (error["sourceRef"], error["code"]) == ("worker", code), error
    assert says in error["message"], error
    assert "sick" not in error["message"] and "02/" not in error["message"]
    assert cypher("MATCH (p:Practitioner {id: $id}) RETURN p", id=f"p-{feed.source}") == []
