"""The CAF's course: recordReview, reopen, step up and down, hand over, transfer, the
form's own words, the family in the team, leaving it; and the family's copy.

Thin like api/resolvers/assessment.py, whose checks these reuse: validate the input,
decide inside the write transaction on the CAF as it stands (policies.assessments for
who may, R8 for consent, policies.disclosure for what a practitioner brought in would
confirm), write, and answer through api.shaping under R7.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import strawberry
from strawberry.types import Info

from api.context import RequestContext
from api.errors import BadUserInput, ConsentRequired, Forbidden, NotFound
from api.resolvers import mutation
from api.resolvers.assessment import (
    ASSESSMENT_NOT_FOUND,
    _changed,
    _holder_decide,
    _id,
    _need,
    _practitioner_only,
    _require_open,
    _require_store_consent,
    _viewer,
    may_still_read,
    require_holder,
    require_there,
    shape_assessment,
)
from api.schema.assessment import Assessment
from api.schema.assessment_course import AssessmentFormInput, RecordReviewInput
from graph import assessment_course as course
from graph.assessments import AssessmentContent, NewAction
from graph.idempotency import IdempotencyConflict
from policies import assessments as assessment_policy
from policies import disclosure, visibility
from policies.facts import PractitionerFact
from policies.viewer import Viewer

__all__ = [
    "add_family_member",
    "hand_over_assessment",
    "leave_team",
    "record_assessment_form",
    "record_review",
    "remove_team_member",
    "reopen_assessment",
    "step_down_from_social_care",
    "step_up_to_social_care",
    "transfer_assessment",
]

_MAX_TEXT = 2000
_MAX_ITEMS = 50
NO_PRACTITIONER = "no practitioner with that id is visible to you"


def _reason(value: str, field: str = "reason") -> str:
    text = mutation.text(value, field, limit=_MAX_TEXT)
    assert text is not None
    return text


def _by(
    info: Info[Any, Any],
    ctx: RequestContext,
    operation: str,
    assessment_id: str,
    arguments: dict[str, Any],
) -> dict[str, Any]:
    """Who writes, and the Idempotency-Key claim on this operation and its arguments."""
    return {
        "recorder": mutation.recorder(ctx),
        "claim": mutation.claim(info, operation, {"assessmentId": assessment_id, **arguments}),
    }


def _start(info: Info[Any, Any], action: str, assessment_id: str) -> tuple[RequestContext, str]:
    ctx = mutation.begin(info, action)
    _practitioner_only(ctx, action)
    return ctx, _id(assessment_id, "assessmentId")


# --- recordReview ------------------------------------------------------------------------


async def record_review(
    info: Info[Any, Any], assessment_id: str, input: RecordReviewInput
) -> Assessment:
    ctx, assessment_id = _start(info, "recordReview", assessment_id)
    if len(input.attendees) > _MAX_ITEMS or len(input.progress or ()) > _MAX_ITEMS:
        raise BadUserInput(f"at most {_MAX_ITEMS} attendees and progress notes", field="input")
    new_needs = tuple(_need(n, f"input.newNeeds[{i}]") for i, n in enumerate(input.new_needs or ()))
    new_actions = tuple(
        NewAction(
            _reason(a.description, f"input.newActions[{i}].description"),
            _id(str(a.owner_id), f"input.newActions[{i}].ownerId") if a.owner_id else None,
            a.due_on,
        )
        for i, a in enumerate(input.new_actions or ())
    )
    progress = tuple(
        course.ReviewProgress(
            _id(str(p.need_id), f"input.progress[{i}].needId"),
            p.rating.value,
            mutation.text(p.note, f"input.progress[{i}].note", limit=_MAX_TEXT, required=False),
        )
        for i, p in enumerate(input.progress or ())
    )
    if len({p.need_id for p in progress}) != len(progress):
        raise BadUserInput("one progress note per need", field="input.progress")
    done = tuple(dict.fromkeys(_id(str(a), "input.actionsDone") for a in input.actions_done or ()))
    changes = mutation.text(input.changes, "input.changes", limit=_MAX_TEXT, required=False)
    if input.next_review_on is not None and input.next_review_on < ctx.today:
        raise BadUserInput("nextReviewOn must be today or later", field="input.nextReviewOn")
    attendees_in = [
        (
            a.kind.value,
            _id(str(a.id), f"input.attendees[{i}].id") if a.id else None,
            mutation.text(a.name, f"input.attendees[{i}].name", limit=200, required=False),
        )
        for i, a in enumerate(input.attendees)
    ]
    holder_checks = _holder_decide(ctx, "recordReview")

    def decide(content: AssessmentContent | None) -> course.NewReview:
        holder_checks(content)
        assert content is not None
        dated = assessment_policy.review_date(input.held_on, content.started_on, ctx.today)
        if not dated:
            raise BadUserInput(dated.reason, field="input.heldOn")
        need_ids = {n.id for n in content.needs}
        for i, p in enumerate(progress):
            if p.need_id not in need_ids:
                raise BadUserInput("not a need of this CAF", field=f"input.progress[{i}].needId")
        action_ids = {a.id for a in content.actions}
        if any(a not in action_ids for a in done):
            raise BadUserInput("not a delivery action of this CAF", field="input.actionsDone")
        members = {p.id for p in (content.holder, *content.team)}
        for i, x in enumerate(new_actions):
            if x.owner_id is not None and x.owner_id not in members:
                raise BadUserInput(
                    "the owner must be in the team around the child",
                    field=f"input.newActions[{i}].ownerId",
                )
        return course.NewReview(
            held_on=input.held_on,
            attendees=tuple(_attendees(content, attendees_in)),
            progress=progress,
            changes=changes,
            next_review_on=input.next_review_on,
            actions_done=done,
            new_needs=new_needs,
            new_actions=new_actions,
        )

    return await _changed(
        info,
        course.record_review(
            ctx.graph,
            assessment_id,
            **_by(info, ctx, "recordReview", assessment_id, {"input": input}),
            decide=decide,
        ),
    )


def _attendees(
    content: AssessmentContent, given: list[tuple[str, str | None, str | None]]
) -> list[course.ReviewAttendee]:
    """Who came, named from the CAF itself: the child, a carer or practitioner in the team,
    or someone else by name. An id outside the team is refused, never looked up."""
    members = {p.id: p.name for p in (content.holder, *content.team)}
    family = {f.id: f.name for f in content.family}
    child_name = f"{content.child.given_name} {content.child.family_name}".strip()
    out = []
    for i, (kind, ident, name) in enumerate(given):
        field = f"input.attendees[{i}]"
        if kind == "CHILD":
            out.append(course.ReviewAttendee("CHILD", content.child_id, child_name))
        elif kind == "PRACTITIONER":
            if ident not in members:
                raise BadUserInput("not in the team around the child", field=f"{field}.id")
            out.append(course.ReviewAttendee("PRACTITIONER", ident, members[ident]))
        elif kind == "CARER":
            if ident not in family:
                raise BadUserInput(
                    "a carer attends as a member of the team (addFamilyMember first) or as "
                    "OTHER with a name",
                    field=f"{field}.id",
                )
            out.append(course.ReviewAttendee("CARER", ident, family[ident]))
        else:
            if not name:
                raise BadUserInput("name who came", field=f"{field}.name")
            out.append(course.ReviewAttendee("OTHER", None, name))
    return out


# --- Re-opening, stepping up and down ---------------------------------------------------


async def reopen_assessment(info: Info[Any, Any], assessment_id: str, reason: str) -> Assessment:
    ctx, assessment_id = _start(info, "reopenAssessment", assessment_id)
    why = _reason(reason)
    ctx.audit.reason = why

    def decide(content: AssessmentContent | None) -> course.CourseEvent:
        viewer = require_holder(ctx, "reopenAssessment", content)
        assert content is not None
        if content.status == "OPEN":
            raise BadUserInput("the CAF is already OPEN", field="assessmentId")
        # R7: another OPEN CAF held from a sensitive service hidden from this viewer is
        # not there for them, as at startAssessment.
        if any(
            disclosure.decide(viewer, disclosure.AssessmentExists(o), content.child, ctx.now)
            for o in content.other_open
        ):
            raise BadUserInput(
                "this child already has another OPEN common assessment", field="assessmentId"
            )
        _require_store_consent(ctx, content)
        return course.CourseEvent("REOPENED", why)

    return await _changed(
        info,
        course.reopen(
            ctx.graph,
            assessment_id,
            **_by(info, ctx, "reopenAssessment", assessment_id, {"reason": why}),
            decide=decide,
        ),
    )


def _member_seen(
    ctx: RequestContext,
    viewer: Viewer,
    content: AssessmentContent,
    member: PractitionerFact | None,
    field: str,
) -> PractitionerFact:
    """The practitioner a write brings in, or the one answer for an unknown id and for one
    whose sensitive service R6 hides from the viewer (accepting them would confirm it)."""
    if member is None:
        raise BadUserInput(NO_PRACTITIONER, field=field)
    if member.service is not None and not visibility.sensitive_service_visible(
        viewer, content.child, member.service, ctx.today, ctx.now
    ):
        raise BadUserInput(NO_PRACTITIONER, field=field)
    return member


def _consent_to_share_with(
    ctx: RequestContext, content: AssessmentContent, member: PractitionerFact
) -> None:
    decision = assessment_policy.may_join_team(
        member.id,
        frozenset({member.service.id}) if member.service else frozenset(),
        content.access.consents,
        content.access.date_of_birth,
        ctx.today,
        content.id,
    )
    if not decision:
        raise ConsentRequired(
            "no active SHARE_ASSESSMENT consent covers this CAF and names this practitioner or "
            "their service (R8): record the child's or family's consent first"
        )


async def step_up_to_social_care(
    info: Info[Any, Any], assessment_id: str, social_worker_id: str, reason: str
) -> Assessment:
    ctx, assessment_id = _start(info, "stepUpToSocialCare", assessment_id)
    worker_id = _id(social_worker_id, "socialWorkerId")
    why = _reason(reason)
    ctx.audit.reason = why
    holder_checks = _holder_decide(ctx, "stepUpToSocialCare")

    def decide(facts: course.MemberFacts | None) -> course.CourseEvent:
        holder_checks(facts.content if facts else None)
        assert facts is not None
        content = facts.content
        if content.social_care_since is not None:
            raise BadUserInput("the CAF is already stepped up to social care", field="assessmentId")
        member = _member_seen(ctx, _viewer(ctx, content), content, facts.member, "socialWorkerId")
        if member.service is None or member.service.kind != "SOCIAL_CARE":
            raise BadUserInput(
                "a CAF is stepped up to a practitioner of children's social care",
                field="socialWorkerId",
            )
        _consent_to_share_with(ctx, content, member)
        return course.CourseEvent("STEPPED_UP", why, to_practitioner_id=member.id)

    return await _changed(
        info,
        course.step_up(
            ctx.graph,
            assessment_id,
            worker_id,
            **_by(
                info,
                ctx,
                "stepUpToSocialCare",
                assessment_id,
                {"socialWorkerId": worker_id, "reason": why},
            ),
            decide=decide,
        ),
    )


async def step_down_from_social_care(
    info: Info[Any, Any], assessment_id: str, reason: str, social_worker_leaves_team: bool
) -> Assessment:
    ctx, assessment_id = _start(info, "stepDownFromSocialCare", assessment_id)
    why = _reason(reason)
    ctx.audit.reason = why

    def decide(content: AssessmentContent | None) -> course.CourseEvent:
        viewer = require_there(ctx, "stepDownFromSocialCare", content)
        assert content is not None
        if not assessment_policy.may_read_assessment(viewer, content.access, ctx.now):
            ctx.audit.deny("stepDownFromSocialCare: R7")
            raise NotFound(ASSESSMENT_NOT_FOUND)
        worker = content.social_worker.id if content.social_worker else None
        allowed = assessment_policy.may_step_down(viewer, content.access, worker)
        if not allowed:
            ctx.audit.deny(f"stepDownFromSocialCare: {allowed.reason}")
            raise Forbidden(allowed.reason)
        _require_open(content, "assessmentId")
        if content.social_care_since is None:
            raise BadUserInput("the CAF is not stepped up to social care", field="assessmentId")
        return course.CourseEvent("STEPPED_DOWN", why, from_practitioner_id=worker)

    return await _changed(
        info,
        course.step_down(
            ctx.graph,
            assessment_id,
            worker_leaves=social_worker_leaves_team,
            **_by(
                info,
                ctx,
                "stepDownFromSocialCare",
                assessment_id,
                {"reason": why, "socialWorkerLeavesTeam": social_worker_leaves_team},
            ),
            decide=decide,
        ),
    )


# --- Handing over and transferring ------------------------------------------------------


def _handover_decide(
    ctx: RequestContext, action: str, to_local_authority: str | None, why: str
) -> Callable[[course.MemberFacts | None], course.CourseEvent]:
    def decide(facts: course.MemberFacts | None) -> course.CourseEvent:
        viewer = require_there(ctx, action, facts.content if facts else None)
        assert facts is not None
        content = facts.content
        reachable = bool(disclosure.available(content.holder, ctx.today))
        allowed = assessment_policy.may_hand_over(viewer, content.access, reachable, ctx.now)
        if not allowed:
            ctx.audit.deny(f"{action}: {allowed.reason}")
            if not assessment_policy.may_read_assessment(viewer, content.access, ctx.now):
                raise NotFound(ASSESSMENT_NOT_FOUND)
            raise Forbidden(allowed.reason)
        _require_open(content, "assessmentId")
        _require_store_consent(ctx, content)
        member = _member_seen(ctx, viewer, content, facts.member, "newHolderId")
        if member.id == content.holder.id:
            raise BadUserInput("they already hold this CAF", field="newHolderId")
        if not disclosure.available(member, ctx.today):
            raise BadUserInput(
                "the new holder has left or is unavailable (R17)", field="newHolderId"
            )
        if to_local_authority is not None:
            if not facts.area_known:
                raise BadUserInput("no local authority with that code", field="toLocalAuthority")
            if to_local_authority == content.local_authority:
                raise BadUserInput(
                    "the CAF is already held in that local authority", field="toLocalAuthority"
                )
            if member.service is None or member.service.local_authority != to_local_authority:
                raise BadUserInput(
                    "the new holder must work for a service in the area the family moved to",
                    field="newHolderId",
                )
        _consent_to_share_with(ctx, content, member)
        return course.CourseEvent(
            "TRANSFERRED" if to_local_authority else "HANDED_OVER",
            why,
            from_practitioner_id=content.holder.id,
            to_practitioner_id=member.id,
            from_local_authority=content.local_authority if to_local_authority else None,
            to_local_authority=to_local_authority,
        )

    return decide


async def hand_over_assessment(
    info: Info[Any, Any],
    assessment_id: str,
    new_holder_id: str,
    reason: str,
    outgoing_holder_leaves_team: bool,
) -> Assessment | None:
    ctx, assessment_id = _start(info, "handOverAssessment", assessment_id)
    new_holder = _id(new_holder_id, "newHolderId")
    why = _reason(reason)
    ctx.audit.reason = why
    return await _handed_on(
        info,
        course.hand_over(
            ctx.graph,
            assessment_id,
            new_holder,
            outgoing_leaves=outgoing_holder_leaves_team,
            **_by(
                info,
                ctx,
                "handOverAssessment",
                assessment_id,
                {
                    "newHolderId": new_holder,
                    "reason": why,
                    "outgoingHolderLeavesTeam": outgoing_holder_leaves_team,
                },
            ),
            decide=_handover_decide(ctx, "handOverAssessment", None, why),
        ),
    )


async def transfer_assessment(
    info: Info[Any, Any],
    assessment_id: str,
    to_local_authority: str,
    new_holder_id: str,
    reason: str,
) -> Assessment | None:
    ctx, assessment_id = _start(info, "transferAssessment", assessment_id)
    new_holder = _id(new_holder_id, "newHolderId")
    area = _id(to_local_authority, "toLocalAuthority").upper()
    why = _reason(reason)
    ctx.audit.reason = f"to {area}: {why}"
    return await _handed_on(
        info,
        course.hand_over(
            ctx.graph,
            assessment_id,
            new_holder,
            outgoing_leaves=True,
            to_local_authority=area,
            **_by(
                info,
                ctx,
                "transferAssessment",
                assessment_id,
                {"toLocalAuthority": area, "newHolderId": new_holder, "reason": why},
            ),
            decide=_handover_decide(ctx, "transferAssessment", area, why),
        ),
    )


async def _handed_on(info: Info[Any, Any], call: Any) -> Assessment | None:
    """After handing on, the former holder reads the CAF only if R7 still lets them (a
    team member covered by consent): otherwise the answer is null, the change made."""
    ctx: RequestContext = info.context
    content = await _done(info, call)
    if not may_still_read(ctx, content):
        ctx.audit.deny(f"Assessment:{content.id}")
        return None
    ctx.audit.disclose(f"Assessment:{content.id}")
    return shape_assessment(ctx, content)


async def _done(info: Info[Any, Any], call: Any) -> AssessmentContent:
    ctx: RequestContext = info.context
    try:
        content: AssessmentContent = await call
    except IdempotencyConflict as exc:
        raise mutation.conflict() from exc
    ctx.audit.child(content.child_id)
    return content


# --- The form's own words ---------------------------------------------------------------


async def record_assessment_form(
    info: Info[Any, Any], assessment_id: str, input: AssessmentFormInput
) -> Assessment:
    ctx, assessment_id = _start(info, "recordAssessmentForm", assessment_id)

    def words(value: str | None, field: str) -> str | None:
        return mutation.text(value, field, limit=_MAX_TEXT * 2, required=False)

    checklist = tuple(
        course.OutcomeCheck(
            c.outcome.value,
            c.concern.value,
            mutation.text(c.note, f"input.checklist[{i}].note", limit=_MAX_TEXT, required=False),
        )
        for i, c in enumerate(input.checklist or ())
    )
    if len({c.outcome for c in checklist}) != len(checklist):
        raise BadUserInput("one checklist line per outcome", field="input.checklist")
    statement = input.consent_statement
    form = course.FormChange(
        child_views=words(input.child_views, "input.childViews"),
        parents_views=words(input.parents_views, "input.parentsViews"),
        assessor_agency=mutation.text(
            input.assessor_agency, "input.assessorAgency", limit=200, required=False
        ),
        checklist=checklist,
        consent_statement=words(statement.text, "input.consentStatement.text")
        if statement
        else None,
        consent_signed_by=statement.signed_by.value if statement else None,
        consent_signer_name=mutation.text(
            statement.signer_name, "input.consentStatement.signerName", limit=200
        )
        if statement
        else None,
        consent_signed_on=statement.signed_on if statement else None,
    )
    if statement is not None and statement.signed_on > ctx.today:
        raise BadUserInput("signedOn cannot be in the future", field="input.consentStatement")

    holder_checks = _holder_decide(ctx, "recordAssessmentForm")

    def decide(content: AssessmentContent | None) -> None:
        holder_checks(content)
        assert content is not None
        if statement is not None and content.form.consent_statement is not None:
            raise BadUserInput(
                "the consent statement is recorded once, as signed; it is not changed",
                field="input.consentStatement",
            )

    return await _changed(
        info,
        course.record_form(
            ctx.graph,
            assessment_id,
            form,
            **_by(info, ctx, "recordAssessmentForm", assessment_id, {"input": input}),
            decide=decide,
        ),
    )


# --- The team: the family in it, leaving it ---------------------------------------------


async def add_family_member(
    info: Info[Any, Any], assessment_id: str, carer_id: str | None
) -> Assessment:
    ctx, assessment_id = _start(info, "addFamilyMember", assessment_id)
    carer = _id(carer_id, "carerId") if carer_id is not None else None
    holder_checks = _holder_decide(ctx, "addFamilyMember")

    def decide(content: AssessmentContent | None) -> course.CourseEvent:
        holder_checks(content)
        assert content is not None
        if carer is None:
            name = f"{content.child.given_name} {content.child.family_name}"
            return course.CourseEvent("JOINED_TEAM", member_id=content.child_id, member_name=name)
        known = dict(content.child_carers)
        if carer not in known:
            raise BadUserInput("not a carer of this child", field="carerId")
        return course.CourseEvent("JOINED_TEAM", member_id=carer, member_name=known[carer])

    return await _changed(
        info,
        course.add_family_member(
            ctx.graph,
            assessment_id,
            carer_id=carer,
            **_by(info, ctx, "addFamilyMember", assessment_id, {"carerId": carer}),
            decide=decide,
        ),
    )


async def leave_team(info: Info[Any, Any], assessment_id: str, reason: str) -> bool:
    ctx, assessment_id = _start(info, "leaveTeam", assessment_id)
    why = _reason(reason)
    me = ctx.viewer.practitioner_id
    assert me is not None

    def decide(content: AssessmentContent | None) -> course.CourseEvent:
        # R7: a CAF held from a sensitive service hidden from them is not there to leave.
        viewer = require_there(ctx, "leaveTeam", content)
        assert content is not None
        if me not in content.access.team_ids:
            # R7: not in its team, the CAF is not there for them to leave.
            ctx.audit.deny(f"leaveTeam: Assessment:{content.id}")
            raise NotFound(ASSESSMENT_NOT_FOUND)
        allowed = assessment_policy.may_leave_team(viewer, content.access)
        if not allowed:
            raise BadUserInput(allowed.reason, field="assessmentId")
        if content.social_worker is not None and content.social_worker.id == me:
            raise BadUserInput("step the CAF down from social care first", field="assessmentId")
        name = next(p.name for p in content.team if p.id == me)
        return course.CourseEvent("LEFT_TEAM", why, member_id=me, member_name=name)

    await _done(
        info,
        course.remove_team_member(
            ctx.graph,
            assessment_id,
            member_id=me,
            **_by(info, ctx, "leaveTeam", assessment_id, {"reason": why}),
            decide=decide,
        ),
    )
    return True


async def remove_team_member(
    info: Info[Any, Any], assessment_id: str, member_id: str, reason: str
) -> Assessment:
    ctx, assessment_id = _start(info, "removeTeamMember", assessment_id)
    member = _id(member_id, "memberId")
    why = _reason(reason)
    # Removing someone stores nothing new: it needs the holder, not consent (R8).
    holder_checks = _holder_decide(ctx, "removeTeamMember", store=False)

    def decide(content: AssessmentContent | None) -> course.CourseEvent:
        holder_checks(content)
        assert content is not None
        if member == content.holder.id:
            raise BadUserInput("the holder hands the CAF over instead", field="memberId")
        if content.social_worker is not None and member == content.social_worker.id:
            raise BadUserInput("step the CAF down from social care first", field="memberId")
        names = {p.id: p.name for p in content.team} | {f.id: f.name for f in content.family}
        if member not in names:
            raise BadUserInput("not in the team around the child", field="memberId")
        return course.CourseEvent(
            "REMOVED_FROM_TEAM", why, member_id=member, member_name=names[member]
        )

    return await _changed(
        info,
        course.remove_team_member(
            ctx.graph,
            assessment_id,
            member_id=member,
            **_by(
                info, ctx, "removeTeamMember", assessment_id, {"memberId": member, "reason": why}
            ),
            decide=decide,
        ),
    )


# --- The family's copy -------------------------------------------------------------------


_HOLDER = (
    " Only the CAF's holder (FORBIDDEN otherwise), only while it is OPEN (BAD_USER_INPUT "
    "otherwise), and only while consent to undertake and store it is active "
    "(CONSENT_REQUIRED otherwise, R8). One transaction; audited; send an Idempotency-Key "
    "to make retries safe."
)


# --- Root fields: what this domain adds to Query and Mutation --------------------


@strawberry.type
class AssessmentCourseMutation:
    @strawberry.mutation(
        description=(
            "Record a review of progress: who came, progress against each need (MET closes "
            "a need), actions found done, new needs and actions, what changes, and the next "
            "review date. Kept in Assessment.reviews." + _HOLDER
        )
    )
    async def record_review(
        self, info: Info[Any, Any], assessment_id: strawberry.ID, input: RecordReviewInput
    ) -> Assessment:
        return await record_review(info, str(assessment_id), input)

    @strawberry.mutation(
        description=(
            "Re-open a CLOSED or TRANSFERRED_TO_SOCIAL_CARE CAF (CAF guide 4.2: the process "
            "moves backwards and forwards). Its holder only; not while the child has another "
            "OPEN CAF; consent to store it must still be active (R8). Audited."
        )
    )
    async def reopen_assessment(
        self, info: Info[Any, Any], assessment_id: strawberry.ID, reason: str
    ) -> Assessment:
        return await reopen_assessment(info, str(assessment_id), reason)

    @strawberry.mutation(
        description=(
            "Step up to children's social care (ICS guidance note 4.2): the CAF stays OPEN, "
            "marked (socialCareSince), and the social worker joins the team around the child. "
            "They must work for a SOCIAL_CARE service and be covered by an ACTIVE "
            "SHARE_ASSESSMENT consent for this CAF (CONSENT_REQUIRED otherwise, R8). To end "
            "the CAF instead, closeAssessment with TRANSFERRED_TO_SOCIAL_CARE." + _HOLDER
        )
    )
    async def step_up_to_social_care(
        self,
        info: Info[Any, Any],
        assessment_id: strawberry.ID,
        social_worker_id: strawberry.ID,
        reason: str,
    ) -> Assessment:
        return await step_up_to_social_care(info, str(assessment_id), str(social_worker_id), reason)

    @strawberry.mutation(
        description=(
            "Step down from social care (ICS guidance note 4.3): the mark is cleared and the "
            "CAF carries on meeting outstanding needs. By the holder or the social worker; the "
            "social worker stays in the team unless socialWorkerLeavesTeam. Audited."
        )
    )
    async def step_down_from_social_care(
        self,
        info: Info[Any, Any],
        assessment_id: strawberry.ID,
        reason: str,
        social_worker_leaves_team: bool = False,
    ) -> Assessment:
        return await step_down_from_social_care(
            info, str(assessment_id), reason, social_worker_leaves_team
        )

    @strawberry.mutation(
        description=(
            "Hand the holder role to another practitioner, who joins the team. The new holder "
            "must be covered by an ACTIVE SHARE_ASSESSMENT consent for this CAF "
            "(CONSENT_REQUIRED otherwise, R8) and be available (R17). By the holder; when the "
            "holder has left or is unavailable (R17), by a team member who may read the CAF. "
            "The index shows the new holder at once. Returns the CAF, or null when you may no "
            "longer read it. Audited."
        )
    )
    async def hand_over_assessment(
        self,
        info: Info[Any, Any],
        assessment_id: strawberry.ID,
        new_holder_id: strawberry.ID,
        reason: str,
        outgoing_holder_leaves_team: bool = False,
    ) -> Assessment | None:
        return await hand_over_assessment(
            info, str(assessment_id), str(new_holder_id), reason, outgoing_holder_leaves_team
        )

    @strawberry.mutation(
        description=(
            "Transfer the CAF to the local authority the family moved to: a holder who works "
            "for a service there, covered by SHARE_ASSESSMENT consent (R8), takes it on; the "
            "outgoing holder leaves the team. Needs, actions, reviews and history are kept "
            "on the same CAF. Same rules as handOverAssessment. Audited."
        )
    )
    async def transfer_assessment(
        self,
        info: Info[Any, Any],
        assessment_id: strawberry.ID,
        to_local_authority: str,
        new_holder_id: strawberry.ID,
        reason: str,
    ) -> Assessment | None:
        return await transfer_assessment(
            info, str(assessment_id), to_local_authority, str(new_holder_id), reason
        )

    @strawberry.mutation(
        description=(
            "Record the CAF form's own words: the child's and parents'/carers' views, the "
            "assessor's agency, the pre-assessment checklist, the consent statement as "
            "signed (once)." + _HOLDER
        )
    )
    async def record_assessment_form(
        self, info: Info[Any, Any], assessment_id: strawberry.ID, input: AssessmentFormInput
    ) -> Assessment:
        return await record_assessment_form(info, str(assessment_id), input)

    @strawberry.mutation(
        description=(
            "Bring the child (no carerId) or one of the child's carers into the team around "
            "the child (CAF guide 2.5, 4.10). They are named on the CAF and the family's copy; "
            "they do not sign in." + _HOLDER
        )
    )
    async def add_family_member(
        self,
        info: Info[Any, Any],
        assessment_id: strawberry.ID,
        carer_id: strawberry.ID | None = None,
    ) -> Assessment:
        return await add_family_member(
            info, str(assessment_id), str(carer_id) if carer_id is not None else None
        )

    @strawberry.mutation(
        description=(
            "Leave the team around the child, with a reason kept in the CAF's history. The "
            "holder hands over first. From then on you no longer read the CAF (R7). Audited."
        )
    )
    async def leave_team(
        self, info: Info[Any, Any], assessment_id: strawberry.ID, reason: str
    ) -> bool:
        return await leave_team(info, str(assessment_id), reason)

    @strawberry.mutation(
        description=(
            "Remove a practitioner, carer or the child from the team around the child, with "
            "a reason kept in the CAF's history. The actions they owned stay on the plan. "
            "Holder only, OPEN only; consent is not needed to remove. Audited."
        )
    )
    async def remove_team_member(
        self,
        info: Info[Any, Any],
        assessment_id: strawberry.ID,
        member_id: strawberry.ID,
        reason: str,
    ) -> Assessment:
        return await remove_team_member(info, str(assessment_id), str(member_id), reason)
