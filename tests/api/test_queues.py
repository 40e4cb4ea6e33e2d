"""The review queues' one listing shape (api/resolvers/queues.py), without Neo4j: what
the graph is asked for, and what comes back, for a list and for a page."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest

from api.errors import BadUserInput
from api.resolvers.queues import queue_connection, queue_items
from api.schema.pagination import Page


@dataclass(frozen=True)
class Item:
    id: str


QUEUE = [Item(f"q{n}") for n in range(7)]


class Fetch:
    """The queue in its order; remembers the limits it was asked for."""

    def __init__(self) -> None:
        self.limits: list[int] = []

    async def __call__(self, limit: int) -> list[Item]:
        self.limits.append(limit)
        return QUEUE[:limit]


def test_a_list_asks_the_graph_for_first_items_only() -> None:
    fetch = Fetch()
    items = asyncio.run(queue_items(3, None, 5, fetch))
    assert ([i.id for i in items], fetch.limits) == (["q0", "q1", "q2"], [3])


@pytest.mark.parametrize("first", [0, -1, 6])
def test_first_outside_the_bound_is_refused_before_the_graph_is_read(first: int) -> None:
    fetch = Fetch()
    with pytest.raises(BadUserInput) as refused:
        asyncio.run(queue_items(first, None, 5, fetch))
    assert refused.value.field == "first" and fetch.limits == []


def test_a_page_is_cut_from_the_whole_bounded_queue_and_follows_its_cursor() -> None:
    fetch = Fetch()

    async def resolve(first: int, page: Page) -> list[Item]:
        return await queue_items(first, page, 5, fetch)

    one = asyncio.run(queue_connection("q", 2, None, 5, resolve))
    assert [n.id for n in one.nodes] == ["q0", "q1"] and one.page_info.has_next_page
    two = asyncio.run(queue_connection("q", 2, one.page_info.end_cursor, 5, resolve))
    assert [n.id for n in two.nodes] == ["q2", "q3"] and two.page_info.has_next_page
    assert fetch.limits == [5, 5]  # the whole queue (at most its maximum), never more


def test_a_cursor_from_another_queue_is_refused() -> None:
    async def resolve(first: int, page: Page) -> list[Item]:
        return await queue_items(first, page, 5, Fetch())

    other = asyncio.run(queue_connection("other", 1, None, 5, resolve))
    with pytest.raises(BadUserInput) as refused:
        asyncio.run(queue_connection("q", 1, other.page_info.end_cursor, 5, resolve))
    assert refused.value.field == "after"
