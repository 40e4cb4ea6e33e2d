"""Sharing without consent (R9), decisions to share or not (CAF guide 4.24), shielding (R4)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from api.schema.child import Practitioner
from api.schema.enums import OverrideGround


@strawberry.type(
    description=(
        "An access override (R9): for 72 hours its recorder sees, for this one child, what "
        "R6 and R7 would withhold. A SAFEGUARDING_LEAD's override also lifts shielding (R4) "
        "for its first hour. Every override is listed for safeguarding review."
    )
)
class AccessOverride:
    id: strawberry.ID
    child_id: strawberry.ID
    ground: OverrideGround
    justification: str
    recorded_by: Practitioner
    recorded_at: datetime
    expires_at: datetime
    lifts_shielding: bool = strawberry.field(
        description="True only for a SAFEGUARDING_LEAD's override, and only for its first hour."
    )
    active: bool = strawberry.field(description="True until expiresAt.")


@strawberry.type(
    description=(
        "A recorded decision to share, or not to share, information about a child (CAF "
        "guide 4.24: both are recorded, with the reason)."
    )
)
class SharingDecision:
    id: strawberry.ID
    child_id: strawberry.ID
    shared: bool
    with_consent: bool
    recipient: str = strawberry.field(description="Who the information went to, or would have.")
    reason: str
    recorded_by: Practitioner
    recorded_at: datetime


@strawberry.input(description="An access override to record (R9).")
class RecordOverrideInput:
    child_id: strawberry.ID
    ground: OverrideGround
    justification: str = strawberry.field(
        description="Why sharing without consent is justified here: at least 20 characters."
    )
