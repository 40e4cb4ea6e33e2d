"""The driver's lifecycle and the two ways in: a read and a write, each one round trip.

Every query goes through `Graph.read` or `Graph.write`, so each carries a
transaction timeout, runs as a managed (retried) transaction, and is counted: the
per-request count is how tests prove there is no N+1. Causal consistency comes from
the driver's bookmark manager (`execute_query` shares one per driver), so a read
after a write sees it even when a cluster routes the read to another member.
"""

from __future__ import annotations

import asyncio
import contextvars
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, LiteralString, TypeVar, cast

import neo4j
from neo4j import AsyncDriver, AsyncGraphDatabase, AsyncManagedTransaction, Query, RoutingControl

from graph.connection import Neo4jTarget

__all__ = [
    "ChildrenRead",
    "Graph",
    "RoundTrips",
    "children_read",
    "open_graph",
    "reached",
    "round_trips",
]

T = TypeVar("T")
_TRANSIENT_ATTEMPTS = 6


@dataclass
class RoundTrips:
    count: int = 0


round_trips: contextvars.ContextVar[RoundTrips | None] = contextvars.ContextVar(
    "contactgraph_round_trips", default=None
)


@dataclass
class ChildrenRead:
    """The children whose records one request read from the graph. The endpoint checks
    that the request's audit event names every one (R14): a path that reads a child and
    forgets to audit fails closed instead of answering."""

    ids: set[str]


children_read: contextvars.ContextVar[ChildrenRead | None] = contextvars.ContextVar(
    "contactgraph_children_read", default=None
)


def reached(child_id: str) -> None:
    """Called wherever graph facts about a child are built from a record."""
    read = children_read.get()
    if read is not None:
        read.ids.add(child_id)


def _count() -> None:
    counter = round_trips.get()
    if counter is not None:
        counter.count += 1


class Graph:
    def __init__(self, driver: AsyncDriver, database: str | None, timeout_s: float) -> None:
        self.driver = driver
        self.database = database
        self.timeout_s = timeout_s

    async def read(self, cypher: LiteralString, **params: Any) -> list[neo4j.Record]:
        """One read in an auto-commit transaction: a single network flush (RUN and PULL),
        where a managed transaction needs two (BEGIN, RUN, PULL, then COMMIT). A read has
        nothing to commit, and the shared bookmark manager still orders it after writes."""
        return await self._autocommit(neo4j.READ_ACCESS, cypher, params)

    async def write_autocommit(self, cypher: LiteralString, **params: Any) -> list[neo4j.Record]:
        """One write statement in an auto-commit transaction: atomic, one network flush,
        no driver retry (the caller decides whether a retry is safe)."""
        return await self._autocommit(neo4j.WRITE_ACCESS, cypher, params)

    async def write_autocommit_retried(
        self, cypher: LiteralString, **params: Any
    ) -> list[neo4j.Record]:
        """An auto-commit write that is safe to repeat because it is one atomic statement:
        when Neo4j aborts it as a deadlock victim or for another transient reason, nothing
        of it was written, and it runs again (after a short, growing, jittered pause)."""
        for attempt in range(_TRANSIENT_ATTEMPTS):
            try:
                return await self.write_autocommit(cypher, **params)
            except neo4j.exceptions.TransientError:
                if attempt == _TRANSIENT_ATTEMPTS - 1:
                    raise
                await asyncio.sleep(random.uniform(0, 0.005 * 2**attempt))
        raise AssertionError("unreachable")

    async def _autocommit(
        self, mode: str, cypher: LiteralString, params: dict[str, Any]
    ) -> list[neo4j.Record]:
        _count()
        async with self.driver.session(
            database=self.database,
            default_access_mode=mode,
            bookmark_manager=self.driver.execute_query_bookmark_manager,
        ) as session:
            result = await session.run(Query(cypher, timeout=self.timeout_s), params)
            return [record async for record in result]

    async def write(self, cypher: LiteralString, **params: Any) -> list[neo4j.Record]:
        _count()
        result = await self.driver.execute_query(
            Query(cypher, timeout=self.timeout_s),
            params,
            routing_=RoutingControl.WRITE,
            database_=self.database,
        )
        return cast(list[neo4j.Record], result.records)

    async def write_transaction(self, work: Callable[[AsyncManagedTransaction], Awaitable[T]]) -> T:
        """Several statements that must commit together (one mutation, one audit group)."""
        _count()
        async with self.driver.session(
            database=self.database,
            bookmark_manager=self.driver.execute_query_bookmark_manager,
        ) as session:
            return await session.execute_write(
                neo4j.unit_of_work(timeout=self.timeout_s)(work)  # type: ignore[arg-type]
            )

    async def close(self) -> None:
        await self.driver.close()


def open_graph(
    target: Neo4jTarget,
    *,
    timeout_s: float = 10.0,
    pool_size: int = 50,
    acquire_timeout_s: float = 2.0,
) -> Graph:
    driver = AsyncGraphDatabase.driver(
        target.uri,
        auth=target.auth,
        max_connection_pool_size=pool_size,
        connection_acquisition_timeout=acquire_timeout_s,
        connection_timeout=5.0,
        # Retries ride out a cluster leader switch, but a dead server must fail fast.
        max_transaction_retry_time=2.0,
        notifications_min_severity="OFF",
    )
    return Graph(driver, target.database, timeout_s)
