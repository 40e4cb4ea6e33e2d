"""Limits before execution, rate limits, and request hygiene (issue 8)."""

from __future__ import annotations

import dataclasses

import httpx
import pytest

from api.app import create_app
from api.devkeys import issue_token
from api.ratelimit import RateLimiter
from policies.viewer import Role
from tests.queries import CHILD_PROFILE, SEARCH


def _aliases(n: int) -> str:
    return "{ " + " ".join(f'a{i}: child(id: "c-hannah") {{ id }}' for i in range(n)) + " }"


def _deep(n: int) -> str:
    inner = "id"
    for _ in range(n):
        inner = f"involvements {{ {inner} }}"
    return '{ child(id: "c-hannah") { ' + inner + " } }"


FRAGMENT_ALIASES = (
    '{ child(id: "c-hannah") { ...F ...G } } '
    "fragment F on Child { " + " ".join(f"f{i}: id" for i in range(10)) + " } "
    "fragment G on Child { " + " ".join(f"g{i}: givenName" for i in range(10)) + " }"
)


@pytest.mark.parametrize(
    "document",
    [
        _aliases(60),
        _aliases(16),
        FRAGMENT_ALIASES,
        _deep(12),
        "{ " + "me { subject } " * 400 + "}",
        'query { a: searchChildren(input: {childId: "c-hannah"}) { matches { involvements { service { name } } carers { name } } } '
        + " ".join(
            f'b{i}: searchChildren(input: {{childId: "c-jack"}}) {{ matches {{ {CHILD_PROFILE.split("{ child(id: $id) {")[1].rsplit("}", 2)[0]} }} }}'
            for i in range(3)
        )
        + " }",
    ],
    ids=[
        "60 aliases",
        "16 aliases",
        "aliases counted through fragments",
        "too deep",
        "too many tokens",
        "too costly",
    ],
)
async def test_too_complex_is_refused_without_saying_the_limit(as_viewer, document) -> None:
    body = await as_viewer(practitioner_id="p-melanie").post(document)
    assert body["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert "data" not in body or body["data"] is None
    message = body["errors"][0]["message"]
    assert not any(ch.isdigit() for ch in message)


async def test_a_full_profile_and_a_full_search_fit(as_viewer) -> None:
    caller = as_viewer(practitioner_id="p-melanie")
    assert "errors" not in await caller.post(CHILD_PROFILE, {"id": "c-hannah"})
    body = await caller.post(SEARCH, {"input": {"childId": "c-hannah"}})
    assert "errors" not in body


def test_token_bucket_arithmetic() -> None:
    limiter = RateLimiter(per_minute=600)  # 10 a second
    assert limiter.take("a", 600, now=0.0) == 0
    assert limiter.take("a", 10, now=0.0) == pytest.approx(1.0)
    assert limiter.take("b", 10, now=0.0) == 0  # per subject
    assert limiter.take("a", 10, now=1.0) == 0
    assert RateLimiter(0).take("a", 10**9) == 0


async def test_rate_limited_per_subject_by_cost(graph, settings) -> None:
    app = create_app(dataclasses.replace(settings, rate_limit_cost_per_minute=10_000), graph=graph)
    heavy = issue_token(
        settings, [Role.PRACTITIONER], practitioner_id="p-melanie", subject="heavy-user"
    )
    other = issue_token(
        settings, [Role.PRACTITIONER], practitioner_id="p-lee", subject="other-user"
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:

        async def search(token: str) -> httpx.Response:
            return await c.post(
                "/graphql",
                json={"query": SEARCH, "variables": {"input": {"childId": "c-hannah"}}},
                headers={"Authorization": f"Bearer {token}", "X-Purpose": "rate test"},
            )

        statuses = [(await search(heavy)).status_code for _ in range(3)]
        assert statuses[0] == 200 and statuses[-1] == 429
        limited = await search(heavy)
        assert limited.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
        assert int(limited.headers["retry-after"]) >= 1
        assert (await search(other)).status_code == 200


async def test_production_refuses_introspection_and_suggestions(graph, settings) -> None:
    prod_like = dataclasses.replace(settings, introspection=False, env="development")
    app = create_app(prod_like, graph=graph)
    token = issue_token(settings, [Role.PRACTITIONER], practitioner_id="p-melanie")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        response = await c.post(
            "/graphql",
            json={"query": "{ __schema { types { name } } }"},
            headers={"Authorization": f"Bearer {token}"},
        )
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "data" not in response.json() or not response.json().get("data")


def test_production_refuses_to_start_unsafely(settings) -> None:
    from api.settings import SettingsError

    for unsafe in (
        dict(env="production"),
        dict(env="production", graphiql=False, introspection=False),
        dict(
            env="production",
            graphiql=False,
            introspection=False,
            jwks_url="https://idp.example.org/jwks",
            jwks_path=None,
        ),
    ):
        with pytest.raises(SettingsError):
            create_app(dataclasses.replace(settings, **unsafe))
    safe = dataclasses.replace(
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
    create_app(safe)
    with pytest.raises(SettingsError, match="diagnostics"):
        create_app(dataclasses.replace(safe, diagnostics=True))
