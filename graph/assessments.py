"""The common assessment (CAF): read with the facts R7 needs, written under R8, one trip each.

A read is one map projection: the CAF, its holder and team, needs, strengths, actions,
every consent record about the child except SHARE_CONTACT_DETAILS (R7 and R8 decide
on UNDERTAKE_, STORE_ and SHARE_ASSESSMENT), and the viewer's own overrides and
services.

A write is one transaction (graph.idempotency.write_once): take the child's write lock
(graph.consent.LOCK_CHILD, the same lock consent changes take, so a withdrawal and a
write it would forbid cannot interleave), read the CAF as above, hand it to the
caller's `decide` callback (which raises to refuse and roll back), write, and read the
CAF back for the answer.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, LiteralString

from neo4j import AsyncManagedTransaction

from graph.consent import CONSENT_MAP, LOCK_CHILD, ChildContext, Recorder, locked_context
from graph.database import Graph, reached
from graph.facts import (
    OVERRIDE_MAP,
    consent_from,
    native_date,
    native_datetime,
    override_from,
    practitioner_from,
    practitioner_projection,
    service_from,
)
from graph.idempotency import IdempotencyClaim, write_once
from graph.lead_professional import set_practitioner_lead
from graph.outbox import emit
from policies.assessments import AssessmentAccessFacts
from policies.facts import AssessmentSummaryFact, ChildFacts, PractitionerFact, ServiceFact
from policies.vocabulary import EventKind

__all__ = [
    "ActionFact",
    "AssessmentContent",
    "LeadAppointeeFacts",
    "NeedFact",
    "NewAction",
    "TeamMemberFacts",
    "add_delivery_action",
    "add_need",
    "add_strength",
    "add_team_member",
    "appoint_lead_professional",
    "change_assessment",
    "close_assessment",
    "fetch_assessment",
    "fetch_team_assessments",
    "join_team",
    "leave_team",
    "set_next_review",
    "start_assessment",
    "update_delivery_action",
]


@dataclass(frozen=True)
class NeedFact:
    domain: str
    element: str
    summary: str
    id: str = ""
    #: OPEN, or MET once a review found it met (CAF guide 2.7).
    status: str = "OPEN"
    met_on: date | None = None


@dataclass(frozen=True)
class NeedProgressFact:
    need_id: str
    rating: str
    note: str | None


@dataclass(frozen=True)
class AttendeeFact:
    """Who came to a review: the child, a carer, a practitioner, or someone else named."""

    kind: str
    id: str | None
    name: str


@dataclass(frozen=True)
class ReviewFact:
    """One review of progress (CAF guide 2.7, 4.10: the delivery plan and review form)."""

    id: str
    held_on: date
    attendees: tuple[AttendeeFact, ...]
    progress: tuple[NeedProgressFact, ...]
    changes: str | None
    next_review_on: date | None
    actions_done: tuple[str, ...]
    needs_added: tuple[str, ...]
    actions_added: tuple[str, ...]


@dataclass(frozen=True)
class CourseEventFact:
    """A step in the CAF's course: reopened, stepped up or down, handed over,
    transferred, closed, someone leaving the team. Written once, never edited."""

    id: str
    kind: str
    on: date
    reason: str | None
    from_practitioner_id: str | None
    to_practitioner_id: str | None
    from_local_authority: str | None
    to_local_authority: str | None
    member_id: str | None
    member_name: str | None
    recorded_at: datetime | None


@dataclass(frozen=True)
class FamilyMemberFact:
    """The child or one of their carers in the team around the child (CAF guide 2.5)."""

    kind: str  # CHILD or CARER
    id: str
    name: str
    relationship: str | None
    since: date | None


@dataclass(frozen=True)
class OutcomeCheckFact:
    """One line of the pre-assessment checklist: an Every Child Matters outcome (4.8)."""

    outcome: str
    concern: str
    note: str | None


@dataclass(frozen=True)
class FormFacts:
    """The CAF form's own words: the child's and parents' views, the assessor, the
    pre-assessment checklist and the consent statement as it was recorded (4.4, 4.9)."""

    child_views: str | None = None
    parents_views: str | None = None
    assessor_id: str | None = None
    assessor_name: str | None = None
    assessor_job_title: str | None = None
    assessor_agency: str | None = None
    checklist: tuple[OutcomeCheckFact, ...] = ()
    consent_statement: str | None = None
    consent_signed_by: str | None = None
    consent_signer_name: str | None = None
    consent_signed_on: date | None = None


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
    #: The child as far as the CAF needs it (R4 for the CAF and its contacts, R17): core
    #: record, shielding, the viewer's overrides. It carries no SHARE_CONTACT_DETAILS
    #: consents, so any R6 question asked of it is answered no: fail closed.
    child: ChildFacts
    viewer_service_ids: frozenset[str] = frozenset()
    close_reason: str | None = None
    close_outcome: str | None = None
    reviews: tuple[ReviewFact, ...] = ()
    history: tuple[CourseEventFact, ...] = ()
    family: tuple[FamilyMemberFact, ...] = ()
    form: FormFacts = FormFacts()
    #: Stepped up to children's social care (ICS guidance note 4.2): the CAF stays OPEN,
    #: marked, with the social worker in the team.
    social_care_since: date | None = None
    social_worker: PractitionerFact | None = None
    #: The local authority whose area the CAF is now held in (transferAssessment); the
    #: child's own until it is transferred.
    local_authority: str | None = None
    #: The child's other OPEN CAFs, as index summaries (R7 decides which are there).
    other_open: tuple[AssessmentSummaryFact, ...] = ()
    #: (id, name) of each carer of the child: who addFamilyMember may bring in.
    child_carers: tuple[tuple[str, str], ...] = ()
    #: Practitioners the CAF names by id only (review attendees, its history, the
    #: assessor), by id: R6 asks about each of them as about anyone in the team.
    named: dict[str, PractitionerFact] = field(default_factory=dict)

    def action(self, action_id: str) -> ActionFact | None:
        return next((a for a in self.actions if a.id == action_id), None)


_VIEWER_SERVICES: LiteralString = """
CALL () {
  OPTIONAL MATCH (:Practitioner {id: $practitionerId})-[:WORKS_FOR]->(vs:Service)
  RETURN collect(vs.id) AS viewerServices
}
"""

_BY_ID: LiteralString = """
MATCH (a:Assessment {id: $assessmentId})-[:ABOUT]->(c:Child)
WHERE $childId IS NULL OR c.id = $childId
"""

_BY_ACTION: LiteralString = """
MATCH (:DeliveryAction {id: $actionId})-[:OF]->(a:Assessment)-[:ABOUT]->(c:Child)
"""

_PROJECTION: LiteralString = (
    """
