"""The facts of a subject access report (policies/subject_access.py): the child, and
every audit event that concerns them with who made it (graph.audit_trail.audit_trail)."""

from __future__ import annotations

from typing import LiteralString

from graph.audit_trail import TrailKey, audit_trail
from graph.database import Graph
from policies.facts import SENSITIVE_KINDS
from policies.subject_access import AccessEvent, ChildAccessFacts

__all__ = ["access_events", "child_access_facts"]

_CHILD: LiteralString = """
MATCH (c:Child {id: $id})
OPTIONAL MATCH (la:LocalAuthority {code: c.localAuthority})
RETURN c.id AS id, c.givenName AS given, c.familyName AS family,
  coalesce(c.shielded, false) AS shielded, la.name AS laName,
  la.indexTeamPhone AS phone, la.indexTeamEmail AS email,
  [(i:Involvement)-[:OF]->(c) WHERE EXISTS {
     MATCH (i)-[:AT]->(s:Service) WHERE s.sensitive OR s.kind IN $sensitiveKinds } | i.id]
    AS sensitiveInvolvements,
  [(c)--(n) WHERE n.id IS NOT NULL | n.id]
    + [(c)<-[:OF]-(:Involvement)--(m) WHERE m.id IS NOT NULL | m.id] AS recordIds
"""

_PAGE = 1000


async def child_access_facts(graph: Graph, child_id: str) -> ChildAccessFacts | None:
    rows = await graph.read(_CHILD, id=child_id, sensitiveKinds=sorted(SENSITIVE_KINDS))
    if not rows:
        return None
    r = rows[0]
    contact = " / ".join(x for x in (r["phone"], r["email"]) if x) or None
    return ChildAccessFacts(
        child_id=r["id"],
        given_name=r["given"] or "",
        family_name=r["family"] or "",
        shielded=bool(r["shielded"]),
        local_authority_name=r["laName"],
        index_team_contact=contact,
        sensitive_involvement_ids=frozenset(r["sensitiveInvolvements"] or ()),
        record_ids=frozenset(r["recordIds"] or ()),
    )


async def access_events(graph: Graph, child_id: str) -> list[AccessEvent]:
    """Every event that concerns the child, a page at a time, newest first."""
    events: list[AccessEvent] = []
    before: TrailKey | None = None
    while True:
        page = await audit_trail(graph, child_id, _PAGE, before)
        events += [
            AccessEvent(
                at=e.record.at,
                role=e.record.role,
                action=e.record.action,
                purpose=e.record.purpose,
                disclosed=tuple(e.record.disclosed),
                actor_services=e.actor_services,
                denied=tuple(e.record.denied),
            )
            for e in page
        ]
        if len(page) < _PAGE:
            return events
        before = page[-1].key
