"""The alerts this issue adds, each from its trigger through GraphQL: a shielded child
read or found out of its area, repeated refused reads (BUDGET_EXCEEDED is in
test_browsing_budget.py)."""

from __future__ import annotations

from typing import Any

import httpx
import neo4j

from policies.browsing import REFUSALS_BEFORE_ALERT
from policies.viewer import Role
from tests.misuse.conftest import codes, post, token

ALERTS = """
query($la: String!, $after: String) { accessAlerts(localAuthority: $la, first: 100, after: $after) {
  nodes { kind subject localAuthority childIds detail } pageInfo { hasNextPage endCursor } } }
"""


async def _alerts(client: httpx.AsyncClient, settings: Any, la: str, subject: str) -> list[dict]:
    team = token(settings, Role.INDEX_ADMIN, subject=f"ia-{la}", local_authority=la)
    found, after = [], None
    while True:
        body = await post(client, team, ALERTS, {"la": la, "after": after})
        page = body["data"]["accessAlerts"]
        found += [a for a in page["nodes"] if a["subject"] == subject]
        if not page["pageInfo"]["hasNextPage"]:
            return found
        after = page["pageInfo"]["endCursor"]


async def test_a_shielded_child_read_or_found_out_of_area_alerts_its_own_team(
    client: httpx.AsyncClient, settings: Any, subject: str
) -> None:
    outsider = token(
        settings,
        Role.PRACTITIONER,
        subject=subject,
        practitioner_id="p-eastvale",
        local_authority="EVL",
    )
    read = await post(client, outsider, 'query { child(id: "c-sam") { id shielded } }')
    assert read["data"]["child"] == {"id": "c-sam", "shielded": True}
    found = await post(
        client,
        outsider,
        'query { searchChildren(input: {nhsNumber: "9990001049"}) { matches { id } } }',
    )
    assert [m["id"] for m in found["data"]["searchChildren"]["matches"]] == ["c-sam"]
    alerts = await _alerts(client, settings, "NBR", subject)
    assert [a["kind"] for a in alerts] == ["SHIELDED_READ_OUT_OF_AREA"] * 2
    assert all(a["childIds"] == ["c-sam"] and a["localAuthority"] == "NBR" for a in alerts)
    # Not for the outsider's own team, and nothing for an unshielded child.
    assert await _alerts(client, settings, "EVL", subject) == []
    await post(client, outsider, 'query { child(id: "c-hannah") { id } }')
    assert len(await _alerts(client, settings, "NBR", subject)) == 2


async def test_a_shielded_child_read_in_its_own_area_raises_nothing(
    client: httpx.AsyncClient, settings: Any, subject: str
) -> None:
    insider = token(
        settings,
        Role.PRACTITIONER,
        subject=subject,
        practitioner_id="p-melanie",
        local_authority="NBR",
    )
    assert (await post(client, insider, 'query { child(id: "c-sam") { id } }'))["data"]["child"]
    assert await _alerts(client, settings, "NBR", subject) == []


async def test_repeated_refused_reads_alert_once(
    client: httpx.AsyncClient, settings: Any, subject: str, sync_driver: neo4j.Driver
) -> None:
    prober = token(
        settings,
        Role.PRACTITIONER,
        subject=subject,
        practitioner_id="p-melanie",
        local_authority="NBR",
    )
    for n in range(REFUSALS_BEFORE_ALERT - 1):
        body = await post(
            client, prober, "query($id: ID!) { child(id: $id) { id } }", {"id": f"c-s1-{n}"}
        )
        assert codes(body) == ["NOT_FOUND"]
    assert await _alerts(client, settings, "NBR", subject) == []
    # Aliases count each refusal.
    aliased = await post(
        client, prober, 'query { a: child(id: "c-s1-x") { id } b: child(id: "c-s1-y") { id } }'
    )
    assert codes(aliased) == ["NOT_FOUND", "NOT_FOUND"]
    (alert,) = await _alerts(client, settings, "NBR", subject)
    assert (
        alert["kind"] == "REPEATED_REFUSALS" and str(REFUSALS_BEFORE_ALERT + 1) in alert["detail"]
    )
    await post(client, prober, 'query { child(id: "c-s1-z") { id } }')
    assert len(await _alerts(client, settings, "NBR", subject)) == 1
