"""Query.notifications and Mutation.markNotificationsRead: the inbox (issue 20).

Thin: the caller's mailboxes (their practitioner record, and their team's for a
safeguarding lead or index admin), a page read from graph/notifications.py, and each
notification re-checked by notify.delivery for this caller now, exactly as a
subscription would deliver it: one withdrawn consent and the notification it allowed is
gone from the inbox too. What is shown is recorded in the request's audit event (R14).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Any

import strawberry
from strawberry.types import Info

from api.errors import BadUserInput, Forbidden
from api.resolvers import mutation
from api.schema.enums import NotificationKind
from api.schema.notifications import (
    MarkReadResult,
    Notification,
    NotificationChild,
    NotificationConnection,
)
from api.schema.pagination import Connection, Edge, PageInfo, decode_cursor, encode_cursor
from api.subscriptions import SubscriptionContext
from graph import notifications as store
from notify.delivery import recheck
from policies.audit import INBOX_ACTION
from policies.notifications import mailboxes
from policies.viewer import Viewer
from policies.visibility import may_read_children

__all__ = [
    "NotificationMutation",
    "NotificationQuery",
    "NotificationSubscription",
    "notification_from",
]

MAX_PAGE = 100
MAX_IDS = 500
_CURSOR = "notifications"


def notification_from(record: store.NotificationRecord, payload: dict[str, Any]) -> Notification:
    child = payload.get("child")
    return Notification(
        id=strawberry.ID(record.id),
        kind=NotificationKind(record.kind),
        occurred_at=datetime.fromisoformat(payload["occurredAt"]),
        created_at=record.created_at,
        read_at=record.read_at,
        summary=str(payload.get("summary") or ""),
        child=NotificationChild(
            id=strawberry.ID(child["id"]),
            given_name=child["givenName"],
            family_name=child["familyName"],
        )
        if child
        else None,
        payload=json.dumps(payload, sort_keys=True, separators=(",", ":")),
    )


def _after(cursor: str | None) -> tuple[datetime, str] | None:
    key = decode_cursor(_CURSOR, cursor)
    if key is None:
        return None
    at, _, ident = str(key).partition("|")
    try:
        moment = datetime.fromisoformat(at)
    except ValueError:
        raise BadUserInput("after is not a cursor from this list", field="after") from None
    return moment, ident


def _mailboxes(viewer: Viewer) -> list[str]:
    """R2: only the roles that read children are told about them."""
    if not may_read_children(viewer):
        raise Forbidden("only PRACTITIONER, SAFEGUARDING_LEAD and INDEX_ADMIN have notifications")
    return mailboxes(viewer)


async def resolve_notifications(
    info: Info[Any, Any], first: int, after: str | None, unread_only: bool
) -> NotificationConnection:
    ctx = mutation.begin(info, INBOX_ACTION)
    boxes = _mailboxes(ctx.viewer)
    if not 1 <= first <= MAX_PAGE:
        raise BadUserInput(f"first must be between 1 and {MAX_PAGE}", field="first")
    page = await store.list_notifications(
        ctx.graph, boxes, first=first, after=_after(after), unread_only=unread_only
    )
    payloads = await recheck(
        ctx.graph,
        page.records,
        ctx.now,
        channel="inbox",
        viewers={box: ctx.viewer for box in boxes},
        write_audit=False,
    )
    edges: list[Edge[Notification]] = []
    for record, delivery in zip(page.records, payloads, strict=True):
        if record.child_id:
            ctx.audit.child(record.child_id)
        if delivery is None:
            ctx.audit.deny(f"Notification:{record.id}")
            continue
        for item in delivery.disclosed:
            ctx.audit.disclose(item)
        for override in delivery.override_ids:
            ctx.audit.override(override)
        key = f"{record.created_at.isoformat()}|{record.id}"
        edges.append(
            Edge(
                cursor=encode_cursor(_CURSOR, key), node=notification_from(record, delivery.payload)
            )
        )
    end = (
        encode_cursor(_CURSOR, f"{page.records[-1].created_at.isoformat()}|{page.records[-1].id}")
        if page.records
        else None
    )
    return Connection(
        edges=edges,
        nodes=[e.node for e in edges],
        page_info=PageInfo(has_next_page=page.has_next_page, end_cursor=end),
    )


async def resolve_mark_read(info: Info[Any, Any], ids: list[strawberry.ID]) -> MarkReadResult:
    ctx = mutation.begin(info, "markNotificationsRead")
    boxes = _mailboxes(ctx.viewer)
    if len(ids) > MAX_IDS:
        raise BadUserInput(f"at most {MAX_IDS} ids at once", field="ids")
    marked = await store.mark_read(ctx.graph, boxes, [str(i) for i in ids])
    return MarkReadResult(ids=[strawberry.ID(i) for i in marked])


# --- Root fields ------------------------------------------------------------------------


@strawberry.type
class NotificationQuery:
    @strawberry.field(
        description=(
            "Your notifications, newest first: your own as a practitioner, and your team's "
            "as a SAFEGUARDING_LEAD or INDEX_ADMIN of your local authority. Each is shaped "
            "for you now (a consent withdrawn since removes what it allowed). Needs "
            "X-Purpose. `first` 1 to 100 (default 20); pass pageInfo.endCursor as `after`. "
            "A page may hold fewer than `first` when some are no longer yours to see."
        )
    )
    async def notifications(
        self,
        info: Info[Any, Any],
        first: int = 20,
        after: str | None = None,
        unread_only: bool = False,
    ) -> NotificationConnection:
        return await resolve_notifications(info, first, after, unread_only)


@strawberry.type
class NotificationMutation:
    @strawberry.mutation(
        description=(
            "Mark notifications read (yours and your team's mailbox only; other ids are "
            "ignored, whether or not they exist). At most 500 ids. Needs X-Purpose."
        )
    )
    async def mark_notifications_read(
        self, info: Info[Any, Any], ids: list[strawberry.ID]
    ) -> MarkReadResult:
        return await resolve_mark_read(info, ids)


@strawberry.type
class NotificationSubscription:
    @strawberry.subscription(
        description=(
            "Your notifications as they are written (over WebSocket, graphql-transport-ws; "
            'send `{"Authorization": "Bearer <token>"}` as connection_init\'s payload). '
            "Each is shaped for you at the moment it is delivered. The socket closes "
            "(4403) when your token expires or your access is suspended. What came before "
            "you subscribed is in `Query.notifications`."
        )
    )
    async def notifications(self, info: Info[Any, Any]) -> AsyncGenerator[Notification, None]:
        ctx = info.context
        if not isinstance(ctx, SubscriptionContext):
            raise BadUserInput("subscribe over WebSocket (graphql-transport-ws)")
        async with ctx.hub.listen(ctx.viewer) as subscriber:
            ctx.subscriber = subscriber
            closed = asyncio.create_task(subscriber.closed.wait())
            try:
                while True:
                    item = asyncio.create_task(subscriber.queue.get())
                    done, _ = await asyncio.wait(
                        {item, closed}, return_when=asyncio.FIRST_COMPLETED
                    )
                    if item not in done:
                        item.cancel()
                        return
                    got = item.result()
                    if got is None:  # woken by Subscriber.close
                        return
                    record, delivery = got
                    yield notification_from(record, delivery.payload)
            finally:
                closed.cancel()
