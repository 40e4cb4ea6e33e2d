"""The parts of a CAF beyond its needs and plan: reviews, history, the family in the team
and the form's own words (R7: shown only inside Assessment, to those who may read it)."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum

import strawberry

from api.schema.child import Practitioner


@strawberry.enum(description="How a review rated progress against one need.")
class ProgressRating(Enum):
    WORSE = "WORSE"
    NO_CHANGE = "NO_CHANGE"
    SOME_PROGRESS = "SOME_PROGRESS"
    GOOD_PROGRESS = "GOOD_PROGRESS"
    MET = strawberry.enum_value("MET", description="The need is met: it is marked MET.")


@strawberry.enum(description="Whether a need is still being worked on.")
class NeedStatus(Enum):
    OPEN = "OPEN"
    MET = "MET"


@strawberry.enum(description="Who came to a review.")
class AttendeeKind(Enum):
    CHILD = "CHILD"
    CARER = "CARER"
    PRACTITIONER = "PRACTITIONER"
    OTHER = strawberry.enum_value("OTHER", description="Someone else, named in words.")


@strawberry.enum(
    description=(
        "The five Every Child Matters outcomes the pre-assessment checklist goes through "
        "(CAF guide 4.8)."
    )
)
class Outcome(Enum):
    BE_HEALTHY = "BE_HEALTHY"
    STAY_SAFE = "STAY_SAFE"
    ENJOY_AND_ACHIEVE = "ENJOY_AND_ACHIEVE"
    MAKE_A_POSITIVE_CONTRIBUTION = "MAKE_A_POSITIVE_CONTRIBUTION"
    ACHIEVE_ECONOMIC_WELLBEING = "ACHIEVE_ECONOMIC_WELLBEING"


@strawberry.enum(description="The practitioner's answer for one outcome on the checklist.")
class OutcomeConcern(Enum):
    ON_TRACK = "ON_TRACK"
    SOME_DOUBT = strawberry.enum_value(
        "SOME_DOUBT", description="A doubt that the child will achieve this outcome."
    )
    NOT_KNOWN = "NOT_KNOWN"


@strawberry.enum(description="Who signed the consent statement on the CAF form (4.4, 4.11).")
class ConsentSigner(Enum):
    CHILD = "CHILD"
    PARENT_OR_CARER = "PARENT_OR_CARER"


@strawberry.enum(
    description=(
        "Why a CAF ended, for management information: counted by this, never by the "
        "free-text reason."
    )
)
class ClosureOutcome(Enum):
    NEEDS_MET = "NEEDS_MET"
    TRANSFERRED_TO_SOCIAL_CARE = "TRANSFERRED_TO_SOCIAL_CARE"
    MOVED_AWAY = "MOVED_AWAY"
    CONSENT_WITHDRAWN = "CONSENT_WITHDRAWN"
    NO_LONGER_ENGAGING = "NO_LONGER_ENGAGING"
    OTHER = "OTHER"


@strawberry.enum(description="A step in the CAF's course, as its history records it.")
class CourseEventKind(Enum):
    CLOSED = "CLOSED"
    REOPENED = "REOPENED"
    STEPPED_UP = strawberry.enum_value(
        "STEPPED_UP", description="Referred to children's social care; the CAF stays open."
    )
    STEPPED_DOWN = "STEPPED_DOWN"
    HANDED_OVER = "HANDED_OVER"
    TRANSFERRED = strawberry.enum_value(
        "TRANSFERRED", description="Handed to a holder in the area the family moved to."
    )
    JOINED_TEAM = "JOINED_TEAM"
    LEFT_TEAM = "LEFT_TEAM"
    REMOVED_FROM_TEAM = "REMOVED_FROM_TEAM"


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


@strawberry.enum(description="A family member in the team around the child.")
class FamilyMemberKind(Enum):
    CHILD = "CHILD"
    CARER = "CARER"


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
