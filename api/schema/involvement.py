"""Inputs of a practitioner's own record on the index (CAF guide 2.15)."""

from __future__ import annotations

from datetime import date

import strawberry

__all__ = ["EndOwnInvolvementInput", "RecordOwnInvolvementInput"]


@strawberry.input(
    description=(
        "That you, or your team (forTeam: your service, no named practitioner), now work "
        "with the child: for practitioners whose own system does not feed the index."
    )
)
class RecordOwnInvolvementInput:
    child_id: strawberry.ID
    purpose: str = strawberry.field(
        description=(
            "Why you are working with the child, in a few words (at most 500 characters). "
            "Kept with the involvement and in the audit event; not shown on the index, "
            "which holds no case records."
        )
    )
    for_team: bool = strawberry.field(
        default=False, description="Record your service's involvement rather than your own."
    )
    started_on: date | None = strawberry.field(
        default=None, description="When it started; today if omitted. Never in the future."
    )
    is_lead_professional: bool = strawberry.field(
        default=False,
        description=(
            "You are also the child's lead professional (replacing whoever led). Not with "
            "forTeam: a lead professional is a person."
        ),
    )


@strawberry.input(description="The end of an involvement you or your team recorded yourselves.")
class EndOwnInvolvementInput:
    child_id: strawberry.ID
    for_team: bool = strawberry.field(
        default=False, description="End your service's involvement rather than your own."
    )
    ended_on: date | None = strawberry.field(
        default=None, description="When it ended; today if omitted. Never in the future."
    )
    reason: str | None = strawberry.field(
        default=None, description="Why it ended (at most 500 characters); optional."
    )
