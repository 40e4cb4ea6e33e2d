"""Record errors: what a practitioner reports wrong on a child's index record, queued for
the index team of the child's local authority beside the match reviews
(graph/match_review.py), and resolved there with an outcome.

`(:RecordError {id, childId, field, description, status, localAuthority, reportedAt,
reportedBy, reporterPractitionerId?, reporterServiceIds, resolvedAt?, resolvedBy?,
outcome?, resolution?})-[:ABOUT]->(:Child)`. `localAuthority` is the child's when
reported: the team it was sent to. `reporterServiceIds` is a snapshot of the services
the reporter worked for (as a consent's recordedByServiceIds): a report made from a
sensitive service must not name its reporter to a team R6 hides that service from.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, LiteralString

from graph.database import Graph, reached
from graph.facts import SERVICE_SUMMARY_MAP, native_datetime, service_from
from policies.facts import ServiceFact

__all__ = [
    "REPORT",
    "RESOLVE",
    "WITHDRAW",
    "RecordErrorFact",
    "RecordErrorQueue",
    "fetch_any_record_error",
    "fetch_record_error",
    "record_errors",
    "report_record_error",
    "resolve_record_error",
    "withdraw_record_error",
]


@dataclass(frozen=True, slots=True)
class RecordErrorFact:
    id: str
    child_id: str
    field: str
    description: str
    status: str
    local_authority: str | None
    reported_at: datetime | None
    reported_by: str
    reporter_practitioner_id: str | None
    reporter_name: str | None
    reporter_services: tuple[ServiceFact, ...]
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    outcome: str | None = None
    resolution: str | None = None


_MAP: LiteralString = (
    """e { .id, .childId, .field, .description, .status, .localAuthority, .reportedAt,
  .reportedBy, .reporterPractitionerId, .resolvedAt, .resolvedBy, .outcome, .resolution,
  reporterName: COLLECT { MATCH (p:Practitioner {id: e.reporterPractitionerId})
    RETURN p.name }[0],
  reporterServices: COLLECT { MATCH (s:Service) WHERE s.id IN e.reporterServiceIds
    RETURN s """
    + SERVICE_SUMMARY_MAP
    + """ } }"""
)

REPORT: LiteralString = """
MATCH (c:Child {id: $childId})
CREATE (e:RecordError {id: $id, childId: c.id, field: $field, description: $description,
  status: 'OPEN', localAuthority: c.localAuthority, reportedAt: $now, reportedBy: $subject,
  reporterPractitionerId: $practitionerId,
  reporterServiceIds: COLLECT { MATCH (:Practitioner {id: $practitionerId})-[:WORKS_FOR]->(s)
    RETURN s.id }})
CREATE (e)-[:ABOUT]->(c)
RETURN e.id AS id
"""

# A report "from a sensitive service" names one among its reporter's services; the split
# is only where the listing reads, the resolver still asks R6 about every report it reads.
_FROM_SENSITIVE: LiteralString = """EXISTS { MATCH (s:Service) WHERE s.id IN e.reporterServiceIds
    AND (s.sensitive = true OR s.kind IN $sensitiveKinds) }"""

_QUEUE: LiteralString = (
    """
CALL () {
  MATCH (e:RecordError {localAuthority: $localAuthority, status: $status})
  WHERE NOT """
    + _FROM_SENSITIVE
    + """
  WITH e ORDER BY e.reportedAt, e.id LIMIT $first
  RETURN collect("""
    + _MAP
    + """) AS plain
}
CALL () {
  MATCH (e:RecordError {localAuthority: $localAuthority, status: $status})
  WHERE """
    + _FROM_SENSITIVE
    + """
  WITH e ORDER BY e.reportedAt, e.id LIMIT $fromSensitive
  RETURN collect("""
    + _MAP
    + """) AS sensitive
}
RETURN plain, sensitive
"""
)

_ONE: LiteralString = (
    "MATCH (e:RecordError {id: $id, status: 'OPEN', localAuthority: $localAuthority}) RETURN "
    + _MAP
    + " AS error"
)

RESOLVE: LiteralString = (
    """
MATCH (e:RecordError {id: $id, status: 'OPEN', localAuthority: $localAuthority})
SET e.status = 'RESOLVED', e.outcome = $outcome, e.resolution = $resolution,
  e.resolvedAt = $now, e.resolvedBy = $subject
RETURN """
    + _MAP
    + " AS error"
)


WITHDRAW: LiteralString = (
    """
