"""The op registry: every feed op, in order. Everything else derives from this list.

The order is the order a chunk's rows are written in (each op's `writes`, then the
FeedRecords), so an op comes after every op whose nodes its statements find: a service
before its practitioners, a child before its carers and involvements. It is also the
order ops are listed in to a source (UNKNOWN_OP's message, the GraphQL description).

Adding an op: a module here (payload, reader, keys, plan), its rows and statements in
graph/feed_writes/, one line below, its test and feeds.md.
"""

from __future__ import annotations

from typing import Any

from feeds.op import Op
from feeds.ops import (
    end_involvement,
    register_assessment,
    start_involvement,
    upsert_carer,
    upsert_child,
    upsert_local_authority,
    upsert_practitioner,
    upsert_service,
)
from graph.feed_writes import WriteKind
from graph.feed_writes.feed_record import FEED_RECORD_WRITES
from graph.ingest import ChunkWriter

__all__ = ["BY_NAME", "NAMES", "OPS", "WRITER", "WRITE_KINDS"]

OPS: tuple[Op[Any], ...] = (
    upsert_local_authority.OP,
    upsert_service.OP,
    upsert_practitioner.OP,
    upsert_child.OP,
    upsert_carer.OP,
    start_involvement.OP,
    end_involvement.OP,
    register_assessment.OP,
)

NAMES: tuple[str, ...] = tuple(op.name for op in OPS)
BY_NAME: dict[str, Op[Any]] = {op.name: op for op in OPS}
WRITE_KINDS: tuple[WriteKind[Any], ...] = (
    *(kind for op in OPS for kind in op.writes),
    *FEED_RECORD_WRITES,
)
"""Every kind of row, in the order a chunk writes them."""
WRITER = ChunkWriter(WRITE_KINDS)
"""The Cypher sink: one write query a chunk (graph.ingest)."""
