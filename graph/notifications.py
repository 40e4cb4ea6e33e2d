"""Notifications (issue 20): the dispatcher's claims and writes, and every inbox read.

```
(:OutboxEvent {...})            graph/outbox.py; claimed with a lease (claimedBy, leaseUntil)
(:Notification:WebhookPending? {id, eventId, kind, recipient, recipientKind, childId?,
                subjectId?, createdAt, readAt?, payload})
```

A dispatcher claims a batch of pending events whose lease is free or ran out (so a
dispatcher that died is taken over), reads every fact the decisions need for the whole
batch in one round trip, and writes each batch's notifications, their audit events and
the events' DONE in one transaction. Notifications are unique on (eventId, recipient):
a batch written twice (a lease taken over after its holder committed) writes nothing new.
`:WebhookPending` marks a practitioner's notification for the webhook fan-out.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, LiteralString

from neo4j import AsyncManagedTransaction

from graph.audit import AuditRecord, append_in_transaction
from graph.children import child_facts_from, child_map
from graph.database import Graph
from graph.facts import (
    CONSENT_FACT_MAP,
    SERVICE_MAP,
    consent_from,
    native_datetime,
    practitioner_from,
    practitioner_projection,
    service_from,
)
from graph.outbox import emit
from policies.facts import ChildFacts
from policies.notifications import Candidate, EventContext, EventFact
from policies.vocabulary import EventKind

__all__ = [
    "NewNotification",
    "NotificationPage",
    "NotificationRecord",
    "claim_events",
    "complete_events",
    "event_contexts",
    "event_contexts_by_id",
    "fetch_notifications",
    "list_notifications",
    "mark_read",
    "notifications_since",
    "pending_events",
    "suspended_subjects",
    "sweep_expired_consents",
]

_EVENT_MAP: LiteralString = (
    "e { .id, .kind, .occurredAt, .childId, .subjectId, .practitionerId, .formerPractitionerId,"
    " .localAuthority, .actor }"
)

_CLAIM: LiteralString = (
    """
MATCH (e:OutboxEvent) WHERE e.state = 'PENDING' AND e.occurredAt <= datetime()
  AND (e.leaseUntil IS NULL OR e.leaseUntil < datetime())
WITH e ORDER BY e.occurredAt LIMIT $limit
// Lock, then look again: another dispatcher may have claimed it since it was read.
SET e.claimLock = true REMOVE e.claimLock
WITH e WHERE e.state = 'PENDING' AND (e.leaseUntil IS NULL OR e.leaseUntil < datetime())
SET e.claimedBy = $me, e.leaseUntil = datetime() + duration({milliseconds: $leaseMs}),
  e.attempts = coalesce(e.attempts, 0) + 1
RETURN """
    + _EVENT_MAP
    + """ AS e
ORDER BY e.occurredAt
"""
)


def _event_from(m: dict[str, Any]) -> EventFact:
    return EventFact(
        id=m["id"],
        kind=EventKind(m["kind"]),
        occurred_at=native_datetime(m["occurredAt"]) or datetime.min,
        child_id=m.get("childId"),
        subject_id=m.get("subjectId"),
        practitioner_id=m.get("practitionerId"),
        former_practitioner_id=m.get("formerPractitionerId"),
        local_authority=m.get("localAuthority"),
        actor=m.get("actor"),
    )


async def claim_events(graph: Graph, me: str, limit: int, lease_ms: int) -> list[EventFact]:
    """Claim up to `limit` pending events for `lease_ms` (one auto-commit statement)."""
    rows = await graph.write_autocommit_retried(_CLAIM, me=me, limit=limit, leaseMs=lease_ms)
    return [_event_from(r["e"]) for r in rows]


# --- Every fact a batch of events needs, one round trip ------------------------------------

# Candidates: practitioners involved (their own involvement, or their service's team-level
# one), the open CAF's team, the practitioner the event names, and a consent's grantees
# (directly or through their service). A refusal concerns the grantees of the child's
# other grants for the same purpose.
#
# Each child's facts are read once for the batch, however many of its events it holds
# (a busy child's involvements would otherwise be projected, sent and decoded once per
# event): they come with the batch's first row, keyed by child id.
_CONTEXTS: LiteralString = (
    """