RETURN viewerServices, a { .id, .status, .startedOn, .closedOn, .closeReason, .nextReviewOn,
  .strengths, .closeOutcome, .childViews, .parentsViews, .assessorId, .assessorName,
  .assessorJobTitle, .assessorAgency, .consentStatement, .consentSignedBy,
  .consentSignerName, .consentSignedOn, .socialCareSince,
  localAuthority: coalesce(a.localAuthority, c.localAuthority),
  socialWorker: [(sw:Practitioner)-[:TEAM_MEMBER_OF]->(a) WHERE sw.id = a.socialWorkerId | """
    + practitioner_projection("sw")
    + """][0],
  checklist: [(o:OutcomeCheck)-[:OF]->(a) | o { .outcome, .concern, .note }],
  childCarers: [(ck:Carer)-[:CARES_FOR]->(c) | [ck.id, ck.name]],
  otherOpen: [(oa:Assessment {status: 'OPEN'})-[:ABOUT]->(c) WHERE oa <> a | oa { .id, .status,
    .startedOn, holder: [(oh:Practitioner)-[:HOLDS]->(oa) | """
    + practitioner_projection("oh")
    + """][0] }],
  reviews: [(r:AssessmentReview)-[:OF]->(a) | r { .id, .heldOn, .attendeeKinds, .attendeeIds,
    .attendeeNames, .changes, .nextReviewOn, .actionsDone, .needsAdded, .actionsAdded,
    .recordedAt, progress: [(np:NeedProgress)-[:IN]->(r) | np { .needId, .rating, .note }] }],
  history: [(e:CourseEvent)-[:OF]->(a) | e { .* }],
  family: [(f)-[fm:TEAM_MEMBER_OF]->(a) WHERE f:Child OR f:Carer | {
    kind: CASE WHEN f:Child THEN 'CHILD' ELSE 'CARER' END, id: f.id,
    name: CASE WHEN f:Child THEN f.givenName + ' ' + f.familyName ELSE f.name END,
    relationship: [(f)-[cf:CARES_FOR]->(c) | cf.relationship][0], since: fm.since }],
  childId: c.id, childShielded: c.shielded, childLocalAuthority: c.localAuthority,
  dateOfBirth: c.dateOfBirth, childGivenName: c.givenName, childFamilyName: c.familyName,
  childGender: c.gender,
  holder: [(h:Practitioner)-[:HOLDS]->(a) | """
    + practitioner_projection("h")
    + """][0],
  team: [(t:Practitioner)-[:TEAM_MEMBER_OF]->(a) | """
    + practitioner_projection("t")
    + """],
  needs: [(n:AssessmentNeed)-[:OF]->(a) | n { .id, .domain, .element, .summary, .position,
    .status, .metOn }],
  actions: [(d:DeliveryAction)-[:OF]->(a) | d { .id, .description, .dueOn, .doneOn,
    .createdAt,
    owner: [(o:Practitioner)-[:OWNS]->(d) | """
    + practitioner_projection("o")
    + """][0] }],
  consents: [(g:ConsentGrant)-[:ABOUT]->(c) WHERE g.purpose <> 'SHARE_CONTACT_DETAILS' | """
    + CONSENT_MAP
    + """],
  contactConsents: [(g:ConsentGrant)-[:ABOUT]->(c) WHERE g.purpose = 'SHARE_CONTACT_DETAILS' | """
    + CONSENT_MAP
    + """],
  named: COLLECT { MATCH (np:Practitioner)
    WHERE np.id IN [a.assessorId]
      + reduce(ids = [], r IN [(r:AssessmentReview)-[:OF]->(a) | coalesce(r.attendeeIds, [])]
        | ids + r)
      + [(e:CourseEvent)-[:OF]->(a) | e.fromPractitionerId]
      + [(e:CourseEvent)-[:OF]->(a) | e.toPractitionerId]
      + [(e:CourseEvent)-[:OF]->(a) | e.memberId]
    RETURN DISTINCT """
    + practitioner_projection("np")
    + """ AS np },
  overrides: [(o:AccessOverride)-[:FOR]->(c)
    WHERE o.expiresAt > $now
      AND (o.practitionerId = $practitionerId OR o.recordedBySubject = $subject) | """
    + OVERRIDE_MAP
    + """]
} AS a
"""
)

_FETCH: LiteralString = _VIEWER_SERVICES + _BY_ID + _PROJECTION
# The child's CAFs whose team (holder included) names the viewer: what
# sharingDecisions asks R7 about, all in one round trip however many there are.
_TEAM_CAFS: LiteralString = (
    _VIEWER_SERVICES
    + """
