"""Reading across CAFs: overdue reviews, decisions to share or not, and CAF management
information for analysts (R11)."""

from __future__ import annotations

from datetime import date

import strawberry

from api.schema.assessment_form import ClosureOutcome
from api.schema.child import Practitioner


@strawberry.type(
    description=(
        "An OPEN CAF whose next review date has passed. The child is named by id only: "
        "look them up with `child` (audited, with your purpose) to act on it."
    )
)
class OverdueReview:
    assessment_id: strawberry.ID
    child_id: strawberry.ID
    next_review_on: date
    days_overdue: int
    holder: Practitioner


@strawberry.type(description="A count of CAFs; null with suppressed true when 1 to 4 (R11).")
class CafCount:
    count: int | None
    suppressed: bool


@strawberry.type(description="CAFs in one calendar month (YYYY-MM); suppressed as CafCount.")
class CafMonthCount:
    month: str
    count: int | None
    suppressed: bool


@strawberry.type(description="CAFs that ended with one outcome; suppressed as CafCount.")
class CafOutcomeCount:
    outcome: ClosureOutcome
    count: int | None
    suppressed: bool


@strawberry.type(
    description=(
        "One local authority's CAF figures (by the area a CAF is held in). Counts of 1 to "
        "4 are suppressed, and one more count in a line where only one would be, so none "
        "can be worked out by subtraction (R11). No child, practitioner or CAF is named."
    )
)
class CafAreaFigures:
    local_authority: str
    open_now: CafCount
    long_running: CafCount = strawberry.field(description="OPEN for more than six months.")
    overdue_reviews: CafCount = strawberry.field(description="OPEN, next review date passed.")
    opened_per_month: list[CafMonthCount]
    closed_per_month: list[CafMonthCount]
    median_days_to_close: float | None = strawberry.field(
        description=(
            "Median days from start to close of the CAFs closed in the window; null when "
            "none closed or, with medianSuppressed, when fewer than five did."
        )
    )
    median_suppressed: bool
    closures_by_outcome: list[CafOutcomeCount] = strawberry.field(
        description="Every CAF that has ended, by ClosureOutcome (all time)."
    )


@strawberry.type(description="CAF management information (R11): ANALYST only.")
class CafFigures:
    as_of: date
    since: date = strawberry.field(description="First day of the monthly window (12 months).")
    areas: list[CafAreaFigures]
