"""/metrics (issue 18): Prometheus text without a token (R1's exception), counting
requests by operation and outcome, and never naming a child."""

from __future__ import annotations

import dataclasses
import re

import httpx

from api.app import create_app
from policies.viewer import Role


def _value(text: str, sample: str) -> float:
    match = re.search(rf"^{re.escape(sample)} (\S+)$", text, re.MULTILINE)
    assert match, f"{sample} not in /metrics"
    return float(match.group(1))


async def test_metrics_count_operations_and_outcomes_without_child_data(client, as_viewer) -> None:
    melanie = as_viewer(Role.PRACTITIONER, practitioner_id="p-melanie")
    before = (await client.get("/metrics")).text
    await melanie.post('query ChildProfile { child(id: "c-hannah") { givenName familyName } }')
    await melanie.post('query Nobody { child(id: "c-nobody") { id } }')
    await client.post("/graphql", json={"query": "{ __typename }"})  # no token: 401

    response = await client.get("/metrics")  # no Authorization header
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text

    def grew(sample: str) -> float:
        old = _value(before, sample) if sample in before else 0.0
        return _value(text, sample) - old

    assert grew('contactgraph_requests_total{code="OK",operation="ChildProfile"}') == 1
    assert grew('contactgraph_requests_total{code="NOT_FOUND",operation="Nobody"}') == 1
    assert grew('contactgraph_requests_total{code="HTTP_401",operation="anonymous"}') == 1
    assert grew('contactgraph_request_seconds_count{operation="ChildProfile"}') == 1
    assert _value(text, "contactgraph_audit_commit_seconds_count") >= 2
    assert _value(text, "contactgraph_fast_path_hits_total") >= 1
    assert _value(text, "contactgraph_audit_queue_depth") >= 0
    assert _value(text, "contactgraph_neo4j_pool_in_use") >= 0
    for leaked in ("Hannah", "Whitlock", "c-hannah", "p-melanie"):
        assert leaked not in text


async def test_client_chosen_operation_names_cannot_flood_the_labels(client, as_viewer) -> None:
    melanie = as_viewer(Role.PRACTITIONER, practitioner_id="p-melanie")
    name = "x" * 200  # a valid GraphQL name, but too long to become a label
    await client.post(
        "/graphql",
        json={"query": f"query {name} {{ __typename }}", "operationName": name},
        headers={"Authorization": f"Bearer {melanie.token}"},
    )
    assert "x" * 100 not in (await client.get("/metrics")).text


async def test_metrics_are_not_on_the_api_port_in_production(graph, settings) -> None:
    prod = dataclasses.replace(
        settings,
        env="production",
        graphiql=False,
        introspection=False,
        jwks_url="https://idp.example.org/jwks",
        jwks_path=None,
        issuer="https://idp.example.org",
        diagnostics=False,
        trail_floor_s=0.25,
    )
    app = create_app(prod, graph=graph)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        assert (await c.get("/metrics")).status_code == 404
