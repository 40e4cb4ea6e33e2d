"""Misuse tests: apps with small browsing budgets, unique subjects, GraphQL helpers."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from api.app import create_app
from api.devkeys import issue_token
from graph.database import Graph
from policies.browsing import parse_budgets
from policies.viewer import Role

PURPOSE = "checking who supports this child"


def token(settings: Any, role: Role, **claims: Any) -> str:
    return issue_token(settings, [role], **claims)


def melanie_as(settings: Any, subject: str) -> str:
    """Melanie's practitioner record and authority under a subject of the test's own."""
    return token(
        settings,
        Role.PRACTITIONER,
        subject=subject,
        practitioner_id="p-melanie",
        local_authority="NBR",
    )


async def post(
    client: httpx.AsyncClient,
    token_: str,
    query: str,
    variables: dict[str, Any] | None = None,
    purpose: str | None = PURPOSE,
    **headers: str,
) -> dict[str, Any]:
    h = {"Authorization": f"Bearer {token_}"}
    h.update({k.replace("_", "-"): v for k, v in headers.items()})
    if purpose is not None:
        h["X-Purpose"] = purpose
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=h
    )
    body: dict[str, Any] = response.json()
    body["_status"] = response.status_code
    return body


def codes(body: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors", ())]


@pytest.fixture
def subject() -> str:
    return f"p-misuse-{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="session")
def small_budget_settings(settings: Any) -> Any:
    return dataclasses.replace(
        settings,
        browsing_budgets=parse_budgets("PRACTITIONER=3,SAFEGUARDING_LEAD=5,INDEX_ADMIN=5"),
    )


@pytest.fixture
async def small(graph: Graph, small_budget_settings: Any) -> AsyncIterator[httpx.AsyncClient]:
    """An app of its own (its own process memory of what was counted) with small budgets."""
    app = create_app(small_budget_settings, graph=graph)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        yield c
