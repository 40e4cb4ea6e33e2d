"""The review queues people work through: match reviews (R15), reported record errors
and access overrides for review (R9).

Each queue is listed the same way, as a plain list (`first` items) and as a connection
(a page of at most the queue's maximum): `first` is checked against the queue's bound
after the resolver's own role checks (so a caller who may not read the queue learns
FORBIDDEN, not that `first` is wrong), the graph is asked for `first` items, or for the
whole bounded queue when a page is cut from it, and only the page's items come back to
be shaped and audited. Kept in one place so the queues cannot drift apart in how they
bound, page or disclose. Record errors are listed on their own
(api/resolvers/record_errors.py): some of their items are left out for the reader (R6),
so that list reads on past them until it is full.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol, TypeVar

from api.errors import BadUserInput
from api.schema.pagination import Connection, Page

__all__ = ["queue_connection", "queue_items"]


class _Queued(Protocol):
    @property
    def id(self) -> str: ...


Q = TypeVar("Q", bound=_Queued)
T = TypeVar("T")


async def queue_items(
    first: int,
    page: Page | None,
    maximum: int,
    fetch: Callable[[int], Awaitable[Sequence[Q]]],
) -> list[Q]:
    """The queue's items the reader gets: the first `first`, or the page `page` chose
    from the whole queue (at most `maximum`). `fetch(limit)` reads the queue in its
    order; items are keyed by id for cursors."""
    if not 1 <= first <= maximum:
        raise BadUserInput(f"first must be between 1 and {maximum}", field="first")
    found = await fetch(maximum if page is not None else first)
    if page is None:
        return list(found)
    return page.select(found, key_of=lambda item: item.id)


async def queue_connection(
    kind: str,
    first: int,
    after: str | None,
    maximum: int,
    resolve: Callable[[int, Page], Awaitable[Sequence[T]]],
) -> Connection[T]:
    """The connection field of a queue: `resolve(first, page)` is the list field's
    resolver, given the page to cut (it calls `queue_items`)."""
    page = Page(kind, first, after, maximum)
    return page.connection(await resolve(first, page))
