"""Query.auditTrail (R14): scoped, audited, and shaped like any other read of a child.

Reading the trail is a request that reads a child: it needs a purpose and writes its own
event. AUDITOR sees every event as written. INDEX_ADMIN reads only children of their own
local authority, and sees each event as policies.disclosure shapes it for them: an event
made from a sensitive service R6 hides is not there, nor one that read the child only to
decide and showed nothing of them, entries naming items withheld from them are not
there, and other children named in an event are not named.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from api.context import RequestContext
from api.errors import BadUserInput, ContactGraphError, Forbidden, NotFound
from api.resolvers.child import MAX_ID, load_children
from api.schema.audit import AuditEvent
from api.schema.enums import Role
from api.schema.pagination import Connection, Page
from graph.audit import AuditRecord
from graph.audit_trail import TrailEvent, TrailFilter, TrailKey, audit_trail, subject_trail
from policies import disclosure
from policies.audit import (
    MAX_TRAIL,
    may_read_audit_trail,
    may_read_child_trail,
    may_read_subject_trail,
    trail_held_to_floor,
)
from policies.decision import Decision
from policies.facts import ChildFacts
from policies.viewer import Role as ViewerRole
from policies.viewer import Viewer

__all__ = [
    "resolve_audit_trail",
    "resolve_audit_trail_connection",
    "resolve_subject_trail",
]

_NOT_FOUND = "no child with that id whose audit trail you may read"


_CURSORS = (
    " A cursor holds only the time and id of the event it follows; one from another list, "
    "or handed out before cursors took that form, is BAD_USER_INPUT."
)
_FILTERS = (
    " `subject`, `action` (as the events show it, e.g. query or mutation:recordConsent) "
    "and the period `from` (inclusive) to `to` (exclusive) narrow it; each is optional."
)
_ONE_A_REQUEST = (
    " One child's trail (auditTrail or auditTrailConnection) a request, BAD_USER_INPUT "
    "otherwise; to anyone but AUDITOR it answers no sooner than a set time (0.25 s by "
    "default), so that how long it took says nothing of what was left out."
)
MAX_FILTER_TEXT = 200


def _narrow(
    subject: str | None, action: str | None, since: datetime | None, until: datetime | None
) -> TrailFilter:
    """The filter as given, or BAD_USER_INPUT naming the argument that is wrong."""
    for name, text in (("subject", subject), ("action", action)):
        if text is not None and not 1 <= len(text.strip()) <= MAX_FILTER_TEXT:
            raise BadUserInput(f"{name} must be 1 to {MAX_FILTER_TEXT} characters", field=name)
    since = None if since is None else (since if since.tzinfo else since.replace(tzinfo=UTC))
    until = None if until is None else (until if until.tzinfo else until.replace(tzinfo=UTC))
    if since is not None and until is not None and until <= since:
        raise BadUserInput("to must be after from", field="to")
    return TrailFilter(
        subject=None if subject is None else subject.strip(),
        action=None if action is None else action.strip(),
        since=since,
        until=until,
    )


async def resolve_audit_trail(
    info: Info[Any, Any],
    child_id: strawberry.ID,
    first: int | None = 100,
    subject: str | None = None,
    action: str | None = None,
    from_: Annotated[datetime | None, strawberry.argument(name="from")] = None,
    to: datetime | None = None,
) -> list[AuditEvent]:
    return await _read_trail(info, child_id, first, None, _narrow(subject, action, from_, to))


async def resolve_audit_trail_connection(
    info: Info[Any, Any],
    child_id: strawberry.ID,
    first: int = 100,
    after: str | None = None,
    subject: str | None = None,
    action: str | None = None,
    from_: Annotated[datetime | None, strawberry.argument(name="from")] = None,
    to: datetime | None = None,
) -> Connection[AuditEvent]:
    page = Page("auditTrail", first, after, MAX_TRAIL)
    narrow = _narrow(subject, action, from_, to)
    return page.connection(await _read_trail(info, child_id, first, page, narrow))


async def resolve_subject_trail(
    info: Info[Any, Any],
    subject: str,
    first: int = 100,
    after: str | None = None,
    action: str | None = None,
    from_: Annotated[datetime | None, strawberry.argument(name="from")] = None,
    to: datetime | None = None,
) -> Connection[AuditEvent]:
    """AUDITOR follows one subject across the index, as written (R14): the investigation
    an access alert starts. Every child those events name is recorded as read."""
    ctx = _entered(info, "auditTrailOfSubject", may_read_subject_trail, "only AUDITOR may")
    narrow = _narrow(subject, action, from_, to)
    page = Page("auditTrailOfSubject", first, after, MAX_TRAIL)
    events = await subject_trail(ctx.graph, narrow, page.first + 1, _before(page))
    ctx.audit.disclose(f"Subject:{narrow.subject}.auditTrail")
    chosen = page.select(events, key_of=lambda event: event.key.text(), from_top=True)
    for event in chosen:
        for child_id in event.record.child_ids:
            ctx.audit.child(child_id)
    return page.connection([_as_written(event) for event in chosen])


def _entered(
    info: Info[Any, Any], field: str, ask: Callable[[Viewer], Decision], who: str
) -> RequestContext:
    """Audited from the start; refused before anything is read; a purpose stated."""
    ctx: RequestContext = info.context
    ctx.audit.touch(field)
    allowed = ask(ctx.viewer)
    if not allowed:
        ctx.audit.deny(f"Query.{field}: {allowed.reason}")
        raise Forbidden(f"{who} read {field}")
    ctx.purpose()
    return ctx


def _before(page: Page) -> TrailKey | None:
    """Where a page starts in the trail: the key its cursor names. A key is only the time
    and id of an event the reader was shown; one of the old (at, seq, writer) form, which
    counted the events between two shown ones, is refused like a foreign cursor."""
    cursor = page.after_key()
    before = TrailKey.parse(cursor) if isinstance(cursor, str) else None
    if cursor is not None and before is None:
        raise BadUserInput("after is not a cursor from this list", field="after")
    return before


async def _read_trail(
    info: Info[Any, Any],
    child_id: strawberry.ID,
    first: int | None,
    page: Page | None,
    narrow: TrailFilter,
) -> list[AuditEvent]:
    ctx = _entered(info, "auditTrail", may_read_audit_trail, "only AUDITOR and INDEX_ADMIN may")
    if not trail_held_to_floor(ctx.viewer):
        return await _trail(ctx, child_id, first, page, narrow)
    # R4, no oracle: the answer, or the error, no sooner than the floor after the ask.
    held_until = time.monotonic() + ctx.settings.trail_floor_s
    try:
        answer = await _trail(ctx, child_id, first, page, narrow)
    except ContactGraphError:
        await _until(held_until)
        raise
    await _until(held_until)
    return answer


async def _until(moment: float) -> None:
    remaining = moment - time.monotonic()
    if remaining > 0:
        await asyncio.sleep(remaining)


async def _trail(
    ctx: RequestContext,
    child_id: strawberry.ID,
    first: int | None,
    page: Page | None,
    narrow: TrailFilter,
) -> list[AuditEvent]:
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
        return await _trail_page(ctx, viewer, child, page, narrow)
    return [made for _, made in await _shown(ctx, viewer, child, count, None, narrow)]


async def _trail_page(
    ctx: RequestContext, viewer: Viewer, child: ChildFacts, page: Page, narrow: TrailFilter
) -> list[AuditEvent]:
    """A page of what this reader is shown, newest first, keyed by (at, event id).

    Events left out for the reader are skipped by reading on from the last one read, so
    a page is full unless the trail has ended.
    """
    shown = await _shown(ctx, viewer, child, page.first + 1, _before(page), narrow)
    # The trail is keyset-paged: what was read already starts after the cursor.
    chosen = page.select(shown, key_of=lambda pair: pair[0], from_top=True)
    return [made for _, made in chosen]


async def _shown(
    ctx: RequestContext,
    viewer: Viewer,
    child: ChildFacts,
    wanted: int,
    before: TrailKey | None,
    narrow: TrailFilter,
) -> list[tuple[str, AuditEvent]]:
    """Up to `wanted` events this reader is shown, keyed, newest first after `before`.

    Events left out are skipped by reading on from the last one read, so the list is
    full unless the trail has ended: cut to `wanted` before leaving events out, its
    length would count the events withheld (R4, no oracle).
    """
    shown: list[tuple[str, AuditEvent]] = []
    while len(shown) < wanted:
        events = await audit_trail(ctx.graph, child.id, wanted, before, narrow)
        for event in events:
            made = _event(viewer, child, event, ctx)
            if made is not None:
                shown.append((event.key.text(), made))
        if len(events) < wanted:
            break
        before = events[-1].key
    return shown[:wanted]


def _event(
    viewer: Viewer, child: ChildFacts, event: TrailEvent, ctx: RequestContext
) -> AuditEvent | None:
    now, record = ctx.now, event.record
    # The event as a whole first: who made it, what it told, whether it showed this child
    # anything at all; then entry by entry.
    whole: tuple[disclosure.Item, ...] = (
        disclosure.AuditActor(event.actor_services),
        disclosure.AuditDelivery(record.action, tuple(record.disclosed)),
        disclosure.AuditReadToDecide(tuple(record.denied), record.action, tuple(record.disclosed)),
        disclosure.AuditReview(record.action, record.role, tuple(record.disclosed)),
    )
    if not all(disclosure.decide(viewer, item, child, now) for item in whole):
        return None
    return _shaped(
        event.record,
        lambda entry: bool(disclosure.decide(viewer, disclosure.AuditEntry(entry), child, now)),
    )


def _as_written(event: TrailEvent) -> AuditEvent:
    """AUDITOR's view: every entry, every child named (R14)."""
    return _shaped(event.record, lambda entry: True)