MATCH (a:Assessment)-[:ABOUT]->(c:Child {id: $childId})
WHERE EXISTS { (:Practitioner {id: $practitionerId})-[:HOLDS|TEAM_MEMBER_OF]->(a) }
WITH a, c, viewerServices ORDER BY a.id
"""
    + _PROJECTION
)
_LOCK_BY_ID: LiteralString = (
    _VIEWER_SERVICES + _BY_ID + "WITH a, c, viewerServices\n" + LOCK_CHILD + _PROJECTION
)
_LOCK_BY_ACTION: LiteralString = (
    _VIEWER_SERVICES + _BY_ACTION + "WITH a, c, viewerServices\n" + LOCK_CHILD + _PROJECTION
)


def assessment_from(
    m: dict[str, Any], viewer_services: list[str] | None = None
) -> AssessmentContent:
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
    reviews = sorted(
        m.get("reviews") or (), key=lambda r: (str(r.get("heldOn")), str(r.get("recordedAt")))
    )
    history = sorted(m.get("history") or (), key=lambda e: (str(e.get("recordedAt")), e["id"]))
    actions = sorted(m.get("actions") or (), key=lambda d: (str(d.get("createdAt") or ""), d["id"]))
    reached(m["childId"])
    child = ChildFacts(
        id=m["childId"],
        given_name=m.get("childGivenName") or "",
        family_name=m.get("childFamilyName") or "",
        date_of_birth=dob,
        gender=m.get("childGender") or "NOT_KNOWN",
        shielded=bool(m.get("childShielded")),
        local_authority=m.get("childLocalAuthority"),
        address=None,
        # R6 inside the CAF (who in it the viewer may see) asks SHARE_CONTACT_DETAILS.
        consents=access.consents + tuple(consent_from(g) for g in m.get("contactConsents") or ()),
        overrides=access.overrides,
    )
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
        team=tuple(sorted(team, key=lambda p: p.id)),
        needs=tuple(
            NeedFact(
                n["domain"],
                n["element"],
                n["summary"],
                n.get("id") or "",
                n.get("status") or "OPEN",
                native_date(n.get("metOn")),
            )
            for n in needs
        ),
        strengths=tuple(m.get("strengths") or ()),
        actions=tuple(
            ActionFact(
                d["id"],
                d.get("description") or "",
                practitioner_from(d.get("owner")),
                native_date(d.get("dueOn")),
                native_date(d.get("doneOn")),
            )
            for d in actions
        ),
        access=access,
        viewer_service_ids=frozenset(viewer_services or ()),
        close_reason=m.get("closeReason"),
        close_outcome=m.get("closeOutcome"),
        child=child,
        reviews=tuple(_review_from(r) for r in reviews),
        history=tuple(_event_from(e) for e in history),
        family=tuple(
            FamilyMemberFact(
                f["kind"],
                f["id"],
                f.get("name") or "",
                f.get("relationship"),
                native_date(f.get("since")),
            )
            for f in sorted(m.get("family") or (), key=lambda f: (f["kind"], f["id"]))
        ),
        form=FormFacts(
            child_views=m.get("childViews"),
            parents_views=m.get("parentsViews"),
            assessor_id=m.get("assessorId"),
            assessor_name=m.get("assessorName"),
            assessor_job_title=m.get("assessorJobTitle"),
            assessor_agency=m.get("assessorAgency"),
            checklist=tuple(
                OutcomeCheckFact(o["outcome"], o.get("concern") or "NOT_KNOWN", o.get("note"))
                for o in sorted(m.get("checklist") or (), key=lambda o: o["outcome"])
            ),
            consent_statement=m.get("consentStatement"),
            consent_signed_by=m.get("consentSignedBy"),
            consent_signer_name=m.get("consentSignerName"),
            consent_signed_on=native_date(m.get("consentSignedOn")),
        ),
        social_care_since=native_date(m.get("socialCareSince")),
        social_worker=practitioner_from(m.get("socialWorker")),
        local_authority=m.get("localAuthority"),
        child_carers=tuple((k[0], k[1] or "") for k in m.get("childCarers") or ()),
        named={p.id: p for p in map(practitioner_from, m.get("named") or ()) if p is not None},
        other_open=tuple(
            AssessmentSummaryFact(
                o["id"],
                o.get("status") or "OPEN",
                native_date(o.get("startedOn")) or date.min,
                holder,
            )
            for o in m.get("otherOpen") or ()
            if (holder := practitioner_from(o.get("holder"))) is not None
        ),
    )


def _review_from(r: dict[str, Any]) -> ReviewFact:
    kinds = r.get("attendeeKinds") or []
    ids = r.get("attendeeIds") or []
    names = r.get("attendeeNames") or []
    return ReviewFact(
        id=r["id"],
        held_on=native_date(r.get("heldOn")) or date.min,
        attendees=tuple(
            AttendeeFact(kind, ident or None, name)
            for kind, ident, name in zip(kinds, ids, names, strict=False)
        ),
        progress=tuple(
            NeedProgressFact(p["needId"], p["rating"], p.get("note"))
            for p in sorted(r.get("progress") or (), key=lambda p: p["needId"])
        ),
        changes=r.get("changes"),
        next_review_on=native_date(r.get("nextReviewOn")),
        actions_done=tuple(r.get("actionsDone") or ()),
        needs_added=tuple(r.get("needsAdded") or ()),
        actions_added=tuple(r.get("actionsAdded") or ()),
    )


def _event_from(e: dict[str, Any]) -> CourseEventFact:
    return CourseEventFact(
        id=e["id"],
        kind=e["kind"],
        on=native_date(e.get("on")) or date.min,
        reason=e.get("reason"),
        from_practitioner_id=e.get("fromPractitionerId"),
        to_practitioner_id=e.get("toPractitionerId"),
        from_local_authority=e.get("fromLocalAuthority"),
        to_local_authority=e.get("toLocalAuthority"),
        member_id=e.get("memberId"),
        member_name=e.get("memberName"),
        recorded_at=native_datetime(e.get("recordedAt")),
    )


def _viewer_params(practitioner_id: str | None, subject: str, now: datetime) -> dict[str, Any]:
    return {"practitionerId": practitioner_id, "subject": subject, "now": now}


async def fetch_assessment(
    graph: Graph,
    child_id: str | None,
    assessment_id: str,
    *,
    practitioner_id: str | None,
    subject: str,
    now: datetime | None = None,
) -> AssessmentContent | None:
    """One CAF (of one child, when `child_id` is given), with the viewer's services,
    consents and overrides (R7)."""
    records = await graph.read(
        _FETCH,
        childId=child_id,
        assessmentId=assessment_id,
        **_viewer_params(practitioner_id, subject, now or datetime.now().astimezone()),
    )
    if not records:
        return None
    return assessment_from(records[0]["a"], records[0]["viewerServices"])


async def fetch_team_assessments(
    graph: Graph, child_id: str, *, practitioner_id: str | None, subject: str, now: datetime
) -> list[AssessmentContent]:
    """The child's CAFs whose team the viewer is in, each as `fetch_assessment` reads it."""
    if practitioner_id is None:
        return []
    records = await graph.read(
        _TEAM_CAFS, childId=child_id, **_viewer_params(practitioner_id, subject, now)
    )
    return [assessment_from(r["a"], r["viewerServices"]) for r in records]


