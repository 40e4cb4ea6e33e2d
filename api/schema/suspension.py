"""Suspending a subject: `suspendSubject`, `reinstateSubject`, `suspensions` (R2, R14).

What an index team does when an alert shows misuse: the subject's next request, to any
API process, is refused with ACCOUNT_SUSPENDED (HTTP 403), whatever token they hold,
until they are reinstated. Built by api/resolvers/suspension.py after
policies/suspension.py has decided.
"""

from __future__ import annotations

from datetime import datetime

import strawberry


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
