"""The common assessment (CAF) itself: needs, strengths, actions, team (R7, R8)."""

from __future__ import annotations

from datetime import date
from enum import Enum
from typing import Any

import strawberry
from strawberry.types import Info

from api.schema.assessment_form import (
    AssessmentForm,
    AssessmentReview,
    ClosureOutcome,
    CourseEvent,
    FamilyCopy,
    FamilyMember,
    NeedStatus,
)
from api.schema.child import Child, Practitioner
from api.schema.enums import AssessmentStatus


@strawberry.enum(description="The three domains of the CAF (CAF guide, Table 1).")
class AssessmentDomain(Enum):
    DEVELOPMENT_OF_CHILD = "DEVELOPMENT_OF_CHILD"
    PARENTS_AND_CARERS = "PARENTS_AND_CARERS"
    FAMILY_AND_ENVIRONMENT = "FAMILY_AND_ENVIRONMENT"


@strawberry.type(description="A need identified in one element of a CAF domain.")
class AssessmentNeed:
    domain: AssessmentDomain
    element: str = strawberry.field(description="The element of the domain, e.g. 'Health'.")
    summary: str
    id: strawberry.ID = strawberry.field(
        default=strawberry.ID(""), description="What a review's progress names (recordReview)."
    )
    status: NeedStatus = strawberry.field(
        default=NeedStatus.OPEN, description="MET once a review found the need met."
    )
    met_on: date | None = None


@strawberry.type(description="Something the team around the child agreed to do.")
class DeliveryAction:
    id: strawberry.ID
    description: str
    owner: Practitioner | None
    due_on: date | None
    done_on: date | None


@strawberry.type(
    description=(
        "The CAF itself. Visible only to its holder, to team members covered by an ACTIVE "
        "SHARE_ASSESSMENT consent, and under an access override (R7)."
    )
)
class Assessment:
    id: strawberry.ID
    status: AssessmentStatus
    started_on: date
    closed_on: date | None
    holder: Practitioner
    needs: list[AssessmentNeed]
    strengths: list[str]
    actions: list[DeliveryAction]
    team_around_the_child: list[Practitioner] = strawberry.field(
        description=(
            "The practitioners working together with the child and family (the holder "
            "first joins it). Each one was added with SHARE_ASSESSMENT consent (R8)."
        )
    )
    next_review_on: date | None = strawberry.field(
        description="When the team around the child next reviews progress (CAF guide 4.10)."
    )
    close_reason: str | None = strawberry.field(
        default=None, description="Why the CAF was closed or transferred; null while OPEN."
    )
    close_outcome: ClosureOutcome | None = strawberry.field(
        default=None, description="Why it ended, as counted in management information."
    )
    reviews: list[AssessmentReview] = strawberry.field(
        default_factory=list, description="Every review of progress, oldest first."
    )
    history: list[CourseEvent] = strawberry.field(
        default_factory=list,
        description=(
            "The CAF's course, oldest first: closed, re-opened, stepped up or down, handed "
            "over, transferred, team changes. Written once, never edited."
        ),
    )
    family_members: list[FamilyMember] = strawberry.field(
        default_factory=list,
        description="The child and parents/carers in the team around the child (CAF guide 2.5).",
    )
    form: AssessmentForm | None = strawberry.field(
        default=None, description="The CAF form's own words (views, assessor, checklist, consent)."
    )
    social_care_since: date | None = strawberry.field(
        default=None,
        description=(
            "Set while the CAF is stepped up to children's social care (ICS guidance note "
            "4.2): it stays OPEN, marked, with the social worker in the team."
        ),
    )
    social_worker: Practitioner | None = strawberry.field(
        default=None, description="The social worker who took the case while stepped up."
    )
    local_authority: str | None = strawberry.field(
        default=None,
        description="The area the CAF is held in: the child's, until transferAssessment.",
    )
    #: The facts it was shaped from (graph.assessments.AssessmentContent): R7 already let
    #: this viewer read them, and the family's copy is made from them.
    _content: strawberry.Private[Any] = None

    @strawberry.field(
        description=(
            "The copy of the CAF for the child and family (CAF guide 4.9), as a PDF written "
            "for a parent to read: their needs, strengths, plan, reviews and their own words. "
            "No one from a sensitive service is named in it (R6), whoever asks for it. Same "
            "R7 rule as the CAF itself; the request that fetches it is audited. Costly: ask "
            "for it alone, when the family is to be given it."
        )
    )
    async def family_copy(self, info: Info[Any, Any]) -> FamilyCopy | None:
        from api.resolvers.assessment_course import resolve_family_copy

        return await resolve_family_copy(info, self._content)


