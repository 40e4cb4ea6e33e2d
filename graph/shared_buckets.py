"""Budgets shared by every API process and host: token buckets kept in Neo4j.

One `:SharedBucket {key}` node per budget (a subject's cost per minute, a subject's
browsing per day). `draw` takes tokens from it in one auto-commit write: the node's
write lock is taken before its tokens are read, so concurrent draws from several
processes serialise on that one bucket and never lose an update; no other budget and
no other subject waits. Time is the database's clock (`timestamp()`), so hosts whose
clocks disagree still refill a bucket at one rate.

Callers draw in chunks (a lease) and spend locally, so a busy subject costs one write
per chunk rather than one per request (api/ratelimit.py). A bucket that has refilled,
or whose keep time has passed, means nothing any more; `forget_stale` deletes such
nodes a page at a time.
"""

from __future__ import annotations

from dataclasses import dataclass

from graph.database import Graph

__all__ = ["Draw", "draw", "forget_stale"]

# The bucket's tokens are read only after `SET b.drawn` holds its write lock.
_DRAW = """
MERGE (b:SharedBucket {key: $key})
  ON CREATE SET b.tokens = toFloat($capacity), b.updated = timestamp()
SET b.drawn = coalesce(b.drawn, 0) + 1
WITH b, timestamp() AS now
WITH b, now, b.tokens + (now - b.updated) / 1000.0 * $perSecond AS refilled
WITH b, now, CASE WHEN refilled > $capacity THEN toFloat($capacity) ELSE refilled END AS have
WITH b, now, have,
  CASE WHEN have >= $want THEN toFloat($want) WHEN have >= $least THEN have ELSE 0.0 END AS got
SET b.tokens = have - got, b.updated = now,
    b.forgetAt = now + CASE
      WHEN $perSecond > 0 THEN toInteger(($capacity - have + got) / $perSecond * 1000) + 1
      ELSE $keepMs END
RETURN got, have
"""

_FORGET = """
MATCH (b:SharedBucket) WHERE b.forgetAt < timestamp()
WITH b LIMIT $limit
DELETE b
RETURN count(*) AS forgotten
"""


@dataclass(frozen=True)
class Draw:
    #: Tokens taken: `want`, or what was left if at least `least`, else 0.
    granted: float
    #: Seconds until `least` tokens will be there (0 when granted).
    wait_s: float


async def draw(
    graph: Graph,
    key: str,
    *,
    want: float,
    least: float,
    capacity: float,
    per_second: float,
    keep_s: float = 2 * 86_400,
) -> Draw:
    """Take up to `want` tokens (at least `least`, or none) from the shared bucket `key`.

    A new bucket starts full at `capacity` and refills at `per_second` (0: never, as a
    daily budget keyed by its day). `keep_s` is how long a bucket that never refills
    is kept after its last draw.
    """
    least = min(least, want)
    rows = await graph.write_autocommit(
        _DRAW,
        key=key,
        want=float(want),
        least=float(least),
        capacity=float(capacity),
        perSecond=float(per_second),
        keepMs=int(keep_s * 1000),
    )
    got, have = float(rows[0]["got"]), float(rows[0]["have"])
    if got > 0 or least <= 0:
        return Draw(got, 0.0)
    if per_second <= 0:
        return Draw(0.0, float("inf"))
    return Draw(0.0, (least - have) / per_second)


async def forget_stale(graph: Graph, limit: int = 1000) -> int:
    """Delete up to `limit` buckets that are full again or past their keep time."""
    rows = await graph.write_autocommit(_FORGET, limit=limit)
    return int(rows[0]["forgotten"]) if rows else 0
