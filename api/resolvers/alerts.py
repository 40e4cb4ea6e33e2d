"""Query.accessAlerts and Mutation.resolveAccessAlert (R4, R14).

Thin: check the caller's purpose, ask policies/alerts.py, fetch or write through
graph/alerts.py, shape. Every child an alert names goes into the request's audit
event, since an alert shows who was near a shielded child's whereabouts.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Any

import strawberry
from strawberry.types import Info

from api.context import RequestContext
from api.errors import BadUserInput, Forbidden, NotFound
from api.resolvers import mutation
from api.schema.alerts import (
    AccessAlert,
    AccessAlertConnection,
    AccessAlertEdge,
    AccessAlertKind,
    AccessAlertState,
    PageInfo,
)
from graph import alerts as alert_graph
from graph.idempotency import IdempotencyConflict
from policies import alerts as alert_policy
from policies.alerts import MAX_OUTCOME, AlertState
from policies.viewer import Role

__all__ = ["resolve_access_alert", "resolve_access_alerts"]

MAX_PAGE = 100
MAX_ID = 200
MAX_LOCAL_AUTHORITY = 20


def encode_cursor(alert: alert_graph.AlertRecord) -> str:
    """Opaque to clients; it is the alert's place in newest-first order."""
    text = f"{alert.raised_at.isoformat()}|{alert.id}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> alert_graph.AlertCursor:
    invalid = BadUserInput("after is not a cursor of this list", field="after")
    if not cursor or len(cursor) > 400:
        raise invalid
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, _, alert_id = text.partition("|")
        raised_at = datetime.fromisoformat(at)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise invalid from None
    if not alert_id or raised_at.tzinfo is None:
        raise invalid
    return alert_graph.AlertCursor(raised_at, alert_id)


def _shape(record: alert_graph.AlertRecord) -> AccessAlert:
    return AccessAlert(
        id=strawberry.ID(record.id),
        kind=AccessAlertKind(record.kind),
        state=AccessAlertState(record.state),
        raised_at=record.raised_at,
        local_authority=record.local_authority,
        subject=record.subject,
        role=record.role,
        child_ids=[strawberry.ID(c) for c in record.child_ids],
        detail=record.detail,
        resolved_at=record.resolved_at,
        resolved_by=record.resolved_by,
        outcome=record.outcome,
    )


def _disclose(ctx: RequestContext, record: alert_graph.AlertRecord) -> None:
    """R14: an alert names children next to each other; the event records them all."""
    for child_id in record.child_ids:
        ctx.audit.child(child_id)
    ctx.audit.disclose(f"AccessAlert:{record.id}")


async def resolve_access_alerts(
    info: Info[Any, Any],
    local_authority: str,
    state: AccessAlertState | None,
    first: int,
    after: str | None,
) -> AccessAlertConnection:
    ctx = mutation.begin(info, "accessAlerts")
    la = local_authority.strip()
    decision = alert_policy.may_read_alerts(ctx.viewer, la)
    if not decision:
        ctx.audit.deny(f"accessAlerts: {decision.reason}")
        raise Forbidden(
            "only INDEX_ADMIN of that local authority, or an AUDITOR, reads its access alerts"
        )
    if not la or len(la) > MAX_LOCAL_AUTHORITY:
        raise BadUserInput("localAuthority must be a local authority code", field="localAuthority")
    if not 1 <= first <= MAX_PAGE:
        raise BadUserInput(f"first must be between 1 and {MAX_PAGE}", field="first")
    cursor = decode_cursor(after) if after is not None else None
    page = await alert_graph.list_alerts(
        ctx.graph,
        la,
        state=state.name if state is not None else None,
        first=first,
        after=cursor,
    )
    edges = []
    for record in page.alerts:
        _disclose(ctx, record)
        edges.append(AccessAlertEdge(cursor=encode_cursor(record), node=_shape(record)))
    return AccessAlertConnection(
        edges=edges,
        nodes=[edge.node for edge in edges],
        page_info=PageInfo(
            has_next_page=page.has_next_page,
            end_cursor=edges[-1].cursor if edges else None,
        ),
    )