@strawberry.type(description="The elements of one CAF domain (CAF guide, Table 1).")
class AssessmentDomainElements:
    domain: AssessmentDomain
    elements: list[str] = strawberry.field(
        description="The element names addNeed accepts for this domain, as stored."
    )


@strawberry.input(description="A need in one element of a CAF domain (CAF guide Table 1).")
class NeedInput:
    domain: AssessmentDomain
    element: str = strawberry.field(
        description=(
            "An element of that domain, e.g. 'Health', 'Learning', 'Basic care', 'Housing' "
            "(see Query.assessmentElements). Matched ignoring case; stored by its name."
        )
    )
    summary: str = strawberry.field(description="What the need is, in plain words.")


@strawberry.input(description="A new CAF (R8).")
class StartAssessmentInput:
    child_id: strawberry.ID
    consent_ids: list[strawberry.ID] = strawberry.field(
        description=(
            "Consent records that must include an ACTIVE UNDERTAKE_ASSESSMENT and an ACTIVE "
            "STORE_ASSESSMENT grant for this child (R8): without them nothing is stored and "
            "the answer is CONSENT_REQUIRED."
        )
    )
    needs: list[NeedInput] | None = strawberry.field(default_factory=list)
    strengths: list[str] | None = strawberry.field(default_factory=list)


@strawberry.type
class AssessmentQuery:
    @strawberry.field(
        description=(
            "The three CAF domains and the elements of each (CAF guide Table 1): what "
            "NeedInput.element accepts. Static; needs no purpose and reads no child."
        )
    )
    def assessment_elements(self) -> list[AssessmentDomainElements]:
        from api.resolvers.assessment import resolve_assessment_elements

        return resolve_assessment_elements()


_HOLDER_ONLY = (
    " Only the CAF's holder may do this (FORBIDDEN otherwise), only while it is OPEN "
    "(BAD_USER_INPUT otherwise), and only while consent to undertake and store it is "
    "still active (CONSENT_REQUIRED otherwise, R8). One transaction; audited; send an "
    "Idempotency-Key to make retries safe."
)


