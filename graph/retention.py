"""Retention in the graph (R16): find the records whose time has come, archive, delete.

The scan walks children in id order (keyset pages on the id constraint's index), so a
run over any number of children holds one page in memory and each page resumes where
the last ended; it returns only children that might be due (archived, dead, or born
18 or more years ago), and policies.retention decides for each one.

Deleting a child deletes everything that hangs only on that child:
- its involvements, its CAF assessments with their needs and delivery actions, its
  consent grants and refusals, access overrides and sharing decisions;
- carers who care for no other child still on the index (a carer of a sibling stays);
- the feeds' FeedRecords about the child (its own, and its carers', involvements' and
  CAFs': each carries the child's id), so a source's references to the child do not
  outlive it, and match reviews resolved to the child;
- the child itself, with every relationship (lead professional, match review candidacy).
Audit events stay (R14: append-only), with their mentions: both keep the deleted id,
and no trail is read for a child that is not there.

Every batch is one transaction that first takes the ingest lock (migration 0005), so
a feed never resolves a reference to a child that is being deleted under it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, LiteralString

from neo4j import AsyncManagedTransaction

from graph.database import Graph
from graph.facts import native_date
from graph.ingest_lock import take_ingest_lock
from policies.retention import NotificationCutoffs

__all__ = [
    "RetentionFacts",
    "archive_children",
    "count_out_of_view_involvements",
    "delete_children",
    "prune_notifications",
    "scan_children",
    "sweep_browsing_days",
]


@dataclass(frozen=True, slots=True)
class RetentionFacts:
    id: str
    date_of_birth: date
    archived_on: date | None
    date_of_death: date | None


# The id index gives the order, so LIMIT stops the scan early; the filter is cheap.
SCAN: LiteralString = """
MATCH (c:Child)
USING INDEX c:Child(id)
WHERE c.id > $after
  AND (c.archivedOn IS NOT NULL OR c.dateOfDeath IS NOT NULL OR c.dateOfBirth <= $adultsBornBy)
WITH c ORDER BY c.id
LIMIT $page
RETURN c.id AS id, c.dateOfBirth AS born, c.archivedOn AS archivedOn, c.dateOfDeath AS died
"""

ARCHIVE: LiteralString = """
UNWIND $rows AS row
MATCH (c:Child {id: row.id})
WHERE c.archivedOn IS NULL
SET c.archivedOn = row.archivedOn
RETURN collect(c.id) AS ids
"""

_DELETE_FEED_RECORDS: LiteralString = """
MATCH (f:FeedRecord) WHERE f.childId IN $ids
DELETE f
RETURN count(f) AS n
"""

_DELETE_MATCH_REVIEWS: LiteralString = """
MATCH (r:MatchReview) WHERE r.childId IN $ids
DETACH DELETE r
RETURN count(r) AS n
"""

_DELETE_CARERS: LiteralString = """
UNWIND $ids AS id
MATCH (k:Carer)-[:CARES_FOR]->(:Child {id: id})
WITH DISTINCT k
WHERE NOT EXISTS { MATCH (k)-[:CARES_FOR]->(other:Child) WHERE NOT other.id IN $ids }
DETACH DELETE k
RETURN count(k) AS n
"""

_DELETE_ASSESSMENT_PARTS: LiteralString = """
UNWIND $ids AS id
MATCH (:Child {id: id})<-[:ABOUT]-(a:Assessment)<-[:OF]-(x)
WHERE x:AssessmentNeed OR x:DeliveryAction OR x:AssessmentReview OR x:CourseEvent
  OR x:OutcomeCheck
