"""The CAF's course after it is started: reviews, re-opening, stepping up to social care and
down again, handing the holder role over, transfer to another area, the form's own
words, and who is in the team around the child.

Every write is one transaction: the child's write lock, the CAF read as R7 and R8 need
it, the caller's `decide` (which raises to refuse and roll back, or returns what to
write, resolved against the CAF as it stands under the lock), the write, and the CAF
read back. Each step in the CAF's course also leaves a `CourseEvent` on it (written once,
never edited): with the reviews, the CAF's history, so a transfer or a hand-over loses
nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, LiteralString

from neo4j import AsyncManagedTransaction

from graph.assessments import (
    AssessmentContent,
    NeedFact,
    NewAction,
    change_assessment,
    join_team,
    leave_team,
    load_assessment,
    locked_assessment,
)
from graph.consent import Recorder
from graph.database import Graph
from graph.facts import practitioner_from, practitioner_projection
from graph.idempotency import IdempotencyClaim, write_once
from graph.outbox import emit
from policies.facts import PractitionerFact

__all__ = [
    "CourseEvent",
    "FormChange",
    "MemberFacts",
    "NewReview",
    "OutcomeCheck",
    "ReviewAttendee",
    "ReviewProgress",
    "add_family_member",
    "hand_over",
    "record_form",
    "record_review",
    "remove_team_member",
    "reopen",
    "step_down",
    "step_up",
    "transfer",
]

#: Appended to a write: one CourseEvent on the CAF, from the `$event` map, and the outbox
#: event the steps the team hears of announce (issue 20, graph/outbox.py), in this write.
_EVENT: LiteralString = (
    """
WITH a
CREATE (e:CourseEvent)-[:OF]->(a)
SET e = $event, e.id = 'ev-' + randomUUID(), e.on = $today, e.recordedAt = $now,
  e.recordedBy = $subject
WITH a, e, CASE e.kind WHEN 'TRANSFERRED' THEN 'CAF_TRANSFERRED'
  WHEN 'HANDED_OVER' THEN 'CAF_HANDED_OVER' WHEN 'REOPENED' THEN 'CAF_REOPENED'
  WHEN 'STEPPED_UP' THEN 'CAF_STEPPED_UP' WHEN 'STEPPED_DOWN' THEN 'CAF_STEPPED_DOWN'
  WHEN 'CLOSED' THEN 'CAF_CLOSED'
  WHEN 'REMOVED_FROM_TEAM' THEN 'TEAM_MEMBER_REMOVED' END AS announced