@strawberry.type
class AssessmentMutation:
    @strawberry.mutation(
        description=(
            "Start and store a CAF for a child (R8): you become its holder and the first "
            "member of the team around the child, and the index shows at once that a CAF "
            "exists and who holds it (never its content). Needs a practitioner involved with "
            "the child or holding an override, and the consent ids of ACTIVE "
            "UNDERTAKE_ASSESSMENT and STORE_ASSESSMENT grants (CONSENT_REQUIRED otherwise; "
            "nothing is stored). A child has at most one OPEN CAF."
        )
    )
    async def start_assessment(
        self, info: Info[Any, Any], input: StartAssessmentInput
    ) -> Assessment:
        from api.resolvers.assessment import start_assessment

        return await start_assessment(info, input)

    @strawberry.mutation(
        description=(
            "Record a need in one element of one domain (CAF guide Table 1): BAD_USER_INPUT "
            "field need.element lists the valid elements when it is not one." + _HOLDER_ONLY
        )
    )
    async def add_need(
        self, info: Info[Any, Any], assessment_id: strawberry.ID, need: NeedInput
    ) -> Assessment:
        from api.resolvers.assessment import add_need

        return await add_need(info, str(assessment_id), need)

    @strawberry.mutation(
        description="Record a strength of the child or family (CAF guide 4.7)." + _HOLDER_ONLY
    )
    async def add_strength(
        self, info: Info[Any, Any], assessment_id: strawberry.ID, strength: str
    ) -> Assessment:
        from api.resolvers.assessment import add_strength

        return await add_strength(info, str(assessment_id), strength)

    @strawberry.mutation(
        description=(
            "Add an action the team agreed (the delivery plan, CAF guide 4.10). The owner, if "
            "given, must be in the team around the child." + _HOLDER_ONLY
        )
    )
    async def add_delivery_action(
        self,
        info: Info[Any, Any],
        assessment_id: strawberry.ID,
        description: str,
        owner_id: strawberry.ID | None = None,
        due_on: date | None = None,
    ) -> Assessment:
        from api.resolvers.assessment import add_delivery_action

        return await add_delivery_action(info, str(assessment_id), description, owner_id, due_on)

    @strawberry.mutation(
        description=(
            "Update a delivery action: mark it done (doneOn, not in the future), move its due "
            "date or reword it. Omitted arguments are left as they are; doneOn: null reopens "
            "it. The holder updates any action; a team member who may read the CAF (R7) "
            "updates the actions they own. Only while the CAF is OPEN and consent to store it "
            "is active (R8). Audited."
        )
    )
    async def update_delivery_action(
        self,
        info: Info[Any, Any],
        action_id: strawberry.ID,
        done_on: date | None = strawberry.UNSET,
        due_on: date | None = strawberry.UNSET,
        description: str | None = None,
    ) -> Assessment:
        from api.resolvers.assessment import update_delivery_action

        return await update_delivery_action(info, str(action_id), done_on, due_on, description)

    @strawberry.mutation(
        description=(
            "Add a practitioner to the team around the child. Needs an ACTIVE "
            "SHARE_ASSESSMENT consent covering this CAF and naming them or their service "
            "(CONSENT_REQUIRED otherwise, R8); from then on they may read it (R7) for as long "
            "as that consent stands. Adding a member twice changes nothing." + _HOLDER_ONLY
        )
    )
    async def add_team_member(
        self, info: Info[Any, Any], assessment_id: strawberry.ID, practitioner_id: strawberry.ID
    ) -> Assessment:
        from api.resolvers.assessment import add_team_member

        return await add_team_member(info, str(assessment_id), str(practitioner_id))

    @strawberry.mutation(
        description=(
            "Record the child's lead professional on the index (one at a time; it shows on "
            "the index view at once). By a practitioner involved with the child, the holder of "
            "their OPEN CAF, or one holding an override. The appointee must be working with "
            "the child: an active involvement or a place in the team around the child "
            "(BAD_USER_INPUT field practitionerId otherwise). Returns the child as you now see "
            "it. Audited."
        )
    )
    async def appoint_lead_professional(
        self, info: Info[Any, Any], child_id: strawberry.ID, practitioner_id: strawberry.ID
    ) -> Child:
        from api.resolvers.assessment import appoint_lead_professional

        return await appoint_lead_professional(info, str(child_id), str(practitioner_id))

    @strawberry.mutation(
        description=(
            "Set the date of the next review of progress (CAF guide 4.10): today or later."
            + _HOLDER_ONLY
        )
    )
    async def set_next_review(
        self, info: Info[Any, Any], assessment_id: strawberry.ID, next_review_on: date
    ) -> Assessment:
        from api.resolvers.assessment import set_next_review

        return await set_next_review(info, str(assessment_id), next_review_on)

    @strawberry.mutation(
        description=(
            "Close a CAF, with a reason: CLOSED when needs are met, TRANSFERRED_TO_SOCIAL_CARE "
            "when it supported a referral to children's social care ('stepping up'). The "
            "index shows the new status at once. Holder only, OPEN only; consent is not needed "
            "to close. `outcome` is what management information counts (NEEDS_MET, or "
            "TRANSFERRED_TO_SOCIAL_CARE, when omitted). Audited."
        )
    )
    async def close_assessment(
        self,
        info: Info[Any, Any],
        assessment_id: strawberry.ID,
        status: AssessmentStatus,
        reason: str,
        outcome: ClosureOutcome | None = None,
    ) -> Assessment:
        from api.resolvers.assessment import close_assessment

        return await close_assessment(info, str(assessment_id), status, reason, outcome)
