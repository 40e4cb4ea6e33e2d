"""Query.auditTrail (R14): scoped, audited, and shaped like any other read of a child.

Reading the trail is a request that reads a child: it needs a purpose and writes its own
event. AUDITOR sees every event as written. INDEX_ADMIN reads only children of their own
local authority, and sees each event as policies.disclosure shapes it for them: an event
made from a sensitive service R6 hides is not there, entries naming items withheld from
them are not there, and other children named in an event are not named.
"""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from api.context import RequestContext
from api.errors import BadUserInput, Forbidden, NotFound
from api.resolvers.child import MAX_ID, load_children
from api.schema.audit import AuditEvent
from api.schema.enums import Role
from api.schema.pagination import Connection, Page
from graph.audit import TrailEvent, TrailKey, audit_trail
from policies import disclosure
from policies.audit import MAX_TRAIL, may_read_audit_trail, may_read_child_trail
from policies.facts import ChildFacts
from policies.viewer import Role as ViewerRole
from policies.viewer import Viewer

__all__ = ["resolve_audit_trail", "resolve_audit_trail_connection"]

_NOT_FOUND = "no child with that id whose audit trail you may read"


async def resolve_audit_trail(
    info: Info[Any, Any], child_id: strawberry.ID, first: int | None = 100
) -> list[AuditEvent]:
    return await _read_trail(info, child_id, first, None)


async def resolve_audit_trail_connection(
    info: Info[Any, Any], child_id: strawberry.ID, first: int = 100, after: str | None = None
) -> Connection[AuditEvent]:
    page = Page("auditTrail", first, after, MAX_TRAIL)
    return page.connection(await _read_trail(info, child_id, first, page))


async def _read_trail(
    info: Info[Any, Any], child_id: strawberry.ID, first: int | None, page: Page | None
) -> list[AuditEvent]:
    ctx: RequestContext = info.context
    ctx.audit.touch("auditTrail")
    allowed = may_read_audit_trail(ctx.viewer)
    if not allowed:
        ctx.audit.deny(f"Query.auditTrail: {allowed.reason}")
        raise Forbidden("only AUDITOR and INDEX_ADMIN may read the audit trail")
    ctx.purpose()
    count = 100 if first is None else first
    if not 1 <= count <= MAX_TRAIL:
        raise BadUserInput(f"first must be between 1 and {MAX_TRAIL}", field="first")
    wanted = str(child_id).strip()
    if not wanted or len(wanted) > MAX_ID:
        raise BadUserInput("childId must be a non-empty index identifier", field="childId")
    # R2: an index admin's read of a child's trail spends like a read of the child;
    # an auditor holds no browsing budget and reads trails, not children.
    spend = ctx.viewer.has(ViewerRole.INDEX_ADMIN)
    viewer, found = await load_children(ctx, [wanted], spend=spend)
    # Another authority's child and no child at all look the same.
    if not found or not may_read_child_trail(viewer, found[0].local_authority):
        ctx.audit.deny(f"Child:{wanted}: not found")
        raise NotFound(_NOT_FOUND)
    child = found[0]
    ctx.audit.child(child.id)
    ctx.audit.disclose(f"Child:{child.id}.auditTrail")
    if page is not None:
        return await _trail_page(ctx, viewer, child, page)
    events = await audit_trail(ctx.graph, child.id, count)
    shown = [_event(viewer, child, event, ctx) for event in events]
    return [event for event in shown if event is not None]


async def _trail_page(
    ctx: RequestContext, viewer: Viewer, child: ChildFacts, page: Page
) -> list[AuditEvent]:
    """A page of what this reader is shown, newest first, keyed by (at, chain, seq).

    Events left out for the reader are skipped by reading on from the last one read, so
    a page is full unless the trail has ended.
    """
    after = page.after_key()
    before = TrailKey.parse(after) if isinstance(after, str) else None
    if after is not None and before is None:
        raise BadUserInput("after is not a cursor from this list", field="after")
    shown: list[tuple[str, AuditEvent]] = []
    batch = page.first + 1
    while len(shown) <= page.first:
        events = await audit_trail(ctx.graph, child.id, batch, before)
        for event in events:
            made = _event(viewer, child, event, ctx)
            if made is not None:
                shown.append((event.key.text(), made))
        if len(events) < batch:
            break
        before = events[-1].key
    # The trail is keyset-paged: what was read already starts after the cursor.
    chosen = page.select(shown, key_of=lambda pair: pair[0], from_top=True)
    return [made for _, made in chosen]


def _event(
    viewer: Viewer, child: ChildFacts, event: TrailEvent, ctx: RequestContext
) -> AuditEvent | None:
    now = ctx.now
    r = event.record
    if not disclosure.decide(viewer, disclosure.AuditActor(event.actor_services), child, now):
        return None

    def entries(items: list[str]) -> list[str]:
        return [e for e in items if disclosure.decide(viewer, disclosure.AuditEntry(e), child, now)]

    return AuditEvent(
        id=strawberry.ID(r.id),
        at=r.at,
        subject=r.subject,
        role=Role(r.role),
        action=r.action,
        # Another child the event named is an entry like any other: AUDITOR sees it.
        child_ids=[strawberry.ID(c) for c in r.child_ids if entries([f"Child:{c}"])],
        disclosed=entries(r.disclosed),
        denied=entries(r.denied),
        override_id=strawberry.ID(r.override_id) if r.override_id else None,
        reason=r.reason,
        hash=r.hash,
        purpose=r.purpose,
        request_id=r.request_id,
        client_request_id=r.client_request_id,
    )


# --- Root fields: what this domain adds to Query ------------------------------


@strawberry.type
class AuditQuery:
    audit_trail: list[AuditEvent] = strawberry.field(
        resolver=resolve_audit_trail,
        description=(
            "Audit events that concern a child, newest first (R14). AUDITOR reads any "
            "child's trail as written; INDEX_ADMIN only a child of their own local authority, "
            "shaped like any read (R4, R6): events and entries that would show what is "
            "withheld from you are left out, and other children an event named are not "
            "listed. Needs X-Purpose, and is itself audited."
        ),
    )
    audit_trail_connection: Connection[AuditEvent] = strawberry.field(
        resolver=resolve_audit_trail_connection,
        description=(
            "auditTrail a page at a time: the same events, rules and audit, newest first. "
            "`first` is 1 to 1000; pass `pageInfo.endCursor` as `after` for the next page. "
            "Pages count only the events you are shown."
        ),
    )
