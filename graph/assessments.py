"""Reading a common assessment with the facts R7 needs, in one round trip."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from graph.children import practitioner_projection
from graph.database import Graph
from graph.facts import consent_from, native_date, override_from, practitioner_from
from policies.assessments import AssessmentAccessFacts
from policies.facts import PractitionerFact

__all__ = ["ActionFact", "AssessmentContent", "NeedFact", "fetch_assessment"]


@dataclass(frozen=True)
class NeedFact:
    domain: str
    element: str
    summary: str


@dataclass(frozen=True)
class ActionFact:
    id: str
    description: str
    owner: PractitionerFact | None
    due_on: date | None
    done_on: date | None


@dataclass(frozen=True)
class AssessmentContent:
    id: str
    child_id: str
    child_shielded: bool
    child_local_authority: str | None
    status: str
    started_on: date
    closed_on: date | None
    next_review_on: date | None
    holder: PractitionerFact
    team: tuple[PractitionerFact, ...]
    needs: tuple[NeedFact, ...]
    strengths: tuple[str, ...]
    actions: tuple[ActionFact, ...]
    access: AssessmentAccessFacts


_FETCH = (
    """
MATCH (a:Assessment {id: $assessmentId})-[:ABOUT]->(c:Child {id: $childId})
RETURN a { .id, .status, .startedOn, .closedOn, .nextReviewOn, .strengths,
  childId: c.id, childShielded: c.shielded, childLocalAuthority: c.localAuthority,
  dateOfBirth: c.dateOfBirth,
  holder: [(h:Practitioner)-[:HOLDS]->(a) | """
    + practitioner_projection("h")
    + """][0],
  team: [(t:Practitioner)-[:TEAM_MEMBER_OF]->(a) | """
    + practitioner_projection("t")
    + """],
  needs: [(n:AssessmentNeed)-[:OF]->(a) | n { .domain, .element, .summary, .position }],
  actions: [(d:DeliveryAction)-[:OF]->(a) | d { .id, .description, .dueOn, .doneOn,
    owner: [(o:Practitioner)-[:OWNS]->(d) | """
    + practitioner_projection("o")
    + """][0] }],
  consents: [(g:ConsentGrant)-[:ABOUT]->(c) WHERE g.purpose = 'SHARE_ASSESSMENT' | g {
    .id, .purpose, .state, .givenByChild, .competenceAssessed, .recordedOn, .expiresOn,
    giverParentalResponsibility: coalesce(
      [(g)-[:GIVEN_BY]->(:Carer)-[gr:CARES_FOR]->(c) | gr.parentalResponsibility][0], false),
    coversServiceIds: [(g)-[:COVERS]->(x:Service) | x.id],
    coversAssessmentId: [(g)-[:COVERS]->(x:Assessment) | x.id][0],
    grantedToPractitionerIds: [(g)-[:GRANTED_TO]->(x:Practitioner) | x.id],
    grantedToServiceIds: [(g)-[:GRANTED_TO]->(x:Service) | x.id] }],
  overrides: [(o:AccessOverride)-[:FOR]->(c)
    WHERE o.expiresAt > datetime()
      AND (o.practitionerId = $practitionerId OR o.recordedBySubject = $subject) | o {
    .id, .practitionerId, .recordedBySubject, .recordedAt, .expiresAt, .liftsShielding }]
} AS a
"""
)


def assessment_from(m: dict[str, Any]) -> AssessmentContent:
    holder = practitioner_from(m.get("holder"))
    assert holder is not None, "an assessment always has a holder"
    team = tuple(p for p in map(practitioner_from, m.get("team") or ()) if p is not None)
    dob = native_date(m.get("dateOfBirth")) or date.min
    access = AssessmentAccessFacts(
        assessment_id=m["id"],
        holder_id=holder.id,
        team_ids=frozenset(p.id for p in team),
        date_of_birth=dob,
        consents=tuple(consent_from(g) for g in m.get("consents") or ()),
        overrides=tuple(override_from(o) for o in m.get("overrides") or ()),
    )
    needs = sorted(m.get("needs") or (), key=lambda n: n.get("position") or 0)
    return AssessmentContent(
        id=m["id"],
        child_id=m["childId"],
        child_shielded=bool(m.get("childShielded")),
        child_local_authority=m.get("childLocalAuthority"),
        status=m.get("status") or "OPEN",
        started_on=native_date(m.get("startedOn")) or date.min,
        closed_on=native_date(m.get("closedOn")),
        next_review_on=native_date(m.get("nextReviewOn")),
        holder=holder,
        team=team,
        needs=tuple(NeedFact(n["domain"], n["element"], n["summary"]) for n in needs),
        strengths=tuple(m.get("strengths") or ()),
        actions=tuple(
            ActionFact(
                d["id"],
                d.get("description") or "",
                practitioner_from(d.get("owner")),
                native_date(d.get("dueOn")),
                native_date(d.get("doneOn")),
            )
            for d in sorted(m.get("actions") or (), key=lambda d: d["id"])
        ),
        access=access,
    )


async def fetch_assessment(
    graph: Graph, child_id: str, assessment_id: str, *, practitioner_id: str | None, subject: str
) -> AssessmentContent | None:
    records = await graph.read(
        _FETCH,
        childId=child_id,
        assessmentId=assessment_id,
        practitionerId=practitioner_id,
        subject=subject,
    )
    return assessment_from(records[0]["a"]) if records else None
