"""Query.me."""

from __future__ import annotations

from typing import Any

from strawberry.types import Info

from api.context import RequestContext
from api.resolvers.child import practitioner_view
from api.schema.enums import Role
from api.schema.guard import OPEN
from api.schema.viewer import Viewer
from graph.children import fetch_practitioner

__all__ = ["resolve_me"]


async def resolve_me(info: Info[Any, Any]) -> Viewer:
    ctx: RequestContext = info.context
    viewer = ctx.viewer
    practitioner = None
    if viewer.practitioner_id:
        fact = await fetch_practitioner(ctx.graph, viewer.practitioner_id)
        # Your own record: nothing about a child is revealed, so nothing is guarded.
        practitioner = practitioner_view(fact, OPEN) if fact else None
    return Viewer(
        subject=viewer.subject,
        roles=sorted((Role(r.value) for r in viewer.roles), key=lambda r: r.value),
        practitioner=practitioner,
        local_authority=viewer.local_authority,
    )
