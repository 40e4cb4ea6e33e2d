"""R17 end to end: the feed says a practitioner has left or is away; the index view says
whom to contact instead, and why, on every path the involvement shows.

Their own contact details are not shown on any involvement; the involvement's `contact`
is their service's (still under R5 and R6), `contactNote` says why, and their name
stays. When they are back, their own details return.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from policies.viewer import Role
from tests.feeds.conftest import Feed, record

PROFILE = """
query($input: ChildSearchInput!) {
  searchChildren(input: $input) {
    matches {
      involvements {
        practitioner { name contact { phone } }
        service { contact { phone } }
        practitionerAvailability contactNote contact { phone }
      }
    }
  }
}
"""

OWN_PHONE = "01632 960999"
SERVICE_PHONE = "01632 960998"


def _records(feed: Feed, availability: dict[str, Any] | None) -> list[dict[str, Any]]:
    practitioner: dict[str, Any] = {
        "id": f"p-{feed.source}",
        "name": "Robin Youthworker",
        "jobTitle": "Youth Worker",
        "serviceId": f"s-{feed.source}",
        "contact": {"phone": OWN_PHONE},
    }
    if availability is not None:
        practitioner["availability"] = availability
    return [
        record(
            "club",
            "UPSERT_SERVICE",
            {
                "id": f"s-{feed.source}",
                "name": "Test Youth Club",
                "kind": "YOUTH_SERVICE",
                "localAuthority": "NBR",
                "contact": {"phone": SERVICE_PHONE},
            },
        ),
        record("worker", "UPSERT_PRACTITIONER", practitioner),
        record("child", "UPSERT_CHILD", feed.child()),
        record(
            "involved",
            "START_INVOLVEMENT",
            {
                "child": {"ref": "child"},
                "serviceId": f"s-{feed.source}",
                "practitionerId": f"p-{feed.source}",
                "startedOn": "2025-01-06",
            },
        ),
    ]


async def _involvement(feed: Feed, as_viewer: Any) -> dict[str, Any]:
    child = feed.child()
    body = await as_viewer(practitioner_id="p-melanie").post(
        PROFILE,
        {"input": {"familyName": child["familyName"], "dateOfBirth": child["dateOfBirth"]}},
    )
    assert "errors" not in body, body
    (match,) = body["data"]["searchChildren"]["matches"]
    (involvement,) = match["involvements"]
    return involvement


async def test_the_feed_marks_a_practitioner_away_then_gone_then_back(
    feed: Feed, as_viewer: Any
) -> None:
    back_on = date.today() + timedelta(days=14)
    report = await feed.send(
        *_records(feed, {"status": "UNAVAILABLE", "until": back_on.isoformat()})
    )
    assert report["rejected"] == 0, report
    away = await _involvement(feed, as_viewer)
    assert away["practitioner"] == {"name": "Robin Youthworker", "contact": None}
    assert away["practitionerAvailability"] == "UNAVAILABLE"
    assert away["contact"] == {"phone": SERVICE_PHONE}
    assert away["contactNote"] == (
        f"Robin Youthworker is unavailable until {back_on.isoformat()}: "
        "contact Test Youth Club instead (R17)."
    )

    await feed.send(*_records(feed, {"status": "LEFT"}))
    gone = await _involvement(feed, as_viewer)
    assert gone["practitionerAvailability"] == "LEFT"
    assert gone["contact"] == {"phone": SERVICE_PHONE}
    assert "has left the service" in gone["contactNote"]
    assert OWN_PHONE not in str(gone)

    await feed.send(*_records(feed, {"status": "AVAILABLE"}))
    here = await _involvement(feed, as_viewer)
    assert here["practitioner"]["contact"] == {"phone": OWN_PHONE}
    assert here["contact"] == {"phone": OWN_PHONE}
    assert here["contactNote"] is None and here["practitionerAvailability"] == "AVAILABLE"


async def test_unavailability_ends_on_the_day_given(feed: Feed, as_viewer: Any) -> None:
    today = date.today().isoformat()
    await feed.send(*_records(feed, {"status": "UNAVAILABLE", "until": today}))
    involvement = await _involvement(feed, as_viewer)
    assert involvement["contact"] == {"phone": OWN_PHONE}
    assert involvement["contactNote"] is None


async def test_the_index_team_sees_the_same(feed: Feed, as_viewer: Any) -> None:
    """R17 is not R4: no role sees the direct line of someone who is not there."""
    await feed.send(*_records(feed, {"status": "LEFT"}))
    child = feed.child()
    body = await as_viewer(Role.INDEX_ADMIN, local_authority="NBR").post(
        PROFILE,
        {"input": {"familyName": child["familyName"], "dateOfBirth": child["dateOfBirth"]}},
    )
    assert OWN_PHONE not in str(body) and SERVICE_PHONE in str(body)
