"""The monitoring report's figures (policies/monitoring.py), per subject, from the audit.

One statement over the audit events of the period: grouped by subject, kept when the
subject belongs to the local authority asked about (a practitioner of one of its
services, or a token that named it when they read children: graph/suspensions.py uses
the same test), then counted. A child is out of area when its local authority is none
of the subject's. Events are found by time (the `audit_event_at` index).
"""

from __future__ import annotations

from datetime import datetime
from typing import LiteralString

from graph.database import Graph
from policies.monitoring import SubjectFigures
from policies.viewer import Role

__all__ = ["subject_figures"]

_REPORT: LiteralString = """
MATCH (a:AuditEvent) WHERE a.at >= $from AND a.at < $to
WITH a.subject AS subject, collect(a) AS events
WITH subject, events, [e IN events | coalesce(e.practitionerId, e.subject)] AS pids
WITH subject, events, COLLECT {
    MATCH (p:Practitioner)-[:WORKS_FOR]->(s:Service)
    WHERE p.id IN pids AND s.localAuthority IS NOT NULL
    RETURN s.localAuthority AS la
    UNION
    MATCH (d:BrowsingDay {subject: subject}) WHERE d.localAuthority IS NOT NULL
    RETURN d.localAuthority AS la
  } AS authorities
WHERE $localAuthority IS NULL OR $localAuthority IN authorities
CALL (events) {
  UNWIND events AS a
  RETURN count(a) AS requests, collect(DISTINCT a.role) AS roles,
    sum(CASE WHEN a.overrideId IS NOT NULL OR a.action CONTAINS 'recordAccessOverride'
        THEN 1 ELSE 0 END) AS overrides,
    sum(size([d IN coalesce(a.denied, []) WHERE d STARTS WITH 'Query.'
          OR d STARTS WITH 'Subject:'
          OR (d STARTS WITH 'Child:' AND (d ENDS WITH ': not found'
              OR d CONTAINS 'browsing budget'))])) AS refused
}
CALL (events, authorities) {
  UNWIND events AS a
  UNWIND a.childIds AS childId
  MATCH (c:Child {id: childId})
  RETURN count(DISTINCT c) AS children,
    count(DISTINCT CASE WHEN c.shielded THEN c END) AS shielded,
    count(DISTINCT CASE WHEN NOT coalesce(c.localAuthority, '') IN authorities THEN c END)
      AS outOfArea
}
RETURN subject, authorities, roles, requests, children, shielded, outOfArea, overrides, refused
ORDER BY subject
"""

_ROLE_ORDER = [r.value for r in Role]


def _role(roles: list[str]) -> str:
    """The subject's role over the period: the first of Role's order they acted in."""
    known = sorted((r for r in roles if r in _ROLE_ORDER), key=_ROLE_ORDER.index)
    return known[0] if known else (roles[0] if roles else "")


async def subject_figures(
    graph: Graph, local_authority: str | None, start: datetime, end: datetime
) -> list[SubjectFigures]:
    """Per subject of `local_authority` (of every authority when None), over [start, end)."""
    rows = await graph.read(_REPORT, localAuthority=local_authority, **{"from": start, "to": end})
    return [
        SubjectFigures(
            subject=r["subject"],
            role=_role(list(r["roles"])),
            local_authority=local_authority or ",".join(sorted(set(r["authorities"]))) or None,
            requests=int(r["requests"]),
            distinct_children=int(r["children"]),
            shielded_reads=int(r["shielded"]),
            out_of_area_reads=int(r["outOfArea"]),
            overrides=int(r["overrides"]),
            refused_reads=int(r["refused"]),
        )
        for r in rows
    ]
