"""Timing GraphQL requests against the app in this process (no network, no load
generator): for the benchmarks whose figure is one request's latency, not throughput."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

__all__ = ["Ask", "asker"]

Ask = Callable[[str, dict[str, Any]], Awaitable[tuple[float, dict[str, Any]]]]


def asker(client: httpx.AsyncClient, headers: dict[str, str]) -> Ask:
    """`ask(query, variables)` -> (milliseconds, body); an answer with errors raises."""

    async def ask(query: str, variables: dict[str, Any]) -> tuple[float, dict[str, Any]]:
        started = time.perf_counter()
        response = await client.post(
            "/graphql", json={"query": query, "variables": variables}, headers=headers
        )
        elapsed = (time.perf_counter() - started) * 1000
        body: dict[str, Any] = response.json()
        if "errors" in body:
            raise RuntimeError(f"{query[:80]}: {body['errors']}")
        return elapsed, body

    return ask
