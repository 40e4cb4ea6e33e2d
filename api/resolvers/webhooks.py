"""Webhook endpoints and deliveries: register, list, disable, rotate, list deliveries,
replay (issue 20).

Thin: audit and purpose first (mutation.begin), facts from graph/webhooks.py, the
decision from policies/webhooks.py, then the write. No oracle for other authorities: a
service, endpoint or delivery of another authority answers NOT_FOUND exactly like an id
that does not exist.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import strawberry
from strawberry.types import Info

from api.context import RequestContext
from api.errors import BadUserInput, Forbidden, NotFound, ServiceUnavailable
from api.resolvers import mutation
from api.schema.enums import WebhookDeliveryState
from api.schema.webhooks import RegisteredWebhookSecret, WebhookDelivery, WebhookEndpoint
from graph import webhooks as store
from policies import webhooks as policy
from policies.viewer import Role
from webhooks import signing
from webhooks.secretbox import SecretBox, SecretKeyError, box_from

__all__ = ["WebhookMutation", "WebhookQuery"]

MAX_FIRST = 500


def _endpoint(e: store.EndpointRecord) -> WebhookEndpoint:
    return WebhookEndpoint(
        id=strawberry.ID(e.id),
        service_id=strawberry.ID(e.service_id),
        local_authority=e.local_authority,
        url=e.url,
        description=e.description,
        active=e.active,
        created_at=e.created_at,
        created_by=e.created_by,
        secret_rotated_at=e.rotated_at,
        previous_secret_valid_until=e.previous_secret_until if e.previous_secret_sealed else None,
        disabled_at=e.disabled_at,
        disabled_by=e.disabled_by,
    )


def _delivery(d: store.DeliveryRecord) -> WebhookDelivery:
    return WebhookDelivery(
        id=strawberry.ID(d.id),
        notification_id=strawberry.ID(d.notification_id),
        endpoint_id=strawberry.ID(d.endpoint_id),
        state=WebhookDeliveryState(d.state),
        attempts=d.attempts,
        next_attempt_at=d.next_attempt_at if d.state == WebhookDeliveryState.PENDING else None,
        created_at=d.created_at,
        last_attempt_at=d.last_attempt_at,
        last_status_code=d.last_status,
        last_error=d.last_error,
        delivered_at=d.delivered_at,
        dead_at=d.dead_at,
        replays=d.replays,
    )


def _box(ctx: RequestContext) -> SecretBox:
    cfg = ctx.settings.webhooks
    try:
        return box_from(cfg.key_b64, cfg.key_file, production=ctx.settings.production)
    except SecretKeyError:
        raise ServiceUnavailable("webhooks are not configured on this server") from None


def _admin_only(ctx: RequestContext, action: str) -> None:
    if not ctx.viewer.has(Role.INDEX_ADMIN):
        ctx.audit.deny(f"{action}: only INDEX_ADMIN manages webhooks")
        raise Forbidden("only INDEX_ADMIN of the service's local authority manages its webhooks")


def _readers_only(ctx: RequestContext, action: str) -> None:
    decision = policy.may_read_endpoints(ctx.viewer)
    if not decision:
        ctx.audit.deny(f"{action}: {decision.reason}")
        raise Forbidden("only INDEX_ADMIN and AUDITOR list webhooks")


async def _managed_endpoint(
    ctx: RequestContext, action: str, endpoint_id: str
) -> store.EndpointRecord:
    _admin_only(ctx, action)
    found = await store.endpoint(ctx.graph, endpoint_id)
    if found is None or not policy.may_manage_endpoints(ctx.viewer, found.local_authority):
        ctx.audit.deny(f"WebhookEndpoint:{endpoint_id}: not found in the viewer's authority")
        raise NotFound(
            "no webhook endpoint with that id in your local authority", field="endpointId"
        )
    return found


def _check_first(first: int) -> None:
    if not 1 <= first <= MAX_FIRST:
        raise BadUserInput(f"first must be between 1 and {MAX_FIRST}", field="first")


async def resolve_register(
    info: Info[Any, Any], service_id: str, url: str, description: str
) -> RegisteredWebhookSecret:
    ctx = mutation.begin(info, "registerWebhookEndpoint")
    _admin_only(ctx, "registerWebhookEndpoint")
    url = url.strip()
    description = description.strip()
    ctx.audit.reason = f"registerWebhookEndpoint {service_id} {policy.redacted_url(url)}"
    service = await store.service(ctx.graph, service_id)
    if service is None or not policy.may_manage_endpoints(ctx.viewer, service.local_authority):
        ctx.audit.deny(f"Service:{service_id}: not found in the viewer's authority")
        raise NotFound("no service with that id in your local authority", field="serviceId")
    receives = policy.service_may_receive(service.kind, service.sensitive)
    if not receives:
        ctx.audit.deny(f"Service:{service_id}: {receives.reason}")
        raise Forbidden(receives.reason)
    checked = policy.check_url(url, production=ctx.settings.production)
    if not checked:
        raise BadUserInput(checked.reason, field="url")
    checked = policy.check_description(description)
    if not checked:
        raise BadUserInput(checked.reason, field="description")
    box = _box(ctx)
    endpoint_id = f"wh-{uuid.uuid4()}"
    secret = signing.new_secret()
    record = await store.create_endpoint(
        ctx.graph,
        endpoint_id=endpoint_id,
        service_id=service.id,
        url=url,
        description=description,
        sealed=box.seal(endpoint_id, secret),
        by=ctx.viewer.subject,
        now=ctx.now,
    )
    ctx.audit.disclose(f"WebhookEndpoint:{endpoint_id}.registered")
    return RegisteredWebhookSecret(endpoint=_endpoint(record), secret=secret)


async def resolve_rotate(info: Info[Any, Any], endpoint_id: str) -> RegisteredWebhookSecret:
    ctx = mutation.begin(info, "rotateWebhookSecret")
    found = await _managed_endpoint(ctx, "rotateWebhookSecret", endpoint_id)
    if not found.active:
        raise BadUserInput("a disabled endpoint's secret cannot be rotated", field="endpointId")
    box = _box(ctx)
    secret = signing.new_secret()
    record = await store.rotate_secret(
        ctx.graph,
        found.id,
        sealed=box.seal(found.id, secret),
        previous_until=ctx.now + timedelta(seconds=ctx.settings.webhooks.rotation_grace_s),
        by=ctx.viewer.subject,
        now=ctx.now,
    )
    if record is None:
        raise BadUserInput("a disabled endpoint's secret cannot be rotated", field="endpointId")
    ctx.audit.disclose(f"WebhookEndpoint:{found.id}.secretRotated")
    return RegisteredWebhookSecret(endpoint=_endpoint(record), secret=secret)


async def resolve_disable(info: Info[Any, Any], endpoint_id: str) -> WebhookEndpoint:
    ctx = mutation.begin(info, "disableWebhookEndpoint")
    found = await _managed_endpoint(ctx, "disableWebhookEndpoint", endpoint_id)
    record = await store.disable_endpoint(ctx.graph, found.id, ctx.viewer.subject, ctx.now)
    assert record is not None
    ctx.audit.disclose(f"WebhookEndpoint:{found.id}.disabled")
    return _endpoint(record)


async def resolve_endpoints(
    info: Info[Any, Any], service_id: str | None, include_disabled: bool, first: int
) -> list[WebhookEndpoint]:
    ctx = mutation.begin(info, "webhookEndpoints")
    _readers_only(ctx, "webhookEndpoints")
    _check_first(first)
    records = await store.list_endpoints(
        ctx.graph,
        authorities=policy.readable_authorities(ctx.viewer),
        service_id=service_id,
        include_disabled=include_disabled,
        limit=first,
        hidden_kinds=policy.sensitive_hidden_from(ctx.viewer),
    )
    for r in records:
        ctx.audit.disclose(f"WebhookEndpoint:{r.id}")
    return [_endpoint(r) for r in records]


async def resolve_deliveries(
    info: Info[Any, Any],
    state: WebhookDeliveryState | None,
    endpoint_id: str | None,
    first: int,
) -> list[WebhookDelivery]:
    ctx = mutation.begin(info, "webhookDeliveries")
    _readers_only(ctx, "webhookDeliveries")
    _check_first(first)
    listing = policy.delivery_listing(ctx.viewer)
    records = await store.list_deliveries(
        ctx.graph,
        authorities=policy.readable_authorities(ctx.viewer),
        state=state.value if state is not None else None,
        endpoint_id=endpoint_id,
        limit=first,
        hidden_kinds=policy.sensitive_hidden_from(ctx.viewer),
        states=listing.states,
        sent_only=listing.sent_only,
    )
    for r in records:
        ctx.audit.disclose(f"WebhookDelivery:{r.id}")
    return [_delivery(r) for r in records]


async def resolve_replay(info: Info[Any, Any], delivery_id: str) -> WebhookDelivery:
    ctx = mutation.begin(info, "replayWebhookDelivery")
    _admin_only(ctx, "replayWebhookDelivery")
    found = await store.delivery(ctx.graph, delivery_id)
    if (
        found is None
        or not policy.may_manage_endpoints(ctx.viewer, found.local_authority)
        or not policy.delivery_listing(ctx.viewer).shows(found.state, found.sent)
    ):
        ctx.audit.deny(f"WebhookDelivery:{delivery_id}: not found in the viewer's authority")
        raise NotFound(
            "no webhook delivery with that id in your local authority", field="deliveryId"
        )
    if found.state != WebhookDeliveryState.DEAD:
        raise BadUserInput("only a DEAD delivery can be replayed", field="deliveryId")
    record = await store.replay(ctx.graph, found.id, ctx.viewer.subject, ctx.now)
    if record is None:
        raise BadUserInput(
            "the delivery's endpoint is disabled: register an endpoint again", field="deliveryId"
        )
    ctx.audit.disclose(f"WebhookDelivery:{found.id}.replayed")
    return _delivery(record)


# --- Root fields: what this domain adds to Query and Mutation --------------------

_MANAGE = (
    "INDEX_ADMIN of the service's local authority only (FORBIDDEN for other roles; an id "
    "outside your authority answers NOT_FOUND like an unknown one). Needs X-Purpose. Audited."
)


@strawberry.type
class WebhookQuery:
    @strawberry.field(
        description=(
            "Webhook endpoints of your local authority's services, newest first (AUDITOR: "
            "every authority's). No secret is ever listed. Needs X-Purpose. Audited."
        )
    )
    async def webhook_endpoints(
        self,
        info: Info[Any, Any],
        service_id: strawberry.ID | None = None,
        include_disabled: bool = False,
        first: int = 100,
    ) -> list[WebhookEndpoint]:
        return await resolve_endpoints(info, service_id, include_disabled, first)

    @strawberry.field(
        description=(
            "Deliveries to your authority's endpoints, newest first; `state: DEAD` is the "
            "dead-letter list to replay from. INDEX_ADMIN (own authority) and AUDITOR. What a "
            "delivery said is never listed; to an index admin, a delivery is listed once it "
            "has been sent (an attempt made, answered or not), and WITHHELD ones never: that "
            "one was withheld would say something happened that your services may not know "
            "of. Needs X-Purpose. Audited."
        )
    )
    async def webhook_deliveries(
        self,
        info: Info[Any, Any],
        state: WebhookDeliveryState | None = None,
        endpoint_id: strawberry.ID | None = None,
        first: int = 100,
    ) -> list[WebhookDelivery]:
        return await resolve_deliveries(info, state, endpoint_id, first)


@strawberry.type
class WebhookMutation:
    @strawberry.mutation(
        description=(
            "Register where a service's system receives the notifications of its "
            "practitioners (issue 20). Never for a sensitive service (mental health, sexual "
            "health, substance misuse, or flagged sensitive): FORBIDDEN. `url`: https "
            "(outside production also "
            "http://127.0.0.1); no credentials in it; redirects are never followed. The "
            "answer holds the signing secret, shown this once. " + _MANAGE
        )
    )
    async def register_webhook_endpoint(
        self, info: Info[Any, Any], service_id: strawberry.ID, url: str, description: str
    ) -> RegisteredWebhookSecret:
        return await resolve_register(info, service_id, url, description)

    @strawberry.mutation(
        description=(
            "A new signing secret, shown this once. Deliveries carry signatures with both the "
            "new and the old secret for a grace period (previousSecretValidUntil). " + _MANAGE
        )
    )
    async def rotate_webhook_secret(
        self, info: Info[Any, Any], endpoint_id: strawberry.ID
    ) -> RegisteredWebhookSecret:
        return await resolve_rotate(info, endpoint_id)

    @strawberry.mutation(
        description=(
            "Stop delivering to an endpoint, at once: what was waiting for it is CANCELLED. "
            "The record is kept; register again to resume. " + _MANAGE
        )
    )
    async def disable_webhook_endpoint(
        self, info: Info[Any, Any], endpoint_id: strawberry.ID
    ) -> WebhookEndpoint:
        return await resolve_disable(info, endpoint_id)

    @strawberry.mutation(
        description=(
            "Send a DEAD delivery again from its first attempt, with the same webhook-id. It "
            "is shaped again for its recipient when sent: what policy no longer allows is "
            "WITHHELD. " + _MANAGE
        )
    )
    async def replay_webhook_delivery(
        self, info: Info[Any, Any], delivery_id: strawberry.ID
    ) -> WebhookDelivery:
        return await resolve_replay(info, delivery_id)
