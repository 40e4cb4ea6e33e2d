"""Reading across CAFs: overdue reviews, decisions to share or not, and CAF management
information for analysts (R11)."""

from __future__ import annotations

from datetime import date
from typing import Any

import strawberry
from strawberry.types import Info

from api.schema.assessment_form import ClosureOutcome
from api.schema.child import Practitioner
from api.schema.overrides import SharingDecision


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


@strawberry.type
class CafReportQuery:
    @strawberry.field(
        description=(
            "OPEN CAFs in a local authority whose next review date has passed, oldest first "
            "(CAF guide 2.7: reviews are regular). INDEX_ADMIN sees those of their own local "
            "authority; a practitioner sees those of the CAFs they hold and of the children "
            "they are lead professional for. Shown under R4 and R7 like the index view "
            "(a CAF whose holder R6 hides from you is not listed). At most 500 children. "
            "Needs X-Purpose; audited with every child listed."
        )
    )
    async def overdue_reviews(
        self, info: Info[Any, Any], local_authority: str
    ) -> list[OverdueReview]:
        from api.resolvers.caf_reports import resolve_overdue_reviews

        return await resolve_overdue_reviews(info, local_authority)

    @strawberry.field(
        description=(
            "The decisions recorded about a child to share information or not (CAF guide "
            "4.24), newest first. For the child's lead professional, the team around the "
            "child who may read its CAF (R7), and a SAFEGUARDING_LEAD of the child's local "
            "authority (FORBIDDEN otherwise). A decision recorded from a sensitive service R6 "
            "hides from you is left out; for a shielded child, only as R4 allows. Needs "
            "X-Purpose; audited."
        )
    )
    async def sharing_decisions(
        self, info: Info[Any, Any], child_id: strawberry.ID
    ) -> list[SharingDecision]:
        from api.resolvers.caf_reports import resolve_sharing_decisions

        return await resolve_sharing_decisions(info, str(child_id))

    @strawberry.field(
        description=(
            "CAF management information per local authority (R11): open now, opened and "
            "closed per month over the last 12 months, median and long (over six months) "
            "duration, overdue reviews, closures by outcome. ANALYST only; no child is read."
        )
    )
    async def caf_figures(self, info: Info[Any, Any]) -> CafFigures:
        from api.resolvers.caf_reports import resolve_caf_figures

        return await resolve_caf_figures(info)