CALL (x) { MATCH (np:NeedProgress)-[:IN]->(x) DETACH DELETE np }
DETACH DELETE x
RETURN count(x) AS n
"""

_DELETE_ASSESSMENTS: LiteralString = """
UNWIND $ids AS id
MATCH (:Child {id: id})<-[:ABOUT]-(a:Assessment)
DETACH DELETE a
RETURN count(a) AS n
"""

_DELETE_INVOLVEMENTS: LiteralString = """
UNWIND $ids AS id
MATCH (:Child {id: id})<-[:OF]-(i:Involvement)
DETACH DELETE i
RETURN count(i) AS n
"""

_DELETE_CONSENTS: LiteralString = """
UNWIND $ids AS id
MATCH (:Child {id: id})<-[:ABOUT]-(g:ConsentGrant)
DETACH DELETE g
RETURN count(g) AS n
"""

_DELETE_OVERRIDES: LiteralString = """
UNWIND $ids AS id
MATCH (:Child {id: id})<-[:FOR]-(o:AccessOverride)
DETACH DELETE o
RETURN count(o) AS n
"""

_DELETE_SHARING_DECISIONS: LiteralString = """
UNWIND $ids AS id
MATCH (:Child {id: id})--(d:SharingDecision)
WITH DISTINCT d
DETACH DELETE d
RETURN count(d) AS n
"""

# Issue 20: what the child's notifications and outbox events say (names in payloads).
_DELETE_NOTIFICATIONS: LiteralString = """
MATCH (n:Notification|OutboxEvent) WHERE n.childId IN $ids
DETACH DELETE n
RETURN count(n) AS n
"""

_DELETE_CHILDREN: LiteralString = """
UNWIND $ids AS id
MATCH (c:Child {id: id})
DETACH DELETE c
RETURN count(c) AS n
"""

# Order matters: what hangs on a child is found through the child, so the child goes last.
_DELETE_STEPS: tuple[tuple[str, LiteralString], ...] = (
    ("feed records", _DELETE_FEED_RECORDS),
    ("match reviews", _DELETE_MATCH_REVIEWS),
    ("carers", _DELETE_CARERS),
    ("assessment needs and actions", _DELETE_ASSESSMENT_PARTS),
    ("assessments", _DELETE_ASSESSMENTS),
    ("involvements", _DELETE_INVOLVEMENTS),
    ("consent grants", _DELETE_CONSENTS),
    ("access overrides", _DELETE_OVERRIDES),
    ("sharing decisions", _DELETE_SHARING_DECISIONS),
    ("notifications", _DELETE_NOTIFICATIONS),
    ("children", _DELETE_CHILDREN),
)

OUT_OF_VIEW: LiteralString = """
MATCH (i:Involvement) WHERE i.endedOn < $horizon
RETURN count(i) AS n
"""


async def scan_children(
    graph: Graph, *, after: str, adults_born_by: date, page: int
) -> list[RetentionFacts]:
    """The next page of children that may be due, after id `after`, in id order."""
    records = await graph.read(SCAN, after=after, adultsBornBy=adults_born_by, page=page)
    return [
        RetentionFacts(
            id=r["id"],
            date_of_birth=native_date(r["born"]) or date.min,
            archived_on=native_date(r["archivedOn"]),
            date_of_death=native_date(r["died"]),
        )
        for r in records
    ]


async def archive_children(graph: Graph, rows: list[tuple[str, date]]) -> list[str]:
    """Sets archivedOn on those children not yet archived; returns the ids it changed."""

    async def work(tx: AsyncManagedTransaction) -> list[str]:
        await take_ingest_lock(tx)
        params = [{"id": child_id, "archivedOn": day} for child_id, day in rows]
        record = await (await tx.run(ARCHIVE, rows=params)).single(strict=True)
        return list(record["ids"])

    return await graph.write_transaction(work)


async def delete_children(graph: Graph, ids: list[str]) -> dict[str, int]:
    """Deletes these children and what hangs only on them, in one transaction."""

    async def work(tx: AsyncManagedTransaction) -> dict[str, int]:
        await take_ingest_lock(tx)
        counts: dict[str, int] = {}
        for name, cypher in _DELETE_STEPS:
            record: Any = await (await tx.run(cypher, ids=ids)).single(strict=True)
            counts[name] = int(record["n"])
        return counts

    return await graph.write_transaction(work)


async def count_out_of_view_involvements(graph: Graph, horizon: date) -> int:
    records = await graph.read(OUT_OF_VIEW, horizon=horizon)
    return int(records[0]["n"]) if records else 0


# R2's ledger after its day: the children read go (the count stays, for reports), and
# days past what reports look back on go whole. In batches, each its own transaction.
_TRIM_DAYS: LiteralString = """
MATCH (d:BrowsingDay) WHERE d.day < $today AND d.childIds IS NOT NULL
WITH d LIMIT $batch
SET d.childCount = size(d.childIds)
REMOVE d.childIds
RETURN count(d) AS n
"""
_DELETE_DAYS: LiteralString = """
MATCH (d:BrowsingDay) WHERE d.day < $forgetBefore
WITH d LIMIT $batch
DELETE d
RETURN count(d) AS n
"""
_COUNT_DAYS: LiteralString = """
RETURN COUNT { MATCH (d:BrowsingDay) WHERE d.day < $today AND d.childIds IS NOT NULL }
    AS trimmed,
  COUNT { MATCH (d:BrowsingDay) WHERE d.day < $forgetBefore } AS deleted