MATCH (e:RecordError {id: $id, status: 'OPEN', reportedBy: $subject})
SET e.status = 'RESOLVED', e.outcome = 'WITHDRAWN', e.resolution = $resolution,
  e.resolvedAt = $now, e.resolvedBy = $subject
RETURN """
    + _MAP
    + " AS error"
)

_ANY: LiteralString = "MATCH (e:RecordError {id: $id}) RETURN " + _MAP + " AS error"


def _fact(m: dict[str, Any]) -> RecordErrorFact:
    reached(m["childId"])
    return RecordErrorFact(
        id=m["id"],
        child_id=m["childId"],
        field=m["field"],
        description=m.get("description") or "",
        status=m["status"],
        local_authority=m.get("localAuthority"),
        reported_at=native_datetime(m.get("reportedAt")),
        reported_by=m.get("reportedBy") or "",
        reporter_practitioner_id=m.get("reporterPractitionerId"),
        reporter_name=m.get("reporterName"),
        reporter_services=tuple(
            s for s in map(service_from, m.get("reporterServices") or ()) if s is not None
        ),
        resolved_at=native_datetime(m.get("resolvedAt")),
        resolved_by=m.get("resolvedBy"),
        outcome=m.get("outcome"),
        resolution=m.get("resolution"),
    )


async def report_record_error(
    graph: Graph,
    child_id: str,
    *,
    field: str,
    description: str,
    subject: str,
    practitioner_id: str | None,
    now: datetime,
) -> str | None:
    """Queue the report for the child's index team; None when the child is not there."""
    rows = await graph.write(
        REPORT,
        childId=child_id,
        id=f"re-{uuid.uuid4().hex}",
        field=field,
        description=description,
        subject=subject,
        practitionerId=practitioner_id,
        now=now,
    )
    return str(rows[0]["id"]) if rows else None


@dataclass(frozen=True, slots=True)
class RecordErrorQueue:
    """The head of a team's queue in two parts, each oldest first: reports made by no
    sensitive service's practitioner, and those made by one (which R6 may hide from the
    team): hidden reports, however many, never push a shown one out of the first."""

    plain: list[RecordErrorFact]
    from_sensitive: list[RecordErrorFact]


async def record_errors(
    graph: Graph,
    local_authority: str,
    status: str,
    first: int,
    from_sensitive: int,
    sensitive_kinds: Iterable[str],
) -> RecordErrorQueue:
    """One index team's queue in one round trip: the first `first` plain reports and the
    first `from_sensitive` made from a sensitive service."""
    rows = await graph.read(
        _QUEUE,
        localAuthority=local_authority,
        status=status,
        first=first,
        fromSensitive=from_sensitive,
        sensitiveKinds=sorted(sensitive_kinds),
    )
    return RecordErrorQueue(
        plain=[_fact(m) for m in rows[0]["plain"]],
        from_sensitive=[_fact(m) for m in rows[0]["sensitive"]],
    )


async def fetch_record_error(
    graph: Graph, error_id: str, local_authority: str
) -> RecordErrorFact | None:
    """An OPEN report of this team's queue (what resolve_record_error would close)."""
    rows = await graph.read(_ONE, id=error_id, localAuthority=local_authority)
    return _fact(rows[0]["error"]) if rows else None


async def resolve_record_error(
    graph: Graph,
    error_id: str,
    *,
    local_authority: str,
    outcome: str,
    resolution: str | None,
    subject: str,
    now: datetime,
) -> RecordErrorFact | None:
    """Close an OPEN report of this team's queue; None when there is no such report."""
    rows = await graph.write(
        RESOLVE,
        id=error_id,
        localAuthority=local_authority,
        outcome=outcome,
        resolution=resolution,
        subject=subject,
        now=now,
    )
    return _fact(rows[0]["error"]) if rows else None


async def fetch_any_record_error(graph: Graph, error_id: str) -> RecordErrorFact | None:
    """A report by id, whatever its team or state (for its reporter's withdrawal)."""
    rows = await graph.read(_ANY, id=error_id)
    return _fact(rows[0]["error"]) if rows else None


async def withdraw_record_error(
    graph: Graph, error_id: str, *, subject: str, resolution: str | None, now: datetime
) -> RecordErrorFact | None:
    """Close an OPEN report `subject` made, as WITHDRAWN; None when there is no such report."""
    rows = await graph.write(WITHDRAW, id=error_id, subject=subject, resolution=resolution, now=now)
    return _fact(rows[0]["error"]) if rows else None