CALL (a, e, announced) {
  WITH a, e, announced WHERE announced IS NOT NULL
  MATCH (a)-[:ABOUT]->(c:Child)
  """
    + emit(
        "announced",
        child="c.id",
        subject="a.id",
        practitioner="coalesce(e.memberId, e.toPractitionerId)",
        former="e.fromPractitionerId",
        actor="$subject",
    )
    + "}\n"
)


async def _write(
    graph: Graph,
    recorder: Recorder,
    claim: IdempotencyClaim | None,
    assessment_id: str,
    cypher: LiteralString,
    decide: Callable[[AssessmentContent | None], dict[str, Any]],
) -> AssessmentContent:
    return await change_assessment(
        graph, recorder, claim, decide, cypher, {}, assessment_id=assessment_id
    )


@dataclass(frozen=True)
class CourseEvent:
    kind: str
    reason: str | None = None
    from_practitioner_id: str | None = None
    to_practitioner_id: str | None = None
    from_local_authority: str | None = None
    to_local_authority: str | None = None
    member_id: str | None = None
    member_name: str | None = None

    def params(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "reason": self.reason,
            "fromPractitionerId": self.from_practitioner_id,
            "toPractitionerId": self.to_practitioner_id,
            "fromLocalAuthority": self.from_local_authority,
            "toLocalAuthority": self.to_local_authority,
            "memberId": self.member_id,
            "memberName": self.member_name,
        }


# --- Reviews (CAF guide 2.7, 4.4 step 4, 4.10) -----------------------------------------


@dataclass(frozen=True)
class ReviewAttendee:
    kind: str  # CHILD, CARER, PRACTITIONER, OTHER
    id: str | None
    name: str


@dataclass(frozen=True)
class ReviewProgress:
    need_id: str
    rating: str
    note: str | None


@dataclass(frozen=True)
class NewReview:
    held_on: date
    attendees: tuple[ReviewAttendee, ...]
    progress: tuple[ReviewProgress, ...]
    changes: str | None
    next_review_on: date | None
    actions_done: tuple[str, ...]
    new_needs: tuple[NeedFact, ...]
    new_actions: tuple[NewAction, ...]


_REVIEW: LiteralString = """
MATCH (a:Assessment {id: $assessmentId})
WITH a, COUNT { (:AssessmentNeed)-[:OF]->(a) } AS base
CREATE (r:AssessmentReview {id: $reviewId, heldOn: $heldOn, attendeeKinds: $attendeeKinds,
  attendeeIds: $attendeeIds, attendeeNames: $attendeeNames, changes: $changes,
  nextReviewOn: $nextReviewOn, actionsDone: $actionsDone,
  needsAdded: [n IN $newNeeds | n.id], actionsAdded: [x IN $newActions | x.id],
  recordedAt: $now, recordedBy: $subject})-[:OF]->(a)
SET a.nextReviewOn = $nextReviewOn, a.lastReviewedOn = $heldOn
WITH a, r, base
CALL (a, r) {
  UNWIND $progress AS p
  MATCH (n:AssessmentNeed {id: p.needId})-[:OF]->(a)
  CREATE (:NeedProgress {needId: p.needId, rating: p.rating, note: p.note})-[:IN]->(r)
  SET n.status = CASE WHEN p.rating = 'MET' THEN 'MET' ELSE 'OPEN' END,
      n.metOn = CASE WHEN p.rating = 'MET' THEN $heldOn ELSE null END
}
CALL (a) {
  UNWIND $actionsDone AS aid
  MATCH (d:DeliveryAction {id: aid})-[:OF]->(a)
  SET d.doneOn = coalesce(d.doneOn, $heldOn), d.updatedAt = $now, d.updatedBy = $subject
}
CALL (a, base) {
  UNWIND range(0, size($newNeeds) - 1) AS i
  WITH a, base, i, $newNeeds[i] AS need
  CREATE (:AssessmentNeed {id: need.id, domain: need.domain, element: need.element,
    summary: need.summary, position: base + i, status: 'OPEN', addedOn: $heldOn})-[:OF]->(a)
}
CALL (a) {
  UNWIND $newActions AS x
  CREATE (d:DeliveryAction {id: x.id, description: x.description, dueOn: x.dueOn,
    createdAt: $now, createdBy: $subject})-[:OF]->(a)
  WITH d, x
  CALL (d, x) { MATCH (o:Practitioner {id: x.ownerId}) CREATE (o)-[:OWNS]->(d) }
}
"""


def _review_params(review: NewReview) -> dict[str, Any]:
    return {
        "reviewId": f"review-{uuid.uuid4()}",
        "heldOn": review.held_on,
        "attendeeKinds": [x.kind for x in review.attendees],
        "attendeeIds": [x.id or "" for x in review.attendees],
        "attendeeNames": [x.name for x in review.attendees],
        "changes": review.changes,
        "nextReviewOn": review.next_review_on,
        "actionsDone": list(review.actions_done),
        "progress": [
            {"needId": p.need_id, "rating": p.rating, "note": p.note} for p in review.progress
        ],
        "newNeeds": [
            {
                "id": f"need-{uuid.uuid4()}",
                "domain": n.domain,
                "element": n.element,
                "summary": n.summary,
            }
            for n in review.new_needs
        ],
        "newActions": [
            {
                "id": f"action-{uuid.uuid4()}",
                "description": x.description,
                "ownerId": x.owner_id,
                "dueOn": x.due_on,
            }
            for x in review.new_actions
        ],
    }


async def record_review(
    graph: Graph,
    assessment_id: str,
    *,
    recorder: Recorder,
    claim: IdempotencyClaim | None,
    decide: Callable[[AssessmentContent | None], NewReview],
) -> AssessmentContent:
    """One review of progress: who came, progress per need, what changes, the next date.
    `decide` returns the review, its attendees named from the CAF under the lock."""
    return await _write(
        graph,
        recorder,
        claim,
        assessment_id,
        _REVIEW,
        lambda content: _review_params(decide(content)),
    )


# --- Re-opening, stepping up and down ---------------------------------------------------

_REOPEN: LiteralString = (
    """
MATCH (a:Assessment {id: $assessmentId})
SET a.status = 'OPEN', a.closedOn = null, a.closeReason = null, a.closeOutcome = null,
  a.closedBy = null, a.reopenedOn = $today
"""
    + _EVENT
)


async def reopen(
    graph: Graph,
    assessment_id: str,
    *,
    recorder: Recorder,
    claim: IdempotencyClaim | None,
    decide: Callable[[AssessmentContent | None], CourseEvent],
) -> AssessmentContent:
    """A CLOSED or transferred CAF is taken up again (CAF guide 4.2: back and forth)."""
    return await _write(
        graph,
        recorder,
        claim,
        assessment_id,
        _REOPEN,
        lambda content: {"event": decide(content).params()},
    )


_STEP_DOWN: LiteralString = (
    """
MATCH (a:Assessment {id: $assessmentId})
WITH a, a.socialWorkerId AS worker
SET a.socialCareSince = null, a.socialWorkerId = null, a.steppedDownOn = $today
WITH a, worker
CALL (a, worker) {
  WITH * WHERE $workerLeaves
  """
    + leave_team("(:Practitioner {id: worker})")
    + """}
"""
    + _EVENT
)


async def step_down(
    graph: Graph,
    assessment_id: str,
    *,
    worker_leaves: bool,
    recorder: Recorder,
    claim: IdempotencyClaim | None,
    decide: Callable[[AssessmentContent | None], CourseEvent],
) -> AssessmentContent:
    """The CAF comes back from social care: the mark is cleared (ICS guidance note 4.3)."""
    return await _write(
        graph,
        recorder,
        claim,
        assessment_id,
        _STEP_DOWN,
        lambda content: {"event": decide(content).params(), "workerLeaves": worker_leaves},
    )


# --- Writes that bring a practitioner in: step up, hand over, transfer ------------------


@dataclass(frozen=True)
class MemberFacts:
    """The CAF and the practitioner a write brings into it (None: no such practitioner)."""

    content: AssessmentContent
    member: PractitionerFact | None
    #: The local authority named by a transfer exists.
    area_known: bool = False


_MEMBER: LiteralString = (
    "OPTIONAL MATCH (p:Practitioner {id: $memberId})\n"
    "OPTIONAL MATCH (la:LocalAuthority {code: $localAuthority})\n"
    "RETURN CASE WHEN p IS NULL THEN null ELSE "
    + practitioner_projection("p")
    + " END AS p, la IS NOT NULL AS areaKnown"
)

_STEP_UP: LiteralString = (
    """
MATCH (a:Assessment {id: $assessmentId}), (p:Practitioner {id: $memberId})
SET a.socialCareSince = $today, a.socialWorkerId = p.id
"""
    + join_team("p")
    + _EVENT
)

_HAND_OVER: LiteralString = (
    """
MATCH (a:Assessment {id: $assessmentId}), (p:Practitioner {id: $memberId})
OPTIONAL MATCH (old:Practitioner)-[h:HOLDS]->(a)
DELETE h
WITH a, p, old
CREATE (p)-[:HOLDS]->(a)
"""
    + join_team("p")
    + """SET a.localAuthority = coalesce($localAuthority, a.localAuthority)
WITH a, old
CALL (a, old) {
  WITH * WHERE $outgoingLeaves AND old IS NOT NULL
  """
    + leave_team("(old)")
    + """}
"""
    + _EVENT
)


async def _with_member(
    graph: Graph,
    assessment_id: str,
    member_id: str,
    cypher: LiteralString,
    params: dict[str, Any],
    *,
    local_authority: str | None,
    recorder: Recorder,
    claim: IdempotencyClaim | None,
    decide: Callable[[MemberFacts | None], CourseEvent],
) -> AssessmentContent:
    async def write(tx: AsyncManagedTransaction) -> str:
        content = await locked_assessment(tx, recorder, assessment_id)
        if content is None:
            decide(None)
            raise AssertionError("decide must refuse a missing assessment")
        result = await tx.run(_MEMBER, memberId=member_id, localAuthority=local_authority)
        row = await result.single(strict=True)
        event = decide(MemberFacts(content, practitioner_from(row["p"]), bool(row["areaKnown"])))
        done = await tx.run(
            cypher,
            assessmentId=content.id,
            memberId=member_id,
            localAuthority=local_authority,
            now=recorder.now,
            today=recorder.now.date(),
            subject=recorder.subject,
            event=event.params(),
            **params,
        )
        await done.consume()
        return content.id

    return await write_once(graph, claim, write, lambda tx, aid: load_assessment(tx, recorder, aid))


async def step_up(
    graph: Graph,
    assessment_id: str,
    social_worker_id: str,
    *,
    recorder: Recorder,
    claim: IdempotencyClaim | None,
    decide: Callable[[MemberFacts | None], CourseEvent],
) -> AssessmentContent:
    """ICS guidance note 4.2: the CAF stays OPEN, marked as social care's, and the social
    worker joins the team around the child so that they can read it."""
    return await _with_member(
        graph,
        assessment_id,
        social_worker_id,
        _STEP_UP,
        {},
        local_authority=None,
        recorder=recorder,
        claim=claim,
        decide=decide,
    )


async def hand_over(
    graph: Graph,
    assessment_id: str,
    new_holder_id: str,
    *,
    outgoing_leaves: bool,
    to_local_authority: str | None = None,
    recorder: Recorder,
    claim: IdempotencyClaim | None,
    decide: Callable[[MemberFacts | None], CourseEvent],
) -> AssessmentContent:
    """A new holder, who joins the team; with `to_local_authority`, a transfer to the area
    the family moved to. Needs, actions, reviews and history stay on the same CAF."""
    return await _with_member(
        graph,
        assessment_id,
        new_holder_id,
        _HAND_OVER,
        {"outgoingLeaves": outgoing_leaves},
        local_authority=to_local_authority,
        recorder=recorder,
        claim=claim,
        decide=decide,
    )


transfer = hand_over


# --- The CAF form's own words (CAF guide 4.4, 4.8, 4.9, 4.11) ---------------------------


@dataclass(frozen=True)
class OutcomeCheck:
    outcome: str
    concern: str
    note: str | None


@dataclass(frozen=True)
class FormChange:
    """What a recordAssessmentForm call sets; None leaves a part as it is."""

    child_views: str | None = None
    parents_views: str | None = None
    assessor_agency: str | None = None
    checklist: tuple[OutcomeCheck, ...] = ()
    consent_statement: str | None = None
    consent_signed_by: str | None = None
    consent_signer_name: str | None = None
    consent_signed_on: date | None = None


_FORM: LiteralString = """
MATCH (a:Assessment {id: $assessmentId})
SET a.childViews = coalesce($childViews, a.childViews),
    a.parentsViews = coalesce($parentsViews, a.parentsViews),
    a.assessorAgency = coalesce($assessorAgency, a.assessorAgency),
    a.consentStatement = coalesce($consentStatement, a.consentStatement),
    a.consentSignedBy = coalesce($consentSignedBy, a.consentSignedBy),
    a.consentSignerName = coalesce($consentSignerName, a.consentSignerName),
    a.consentSignedOn = coalesce($consentSignedOn, a.consentSignedOn),
    a.formUpdatedAt = $now, a.formUpdatedBy = $subject
WITH a
CALL (a) {
  UNWIND $checklist AS x
  OPTIONAL MATCH (old:OutcomeCheck {outcome: x.outcome})-[:OF]->(a)
  DETACH DELETE old
  CREATE (:OutcomeCheck {outcome: x.outcome, concern: x.concern, note: x.note})-[:OF]->(a)
}
"""


async def record_form(
    graph: Graph,
    assessment_id: str,
    form: FormChange,
    *,
    recorder: Recorder,
    claim: IdempotencyClaim | None,
    decide: Callable[[AssessmentContent | None], None],
) -> AssessmentContent:
    def params(content: AssessmentContent | None) -> dict[str, Any]:
        decide(content)
        return {
            "childViews": form.child_views,
            "parentsViews": form.parents_views,
            "assessorAgency": form.assessor_agency,
            "consentStatement": form.consent_statement,
            "consentSignedBy": form.consent_signed_by,
            "consentSignerName": form.consent_signer_name,
            "consentSignedOn": form.consent_signed_on,
            "checklist": [
                {"outcome": c.outcome, "concern": c.concern, "note": c.note} for c in form.checklist
            ],
        }

    return await _write(graph, recorder, claim, assessment_id, _FORM, params)


# --- The team: the family in it, leaving it ---------------------------------------------

_ADD_FAMILY: LiteralString = (
    """
MATCH (a:Assessment {id: $assessmentId})-[:ABOUT]->(c:Child)
CALL (a, c) {
  WITH * WHERE $carerId IS NULL
  """
    + join_team("c")
    + """}
CALL (a, c) {
  MATCH (k:Carer {id: $carerId})-[:CARES_FOR]->(c)
  """
    + join_team("k")
    + """}
"""
    + _EVENT
)


async def add_family_member(
    graph: Graph,
    assessment_id: str,
    *,
    carer_id: str | None,
    recorder: Recorder,
    claim: IdempotencyClaim | None,
    decide: Callable[[AssessmentContent | None], CourseEvent],
) -> AssessmentContent:
    """The child (no carer id) or one of the child's carers joins the team (CAF guide 2.5,
    4.10). Only a carer who cares for this child is linked."""
    return await _write(
        graph,
        recorder,
        claim,
        assessment_id,
        _ADD_FAMILY,
        lambda content: {"event": decide(content).params(), "carerId": carer_id},
    )


_REMOVE: LiteralString = (
    """
MATCH (a:Assessment {id: $assessmentId})
CALL (a) {
  """
    + leave_team("(x:Practitioner|Carer|Child {id: $memberId})")
    + """}
"""
    + _EVENT
)


async def remove_team_member(
    graph: Graph,
    assessment_id: str,
    *,
    member_id: str,
    recorder: Recorder,
    claim: IdempotencyClaim | None,
    decide: Callable[[AssessmentContent | None], CourseEvent],
) -> AssessmentContent:
    """A member leaves the team (or is removed), with the reason in the CAF's history.
    The actions they owned stay on the plan as they were."""
    return await _write(
        graph,
        recorder,
        claim,
        assessment_id,
        _REMOVE,
        lambda content: {"event": decide(content).params(), "memberId": member_id},
    )
