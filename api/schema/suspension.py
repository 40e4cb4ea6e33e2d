"""Suspending a subject: `suspendSubject`, `reinstateSubject`, `suspensions` (R2, R14).

What an index team does when an alert shows misuse: the subject's next request, to any
API process, is refused with ACCOUNT_SUSPENDED (HTTP 403), whatever token they hold,
until they are reinstated. Built by api/resolvers/suspension.py after
policies/suspension.py has decided.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.types import Info

from policies.suspension import MAX_REASON, MIN_REASON


@strawberry.type(description="A subject's suspension, as it stands.")
class Suspension:
    subject: str = strawberry.field(description="The token subject suspended.")
    suspended: bool = strawberry.field(
        description="True while in force; false once reinstated (the record is kept)."
    )
    reason: str = strawberry.field(description="Why they were suspended.")
    since: datetime = strawberry.field(description="When the suspension took effect.")
    suspended_by: str = strawberry.field(description="The subject who suspended them.")
    reinstated_at: datetime | None = strawberry.field(description="Null while suspended.")
    reinstated_by: str | None = strawberry.field(description="Null while suspended.")


_WHO = (
    "AUDITOR for any subject; INDEX_ADMIN for a subject of their own local authority (a "
    "practitioner of one of its services, or someone whose token named it when they read "
    "children); nobody for themselves. FORBIDDEN otherwise, and for a subject the index "
    "does not know."
)


@strawberry.type
class SuspensionQuery:
    @strawberry.field(
        description=(
            "Subjects suspended now, newest first (with includeReinstated, also those "
            "reinstated since). INDEX_ADMIN and AUDITOR only. Needs X-Purpose. Audited."
        )
    )
    async def suspensions(
        self, info: Info[Any, Any], include_reinstated: bool = False, first: int = 100
    ) -> list[Suspension]:
        from api.resolvers.suspension import resolve_suspensions

        return await resolve_suspensions(info, include_reinstated, first)


@strawberry.type
class SuspensionMutation:
    @strawberry.mutation(
        description=(
            "Suspend a subject (R2, R14): from their next request on, to every API process, "
            "they get ACCOUNT_SUSPENDED and no data, whatever token they hold. "
            + _WHO
            + f" `reason` says why, {MIN_REASON} to {MAX_REASON} visible characters "
            "(BAD_USER_INPUT field reason). Suspending someone already suspended records "
            "the new reason. Needs X-Purpose. Audited with the reason."
        )
    )
    async def suspend_subject(self, info: Info[Any, Any], subject: str, reason: str) -> Suspension:
        from api.resolvers.suspension import resolve_suspend

        return await resolve_suspend(info, subject, reason)

    @strawberry.mutation(
        description=(
            "Lift a subject's suspension: their next request is served again. "
            + _WHO
            + " `reason` as for suspendSubject. A subject who is not suspended gives "
            "NOT_FOUND. Needs X-Purpose. Audited with the reason."
        )
    )
    async def reinstate_subject(
        self, info: Info[Any, Any], subject: str, reason: str
    ) -> Suspension:
        from api.resolvers.suspension import resolve_reinstate

        return await resolve_reinstate(info, subject, reason)
