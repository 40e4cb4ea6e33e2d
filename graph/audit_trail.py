"""Reading the audit trail back: one child's events, or one subject's across the index.

Both are keyset-paged newest first by (at, writer, seq), the order events are written in
across chains, and both filter in the statement that pages, so a filtered page is as full
as an unfiltered one. Each event comes with the services of whoever made it: an event
made from a sensitive service says the child goes there (R6), so readers other than
AUDITOR are shown the trail as policies.disclosure shapes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, LiteralString

from graph.audit import AuditRecord, record_from
from graph.database import Graph
from graph.facts import service_from
from policies.facts import ServiceFact

__all__ = ["TrailEvent", "TrailFilter", "TrailKey", "audit_trail", "subject_trail"]


@dataclass(frozen=True)
class TrailKey:
    """Where an event sits in a trail across chains: newest `at` first, then chain, seq.

    `at` in whole nanoseconds as stored: a Python datetime holds microseconds, and a
    key rounded to them could let the event it names through again."""

    at_s: int
    at_ns: int
    writer: str
    seq: int

    def text(self) -> str:
        return f"{self.at_s}.{self.at_ns:09d}|{self.seq}|{self.writer}"

    @classmethod
    def parse(cls, text: str) -> TrailKey | None:
        at, _, rest = text.partition("|")
        seconds, _, nanos = at.partition(".")
        seq, _, writer = rest.partition("|")
        try:
            return cls(int(seconds), int(nanos), writer, int(seq))
        except ValueError:
            return None

    def params(self) -> dict[str, Any]:
        return {"s": self.at_s, "ns": self.at_ns, "writer": self.writer, "seq": self.seq}


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


# `$before` continues a page; the filter's four parameters narrow it. Events written
# before practitionerId was kept fall back to the subject for their author's services,
# which dev and most identity providers set to the practitioner id.
_BEFORE: LiteralString = """
WITH CASE WHEN $before IS NULL THEN null
  ELSE datetime({epochSeconds: $before.s, nanosecond: $before.ns}) END AS beforeAt
"""
_PAGED_AND_FILTERED: LiteralString = """
  AND (beforeAt IS NULL OR m.at < beforeAt
    OR (m.at = beforeAt AND (m.writer < $before.writer
      OR (m.writer = $before.writer AND m.seq < $before.seq))))
  AND ($filter.since IS NULL OR m.at >= $filter.since)
  AND ($filter.until IS NULL OR m.at < $filter.until)
  AND ($filter.subject IS NULL OR a.subject = $filter.subject)
  AND ($filter.action IS NULL OR a.action = $filter.action)
WITH m, a ORDER BY m.at DESC, m.writer DESC, m.seq DESC LIMIT $first
RETURN a { .* } AS a, m.at.epochSeconds AS atS, m.at.nanosecond AS atNs,
  [(p:Practitioner)-[:WORKS_FOR]->(s:Service)
   WHERE p.id = coalesce(a.practitionerId, a.subject) | s { .id, .name, .kind, .sensitive,
     .localAuthority }] AS actorServices
ORDER BY m.at DESC, m.writer DESC, m.seq DESC
"""
_CHILD_TRAIL: LiteralString = (
    _BEFORE
    + "MATCH (m:AuditMention {childId: $childId})-[:MENTIONED_IN]->(a:AuditEvent)\nWHERE true"
    + _PAGED_AND_FILTERED
)
# An event is its own mention here: the subject's events, whichever children they read.
_SUBJECT_TRAIL: LiteralString = (
    _BEFORE
    + "MATCH (a:AuditEvent {subject: $filter.subject})\nWITH beforeAt, a, a AS m\nWHERE true"
    + _PAGED_AND_FILTERED
)


async def _read(graph: Graph, statement: LiteralString, **params: Any) -> list[TrailEvent]:
    trail = []
    for r in await graph.read(statement, **params):
        record = record_from(r["a"])
        trail.append(
            TrailEvent(
                record,
                tuple(s for s in map(service_from, r["actorServices"] or ()) if s is not None),
                TrailKey(int(r["atS"]), int(r["atNs"]), record.writer, record.seq),
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
    return await _read(
        graph,
        _CHILD_TRAIL,
        childId=child_id,
        first=first,
        before=None if before is None else before.params(),
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
        before=None if before is None else before.params(),
        filter=narrow.params(),
    )
