"""Query.me."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from api import shaping
from api.context import RequestContext
from api.schema.enums import Role
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
        practitioner = shaping.own_practitioner(fact) if fact else None
    return Viewer(
        subject=viewer.subject,
        roles=sorted((Role(r.value) for r in viewer.roles), key=lambda r: r.value),
        practitioner=practitioner,
        local_authority=viewer.local_authority,
    )


# --- Root fields: what this domain adds to Query ------------------------------


@strawberry.type
class ViewerQuery:
    me: Viewer = strawberry.field(resolver=resolve_me, description="Who you are signed in as.")
