"""Test fixtures: a real Neo4j on loopback (the project's own `test` instance), never a mock.

The session starts the local test server (port 7697, its own data folder) unless
NEO4J_URI points at another Neo4j, applies the migrations, wipes the graph and loads
Hannah's story. Tests that change data clean up what they created.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
import neo4j
import pytest

os.environ.setdefault("CONTACTGRAPH_NEO4J_INSTANCE", "test")

from api.app import create_app
from api.devkeys import issue_token
from api.settings import load_settings
from graph import load as graph_load
from graph import migrations
from graph.connection import Neo4jTarget, target_from_env
from graph.database import Graph, open_graph
from policies.browsing import parse_budgets
from policies.viewer import Role
from seed import hannah, load


@pytest.fixture(scope="session")
def neo4j_target() -> Neo4jTarget:
    if not os.environ.get("NEO4J_URI"):
        import localneo4j

        inst = localneo4j.instance(os.environ["CONTACTGRAPH_NEO4J_INSTANCE"])
        localneo4j.install(progress=lambda _: None)
        localneo4j.start(inst)
    return target_from_env(os.environ["CONTACTGRAPH_NEO4J_INSTANCE"])


@pytest.fixture(scope="session")
def sync_driver(neo4j_target: Neo4jTarget) -> Iterator[neo4j.Driver]:
    with neo4j.GraphDatabase.driver(neo4j_target.uri, auth=neo4j_target.auth) as driver:
        yield driver


@pytest.fixture(scope="session")
def today() -> date:
    return date.today()


@pytest.fixture(scope="session")
async def graph(
    neo4j_target: Neo4jTarget, sync_driver: neo4j.Driver, today: date
) -> AsyncIterator[Graph]:
    db = open_graph(neo4j_target, timeout_s=30)
    graph_load.wipe(sync_driver, database=neo4j_target.database)
    await migrations.apply_all(db, report=None)
    load.load_scenario(sync_driver, hannah.scenario(today), database=neo4j_target.database)
    yield db
    await db.close()


@pytest.fixture(scope="session")
def settings() -> Any:
    # The suite sends thousands of requests as a handful of subjects; the rate limit and
    # the browsing budget have their own tests (tests/security/test_limits.py,
    # tests/security/test_browsing_budget.py) with apps of their own. Diagnostics on:
    # several tests count the Cypher round trips an answer took.
    return dataclasses.replace(
        load_settings(),
        rate_limit_cost_per_minute=100_000_000,
        diagnostics=True,
        # A child trail's answer time is held to a floor (R4) by tests of its own
        # (tests/security/test_trail_findings.py); the rest of the suite does not wait.
        trail_floor_s=0.0,
        browsing_budgets=parse_budgets(
            "PRACTITIONER=1000000,SAFEGUARDING_LEAD=1000000,INDEX_ADMIN=1000000"
        ),
    )


@pytest.fixture(scope="session")
def app(graph: Graph, settings: Any) -> Any:
    return create_app(settings, graph=graph)


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


@dataclass
class Caller:
    """Posts GraphQL as one viewer, with a purpose unless told otherwise."""

    client: httpx.AsyncClient
    token: str
    purpose: str | None = "checking who supports this child"

    async def post(
        self, query: str, variables: dict[str, Any] | None = None, **headers: str
    ) -> dict[str, Any]:
        h = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        if self.purpose is not None:
            h["X-Purpose"] = self.purpose
        h.update({k.replace("_", "-"): v for k, v in headers.items()})
        response = await self.client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=h
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


@pytest.fixture
def as_viewer(client: httpx.AsyncClient, settings: Any) -> Any:
    def make(
        role: Role | str = Role.PRACTITIONER,
        practitioner_id: str | None = None,
        local_authority: str | None = "NBR",
        purpose: str | None = "checking who supports this child",
        subject: str | None = None,
        source: str | None = None,
    ) -> Caller:
        roles = [Role(role)] if isinstance(role, str) else [role]
        token = issue_token(
            settings,
            roles,
            subject=subject,
            practitioner_id=practitioner_id,
            local_authority=local_authority,
            source=source,
        )
        return Caller(client, token, purpose)

    return make
