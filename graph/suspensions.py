"""Suspended subjects (policies/suspension.py), asked about on every request.

```
(:SubjectSuspension {subject, suspended, reason, since, by, reinstatedAt, reinstatedBy})
```

One node per subject ever suspended, unique on `subject`: the check every request makes
is one index lookup. History (who suspended whom, when, why, and who reinstated) is in
the audit trail, which records both mutations with their reasons.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, LiteralString

from graph.database import Graph
from graph.facts import native_datetime

__all__ = [
    "Suspension",
    "active_suspension",
    "list_suspensions",
    "reinstate",
    "subject_authorities",
    "suspend",
]


@dataclass(frozen=True, slots=True)
class Suspension:
    subject: str
    suspended: bool
    reason: str
    since: datetime
    by: str
    reinstated_at: datetime | None = None
    reinstated_by: str | None = None


_ACTIVE: LiteralString = """
MATCH (s:SubjectSuspension {subject: $subject}) WHERE s.suspended
RETURN s.reason AS reason
"""


async def active_suspension(graph: Graph, subject: str) -> str | None:
    """The reason `subject` is suspended, or None: one index lookup, on every request."""
    rows = await graph.read(_ACTIVE, subject=subject)
    return str(rows[0]["reason"]) if rows else None


# The local authorities the index knows a subject belongs to: the services of the
# practitioner record they are (dev and most identity providers use the practitioner id
# as the subject), and the authority their own token named when they read children
# (kept on the days they read children, graph/browsing.py).
_AUTHORITIES: LiteralString = """
RETURN COLLECT {
  MATCH (:Practitioner {id: $subject})-[:WORKS_FOR]->(s:Service)
  WHERE s.localAuthority IS NOT NULL RETURN s.localAuthority AS la
  UNION
  MATCH (d:BrowsingDay {subject: $subject}) WHERE d.localAuthority IS NOT NULL
  RETURN d.localAuthority AS la
} AS authorities
"""


async def subject_authorities(graph: Graph, subject: str) -> frozenset[str]:
    rows = await graph.read(_AUTHORITIES, subject=subject)
    return frozenset(rows[0]["authorities"]) if rows else frozenset()


_MAP: LiteralString = (
    "s { .subject, .suspended, .reason, .since, .by, .reinstatedAt, .reinstatedBy }"
)

_SUSPEND: LiteralString = (
    """
MERGE (s:SubjectSuspension {subject: $subject})
SET s.suspended = true, s.reason = $reason, s.since = $now, s.by = $by,
  s.reinstatedAt = null, s.reinstatedBy = null
RETURN """
    + _MAP
    + " AS s"
)

_REINSTATE: LiteralString = (
    """
MATCH (s:SubjectSuspension {subject: $subject}) WHERE s.suspended
SET s.suspended = false, s.reinstatedAt = $now, s.reinstatedBy = $by,
  s.reinstatedReason = $reason
RETURN """
    + _MAP
    + " AS s"
)

_LIST: LiteralString = (
    "MATCH (s:SubjectSuspension) WHERE s.suspended OR $all\n"
    "RETURN " + _MAP + " AS s ORDER BY s.since DESC, s.subject LIMIT $limit"
)


def _from(m: dict[str, Any]) -> Suspension:
    since = native_datetime(m.get("since"))
    assert since is not None
    return Suspension(
        subject=m["subject"],
        suspended=bool(m.get("suspended")),
        reason=m.get("reason") or "",
        since=since,
        by=m.get("by") or "",
        reinstated_at=native_datetime(m.get("reinstatedAt")),
        reinstated_by=m.get("reinstatedBy"),
    )


async def suspend(graph: Graph, subject: str, reason: str, by: str, now: datetime) -> Suspension:
    rows = await graph.write(_SUSPEND, subject=subject, reason=reason, by=by, now=now)
    return _from(rows[0]["s"])


async def reinstate(
    graph: Graph, subject: str, reason: str, by: str, now: datetime
) -> Suspension | None:
    """None when the subject was not suspended."""
    rows = await graph.write(_REINSTATE, subject=subject, reason=reason, by=by, now=now)
    return _from(rows[0]["s"]) if rows else None


async def list_suspensions(
    graph: Graph, *, include_reinstated: bool, limit: int
) -> list[Suspension]:
    rows = await graph.read(_LIST, all=include_reinstated, limit=limit)
    return [_from(r["s"]) for r in rows]