WITH collect(ev) AS evs
CALL (evs) {
  UNWIND evs AS e
  WITH DISTINCT e.childId AS cid WHERE cid IS NOT NULL
  MATCH (c:Child {id: cid})
  OPTIONAL MATCH (la:LocalAuthority {code: c.localAuthority})
  RETURN collect("""
    + child_map("true", "true")
    + """) AS children
}
UNWIND range(0, size(evs) - 1) AS k
WITH evs[k] AS ev, CASE WHEN k = 0 THEN children ELSE [] END AS children
OPTIONAL MATCH (c:Child {id: ev.childId})
CALL (c) {
  OPTIONAL MATCH (i:Involvement)-[:OF]->(c) WHERE i.endedOn IS NULL OR i.endedOn > $today
  WITH i, [(i)-[:BY]->(p:Practitioner) | p.id] AS direct
  // A team-level involvement (no practitioner) reaches its service's practitioners; the
  // CASE keeps a busy service's staff from being expanded for every personal involvement.
  WITH direct + CASE WHEN i IS NOT NULL AND size(direct) = 0
    THEN [(i)-[:AT]->(:Service)<-[:WORKS_FOR]-(t:Practitioner) | t.id] ELSE [] END AS ids
  UNWIND ids AS id
  RETURN collect(DISTINCT id) AS involved
}
CALL (c) {
  OPTIONAL MATCH (p:Practitioner)-[:HOLDS|TEAM_MEMBER_OF]->(:Assessment {status: 'OPEN'})
    -[:ABOUT]->(c)
  RETURN collect(DISTINCT p.id) AS team
}
CALL (ev, c) {
  OPTIONAL MATCH (g:ConsentGrant {id: ev.subjectId})-[:ABOUT]->(c)
  WHERE ev.kind STARTS WITH 'CONSENT_'
  RETURN CASE WHEN g IS NULL THEN null ELSE """
    + CONSENT_FACT_MAP
    + """ END AS consent,
    [(g)-[:COVERS|GRANTED_TO]->(s:Service) | s """
    + SERVICE_MAP
    + """] + [(g)-[:GRANTED_TO]->(:Practitioner)-[:WORKS_FOR]->(s:Service) | s """
    + SERVICE_MAP
    + """] AS consentServices,
    CASE WHEN ev.kind = 'CONSENT_REFUSED' THEN
      [(o:ConsentGrant {purpose: g.purpose, state: 'ACTIVE'})-[:ABOUT]->(c) | o.id]
      ELSE [g.id] END AS grants
}
CALL (grants) {
  UNWIND grants AS gid
  MATCH (:ConsentGrant {id: gid})-[:GRANTED_TO]->(x)
  OPTIONAL MATCH (x)<-[:WORKS_FOR]-(viaService:Practitioner)
  WITH collect(DISTINCT CASE WHEN x:Practitioner THEN x.id END)
    + collect(DISTINCT viaService.id) AS ids
  RETURN [pid IN ids WHERE pid IS NOT NULL] AS grantees
}
CALL (involved, team, grantees, ev) {
  UNWIND involved + team + grantees + [ev.practitionerId, ev.formerPractitionerId] AS pid
  WITH DISTINCT pid WHERE pid IS NOT NULL
  MATCH (p:Practitioner {id: pid})
  RETURN collect(p { .id, serviceIds: [(p)-[:WORKS_FOR]->(s:Service) | s.id],
    localAuthority: [(p)-[:WORKS_FOR]->(s:Service) | s.localAuthority][0] }) AS people
}
OPTIONAL MATCH (named:Practitioner {id: ev.practitionerId})
RETURN ev.id AS eventId, ev AS event, children, involved, team, grantees, people, consent,
  consentServices,
  CASE WHEN named IS NULL THEN null ELSE """
    + practitioner_projection("named")
    + """ END AS named
