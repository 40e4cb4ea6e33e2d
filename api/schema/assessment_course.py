"""The CAF's course after it starts: reviews, re-opening, stepping up and down, handing over,
transfer, the form's own words and the family in the team (R7, R8)."""

from __future__ import annotations

from datetime import date
from typing import Any

import strawberry
from strawberry.types import Info

from api.schema.assessment import Assessment, NeedInput
from api.schema.assessment_form import (
    AttendeeKind,
    ConsentSigner,
    Outcome,
    OutcomeConcern,
    ProgressRating,
)

_HOLDER = (
    " Only the CAF's holder (FORBIDDEN otherwise), only while it is OPEN (BAD_USER_INPUT "
    "otherwise), and only while consent to undertake and store it is active "
    "(CONSENT_REQUIRED otherwise, R8). One transaction; audited; send an Idempotency-Key "
    "to make retries safe."
)


@strawberry.input(
    description=(
        "Someone at a review: the child, a carer or practitioner in the team, or someone "
        "else by name."
    )
)
class ReviewAttendeeInput:
    kind: AttendeeKind
    id: strawberry.ID | None = strawberry.field(
        default=None,
        description=(
            "For PRACTITIONER and CARER: their id, who must be in the team around the child "
            "(the name is taken from the team). Not needed for CHILD or OTHER."
        ),
    )
    name: str | None = strawberry.field(default=None, description="For OTHER: who came.")


@strawberry.input(description="Progress against one need of the CAF.")
class NeedProgressInput:
    need_id: strawberry.ID = strawberry.field(description="AssessmentNeed.id")
    rating: ProgressRating
    note: str | None = None


@strawberry.input(description="A new action agreed at a review.")
class ReviewActionInput:
    description: str
    owner_id: strawberry.ID | None = strawberry.field(
        default=None, description="Must be in the team around the child."
    )
    due_on: date | None = None


@strawberry.input(
    description=("One review of progress (CAF guide 2.7, 4.10: the delivery plan and review form).")
)
class RecordReviewInput:
    held_on: date = strawberry.field(
        description="When the review was held: not in the future, not before the CAF started."
    )
    attendees: list[ReviewAttendeeInput]
    progress: list[NeedProgressInput] | None = strawberry.field(
        default_factory=list,
        description="Progress per need; MET marks the need met, any other rating keeps it OPEN.",
    )
    changes: str | None = strawberry.field(
        default=None, description="What the team agreed to change, in words."
    )
    actions_done: list[strawberry.ID] | None = strawberry.field(
        default_factory=list, description="Delivery actions found done (doneOn = heldOn)."
    )
    new_needs: list[NeedInput] | None = strawberry.field(
        default_factory=list, description="Needs the review identified."
    )
    new_actions: list[ReviewActionInput] | None = strawberry.field(default_factory=list)
    next_review_on: date | None = strawberry.field(
        default=None,
        description="The next review (today or later); it sets Assessment.nextReviewOn.",
    )


@strawberry.input(description="One line of the pre-assessment checklist (CAF guide 4.8).")
class OutcomeCheckInput:
    outcome: Outcome
    concern: OutcomeConcern
    note: str | None = None


@strawberry.input(
    description=(
        "The consent statement on the CAF form, as signed (CAF guide 4.4, 4.11). Recorded "
        "once; never changed. It is the form's record: consent itself is ConsentGrant (R8)."
    )
)
class ConsentStatementInput:
    text: str = strawberry.field(description="The statement exactly as it was signed.")
    signed_by: ConsentSigner
    signer_name: str
    signed_on: date


@strawberry.input(
    description=(
        "The CAF form's own words. Omitted parts are left as they are; a checklist line "
        "replaces the line for the same outcome."
    )
)
class AssessmentFormInput:
    child_views: str | None = strawberry.field(
        default=None, description="The child's or young person's views, in their words."
    )
    parents_views: str | None = strawberry.field(
        default=None, description="The parents' or carers' views, in their words."
    )
    assessor_agency: str | None = strawberry.field(
        default=None,
        description=(
            "The assessor's agency as it should read on the form (their service by default)."
        ),
    )
    checklist: list[OutcomeCheckInput] | None = strawberry.field(default_factory=list)
    consent_statement: ConsentStatementInput | None = None


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
        from api.resolvers.assessment_course import record_review

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
        from api.resolvers.assessment_course import reopen_assessment

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
        from api.resolvers.assessment_course import step_up_to_social_care

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
        from api.resolvers.assessment_course import step_down_from_social_care

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
        from api.resolvers.assessment_course import hand_over_assessment

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
        from api.resolvers.assessment_course import transfer_assessment

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
        from api.resolvers.assessment_course import record_assessment_form

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
        from api.resolvers.assessment_course import add_family_member

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
        from api.resolvers.assessment_course import leave_team

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
        from api.resolvers.assessment_course import remove_team_member

        return await remove_team_member(info, str(assessment_id), str(member_id), reason)
