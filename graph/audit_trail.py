"""Reading the audit trail back: one child's events, or one subject's across the index.

Both are keyset-paged newest first by (at, event id): the time and the random id every
reader of an event is shown. Not by the chain's (writer, seq), which the trail used to be
keyed by: a writer numbers every event its process writes, so two shown events' sequence
numbers counted the withheld events between them (R4, no oracle). Both filter in the
statement that pages, so a filtered page is as full as an unfiltered one. Each event
comes with the services of whoever made it: an event made from a sensitive service says
the child goes there (R6), so readers other than AUDITOR are shown the trail as
policies.disclosure shapes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, LiteralString

from graph.audit import AuditRecord, record_from
from graph.database import Graph
from graph.facts import service_from
from policies.facts import ServiceFact

__all__ = ["TrailEvent", "TrailFilter", "TrailKey", "audit_trail", "subject_trail"]

_MAX_EVENT_ID = 100
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class TrailKey:
    """Where an event sits in a trail: newest `at` first, then its id (a uuid), highest first.

    Both are what the event shows its reader, so a key says nothing of other events.
    `at` in whole nanoseconds as stored: a Python datetime holds microseconds, and a
    key rounded to them could let the event it names through again."""

    at_s: int
    at_ns: int
    event_id: str

    def text(self) -> str:
        return f"{self.at_s}.{self.at_ns:09d}|{self.event_id}"

    @classmethod
    def parse(cls, text: str) -> TrailKey | None:
        """The key, or None for anything else: a key of the old (at, seq, writer) form
        included, which has a second '|'."""
        at, _, event_id = text.partition("|")
        seconds, dot, nanos = at.partition(".")
        if not dot or not event_id or "|" in event_id or len(event_id) > _MAX_EVENT_ID:
            return None
        if not (seconds.lstrip("-").isdigit() and nanos.isdigit() and len(nanos) == 9):
            return None
        return cls(int(seconds), int(nanos), event_id)

    def params(self) -> dict[str, Any]:
        return {"s": self.at_s, "ns": self.at_ns, "id": self.event_id}

    def mention(self) -> str:
        """The key's part of a mention's key (graph/audit.py MENTION_AT): every mention of
        an event after it in a trail (older, or as old with a lower id) sorts below."""
        return f"{_at_text(self.at_s, self.at_ns)} {self.event_id}"


_MENTION_AT_WIDTH = 21  # 12 digits of epoch seconds, 9 of nanoseconds


def _at_text(seconds: int, nanoseconds: int) -> str:
    """A time as a mention's key holds it (graph/audit.py MENTION_AT)."""
    return f"{seconds:012d}{nanoseconds:09d}"


def _mention_at(at: datetime) -> str:
    """`at` as a mention key holds it: events at `at` or later sort at or above it."""
    since_epoch = at - _EPOCH
    seconds = since_epoch.days * 86_400 + since_epoch.seconds
    return _at_text(seconds, since_epoch.microseconds * 1000)


@dataclass(frozen=True)
class TrailFilter:
    """What an investigation narrows a trail to; None is no narrowing. `since` is
    inclusive and `until` exclusive, so consecutive periods never count an event twice."""

    subject: str | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def params(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "action": self.action,
            "since": self.since,
            "until": self.until,
        }


@dataclass(frozen=True)
class TrailEvent:
    record: AuditRecord
    #: The services the event's author works for (R14 with R6).
    actor_services: tuple[ServiceFact, ...]
    key: TrailKey


