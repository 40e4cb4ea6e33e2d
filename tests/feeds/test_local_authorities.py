"""UPSERT_LOCAL_AUTHORITY (feeds.md, R4): a local authority and its index team's contact.

Only a source configured as a reference-data source (CONTACTGRAPH_REFERENCE_SOURCES)
may send one; once on the index, children and services may name it, and before that
they are rejected with UNKNOWN_LOCAL_AUTHORITY. A change to the index-team contact of
an authority already on the index alerts that authority's index team and is named in
an audit event committed with it.
"""

from __future__ import annotations

import dataclasses
import random
import string
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from api.app import create_app
from api.devkeys import issue_token
from policies.viewer import Role
from tests.conftest import Caller
from tests.feeds.conftest import Feed, record

ALERTS = """
query Alerts($la: String!) {
  accessAlerts(localAuthority: $la) { nodes { kind state localAuthority detail childIds } }
}
"""


def _code() -> str:
    return "T" + "".join(random.choice(string.ascii_uppercase + string.digits) for _ in range(8))


def _authority(code: str, phone: str = "01632 960001", name: str = "Testshire") -> dict[str, Any]:
    email = f"index.team@{code.lower()}.example.org"
    return {"code": code, "name": name, "indexTeam": {"phone": phone, "email": email}}


@pytest.fixture
def code(cypher: Callable[..., list[dict[str, Any]]]) -> Any:
    made = _code()
    yield made
    cypher("MATCH (la:LocalAuthority {code: $code}) DELETE la", code=made)
    cypher("MATCH (a:AccessAlert {localAuthority: $code}) DELETE a", code=made)


@pytest.fixture
async def reference(
    graph: Any, settings: Any, feed_source: str, clean_source: Any
) -> AsyncIterator[Feed]:
    """A feed whose source the app is configured to take reference data from."""
    clean_source(feed_source)
    configured = dataclasses.replace(settings, reference_sources=frozenset({feed_source}))
    app = create_app(configured, graph=graph)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        token = issue_token(configured, [Role.FEED], source=feed_source)
        yield Feed(feed_source, Caller(client, token))


async def test_an_authority_registered_by_a_reference_source_may_then_be_named(
    reference: Feed, code: str, cypher: Any
) -> None:
    before = await reference.send(
        record("early", "UPSERT_CHILD", reference.child(localAuthority=code))
    )
    assert [e["code"] for e in before["errors"]] == ["UNKNOWN_LOCAL_AUTHORITY"]

    report = await reference.send(
        record("la", "UPSERT_LOCAL_AUTHORITY", _authority(code)),
        record("svc", "UPSERT_SERVICE", {"id": f"s-{code}", "name": "Testshire School",
                                         "kind": "SCHOOL", "localAuthority": code}),
        record("child", "UPSERT_CHILD", reference.child(localAuthority=code)),
    )  # fmt: skip
    assert report["errors"] == [] and report["accepted"] == 3
    rows = cypher(
        "MATCH (la:LocalAuthority {code: $code}) RETURN la.name AS name, "
        "la.indexTeamPhone AS phone, la.indexTeamEmail AS email, la.source AS source",
        code=code,
    )
    assert rows == [{"name": "Testshire", "phone": "01632 960001",
                     "email": f"index.team@{code.lower()}.example.org",
                     "source": reference.source}]  # fmt: skip
    events = cypher(
        "MATCH (e:AuditEvent {action: 'ingest'}) WHERE e.reason CONTAINS $entry "
        "RETURN e.role AS role, e.reason CONTAINS $source AS named",
        entry=f"LocalAuthority:{code}",
        source=reference.source,
    )
    assert events == [{"role": "FEED", "named": True}], "one event, committed with the write"
    assert cypher("MATCH (a:AccessAlert {localAuthority: $code}) RETURN a", code=code) == [], (
        "a new authority has no contact to change"
    )


async def test_only_a_reference_source_may_send_an_authority(
    feed: Feed, code: str, cypher: Any
) -> None:
    report = await feed.send(record("la", "UPSERT_LOCAL_AUTHORITY", _authority(code)))
    assert report["accepted"] == 0
    assert [(e["code"], e["message"]) for e in report["errors"]] == [
        (
            "SOURCE_CONFLICT",
            "op UPSERT_LOCAL_AUTHORITY is accepted only from a reference-data source",
        )
    ]
    assert cypher("MATCH (la:LocalAuthority {code: $code}) RETURN la", code=code) == []


async def test_a_changed_index_team_contact_alerts_that_authoritys_index_team(
    reference: Feed, code: str, cypher: Any, as_viewer: Any
) -> None:
    await reference.send(record("la", "UPSERT_LOCAL_AUTHORITY", _authority(code)))
    again = await reference.send(record("la", "UPSERT_LOCAL_AUTHORITY", _authority(code)))
    assert again["unchanged"] == 1
    renamed = await reference.send(
        record("la", "UPSERT_LOCAL_AUTHORITY", _authority(code, name="Testshire Council"))
    )
    assert renamed["accepted"] == 1
    team = as_viewer(Role.INDEX_ADMIN, local_authority=code, purpose="index team alerts")
    body = await team.post(ALERTS, {"la": code})
    assert body["data"]["accessAlerts"]["nodes"] == [], "a new name changes no contact"

    moved = await reference.send(
        record("la", "UPSERT_LOCAL_AUTHORITY", _authority(code, phone="01632 960999"))
    )
    assert moved["accepted"] == 1
    body = await team.post(ALERTS, {"la": code})
    alerts = body["data"]["accessAlerts"]["nodes"]
    assert [(a["kind"], a["state"], a["localAuthority"], a["childIds"]) for a in alerts] == [
        ("INDEX_TEAM_CONTACT_CHANGED", "OPEN", code, [])
    ]
    assert reference.source in alerts[0]["detail"]
    phone = cypher(
        "MATCH (la:LocalAuthority {code: $code}) RETURN la.indexTeamPhone AS p", code=code
    )
    assert phone == [{"p": "01632 960999"}]


async def test_an_authority_record_is_checked_like_any_other(reference: Feed, code: str) -> None:
    no_email = _authority(code)
    del no_email["indexTeam"]["email"]
    bad_code = _authority("no code")
    report = await reference.send(
        record("a", "UPSERT_LOCAL_AUTHORITY", no_email),
        record("b", "UPSERT_LOCAL_AUTHORITY", bad_code),
        record("c", "UPSERT_LOCAL_AUTHORITY", {**_authority(code), "address": "x"}),
    )
    assert [(e["sourceRef"], e["code"], e["message"]) for e in report["errors"]] == [
        ("a", "MISSING_FIELD", "payload.indexTeam.email is required"),
        ("b", "INVALID_FIELD", "payload.code must be a local authority code"),
        ("c", "UNKNOWN_FIELD", "payload.address is not a known field"),
    ]