"""
)


_BY_EVENTS: LiteralString = "UNWIND $events AS ev\n" + _CONTEXTS
_BY_EVENT_IDS: LiteralString = (
    "MATCH (e:OutboxEvent) WHERE e.id IN $eventIds WITH " + _EVENT_MAP + " AS ev\n" + _CONTEXTS
)


def _candidates(row: Any, event: EventFact) -> tuple[Candidate, ...]:
    involved, team, grantees = set(row["involved"]), set(row["team"]), set(row["grantees"])
    found = []
    for p in row["people"] or ():
        pid = p["id"]
        standing = set()
        if pid in involved:
            standing.add("involved")
        if pid in team:
            standing.add("team")
        if pid in grantees:
            standing.add("grantee")
        if pid == event.practitioner_id:
            standing.add("named")
        if pid == event.former_practitioner_id:
            standing.add("former")
        found.append(
            Candidate(
                pid, frozenset(p["serviceIds"] or ()), p.get("localAuthority"), frozenset(standing)
            )
        )
    return tuple(sorted(found, key=lambda c: c.id))


async def event_contexts(
    graph: Graph, events: Sequence[EventFact], today: date, horizon: date
) -> list[EventContext]:
    """The facts for every event of a batch, in the batch's order, in one read."""
    if not events:
        return []
    params = [
        {
            "id": e.id,
            "kind": e.kind.value,
            "childId": e.child_id,
            "subjectId": e.subject_id,
            "practitionerId": e.practitioner_id,
            "formerPractitionerId": e.former_practitioner_id,
        }
        for e in events
    ]
    rows = await graph.read(_BY_EVENTS, events=params, today=today, horizon=horizon)
    by_id = {r["eventId"]: r for r in rows}
    children = _children_of(rows)
    return [_context_from(by_id[event.id], event, children) for event in events]


async def event_contexts_by_id(
    graph: Graph, event_ids: Sequence[str], today: date, horizon: date
) -> dict[str, EventContext]:
    """The facts for events already written (a delivery's re-check), by event id."""
    rows = await graph.read(
        _BY_EVENT_IDS, eventIds=sorted(set(event_ids)), today=today, horizon=horizon
    )
    children = _children_of(rows)
    return {r["eventId"]: _context_from(r, _event_from(r["event"]), children) for r in rows}


def _children_of(rows: Sequence[Any]) -> dict[str, ChildFacts]:
    """The batch's children, each decoded once (they come with the first row)."""
    return {m["id"]: child_facts_from(m) for r in rows for m in r["children"] or ()}


def _context_from(row: Any, event: EventFact, children: dict[str, ChildFacts]) -> EventContext:
    services = {}
    for m in row["consentServices"] or ():
        service = service_from(m)
        if service is not None:
            services[service.id] = service
    return EventContext(
        event=event,
        child=children.get(event.child_id) if event.child_id else None,
        candidates=_candidates(row, event),
        consent=consent_from(row["consent"]) if row["consent"] else None,
        consent_services=tuple(services[k] for k in sorted(services)),
        practitioner=practitioner_from(row["named"]),
    )


# --- Writing a batch's notifications --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NewNotification:
    event_id: str
    kind: str
    recipient: str
    recipient_kind: str
    child_id: str | None
    subject_id: str | None
    payload: dict[str, Any]

    def params(self) -> dict[str, Any]:
        return {
            "eventId": self.event_id,
            "kind": self.kind,
            "recipient": self.recipient,
            "recipientKind": self.recipient_kind,
            "childId": self.child_id,
            "subjectId": self.subject_id,
            "payload": json.dumps(self.payload, sort_keys=True, separators=(",", ":")),
        }


