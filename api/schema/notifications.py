"""The inbox and the subscription's item: what a practitioner or team is told (issue 20)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from api.schema.enums import NotificationKind
from api.schema.pagination import Connection

__all__ = ["MarkReadResult", "Notification", "NotificationChild", "NotificationConnection"]


@strawberry.type(description="The child a notification is about: the core record only (R3).")
class NotificationChild:
    id: strawberry.ID
    given_name: str
    family_name: str


@strawberry.type(
    description=(
        "Something that changed about a child you work with (or, for a safeguarding lead or "
        "index team, in your local authority), shaped for you by the same rules as a read, "
        "at the moment it is delivered: what you may not see is not announced at all."
    )
)
class Notification:
    id: strawberry.ID
    kind: NotificationKind
    occurred_at: datetime = strawberry.field(description="When the change was committed.")
    created_at: datetime = strawberry.field(description="When you were notified.")
    read_at: datetime | None = strawberry.field(
        description="When you (or your team, for a team's mailbox) marked it read."
    )
    summary: str = strawberry.field(description="One sentence for people.")
    child: NotificationChild | None
    payload: str = strawberry.field(
        description=(
            "The whole notification as a JSON object, exactly what a webhook receives: "
            "`kind`, `child`, `summary` and the kind's own keys (`involvement`, "
            "`assessment`, `consent`, `practitioner`, `overrideId`, `reviewId`, `alertId`)."
        )
    )


NotificationConnection = Connection[Notification]


@strawberry.type(description="What markNotificationsRead did.")
class MarkReadResult:
    ids: list[strawberry.ID] = strawberry.field(
        description="The ids now marked read: yours only (ids that are not yours are ignored)."
    )