"""


async def sweep_browsing_days(
    graph: Graph, today: date, forget_before: date, *, dry_run: bool, batch: int = 5000
) -> tuple[int, int]:
    """(days trimmed of their children, days deleted); counted only on a dry run."""
    if dry_run:
        rows = await graph.read(_COUNT_DAYS, today=today, forgetBefore=forget_before)
        return int(rows[0]["trimmed"]), int(rows[0]["deleted"])
    done = []
    for statement in (_DELETE_DAYS, _TRIM_DAYS):
        total = 0
        while True:
            rows = await graph.write(
                statement, today=today, forgetBefore=forget_before, batch=batch
            )
            n = int(rows[0]["n"]) if rows else 0
            total += n
            if n < batch:
                break
        done.append(total)
    deleted, trimmed = done
    return trimmed, deleted


# Issue 20's records once they have served (policies.retention.NotificationRetention),
# in this order: a delivery, then the notification once no delivery of it is kept, then
# the outbox event once none of its notifications is. Each batch its own transaction.
# What is due, each as `x`: deleted in batches, or counted by a dry run (which counts
# each step as the graph stands, before the earlier steps would have deleted anything).
_DELIVERIES_DUE: LiteralString = """
MATCH (x:WebhookDelivery) WHERE x.state IN ['DELIVERED', 'DEAD', 'WITHHELD', 'CANCELLED']
  AND coalesce(x.deliveredAt, x.deadAt, x.lastAttemptAt, x.createdAt) < $before
"""
# A delivery's id is `<notification id>@<endpoint id>`: the prefix finds them by index.
_READ_DUE: LiteralString = """
MATCH (x:Notification) WHERE x.readAt < $before AND NOT x:WebhookPending
  AND NOT EXISTS { MATCH (d:WebhookDelivery) WHERE d.id STARTS WITH x.id + '@' }
"""
_EVENTS_DUE: LiteralString = """
MATCH (x:OutboxEvent) WHERE x.state = 'DONE' AND x.doneAt < $before
  AND NOT EXISTS { MATCH (n:Notification) WHERE n.eventId = x.id AND n.recipient IS NOT NULL }
"""
_DELETE_DUE: LiteralString = "WITH x LIMIT $batch\nDETACH DELETE x\nRETURN count(x) AS n\n"
_COUNT_DUE: LiteralString = "RETURN count(x) AS n\n"
_PRUNE_STEPS: tuple[tuple[str, str, LiteralString], ...] = (
    ("webhook deliveries", "deliveries", _DELIVERIES_DUE),
    ("read notifications", "read", _READ_DUE),
    ("outbox events", "events", _EVENTS_DUE),
)


async def prune_notifications(
    graph: Graph, cutoffs: NotificationCutoffs, *, dry_run: bool, batch: int = 5000
) -> dict[str, int]:
    """Deletes (a dry run counts) what has served: {what: how many}. In bounded batches,
    each its own transaction, until a batch comes back short."""
    before = {
        "deliveries": cutoffs.webhook_deliveries_before,
        "read": cutoffs.read_notifications_before,
        "events": cutoffs.outbox_events_before,
    }
    counts: dict[str, int] = {}
    for name, key, statement in _PRUNE_STEPS:
        if dry_run:
            rows = await graph.read(statement + _COUNT_DUE, before=before[key])
            counts[name] = int(rows[0]["n"]) if rows else 0
            continue
        total = 0
        while True:
            rows = await graph.write(statement + _DELETE_DUE, before=before[key], batch=batch)
            n = int(rows[0]["n"]) if rows else 0
            total += n
            if n < batch:
                break
        counts[name] = total
    return counts
