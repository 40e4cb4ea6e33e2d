"""The CAF's course after it starts: reviews, re-opening, stepping up and down, handing over,
transfer, the form's own words and the family in the team (R7, R8)."""

from __future__ import annotations

from datetime import date

import strawberry

from api.schema.assessment import NeedInput
from api.schema.assessment_form import (
    AttendeeKind,
    ConsentSigner,
    Outcome,
    OutcomeConcern,
    ProgressRating,
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