_WRITE: LiteralString = """
UNWIND $notifications AS row
MERGE (n:Notification {eventId: row.eventId, recipient: row.recipient})
ON CREATE SET n.id = 'ntf-' + randomUUID(), n.kind = row.kind,
  n.recipientKind = row.recipientKind, n.childId = row.childId, n.subjectId = row.subjectId,
  n.createdAt = datetime(), n.payload = row.payload, n.fresh = true
WITH n, row
CALL (n, row) {
  WITH n, row WHERE n.fresh AND row.recipientKind = 'PRACTITIONER'
  SET n:WebhookPending
}
WITH n WHERE n.fresh
REMOVE n.fresh
RETURN n.eventId AS eventId, n.recipient AS recipient
"""

_DONE: LiteralString = """
UNWIND $ids AS id
MATCH (e:OutboxEvent {id: id})
SET e.state = 'DONE', e.doneAt = datetime(), e.leaseUntil = null
"""


async def complete_events(
    graph: Graph,
    event_ids: Sequence[str],
    notifications: Sequence[NewNotification],
    audit: Sequence[AuditRecord],
) -> set[tuple[str, str]]:
    """Write the notifications (those not written already), their audit events and the
    events' DONE in one transaction. Returns the (eventId, recipient) pairs new here:
    their audit events are the ones written. `audit` is empty, or one per notification."""

    async def work(tx: AsyncManagedTransaction) -> set[tuple[str, str]]:
        result = await tx.run(_WRITE, notifications=[n.params() for n in notifications])
        fresh = {(r["eventId"], r["recipient"]) async for r in result}
        records = (
            [
                a
                for a, n in zip(audit, notifications, strict=True)
                if (n.event_id, n.recipient) in fresh
            ]
            if audit
            else []
        )
        await (await tx.run(_DONE, ids=list(event_ids))).consume()
        if records:
            await append_in_transaction(tx, records)
        return fresh

    return await graph.write_transaction(work)


_PENDING: LiteralString = "MATCH (e:OutboxEvent) WHERE e.state = 'PENDING' RETURN count(e) AS n"


async def pending_events(graph: Graph) -> int:
    rows = await graph.read(_PENDING)
    return int(rows[0]["n"])


# R10: an expiry is no write of anyone's; the sweep announces each grant that has passed
# its expiry date, once (expiryAnnounced), with its event in the same statement.
_SWEEP_EXPIRED: LiteralString = (
    """
MATCH (g:ConsentGrant) WHERE g.state = 'ACTIVE' AND g.expiresOn < $today
  AND g.expiryAnnounced IS NULL
WITH g LIMIT $limit
MATCH (g)-[:ABOUT]->(c:Child)
SET g.expiryAnnounced = datetime()
"""
    + emit(EventKind.CONSENT_EXPIRED, child="c.id", subject="g.id", actor="'expiry'")
    + "RETURN count(g) AS n\n"
)


async def sweep_expired_consents(graph: Graph, today: date, limit: int = 500) -> int:
    rows = await graph.write_autocommit_retried(_SWEEP_EXPIRED, today=today, limit=limit)
    return int(rows[0]["n"]) if rows else 0


# --- The inbox ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NotificationRecord:
    id: str
    event_id: str
    kind: str
    recipient: str
    recipient_kind: str
    child_id: str | None
    subject_id: str | None
    created_at: datetime
    read_at: datetime | None
    payload: dict[str, Any]


_NOTIFICATION_MAP: LiteralString = (
    "n { .id, .eventId, .kind, .recipient, .recipientKind, .childId, .subjectId, .createdAt,"
    " .readAt, .payload }"
)


def _record_from(m: dict[str, Any]) -> NotificationRecord:
    return NotificationRecord(
        id=m["id"],
        event_id=m["eventId"],
        kind=m["kind"],
        recipient=m["recipient"],
        recipient_kind=m.get("recipientKind") or "PRACTITIONER",
        child_id=m.get("childId"),
        subject_id=m.get("subjectId"),
        created_at=native_datetime(m["createdAt"]) or datetime.min,
        read_at=native_datetime(m.get("readAt")),
        payload=json.loads(m.get("payload") or "{}"),
    )


