"""Sharing without consent (R9), decisions to share or not (CAF guide 4.24), shielding (R4)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.types import Info

from api.schema.child import Child, Practitioner
from api.schema.enums import OverrideGround
from api.schema.pagination import Connection, Page


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


@strawberry.type
class OverrideQuery:
    @strawberry.field(
        description=(
            "Access overrides for safeguarding review (R9), newest first: SAFEGUARDING_LEAD "
            "only, for children of the lead's own local authority. At most 500. Needs "
            "X-Purpose. Audited."
        )
    )
    async def overrides_for_review(
        self, info: Info[Any, Any], first: int | None = 100
    ) -> list[AccessOverride]:
        from api.resolvers.overrides import resolve_overrides_for_review

        return await resolve_overrides_for_review(info, first)

    @strawberry.field(
        description=(
            "overridesForReview a page at a time: the same overrides, rules and audit, "
            "newest first; only the overrides on the page are audited. `first` is 1 to "
            "500; pass `pageInfo.endCursor` as `after` for the next page. Pages run over "
            "the newest 500."
        )
    )
    async def overrides_for_review_connection(
        self, info: Info[Any, Any], first: int = 100, after: str | None = None
    ) -> Connection[AccessOverride]:
        from api.resolvers.overrides import resolve_overrides_for_review
        from policies.overrides import MAX_REVIEW

        page = Page("overridesForReview", first, after, MAX_REVIEW)
        return page.connection(await resolve_overrides_for_review(info, first, page))


@strawberry.type
class OverrideMutation:
    @strawberry.mutation(
        description=(
            "Record an access override for one child (R9): PRACTITIONER or SAFEGUARDING_LEAD, "
            "with a ground and a justification of at least 20 characters (BAD_USER_INPUT "
            "field input.justification otherwise). Lasts 72 hours from now; a "
            "SAFEGUARDING_LEAD's also lifts shielding for one hour. Reported for immediate "
            "review and audited with its justification."
        )
    )
    async def record_access_override(
        self, info: Info[Any, Any], input: RecordOverrideInput
    ) -> AccessOverride:
        from api.resolvers.overrides import record_access_override

        return await record_access_override(info, input)

    @strawberry.mutation(
        description=(
            "Record a decision to share, or not to share, information about a child (CAF "
            "guide 4.24), by a practitioner working with the child, one holding an override, "
            "or a SAFEGUARDING_LEAD of the child's local authority. Sharing without consent "
            "needs a reason of at least 20 characters. Audited."
        )
    )
    async def record_sharing_decision(
        self,
        info: Info[Any, Any],
        child_id: strawberry.ID,
        shared: bool,
        with_consent: bool,
        recipient: str,
        reason: str,
    ) -> SharingDecision:
        from api.resolvers.overrides import record_sharing_decision

        return await record_sharing_decision(
            info, str(child_id), shared, with_consent, recipient, reason
        )

    @strawberry.mutation(
        description=(
            "Shield or unshield a child (R4): INDEX_ADMIN of the child's own local authority "
            "only, with a reason (kept in the audit event). Returns the child as you now see "
            "it."
        )
    )
    async def set_shielded(
        self, info: Info[Any, Any], child_id: strawberry.ID, shielded: bool, reason: str
    ) -> Child:
        from api.resolvers.overrides import set_shielded

        return await set_shielded(info, str(child_id), shielded, reason)
