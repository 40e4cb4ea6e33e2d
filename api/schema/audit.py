"""The audit trail (R14), for AUDITOR and INDEX_ADMIN."""

from __future__ import annotations

from datetime import datetime

import strawberry

from api.schema.enums import Role


@strawberry.type(
    description=(
        "One request that read or changed children. Append-only and hash-chained: each "
        "event's hash covers the previous event's hash, so any edit breaks the chain."
    )
)
class AuditEvent:
    id: strawberry.ID
    at: datetime
    subject: str
    role: Role
    action: str
    child_ids: list[strawberry.ID]
    disclosed: list[str] = strawberry.field(
        description='Guarded items returned, e.g. "Involvement:<id>.contact".'
    )
    denied: list[str] = strawberry.field(description="What policy withheld, and from whom.")
    override_id: strawberry.ID | None
    reason: str | None = strawberry.field(description="The stated purpose or tracing reason.")
    hash: str
    purpose: str | None = strawberry.field(description="The X-Purpose the request carried.")
    request_id: str = strawberry.field(
        description="The server's id of the request (its X-Request-Id response header, the logs)."
    )
    client_request_id: str | None = strawberry.field(
        default=None,
        description=(
            "The X-Request-Id the client sent, if any: kept beside the server's id, never in "
            "its place, so it cannot be used to pass one request off as another."
        ),
    )