async def _locked(
    tx: AsyncManagedTransaction,
    recorder: Recorder,
    *,
    assessment_id: str | None = None,
    action_id: str | None = None,
) -> AssessmentContent | None:
    params = _viewer_params(recorder.practitioner_id, recorder.subject, recorder.now)
    if action_id is not None:
        result = await tx.run(_LOCK_BY_ACTION, actionId=action_id, **params)
    else:
        result = await tx.run(_LOCK_BY_ID, assessmentId=assessment_id, childId=None, **params)
    row = await result.single()
    return assessment_from(row["a"], row["viewerServices"]) if row else None


async def _load(
    tx: AsyncManagedTransaction, recorder: Recorder, assessment_id: str
) -> AssessmentContent:
    params = _viewer_params(recorder.practitioner_id, recorder.subject, recorder.now)
    result = await tx.run(_FETCH, assessmentId=assessment_id, childId=None, **params)
    row = await result.single(strict=True)
    return assessment_from(row["a"], row["viewerServices"])


Decide = Callable[[AssessmentContent | None], None]


async def locked_assessment(
    tx: AsyncManagedTransaction, recorder: Recorder, assessment_id: str
) -> AssessmentContent | None:
    """The CAF under the child's write lock, as a write's decision needs it."""
    return await _locked(tx, recorder, assessment_id=assessment_id)


