"""Found by red-teaming: extensions.cypherRoundTrips told a carer of shielded children
(two round trips) from an unknown carer id (one). The count is now a diagnostic the
tests and benches ask for, off by default and refused in production, and the unknown
id costs the same two round trips."""

from __future__ import annotations

import dataclasses
from typing import Any

import httpx
import pytest

from api.app import create_app
from api.devkeys import issue_token
from api.settings import SettingsError, load_settings
from policies.viewer import Role

CARER_NETWORK = """
query ($id: ID!) { carerNetwork(carerId: $id, reason: "tracing the family for review") { truncated } }
"""


async def _carer_network(app: Any, settings: Any, carer_id: str) -> dict[str, Any]:
    token = issue_token(settings, [Role.SAFEGUARDING_LEAD], local_authority="EVL")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        response = await c.post(
            "/graphql",
            json={"query": CARER_NETWORK, "variables": {"id": carer_id}},
            headers={"Authorization": f"Bearer {token}", "X-Purpose": "diagnostics test"},
        )
    return response.json()


async def test_a_shielded_childs_carer_and_an_unknown_id_cost_the_same(app, settings) -> None:
    assert settings.diagnostics  # the suite's settings ask for the count
    shielded = await _carer_network(app, settings, "k-sam-father")
    unknown = await _carer_network(app, settings, "k-nobody-at-all")
    for body in (shielded, unknown):
        assert body["data"] is None
        assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert shielded["errors"] == unknown["errors"]
    assert shielded["extensions"]["cypherRoundTrips"] == unknown["extensions"]["cypherRoundTrips"]


async def test_no_answer_carries_the_count_unless_asked(graph, settings) -> None:
    quiet = dataclasses.replace(settings, diagnostics=False)
    body = await _carer_network(create_app(quiet, graph=graph), quiet, "k-sam-father")
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert "extensions" not in body


def test_production_refuses_diagnostics(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONTACTGRAPH_ENV", "production")
    monkeypatch.setenv("CONTACTGRAPH_DIAGNOSTICS", "1")
    with pytest.raises(SettingsError, match="diagnostics must be off"):
        load_settings().check()


def test_production_refuses_a_trail_that_answers_as_fast_as_it_reads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """R4: a child trail's time counts what it withheld unless held to a floor."""
    monkeypatch.setenv("CONTACTGRAPH_ENV", "production")
    monkeypatch.setenv("CONTACTGRAPH_TRAIL_FLOOR", "0")
    with pytest.raises(SettingsError, match="audit trail must answer in no less than"):
        load_settings().check()
    monkeypatch.setenv("CONTACTGRAPH_TRAIL_FLOOR", "-1")
    with pytest.raises(SettingsError, match="CONTACTGRAPH_TRAIL_FLOOR must be 0 to 10"):
        load_settings().check()