_BY_IDS: LiteralString = (
    "MATCH (n:Notification) WHERE n.id IN $ids RETURN " + _NOTIFICATION_MAP + " AS n"
)


async def fetch_notifications(graph: Graph, ids: Sequence[str]) -> list[NotificationRecord]:
    rows = await graph.read(_BY_IDS, ids=list(ids))
    return [_record_from(r["n"]) for r in rows]


@dataclass(frozen=True, slots=True)
class NotificationPage:
    records: list[NotificationRecord]
    has_next_page: bool


# Newest first; the cursor is (createdAt, id) of the last one shown.
_PAGE: LiteralString = (
    """
MATCH (n:Notification) WHERE n.recipient IN $recipients
  AND ($unreadOnly = false OR n.readAt IS NULL)
  AND ($afterAt IS NULL OR n.createdAt < $afterAt
       OR (n.createdAt = $afterAt AND n.id < $afterId))
RETURN """
    + _NOTIFICATION_MAP
    + """ AS n
ORDER BY n.createdAt DESC, n.id DESC
LIMIT $limit
"""
)


async def list_notifications(
    graph: Graph,
    recipients: Sequence[str],
    *,
    first: int,
    after: tuple[datetime, str] | None,
    unread_only: bool,
) -> NotificationPage:
    rows = await graph.read(
        _PAGE,
        recipients=list(recipients),
        unreadOnly=unread_only,
        afterAt=after[0] if after else None,
        afterId=after[1] if after else None,
        limit=first + 1,
    )
    records = [_record_from(r["n"]) for r in rows]
    return NotificationPage(records[:first], len(records) > first)


_MARK_READ: LiteralString = """
MATCH (n:Notification) WHERE n.id IN $ids AND n.recipient IN $recipients
SET n.readAt = coalesce(n.readAt, datetime())
RETURN n.id AS id
"""


async def mark_read(graph: Graph, recipients: Sequence[str], ids: Sequence[str]) -> list[str]:
    """Mark the caller's own notifications read; ids that are not theirs are passed over
    exactly like ids that do not exist."""
    rows = await graph.write_autocommit_retried(
        _MARK_READ, ids=list(ids), recipients=list(recipients)
    )
    return [r["id"] for r in rows]


# Subscription pollers: what was written for these recipients since a moment, read along
# the createdAt index (a process may hold a thousand mailboxes: one range scan of what is
# new, not a seek per mailbox). The caller looks back a little before its cursor (a
# transaction that stamped createdAt before the last poll may commit after it) and names
# the ids it already has (`seen`): they are passed over in the store, so a poll carries
# only what is new. Before this, every poll re-read and re-decoded the whole look-back
# window (at 500 notifications/s, a thousand rows twenty times a second), which was most
# of the API process's time under load (bench/results/notify.md).
_SINCE: LiteralString = (
    """
MATCH (n:Notification) USING INDEX n:Notification(createdAt)
WHERE n.createdAt > $since AND n.recipient IN $recipients AND NOT n.id IN $seen
RETURN """
    + _NOTIFICATION_MAP
    + """ AS n
ORDER BY n.createdAt, n.id
LIMIT $limit
"""
)


async def notifications_since(
    graph: Graph,
    since: datetime,
    recipients: Sequence[str],
    limit: int,
    seen: Collection[str] = (),
) -> list[NotificationRecord]:
    rows = await graph.read(
        _SINCE, since=since, recipients=list(recipients), limit=limit, seen=list(seen)
    )
    return [_record_from(r["n"]) for r in rows]


_SUSPENDED: LiteralString = """
MATCH (s:SubjectSuspension) WHERE s.subject IN $subjects AND s.suspended
RETURN collect(s.subject) AS subjects
"""


async def suspended_subjects(graph: Graph, subjects: Sequence[str]) -> set[str]:
    """Which of these subjects are suspended now (open subscriptions close for them)."""
    rows = await graph.read(_SUSPENDED, subjects=sorted(set(subjects)))
    return set(rows[0]["subjects"]) if rows else set()