async def load_assessment(
    tx: AsyncManagedTransaction, recorder: Recorder, assessment_id: str
) -> AssessmentContent:
    """The CAF as it stands after a write, for the answer."""
    return await _load(tx, recorder, assessment_id)


#: A write's decision on the CAF as it stands under the lock: raise to refuse; return
#: None, or the parameters the write needs that only that CAF can tell (who is named).
DecideParams = Callable[[AssessmentContent | None], dict[str, Any] | None]


async def change_assessment(
    graph: Graph,
    recorder: Recorder,
    claim: IdempotencyClaim | None,
    decide: Decide | DecideParams,
    cypher: LiteralString,
    params: dict[str, Any],
    *,
    assessment_id: str | None = None,
    action_id: str | None = None,
) -> AssessmentContent:
    """Lock, read, decide, run `cypher` (which starts from `$assessmentId`), read back."""

    async def write(tx: AsyncManagedTransaction) -> str:
        content = await _locked(tx, recorder, assessment_id=assessment_id, action_id=action_id)
        decided = decide(content) or {}
        if content is None:
            raise AssertionError("decide must refuse a missing assessment")
        result = await tx.run(
            cypher,
            assessmentId=content.id,
            now=recorder.now,
            today=recorder.now.date(),
            subject=recorder.subject,
            **params,
            **decided,
        )
        await result.consume()
        return content.id

    return await write_once(graph, claim, write, lambda tx, aid: _load(tx, recorder, aid))


# --- Starting a CAF (R8) ---------------------------------------------------------------

