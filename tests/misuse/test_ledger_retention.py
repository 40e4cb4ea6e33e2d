"""Retention of the browsing ledger (R2, R16): after its day a ledger day keeps only
how many children were read; past BROWSING_DAYS_KEPT it goes; today's is untouched,
even by a run as of a later date (which must not hand a browser a fresh budget)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import neo4j

from api.retention import run_retention
from graph.database import Graph
from policies.retention import BROWSING_DAYS_KEPT

_DAY = """
CREATE (:BrowsingDay {key: $subject + '|' + toString($day), subject: $subject, day: $day,
  role: 'PRACTITIONER', localAuthority: 'NBR', childIds: $ids})
"""
_READ = """
MATCH (d:BrowsingDay {subject: $subject})
RETURN toString(d.day) AS day, d.childIds AS ids, d.childCount AS count ORDER BY day
"""


async def test_past_days_lose_their_children_and_old_days_go(
    graph: Graph, sync_driver: neo4j.Driver
) -> None:
    subject = f"p-ledger-{uuid.uuid4().hex[:8]}"
    today = datetime.now(UTC).date()
    old = today - timedelta(days=BROWSING_DAYS_KEPT + 1)
    kept = today - timedelta(days=BROWSING_DAYS_KEPT - 1)
    yesterday = today - timedelta(days=1)
    for day, ids in (
        (old, ["c-a"]),
        (kept, ["c-a", "c-b"]),
        (yesterday, ["c-c"]),
        (today, ["c-d", "c-e"]),
    ):
        sync_driver.execute_query(_DAY, subject=subject, day=day, ids=ids)

    dry = await run_retention(graph, as_of=today, dry_run=True)
    assert dry.browsing_days_trimmed >= 2 and dry.browsing_days_deleted >= 1
    assert len(sync_driver.execute_query(_READ, subject=subject).records) == 4

    # As of a later date: today's budget still stands.
    summary = await run_retention(graph, as_of=today + timedelta(days=30))
    assert summary.browsing_days_trimmed >= 2 and summary.browsing_days_deleted >= 1
    rows = [r.data() for r in sync_driver.execute_query(_READ, subject=subject).records]
    assert rows == [
        {"day": kept.isoformat(), "ids": None, "count": 2},
        {"day": yesterday.isoformat(), "ids": None, "count": 1},
        {"day": today.isoformat(), "ids": ["c-d", "c-e"], "count": None},
    ]
    assert any("browsing ledger" in line for line in summary.lines())
