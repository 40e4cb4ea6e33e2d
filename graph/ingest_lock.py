"""The ingest lock: one node's write lock, taken first by everyone who decides "which child".

Feeds (graph/ingest.py), match review resolutions (graph/match_review.py) and retention
batches (graph/retention.py) each look children up and then create, merge, archive or
delete them. Two of them deciding from the same snapshot could both conclude "no such
child yet" and create it twice, so each takes this lock (migration 0005) before it
looks, and holds it to commit. `setShielded` (graph/overrides.py) takes it too: feeds
match against `shielded` (R15).

The lock also counts: every holder bumps `generation`. A feed file pipelines its chunks
(feeds/pipeline.py reads and plans the next chunk while the last one commits) and needs to
know that nobody else held the lock in between; one more than the generation it
committed under proves it.
"""

from __future__ import annotations

from typing import LiteralString

from neo4j import AsyncManagedTransaction

__all__ = ["LOCK", "take_ingest_lock"]

LOCK: LiteralString = """
MERGE (l:IngestLock {id: 'main'})
SET l.lockedAt = datetime(), l.generation = coalesce(l.generation, 0) + 1
RETURN l.generation AS generation
"""


async def take_ingest_lock(tx: AsyncManagedTransaction) -> int:
    """Waits for the lock, holds it until `tx` ends; returns this holder's generation."""
    record = await (await tx.run(LOCK)).single(strict=True)
    return int(record["generation"])