# Issue 20: the child's practitioners hear of each of these (graph/outbox.py), in the write.
_START: LiteralString = (
    """
MATCH (c:Child {id: $childId}), (p:Practitioner {id: $practitionerId})
CREATE (a:Assessment {id: $id, status: 'OPEN', startedOn: $today, strengths: $strengths,
  createdAt: $now, startedBy: $subject, assessorId: p.id, assessorName: p.name,
  assessorJobTitle: p.jobTitle,
  assessorAgency: [(p)-[:WORKS_FOR]->(s:Service) | s.name][0]})-[:ABOUT]->(c)
CREATE (p)-[:HOLDS]->(a), (p)-[:TEAM_MEMBER_OF]->(a)
WITH a
CALL (a) {
  UNWIND $consentIds AS gid MATCH (g:ConsentGrant {id: gid}) CREATE (a)-[:STARTED_WITH]->(g)
}
CALL (a) {
  UNWIND $needs AS need
  CREATE (:AssessmentNeed {id: 'need-' + randomUUID(), domain: need.domain,
    element: need.element, summary: need.summary, position: need.position, status: 'OPEN',
    addedOn: $today})-[:OF]->(a)
}
WITH a
MATCH (a)-[:ABOUT]->(c:Child)
"""
    + emit(
        EventKind.CAF_STARTED,
        child="c.id",
        subject="a.id",
        practitioner="$practitionerId",
        actor="$subject",
    )
    + """RETURN a.id AS id
"""
)


async def start_assessment(
    graph: Graph,
    child_id: str,
    *,
    consent_ids: list[str],
    needs: list[NeedFact],
    strengths: list[str],
    recorder: Recorder,
    claim: IdempotencyClaim | None,
    decide: Callable[[ChildContext | None], None],
) -> AssessmentContent:
    """Store a new CAF held by the recorder, who joins its team; `decide` applies R8."""

    async def write(tx: AsyncManagedTransaction) -> str:
        context = await locked_context(tx, child_id, recorder)
        decide(context)
        if context is None:
            raise AssertionError("decide must refuse a missing child")
        assessment_id = f"caf-{uuid.uuid4()}"
        result = await tx.run(
            _START,
            id=assessment_id,
            childId=child_id,
            consentIds=consent_ids,
            needs=[
                {"domain": n.domain, "element": n.element, "summary": n.summary, "position": i}
                for i, n in enumerate(needs)
            ],
            strengths=strengths,
            **recorder.params(),
        )
        await result.single(strict=True)
        return assessment_id

    return await write_once(graph, claim, write, lambda tx, aid: _load(tx, recorder, aid))


# --- Content: needs, strengths, actions, review ----------------------------------------

_ADD_NEED: LiteralString = """
MATCH (a:Assessment {id: $assessmentId})
CREATE (:AssessmentNeed {id: 'need-' + randomUUID(), domain: $domain, element: $element,
  summary: $summary, position: COUNT { (:AssessmentNeed)-[:OF]->(a) }, status: 'OPEN',
  addedOn: $today})-[:OF]->(a)
"""

_ADD_STRENGTH: LiteralString = """
MATCH (a:Assessment {id: $assessmentId})
SET a.strengths = coalesce(a.strengths, []) + $strength
"""

_ADD_ACTION: LiteralString = """
MATCH (a:Assessment {id: $assessmentId})
CREATE (d:DeliveryAction {id: $actionId, description: $description, dueOn: $dueOn,
  createdAt: $now, createdBy: $subject})-[:OF]->(a)
WITH d
CALL (d) { MATCH (o:Practitioner {id: $ownerId}) CREATE (o)-[:OWNS]->(d) }
"""

_UPDATE_ACTION: LiteralString = """
MATCH (d:DeliveryAction {id: $actionId})-[:OF]->(:Assessment {id: $assessmentId})
SET d.doneOn = CASE WHEN $setDoneOn THEN $doneOn ELSE d.doneOn END,
    d.dueOn = CASE WHEN $setDueOn THEN $dueOn ELSE d.dueOn END,
    d.description = coalesce($description, d.description),
    d.updatedAt = $now, d.updatedBy = $subject
"""

_SET_REVIEW: LiteralString = """
MATCH (a:Assessment {id: $assessmentId}) SET a.nextReviewOn = $nextReviewOn
"""

_CLOSE: LiteralString = """
MATCH (a:Assessment {id: $assessmentId})-[:ABOUT]->(c:Child)
SET a.status = $status, a.closedOn = $today, a.closeReason = $reason, a.closedBy = $subject,
  a.closeOutcome = $outcome
CREATE (e:CourseEvent {id: 'ev-' + randomUUID(), kind: 'CLOSED', on: $today, reason: $reason,
  outcome: $outcome, recordedAt: $now, recordedBy: $subject})-[:OF]->(a)
""" + emit(
    "CASE $status WHEN 'TRANSFERRED_TO_SOCIAL_CARE' THEN 'CAF_TRANSFERRED' ELSE 'CAF_CLOSED' END",
    child="c.id",
    subject="a.id",
    actor="$subject",
)


