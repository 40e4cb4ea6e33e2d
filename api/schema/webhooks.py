"""Webhook endpoints and their deliveries, as an index team manages them (issue 20).

Built by api/resolvers/webhooks.py after policies/webhooks.py has decided. Nothing here
carries what a delivery said about a child: a delivery is listed by ids, state and
timings; its content goes only to the endpoint, shaped for its recipient at the attempt.
"""

from __future__ import annotations

from datetime import datetime

import strawberry

from api.schema.enums import WebhookDeliveryState

__all__ = ["RegisteredWebhookSecret", "WebhookDelivery", "WebhookEndpoint"]


@strawberry.type(
    description=(
        "Where a service's system receives its practitioners' notifications, signed per the "
        "Standard Webhooks specification. The signing secret is never shown here."
    )
)
class WebhookEndpoint:
    id: strawberry.ID
    service_id: strawberry.ID = strawberry.field(
        description="The service whose practitioners' notifications go to this endpoint."
    )
    local_authority: str | None
    url: str = strawberry.field(
        description="Deliveries are POSTed here; redirects are not followed."
    )
    description: str
    active: bool = strawberry.field(description="False once disabled (the record is kept).")
    created_at: datetime
    created_by: str = strawberry.field(description="The subject who registered it.")
    secret_rotated_at: datetime | None = strawberry.field(
        description="Last rotateWebhookSecret; null if never rotated."
    )
    previous_secret_valid_until: datetime | None = strawberry.field(
        description=(
            "After a rotation, deliveries are signed with both the new and the old secret "
            "until then, so the receiver can switch without losing one."
        )
    )
    disabled_at: datetime | None
    disabled_by: str | None


@strawberry.type(
    description=(
        "An endpoint with its signing secret: answered once, by registerWebhookEndpoint and "
        "rotateWebhookSecret, and never again. Store it where the receiving system verifies "
        "signatures."
    )
)
class RegisteredWebhookSecret:
    endpoint: WebhookEndpoint
    secret: str = strawberry.field(
        description=(
            "whsec_ followed by base64 of 32 random bytes: the key of the HMAC-SHA256 in "
            "webhook-signature (Standard Webhooks). Shown only in this answer."
        )
    )


@strawberry.type(
    description=(
        "One notification's delivery to one endpoint. Its content is never listed: it goes "
        "only to the endpoint, shaped for the recipient when it is sent."
    )
)
class WebhookDelivery:
    id: strawberry.ID
    notification_id: strawberry.ID = strawberry.field(
        description="Sent as the webhook-id header: the same on every retry and replay."
    )
    endpoint_id: strawberry.ID
    state: WebhookDeliveryState
    attempts: int = strawberry.field(description="Attempts made since it was created or replayed.")
    next_attempt_at: datetime | None = strawberry.field(description="While PENDING.")
    created_at: datetime
    last_attempt_at: datetime | None
    last_status_code: int | None = strawberry.field(
        description="The endpoint's HTTP status at the last attempt; null when none came back."
    )
    last_error: str | None = strawberry.field(
        description="Why the last attempt failed, in a few words (the body is never kept)."
    )
    delivered_at: datetime | None
    dead_at: datetime | None
    replays: int = strawberry.field(description="Times an admin replayed it from the dead list.")
