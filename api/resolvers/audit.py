"""Query.auditTrail (R14)."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from api.context import RequestContext
from api.errors import BadUserInput, Forbidden
from api.schema.audit import AuditEvent
from api.schema.enums import Role
from graph.audit import audit_trail
from policies.audit import MAX_TRAIL, may_read_audit_trail

__all__ = ["resolve_audit_trail"]


async def resolve_audit_trail(
    info: Info[Any, Any], child_id: strawberry.ID, first: int | None = 100
) -> list[AuditEvent]:
    ctx: RequestContext = info.context
    if not may_read_audit_trail(ctx.viewer):
        raise Forbidden("only AUDITOR and INDEX_ADMIN may read the audit trail")
    count = 100 if first is None else first
    if not 1 <= count <= MAX_TRAIL:
        raise BadUserInput(f"first must be between 1 and {MAX_TRAIL}", field="first")
    records = await audit_trail(ctx.graph, str(child_id), count)
    return [
        AuditEvent(
            id=strawberry.ID(r.id),
            at=r.at,
            subject=r.subject,
            role=Role(r.role),
            action=r.action,
            child_ids=[strawberry.ID(c) for c in r.child_ids],
            disclosed=r.disclosed,
            denied=r.denied,
            override_id=strawberry.ID(r.override_id) if r.override_id else None,
            reason=r.reason,
            hash=r.hash,
            purpose=r.purpose,
            request_id=r.request_id,
        )
        for r in records
    ]