async def resolve_access_alert(info: Info[Any, Any], alert_id: str, outcome: str) -> AccessAlert:
    ctx = mutation.begin(info, "resolveAccessAlert")
    viewer = ctx.viewer
    refused = Forbidden(
        "only INDEX_ADMIN of the alert's local authority, or an AUDITOR, resolves it"
    )
    alert_id = alert_id.strip()
    if not alert_id or len(alert_id) > MAX_ID:
        raise BadUserInput("id must be an access alert id", field="id")
    if not (viewer.has(Role.INDEX_ADMIN) or viewer.has(Role.AUDITOR)):
        ctx.audit.deny(f"AccessAlert:{alert_id}: only INDEX_ADMIN and AUDITOR resolve alerts")
        raise refused
    checked = alert_policy.check_outcome(outcome)
    if not checked:
        raise BadUserInput(checked.reason, field="outcome")
    text = outcome.strip()
    ctx.audit.reason = f"AccessAlert {alert_id} resolved: {text}"
    claim = mutation.claim(info, "resolveAccessAlert", {"id": alert_id, "outcome": text})

    def decide(alert: alert_graph.AlertRecord | None) -> None:
        if alert is None:
            raise NotFound("no access alert with that id", field="id")
        decision = alert_policy.may_resolve_alert(viewer, alert.local_authority)
        if not decision:
            ctx.audit.deny(f"AccessAlert:{alert.id}: {decision.reason}")
            raise refused
        if alert.state == AlertState.RESOLVED:
            raise BadUserInput("this access alert is already resolved", field="id")

    try:
        record = await alert_graph.resolve_alert(
            ctx.graph,
            alert_id,
            text,
            subject=viewer.subject,
            now=ctx.now,
            claim=claim,
            decide=decide,
        )
    except IdempotencyConflict as exc:
        raise mutation.conflict() from exc
    _disclose(ctx, record)
    return _shape(record)


# --- Root fields: what this domain adds to Query and Mutation --------------------


@strawberry.type
class AlertQuery:
    @strawberry.field(
        description=(
            "A local authority's access alerts, newest first (ties broken by id), optionally "
            "only OPEN or only RESOLVED ones. INDEX_ADMIN of that local authority and AUDITOR "
            "only (FORBIDDEN otherwise, also for INDEX_ADMIN of another authority). Needs "
            "X-Purpose. `first` is 1 to 100 (default 50); pass the previous page's "
            "pageInfo.endCursor as `after` for the next (BAD_USER_INPUT field after when it "
            "is not a cursor of this list). Audited: every child an alert names is recorded."
        )
    )
    async def access_alerts(
        self,
        info: Info[Any, Any],
        local_authority: str,
        state: AccessAlertState | None = None,
        first: int = 50,
        after: str | None = None,
    ) -> AccessAlertConnection:
        return await resolve_access_alerts(info, local_authority, state, first, after)


@strawberry.type
class AlertMutation:
    @strawberry.mutation(
        description=(
            "Record what was done about an access alert, and close it (state RESOLVED). "
            "INDEX_ADMIN of the alert's local authority and AUDITOR only (FORBIDDEN "
            "otherwise). Needs X-Purpose. `outcome` says what was done, 1 to "
            f"{MAX_OUTCOME} characters (BAD_USER_INPUT field outcome). An alert is resolved "
            "once: a second attempt gives BAD_USER_INPUT (field id); an unknown id gives "
            "NOT_FOUND. Send an Idempotency-Key to make a retry return the first result. "
            "Audited, with the outcome and every child the alert names."
        )
    )
    async def resolve_access_alert(
        self, info: Info[Any, Any], id: strawberry.ID, outcome: str
    ) -> AccessAlert:
        return await resolve_access_alert(info, str(id), outcome)
