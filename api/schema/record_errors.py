"""Record errors: a report that a child's index record is wrong, and the index team's
answer (reportRecordError, recordErrors, resolveRecordError)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from api.schema.enums import RecordErrorField, RecordErrorOutcome, RecordErrorStatus

__all__ = ["RecordError", "RecordErrorReceipt", "RecordErrorReporter"]


@strawberry.type(description="That your report reached the index team, and its reference.")
class RecordErrorReceipt:
    id: strawberry.ID
    status: RecordErrorStatus
    reported_at: datetime


@strawberry.type(description="The practitioner who reported the error, to ask for details.")
class RecordErrorReporter:
    practitioner_id: strawberry.ID | None
    name: str | None


@strawberry.type(
    description=(
        "A report that part of a child's index record is wrong, in the queue of the index "
        "team of the child's local authority (beside matchReviews)."
    )
)
class RecordError:
    id: strawberry.ID
    child_id: strawberry.ID = strawberry.field(
        description="The child reported on: read their record with Query.child."
    )
    field: RecordErrorField
    description: str
    status: RecordErrorStatus
    reported_at: datetime
    reporter: RecordErrorReporter | None = strawberry.field(
        description=(
            "Who reported it; null when no practitioner did (an index team member). A "
            "report made from a sensitive service R6 hides from you is not listed at all: "
            "its reporter, or a blank in their place, would say the child goes there."
        )
    )
    outcome: RecordErrorOutcome | None
    resolution: str | None = strawberry.field(description="The index team's note, if any.")
    resolved_at: datetime | None
    resolved_by: str | None = strawberry.field(description="The token subject who resolved it.")
