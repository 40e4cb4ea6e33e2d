"""The common assessment (CAF) itself: needs, strengths, actions, team (R7, R8)."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
from datetime import date
from typing import TYPE_CHECKING, Any

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
from api.schema.child import Practitioner
from api.schema.enums import AssessmentDomain, AssessmentStatus
from policies import disclosure

if TYPE_CHECKING:
    from api.context import RequestContext
    from graph.assessments import AssessmentContent


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
        # Resolves beside its type, as Child.assessment does, so that the schema never
        # imports api/resolvers; the PDF writer is loaded only when a copy is asked for.
        from api.family_copy import family_copy_pdf

        ctx: RequestContext = info.context
        if self._content is None:
            return None
        facts: AssessmentContent = self._content
        viewer = dataclasses.replace(ctx.viewer, service_ids=facts.viewer_service_ids)
        # The Assessment it hangs on was shaped only because R7 allowed it; asked again so
        # the audit names the copy itself.
        decision = disclosure.decide(
            viewer, disclosure.AssessmentContent(facts.access), facts.child, ctx.now
        )
        if not decision:
            ctx.audit.deny(f"Assessment:{facts.id}.familyCopy")
            return None
        pdf = family_copy_pdf(facts, ctx.today)
        ctx.audit.disclose(f"Assessment:{facts.id}.familyCopy")
        return FamilyCopy(
            filename=f"caf-{facts.id}.pdf",
            content_type="application/pdf",
            size_bytes=len(pdf),
            sha256=hashlib.sha256(pdf).hexdigest(),
            base64=base64.b64encode(pdf).decode("ascii"),
        )


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
