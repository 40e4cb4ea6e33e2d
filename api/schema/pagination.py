"""Relay-style connections for the lists that grow (issue 18).

A connection field takes `first` and `after` and answers `edges { cursor node }` and
`pageInfo { hasNextPage endCursor }`. Cursors are opaque to clients: base64url of the
list's name and the last item's key, so a cursor from one list is refused by another.
Pages are cut from what the reader is shown, after policy has left items out, and only
the items on the page are shaped and audited.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

import orjson
import strawberry

from api.errors import BadUserInput
from api.schema.alerts import PageInfo  # one PageInfo for every connection in the schema

__all__ = ["Connection", "Edge", "Page", "PageInfo", "decode_cursor", "encode_cursor"]

T = TypeVar("T")
R = TypeVar("R")


@strawberry.type(description="One item of a page, with the cursor that points at it.")
class Edge(Generic[T]):
    cursor: str = strawberry.field(
        description="Opaque: pass it as `after` to get the items that follow this one."
    )
    node: T


@strawberry.type(
    description=(
        "One page of a list, in the list's order. Start with `first` alone, then pass "
        "`pageInfo.endCursor` as `after` while `pageInfo.hasNextPage` is true. Use `edges` "
        "when you need each item's cursor, or `nodes` for the items alone."
    )
)
class Connection(Generic[T]):
    edges: list[Edge[T]]
    nodes: list[T]
    page_info: PageInfo


def encode_cursor(kind: str, key: str | int) -> str:
    raw = orjson.dumps([kind, key])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(kind: str, cursor: str | None) -> str | int | None:
    """The key a cursor of this list points at; BAD_USER_INPUT for anything else."""
    if cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        decoded = orjson.loads(raw)
    except (binascii.Error, ValueError, orjson.JSONDecodeError):
        decoded = None
    if (
        not isinstance(decoded, list)
        or len(decoded) != 2
        or decoded[0] != kind
        or not isinstance(decoded[1], str | int)
    ):
        raise BadUserInput("after is not a cursor from this list", field="after")
    key: str | int = decoded[1]
    return key


@dataclass
class Page:
    """One page of a list: `first` items after the cursor `after`, keyed by `key_of`.

    A resolver that lists things calls `select` on what the reader may see, before it
    shapes and audits them, so only the page is disclosed. `first` and the cursor are
    checked there, after the resolver's own checks: a caller who may not read the list
    learns FORBIDDEN, not that their cursor is wrong.
    """

    kind: str
    first: int
    after: str | None = None
    maximum: int = 100
    has_next: bool = False
    keys: list[str | int] = field(default_factory=list)

    def after_key(self) -> str | int | None:
        if not 1 <= self.first <= self.maximum:
            raise BadUserInput(f"first must be between 1 and {self.maximum}", field="first")
        return decode_cursor(self.kind, self.after)

    def select(
        self, items: Sequence[R], key_of: Callable[[R], str | int], *, from_top: bool = False
    ) -> list[R]:
        """The page's items; `from_top` when the caller already read on from the cursor."""
        after = None if from_top else self.after_key()
        start = 0
        if after is not None:
            keys = [key_of(item) for item in items]
            # A cursor whose item has gone (resolved, expired) starts from the beginning
            # of what is left rather than failing.
            start = keys.index(after) + 1 if after in keys else 0
        chosen = list(items[start : start + self.first])
        self.has_next = len(items) > start + self.first
        self.keys = [key_of(item) for item in chosen]
        return chosen

    def connection(self, nodes: Sequence[T]) -> Connection[T]:
        assert len(nodes) == len(self.keys), "shape exactly the items select() chose"
        edges = [
            Edge(cursor=encode_cursor(self.kind, key), node=node)
            for key, node in zip(self.keys, nodes, strict=True)
        ]
        return Connection(
            edges=edges,
            nodes=list(nodes),
            page_info=PageInfo(
                has_next_page=self.has_next, end_cursor=edges[-1].cursor if edges else None
            ),
        )