def join_team(member: LiteralString, *, announce: bool = False) -> LiteralString:
    """The one write of someone joining the team around the child of CAF `a` (a
    practitioner, a carer or the child, bound as `member`): every statement that brings
    someone in uses it, so what follows a joining is added here once. With `announce`
    (and child `c` bound), a practitioner new to the team is announced to it (issue 20,
    graph/outbox.py)."""
    if not announce:
        return (
            "MERGE ("
            + member
            + ")-[joined:TEAM_MEMBER_OF]->(a) ON CREATE SET joined.since = $today\n"
        )
    return (
        "MERGE ("
        + member
        + ")-[joined:TEAM_MEMBER_OF]->(a)\n"
        + "  ON CREATE SET joined.since = $today, joined.announce = true\n"
        + "WITH *\nCALL (a, c, "
        + member
        + """, joined) {
  WITH * WHERE joined.announce
  REMOVE joined.announce
  """
        + emit(
            EventKind.TEAM_MEMBER_ADDED,
            child="c.id",
            subject="a.id",
            practitioner=member + ".id",
            actor="$subject",
        )
        + "}\n"
    )


def leave_team(member: LiteralString) -> LiteralString:
    """The one write of someone leaving the team around the child of CAF `a` (the pattern
    `member` finds them): for each statement that takes someone out, as `join_team`."""
    return "MATCH " + member + "-[gone:TEAM_MEMBER_OF]->(a) DELETE gone\n"


_ADD_TEAM_MEMBER: LiteralString = (
    "MATCH (a:Assessment {id: $assessmentId})-[:ABOUT]->(c:Child), "
    "(p:Practitioner {id: $memberId})\n" + join_team("p", announce=True)
)


async def add_need(
    graph: Graph,
    assessment_id: str,
    need: NeedFact,
    *,
    recorder: Recorder,
    claim: IdempotencyClaim | None,
    decide: Decide,
) -> AssessmentContent:
    return await change_assessment(
        graph,
        recorder,
        claim,
        decide,
        _ADD_NEED,
        {"domain": need.domain, "element": need.element, "summary": need.summary},
        assessment_id=assessment_id,
    )


async def add_strength(
    graph: Graph,
    assessment_id: str,
    strength: str,
    *,
    recorder: Recorder,
    claim: IdempotencyClaim | None,
    decide: Decide,
) -> AssessmentContent:
    return await change_assessment(
        graph,
        recorder,
        claim,
        decide,
        _ADD_STRENGTH,
        {"strength": strength},
        assessment_id=assessment_id,
    )


@dataclass(frozen=True)
class NewAction:
    description: str
    owner_id: str | None
    due_on: date | None


async def add_delivery_action(
    graph: Graph,
    assessment_id: str,
    action: NewAction,
    *,
    recorder: Recorder,
    claim: IdempotencyClaim | None,
    decide: Decide,
) -> AssessmentContent:
    return await change_assessment(
        graph,
        recorder,
        claim,
        decide,
        _ADD_ACTION,
        {
            "actionId": f"action-{uuid.uuid4()}",
            "description": action.description,
            "ownerId": action.owner_id,
            "dueOn": action.due_on,
        },
        assessment_id=assessment_id,
    )


async def update_delivery_action(
    graph: Graph,
    action_id: str,
    *,
    done_on: date | None,
    set_done_on: bool,
    due_on: date | None,
    set_due_on: bool,
    description: str | None,
    recorder: Recorder,
    claim: IdempotencyClaim | None,
    decide: Decide,
) -> AssessmentContent:
    return await change_assessment(
        graph,
        recorder,
        claim,
        decide,
        _UPDATE_ACTION,
        {
            "actionId": action_id,
            "doneOn": done_on,
            "setDoneOn": set_done_on,
            "dueOn": due_on,
            "setDueOn": set_due_on,
            "description": description,
        },
        action_id=action_id,
    )


async def set_next_review(
    graph: Graph,
    assessment_id: str,
    next_review_on: date,
    *,
    recorder: Recorder,
    claim: IdempotencyClaim | None,
    decide: Decide,
) -> AssessmentContent:
    return await change_assessment(
        graph,
        recorder,
        claim,
        decide,
        _SET_REVIEW,
        {"nextReviewOn": next_review_on},
        assessment_id=assessment_id,
    )