def _shaped(r: AuditRecord, keep: Callable[[str], bool]) -> AuditEvent:
    def entries(items: list[str]) -> list[str]:
        return [e for e in items if keep(e)]

    return AuditEvent(
        id=strawberry.ID(r.id),
        at=r.at,
        subject=r.subject,
        role=Role(r.role),
        action=r.action,
        # Another child the event named is an entry like any other: AUDITOR sees it.
        child_ids=[strawberry.ID(c) for c in r.child_ids if keep(f"Child:{c}")],
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
            "withheld from you are left out (a notification's delivery goes whole if any "
            "item it told is withheld from you), and other children an event named are not "
            "listed. Needs X-Purpose, and is itself audited." + _FILTERS + _ONE_A_REQUEST
        ),
    )
    audit_trail_connection: Connection[AuditEvent] = strawberry.field(
        resolver=resolve_audit_trail_connection,
        description=(
            "auditTrail a page at a time: the same events, rules and audit, newest first. "
            "`first` is 1 to 1000; pass `pageInfo.endCursor` as `after` for the next page. "
            "Pages count only the events you are shown." + _CURSORS + _FILTERS + _ONE_A_REQUEST
        ),
    )
    audit_trail_of_subject: Connection[AuditEvent] = strawberry.field(
        resolver=resolve_subject_trail,
        description=(
            "Everything one subject (a token's sub) did on the index, newest first, whatever "
            "children it concerned: where an access alert or accessReport leads an "
            "investigation (R14). AUDITOR only (FORBIDDEN otherwise); events as written. "
            "`first` is 1 to 1000; pass `pageInfo.endCursor` as `after` for the next page."
            + _CURSORS
            + " `action` and the period `from` (inclusive) to `to` (exclusive) narrow it. Needs "
            "X-Purpose; audited, with every child the events shown name."
        ),
    )
