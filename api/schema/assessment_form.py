"""The parts of a CAF beyond its needs and plan: reviews, history, the family in the team
and the form's own words (R7: shown only inside Assessment, to those who may read it)."""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from api.schema.child import Practitioner
from api.schema.enums import (
    AttendeeKind,
    ClosureOutcome,
    ConsentSigner,
    CourseEventKind,
    FamilyMemberKind,
    NeedStatus,
    Outcome,
    OutcomeConcern,
    ProgressRating,
)

# The enums live in policies/vocabulary.py (wrapped in api/schema/enums.py); imported here
# for the types below and for the modules that import them from here.
__all__ = [
    "AssessmentForm",
    "AssessmentReview",
    "AttendeeKind",
    "ClosureOutcome",
    "ConsentSigner",
    "CourseEvent",
    "CourseEventKind",
    "FamilyMember",
    "FamilyMemberKind",
    "NeedProgress",
    "NeedStatus",
    "Outcome",
    "OutcomeCheck",
    "OutcomeConcern",
    "ProgressRating",
    "ReviewAttendee",
]


@strawberry.type(description="Someone at a review.")
class ReviewAttendee:
    kind: AttendeeKind
    id: strawberry.ID | None = strawberry.field(
        description="The practitioner's, carer's or child's id; null for OTHER."
    )
    name: str


@strawberry.type(description="Progress against one need at a review.")
class NeedProgress:
    need_id: strawberry.ID
    rating: ProgressRating
    note: str | None


@strawberry.type(
    description=(
        "One review of progress by the team around the child (CAF guide 2.7, 4.10): who "
        "came, progress against each need, what changed, and the next review date."
    )
)
class AssessmentReview:
    id: strawberry.ID
    held_on: date
    attendees: list[ReviewAttendee]
    progress: list[NeedProgress]
    changes: str | None = strawberry.field(description="What the team agreed to change.")
    next_review_on: date | None
    actions_done: list[strawberry.ID] = strawberry.field(
        description="Delivery actions the review found done."
    )
    needs_added: list[strawberry.ID] = strawberry.field(description="Needs the review added.")
    actions_added: list[strawberry.ID] = strawberry.field(
        description="Delivery actions the review added."
    )


@strawberry.type(
    description=(
        "A step in the CAF's course, written once and never edited: with the reviews, the "
        "CAF's history. Practitioners are named by id; look them up in the team or holder."
    )
)
class CourseEvent:
    id: strawberry.ID
    kind: CourseEventKind
    on: date
    reason: str | None
    from_practitioner_id: strawberry.ID | None
    to_practitioner_id: strawberry.ID | None
    from_local_authority: str | None
    to_local_authority: str | None
    member_id: strawberry.ID | None = strawberry.field(
        description="Who joined, left or was removed from the team."
    )
    member_name: str | None
    recorded_at: datetime | None


@strawberry.type(
    description=(
        "The child or a parent/carer in the team around the child (CAF guide 2.5, 4.10: "
        "they are part of it). They do not sign in; they are named here and on the family's "
        "copy."
    )
)
class FamilyMember:
    kind: FamilyMemberKind
    id: strawberry.ID
    name: str
    relationship: str | None = strawberry.field(description="A carer's relationship to the child.")
    since: date | None


@strawberry.type(description="One line of the pre-assessment checklist (CAF guide 4.8).")
class OutcomeCheck:
    outcome: Outcome
    concern: OutcomeConcern
    note: str | None


@strawberry.type(
    description=(
        "The CAF form's own words (CAF guide 4.4, 4.9): the child's and the parents' or "
        "carers' views in their words, who assessed and for which agency, the pre-assessment "
        "checklist, and the consent statement exactly as it was recorded."
    )
)
class AssessmentForm:
    child_views: str | None
    parents_views: str | None
    assessor: Practitioner | None = strawberry.field(
        description="The practitioner who undertook the assessment (contact under R4, R17)."
    )
    assessor_name: str | None = strawberry.field(description="As on the form when it was made.")
    assessor_job_title: str | None
    assessor_agency: str | None
    checklist: list[OutcomeCheck]
    consent_statement: str | None = strawberry.field(
        description="The consent statement as recorded; recorded once, never changed."
    )
    consent_signed_by: ConsentSigner | None
    consent_signer_name: str | None
    consent_signed_on: date | None


@strawberry.type(
    description=(
        "The family's copy of the CAF as a PDF (CAF guide 4.9), in the response itself: "
        "base64, so it travels with the same token, purpose and audit as the request that "
        "asked for it, with no link that could outlive them."
    )
)
class FamilyCopy:
    filename: str
    content_type: str
    size_bytes: int
    sha256: str
    base64: str