async def close_assessment(
    graph: Graph,
    assessment_id: str,
    status: str,
    reason: str,
    *,
    outcome: str,
    recorder: Recorder,
    claim: IdempotencyClaim | None,
    decide: Decide,
) -> AssessmentContent:
    return await change_assessment(
        graph,
        recorder,
        claim,
        decide,
        _CLOSE,
        {"status": status, "reason": reason, "outcome": outcome},
        assessment_id=assessment_id,
    )


# --- The team around the child (R8) ----------------------------------------------------


@dataclass(frozen=True)
class TeamMemberFacts:
    content: AssessmentContent
    member_found: bool
    member_service_ids: frozenset[str]


_MEMBER: LiteralString = """
OPTIONAL MATCH (p:Practitioner {id: $memberId})
RETURN p IS NOT NULL AS found, [(p)-[:WORKS_FOR]->(s:Service) | s.id] AS serviceIds
"""


async def add_team_member(
    graph: Graph,
    assessment_id: str,
    member_id: str,
    *,
    recorder: Recorder,
    claim: IdempotencyClaim | None,
    decide: Callable[[TeamMemberFacts | None], None],
) -> AssessmentContent:
    """Add a practitioner to the team around the child; `decide` applies R8."""

    async def write(tx: AsyncManagedTransaction) -> str:
        content = await _locked(tx, recorder, assessment_id=assessment_id)
        if content is None:
            decide(None)
            raise AssertionError("decide must refuse a missing assessment")
        result = await tx.run(_MEMBER, memberId=member_id)
        row = await result.single(strict=True)
        decide(TeamMemberFacts(content, bool(row["found"]), frozenset(row["serviceIds"] or ())))
        added = await tx.run(
            _ADD_TEAM_MEMBER,
            assessmentId=content.id,
            memberId=member_id,
            today=recorder.now.date(),
            subject=recorder.subject,
        )
        await added.consume()
        return content.id

    return await write_once(graph, claim, write, lambda tx, aid: _load(tx, recorder, aid))


# --- The lead professional -------------------------------------------------------------


@dataclass(frozen=True)
class LeadAppointeeFacts:
    context: ChildContext
    found: bool
    service: ServiceFact | None
    #: The appointee has an active involvement with the child (their own or their service's).
    involved: bool
    #: The appointee is the holder or a team member of an OPEN CAF for the child.
    in_open_team: bool


_APPOINTEE: LiteralString = """
MATCH (c:Child {id: $childId})
OPTIONAL MATCH (p:Practitioner {id: $appointeeId})
RETURN p IS NOT NULL AS found,
  [(p)-[:WORKS_FOR]->(s:Service) | s { .id, .name, .kind, .sensitive, .localAuthority }][0]
    AS service,
  p IS NOT NULL AND EXISTS {
    MATCH (i:Involvement)-[:OF]->(c) WHERE (i.endedOn IS NULL OR i.endedOn > $today)
      AND (EXISTS { (i)-[:BY]->(p) } OR EXISTS { (i)-[:AT]->(:Service)<-[:WORKS_FOR]-(p) })
  } AS involved,
  p IS NOT NULL AND EXISTS {
    MATCH (p)-[:HOLDS|TEAM_MEMBER_OF]->(a:Assessment {status: 'OPEN'})-[:ABOUT]->(c)
  } AS inOpenTeam
"""


async def appoint_lead_professional(
    graph: Graph,
    child_id: str,
    appointee_id: str,
    *,
    recorder: Recorder,
    claim: IdempotencyClaim | None,
    decide: Callable[[LeadAppointeeFacts | None], None],
) -> str:
    """Record the lead professional on the index (one per child); returns the child id."""

    async def write(tx: AsyncManagedTransaction) -> str:
        context = await locked_context(tx, child_id, recorder)
        if context is None:
            decide(None)
            raise AssertionError("decide must refuse a missing child")
        result = await tx.run(
            _APPOINTEE, childId=child_id, appointeeId=appointee_id, today=recorder.now.date()
        )
        row = await result.single(strict=True)
        decide(
            LeadAppointeeFacts(
                context=context,
                found=bool(row["found"]),
                service=service_from(row["service"]),
                involved=bool(row["involved"]),
                in_open_team=bool(row["inOpenTeam"]),
            )
        )
        await set_practitioner_lead(
            tx,
            child_id,
            appointee_id,
            today=recorder.now.date(),
            set_by=f"practitioner:{recorder.practitioner_id}",
            actor=recorder.subject,
        )
        return child_id

    async def load(tx: AsyncManagedTransaction, result_id: str) -> str:
        return result_id

    return await write_once(graph, claim, write, load)
