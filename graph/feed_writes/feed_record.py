"""Every record written leaves a FeedRecord (source, sourceRef, op, payload hash, status):
what makes a re-sent record `unchanged` and a re-run after kill -9 safe. Written last in
a chunk, in the same transaction as what it stands for.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, LiteralString

from graph.feed_writes import WriteKind, feed_key

__all__ = [
    "FEED_NEW",
    "FEED_RECORD_WRITES",
    "FEED_UPDATE",
    "WRITE_FEED_NEW",
    "WRITE_FEED_UPDATE",
    "FeedRecordRow",
]

FEED_NEW: LiteralString = """
UNWIND $rows AS row
CREATE (f:FeedRecord)
SET f = row, f.receivedAt = $now
RETURN count(*) AS written
"""

FEED_UPDATE: LiteralString = """
UNWIND $rows AS row
MATCH (f:FeedRecord {source: row.source, sourceRef: row.sourceRef})
SET f += row, f.receivedAt = $now
RETURN count(*) AS written
"""


@dataclass(slots=True)
class FeedRecordRow:
    """`new`: the first time this (source, sourceRef) is written; otherwise an update."""

    new: bool
    source: str
    source_ref: str
    op: str
    payload_hash: str
    status: str
    entity_id: str | None
    child_id: str | None
    review_id: str | None

    def params(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "sourceRef": self.source_ref,
            "op": self.op,
            "payloadHash": self.payload_hash,
            "status": self.status,
            "entityId": self.entity_id,
            "childId": self.child_id,
            "reviewId": self.review_id,
        }

    def needs(self) -> tuple[str | None, ...]:
        return () if self.new else (feed_key(self.source_ref),)

    def creates(self) -> str | None:
        return None


WRITE_FEED_NEW: WriteKind[FeedRecordRow] = WriteKind("feed_new", FEED_NEW, FeedRecordRow)
WRITE_FEED_UPDATE: WriteKind[FeedRecordRow] = WriteKind("feed_update", FEED_UPDATE, FeedRecordRow)
FEED_RECORD_WRITES: tuple[WriteKind[FeedRecordRow], ...] = (WRITE_FEED_NEW, WRITE_FEED_UPDATE)