# `$before` continues a page (the first starts at `_NEWEST`); the filter's four
# parameters narrow it. The subject's trail seeks its index (migration 0044): `subject`
# equal, `at` at most the key's, `id` present (a composite index is used only with a
# predicate on each of its properties), read in the index's own order newest first, so
# a page reads `first` index entries and no more (unless the filter skips some): the
# planner takes the index's order only when the ORDER BY names the equal property too.
# The tie on `at` is a filter on the few events at the key's own instant. Events written
# before practitionerId was kept fall back to the subject for their author's services,
# which dev and most identity providers set to the practitioner id.
_SUBJECT_TRAIL: LiteralString = """
MATCH (a:AuditEvent {subject: $filter.subject})
WHERE a.at <= datetime({epochSeconds: $before.s, nanosecond: $before.ns})
  AND a.id IS NOT NULL
  AND NOT (a.at = datetime({epochSeconds: $before.s, nanosecond: $before.ns})
    AND a.id >= $before.id)
  AND ($filter.since IS NULL OR a.at >= $filter.since)
  AND ($filter.until IS NULL OR a.at < $filter.until)
  AND ($filter.action IS NULL OR a.action = $filter.action)
WITH a ORDER BY a.subject DESC, a.at DESC, a.id DESC LIMIT $first
RETURN a { .* } AS a, a.at.epochSeconds AS atS, a.at.nanosecond AS atNs,
  ACTOR_SERVICES
ORDER BY a.at DESC, a.id DESC
"""
# A child's trail is one range of the mentions' key index (migration 0045): the child's
# id, then (at, event id) as fixed-width text (graph/audit.py), from `$low` (the child's
# prefix, or `since`) up to `$high` (the page's key, or `until`), read newest first, so a
# page reads `first` index entries and no more (unless the filter skips some).
_CHILD_TRAIL: LiteralString = """
MATCH (m:AuditMention)
WHERE m.key >= $low AND m.key < $high
WITH m ORDER BY m.key DESC
MATCH (a:AuditEvent {id: substring(m.key, $idAt)})
WHERE ($filter.subject IS NULL OR a.subject = $filter.subject)
  AND ($filter.action IS NULL OR a.action = $filter.action)
WITH m, a ORDER BY m.key DESC LIMIT $first
RETURN a { .* } AS a, a.at.epochSeconds AS atS, a.at.nanosecond AS atNs,
  ACTOR_SERVICES
ORDER BY m.key DESC
"""
_ACTOR_SERVICES: LiteralString = """[(p:Practitioner)-[:WORKS_FOR]->(s:Service)
   WHERE p.id = coalesce(a.practitionerId, a.subject) | s { .id, .name, .kind, .sensitive,
     .localAuthority }] AS actorServices"""
_SUBJECT_TRAIL = _SUBJECT_TRAIL.replace("ACTOR_SERVICES", _ACTOR_SERVICES)
_CHILD_TRAIL = _CHILD_TRAIL.replace("ACTOR_SERVICES", _ACTOR_SERVICES)
#: A key before which every event lies: where the first page starts.
_NEWEST = TrailKey(253402300799, 999_999_999, "")


async def _read(graph: Graph, statement: LiteralString, **params: Any) -> list[TrailEvent]:
    trail = []
    for r in await graph.read(statement, **params):
        record = record_from(r["a"])
        trail.append(
            TrailEvent(
                record,
                tuple(s for s in map(service_from, r["actorServices"] or ()) if s is not None),
                TrailKey(int(r["atS"]), int(r["atNs"]), record.id),
            )
        )
    return trail


async def audit_trail(
    graph: Graph,
    child_id: str,
    first: int,
    before: TrailKey | None = None,
    narrow: TrailFilter = TrailFilter(),
) -> list[TrailEvent]:
    """The newest `first` events about a child, older than `before` when given."""
    prefix = child_id + " "
    high = prefix + (before or _NEWEST).mention()
    if narrow.until is not None:
        high = min(high, prefix + _mention_at(narrow.until))
    low = prefix if narrow.since is None else prefix + _mention_at(narrow.since)
    return await _read(
        graph,
        _CHILD_TRAIL,
        low=low,
        high=high,
        idAt=len(prefix) + _MENTION_AT_WIDTH + 1,
        first=first,
        filter=narrow.params(),
    )


async def subject_trail(
    graph: Graph, narrow: TrailFilter, first: int, before: TrailKey | None = None
) -> list[TrailEvent]:
    """The newest `first` events one subject made, whatever children they concern."""
    assert narrow.subject is not None, "a subject's trail names its subject"
    return await _read(
        graph,
        _SUBJECT_TRAIL,
        first=first,
        before=(before or _NEWEST).params(),
        filter=narrow.params(),
    )
