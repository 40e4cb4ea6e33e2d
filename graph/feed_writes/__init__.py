"""What a feed chunk writes: one kind of typed row per statement (R15, feeds.md).

Each op's rows and the Cypher they feed live side by side in `graph/feed_writes/<op>.py`:
a row's fields are its statement's parameters, so the two change together, and graph/
stays the one place that holds Cypher. The op's decisions (feeds/ops/<op>.py) make
rows and never see a statement; a sink turns rows into writes: `graph.ingest` into one
Cypher query per chunk, a bulk load into CSV (the rows are plain dataclasses; `params`
is what the statement is given).

Rows are plain slotted dataclasses, never changed once built: not `frozen`, which
would cost a feed several times as much per row (see feeds/records.py).

A statement is `UNWIND $rows AS row ... RETURN count(*) AS written`, and writes exactly
one row's worth per row it is given: fewer means the graph changed under the plan.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Generic, LiteralString, Protocol, TypeVar

__all__ = ["ChunkWrites", "Contact", "WriteKind", "WriteRow", "feed_key"]


class WriteRow(Protocol):
    """One row of a statement."""

    def params(self) -> dict[str, Any]:
        """The row as its statement reads it (`row.<key>`)."""
        ...

    def needs(self) -> tuple[str | None, ...]:
        """The ids of the nodes (or `feed_key`s of the FeedRecords) the statement finds
        for this row: a row planned on top of a chunk still committing waits for that
        commit if it needs anything that chunk wrote (graph.ingest.split_writes)."""
        ...

    def creates(self) -> str | None:
        """The id of the node this row writes, which later rows may need."""
        ...


R = TypeVar("R", bound=WriteRow)


@dataclass(frozen=True, slots=True)
class WriteKind(Generic[R]):
    """A statement and the type of its rows; `name` names both in the chunk's query."""

    name: LiteralString
    statement: LiteralString
    row: type[R]


def feed_key(source_ref: str) -> str:
    """What a FeedRecord row needs, in the same set as node ids (ids never hold NUL)."""
    return "\x00feed:" + source_ref


class ChunkWrites:
    """The rows a chunk's plan made, per kind, each kind in planning order."""

    __slots__ = ("_rows",)

    def __init__(self) -> None:
        self._rows: dict[str, list[Any]] = {}

    def add(self, kind: WriteKind[R], row: R) -> None:
        rows = self._rows.get(kind.name)
        if rows is None:
            rows = self._rows[kind.name] = []
        rows.append(row)

    def of(self, kind: WriteKind[R]) -> list[R]:
        """The rows of one kind (a new list when there are none)."""
        return self._rows.get(kind.name, [])

    def named(self, name: str) -> list[Any]:
        return self._rows.get(name, [])

    def rows(self) -> int:
        return sum(map(len, self._rows.values()))

    def __iter__(self) -> Iterator[tuple[str, list[Any]]]:
        return iter(self._rows.items())


@dataclass(slots=True)
class Contact:
    """How to reach a service, practitioner or carer (graph/model.md: flattened onto the
    node); a part the feed left out removes the old value."""

    phone: str | None = None
    email: str | None = None
    address_line1: str | None = None
    address_line2: str | None = None
    town: str | None = None
    postcode: str | None = None

    def props(self) -> dict[str, Any]:
        return {
            "phone": self.phone,
            "email": self.email,
            "addressLine1": self.address_line1,
            "addressLine2": self.address_line2,
            "town": self.town,
            "postcode": self.postcode,
        }
