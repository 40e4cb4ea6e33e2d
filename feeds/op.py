"""What an op is: everything the index knows about one kind of feed record.

Each op module (feeds/ops/<op>.py) defines one `Op`; the registry (feeds/ops/__init__.py)
lists them in order and the rest derives from it: which ops a record may name, how its
payload is read, what a chunk looks up, how it is planned, and which statements the
chunk's write query runs, in that order.

`read`, `keys` and `plan` need no Neo4j: `plan` turns a record and the facts looked up
into typed rows (graph/feed_writes/), and a sink writes them (graph.ingest as Cypher,
a bulk load as CSV).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from feeds.plan import ChunkPlanner, Ref
    from feeds.records import IncomingRecord
    from graph.feed_writes import WriteKind
    from graph.ingest import ChunkKeys

__all__ = ["Op"]

P = TypeVar("P")


@dataclass(frozen=True, slots=True)
class Op(Generic[P]):
    #: The op as a source names it (feeds.md); never renamed.
    name: str
    #: The payload as a typed value, from its JSON object and today's date; raises
    #: feeds.fields.Invalid naming the field.
    read: Callable[[dict[str, Any], date], P]
    #: Adds what deciding this payload needs looked up in the graph.
    keys: Callable[[P, ChunkKeys], None]
    #: Decides the record: adds rows to `planner.writes` and its FeedRecord with
    #: `planner.record`, or raises feeds.plan.Reject. `prior` is what its sourceRef
    #: stood for before, if anything.
    plan: Callable[[ChunkPlanner, IncomingRecord, P, Ref | None], None]
    #: The kinds of rows `plan` may add, in the order they are written.
    writes: tuple[WriteKind[Any], ...]
