"""GraphQL subscriptions over WebSocket (`graphql-transport-ws`), and the hub that feeds them.

The socket (`/graphql`, subprotocol `graphql-transport-ws`) is authenticated like a
request: `connection_init` carries `{"Authorization": "Bearer <token>"}` in its payload,
checked by the same verifier (R1), and a suspended subject is refused. An open socket is
closed (4403) when its token expires and when its subject is suspended.

Notifications are written by dispatchers in any process; each API process runs one
`NotificationHub` that polls the graph for notifications written since its cursor for the
mailboxes of its open sockets (one bounded read per tick, nothing when no socket is
open), re-checks each one for the viewer on each socket (notify.delivery: a consent
withdrawn a moment ago stops it) and hands it to that socket's subscription. Every
delivery is audited (R14). A socket sees what is written after it subscribed; the inbox
(`Query.notifications`) holds what came before.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import strawberry
from graphql import (
    ExecutionResult,
    GraphQLError,
    OperationDefinitionNode,
    OperationType,
    get_operation_ast,
    parse,
)
from starlette.websockets import WebSocket, WebSocketDisconnect

from api.auth import AuthError, TokenVerifier
from api.logs import get_logger
from graph.database import Graph
from graph.notifications import NotificationRecord, notifications_since, suspended_subjects
from notify.delivery import Delivery, recheck_for
from policies.notifications import mailboxes
from policies.viewer import Viewer
from policies.visibility import may_read_children

if TYPE_CHECKING:
    from api.subscription_frames import FramePlan, SubscriptionFrames

__all__ = ["NotificationHub", "Subscriber", "SubscriptionContext", "serve_socket"]

log = get_logger("contactgraph.subscriptions")

PROTOCOL = "graphql-transport-ws"
#: The protocol's close codes.
UNAUTHORIZED, FORBIDDEN, INIT_TIMEOUT, TOO_MANY_INITS, DUPLICATE_ID = 4401, 4403, 4408, 4429, 4409
BAD_REQUEST, BAD_PROTOCOL = 4400, 4406
TRY_AGAIN_LATER = 1013
#: Subscriptions one socket may hold at once (one is all a client needs).
MAX_OPERATIONS = 4


@dataclass(eq=False)
class Subscriber:
    """One subscription on one socket: who receives, and where their deliveries go."""

    viewer: Viewer
    boxes: tuple[str, ...]
    #: Deliveries in order; None wakes a reader to find `closed` set.
    queue: asyncio.Queue[tuple[NotificationRecord, Delivery] | None] = field(
        default_factory=lambda: asyncio.Queue(maxsize=1000)
    )
    closed: asyncio.Event = field(default_factory=asyncio.Event)
    close_reason: str = ""

    def close(self, reason: str) -> None:
        """Stop this subscription: its reader wakes (or, with a full queue, finds it
        closed after the item in hand) and delivers nothing more."""
        self.close_reason = reason
        self.closed.set()
        with contextlib.suppress(asyncio.QueueFull):
            self.queue.put_nowait(None)


class NotificationHub:
    """Polls for new notifications while anyone listens, and fans them out in-process."""

    def __init__(
        self,
        graph: Graph,
        *,
        poll_s: float = 0.1,
        lookback_s: float = 2.0,
        batch: int = 2000,
        suspension_every_s: float = 2.0,
        autostart: bool = True,
    ) -> None:
        self.graph = graph
        self.poll_s = poll_s
        self.lookback = timedelta(seconds=lookback_s)
        self.batch = batch
        self.suspension_every_s = suspension_every_s
        #: False: nothing polls by itself (tests drive `poll_once`).
        self.autostart = autostart
        self._subscribers: set[Subscriber] = set()
        #: The subscribers by mailbox, so a tick's fan-out is one lookup per record.
        self._by_box: dict[str, list[Subscriber]] = {}
        self._cursor: datetime | None = None
        self._seen: dict[str, datetime] = {}
        self._task: asyncio.Task[None] | None = None
        self._last_suspension_check = 0.0
        self.delivered = 0

    @contextlib.asynccontextmanager
    async def listen(self, viewer: Viewer) -> AsyncIterator[Subscriber]:
        subscriber = Subscriber(viewer, tuple(mailboxes(viewer)))
        if self._cursor is None or not self._subscribers:
            self._cursor = datetime.now(UTC)
        self._subscribers.add(subscriber)
        for box in subscriber.boxes:
            self._by_box.setdefault(box, []).append(subscriber)
        if self.autostart and (self._task is None or self._task.done()):
            self._task = asyncio.create_task(self._loop())
        try:
            yield subscriber
        finally:
            self._subscribers.discard(subscriber)
            for box in subscriber.boxes:
                listening = self._by_box.get(box, [])
                if subscriber in listening:
                    listening.remove(subscriber)
                if not listening:
                    self._by_box.pop(box, None)

    @property
    def listening(self) -> int:
        return len(self._subscribers)

    async def _loop(self) -> None:
        while self._subscribers:
            try:
                await self.poll_once()
            except Exception as exc:  # the next tick tries again; sockets stay open
                log.warning("notification_poll_failed", error=type(exc).__name__)
                await asyncio.sleep(1.0)
            await asyncio.sleep(self.poll_s)

    async def poll_once(self) -> int:
        subscribers = list(self._subscribers)
        if not subscribers:
            return 0
        now = datetime.now(UTC)
        if time.monotonic() - self._last_suspension_check >= self.suspension_every_s:
            self._last_suspension_check = time.monotonic()
            suspended = await suspended_subjects(
                self.graph, [s.viewer.subject for s in subscribers]
            )
            for s in subscribers:
                if s.viewer.subject in suspended:
                    s.close("suspended")
        boxes = sorted(self._by_box)
        if not boxes:
            return 0
        cursor = self._cursor or now
        records = await notifications_since(
            self.graph, cursor - self.lookback, boxes, self.batch, seen=self._seen.keys()
        )
        fresh = [r for r in records if r.id not in self._seen]
        for r in fresh:
            self._seen[r.id] = r.created_at
        if records:
            self._cursor = max(cursor, max(r.created_at for r in records))
        horizon = (self._cursor or now) - self.lookback * 2
        self._seen = {k: v for k, v in self._seen.items() if v >= horizon}
        if not fresh:
            return 0
        pairs = [
            (record, s)
            for record in fresh
            for s in self._by_box.get(record.recipient, ())
            if not s.closed.is_set()
        ]
        deliveries = await recheck_for(
            self.graph, [(r, s.viewer) for r, s in pairs], now, channel="subscription"
        )
        sent = 0
        for (record, s), delivery in zip(pairs, deliveries, strict=True):
            if delivery is None:
                continue
            try:
                s.queue.put_nowait((record, delivery))
                sent += 1
            except asyncio.QueueFull:  # a socket that does not read is closed, not buffered
                s.close("too slow")
        self.delivered += sent
        return sent


@dataclass
class SubscriptionContext:
    """What a subscription's resolver is given (the HTTP endpoint's context is per request)."""

    viewer: Viewer
    hub: NotificationHub
    subscriber: Subscriber | None = None


def _token_expiry(token: str) -> float | None:
    """`exp` of a token the verifier has just accepted (so its payload is trusted)."""
    try:
        part = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
        return float(claims["exp"])
    except (IndexError, KeyError, TypeError, ValueError):
        return None


def _authorization(payload: Any) -> str | None:
    if not isinstance(payload, dict):
        return None
    for key in ("Authorization", "authorization"):
        value = payload.get(key)
        if isinstance(value, str):
            return value
    token = payload.get("token")
    return f"Bearer {token}" if isinstance(token, str) else None


async def serve_socket(
    websocket: WebSocket,
    *,
    schema: strawberry.Schema,
    verifier: TokenVerifier,
    hub: NotificationHub,
    graph: Graph,
    init_timeout_s: float = 10.0,
    frames: SubscriptionFrames | None = None,
) -> None:
    """One socket, the graphql-transport-ws protocol, from accept to close; with
    `frames`, documents it compiles skip strawberry's per-message execution."""
    offered = websocket.scope.get("subprotocols") or []
    if PROTOCOL not in offered:
        await websocket.close(code=BAD_PROTOCOL, reason="Subprotocol not acceptable")
        return
    await websocket.accept(subprotocol=PROTOCOL)
    try:
        first = await asyncio.wait_for(websocket.receive_json(), timeout=init_timeout_s)
    except TimeoutError:
        await websocket.close(code=INIT_TIMEOUT, reason="Connection initialisation timeout")
        return
    except (WebSocketDisconnect, ValueError, KeyError):
        return
    if not isinstance(first, dict) or first.get("type") != "connection_init":
        await websocket.close(code=UNAUTHORIZED, reason="Unauthorized")
        return
    authorization = _authorization(first.get("payload"))
    try:
        viewer = await verifier.verify(authorization)
    except AuthError:
        # One answer for every way a token is wrong (R1): no oracle in the close reason.
        await websocket.close(code=FORBIDDEN, reason="Forbidden")
        return
    try:
        suspended = await suspended_subjects(graph, [viewer.subject])
    except Exception as exc:  # the store cannot say: fail closed, the client retries
        log.warning("subscription_init_failed", error=type(exc).__name__)
        await websocket.close(code=TRY_AGAIN_LATER, reason="Try again later")
        return
    if suspended:
        await websocket.close(code=FORBIDDEN, reason="Forbidden")
        return
    token = (authorization or "").partition(" ")[2].strip()
    expires = _token_expiry(token) or time.time()
    await websocket.send_json({"type": "connection_ack"})
    session = _Session(websocket, schema, viewer, hub, frames)
    try:
        await session.run(expires)
    finally:
        await session.stop()


class _Session:
    def __init__(
        self,
        websocket: WebSocket,
        schema: strawberry.Schema,
        viewer: Viewer,
        hub: NotificationHub,
        frames: SubscriptionFrames | None = None,
    ) -> None:
        self.frames = frames
        self.websocket = websocket
        self.schema = schema
        self.viewer = viewer
        self.hub = hub
        self.operations: dict[str, asyncio.Task[None]] = {}
        self.closing: asyncio.Future[tuple[int, str]] = asyncio.get_running_loop().create_future()

    def close(self, code: int, reason: str) -> None:
        if not self.closing.done():
            self.closing.set_result((code, reason))

    async def run(self, expires: float) -> None:
        reader = asyncio.create_task(self._read())
        expiry = asyncio.create_task(asyncio.sleep(max(0.0, expires - time.time())))
        waiting: set[asyncio.Future[Any]] = {reader, expiry, self.closing}
        done, _ = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
        if expiry in done:
            self.close(FORBIDDEN, "Token expired")
        for task in (reader, expiry):
            task.cancel()
        if self.closing.done():
            code, reason = self.closing.result()
            with contextlib.suppress(Exception):
                await self.websocket.close(code=code, reason=reason)

    async def stop(self) -> None:
        tasks = list(self.operations.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def _read(self) -> None:
        while True:
            try:
                message = await self.websocket.receive_json()
            except (WebSocketDisconnect, RuntimeError):
                self.close(1000, "")
                return
            except ValueError:
                self.close(BAD_REQUEST, "Invalid message received")
                return
            kind = message.get("type") if isinstance(message, dict) else None
            if kind == "ping":
                await self.websocket.send_json({"type": "pong"})
            elif kind == "pong":
                continue
            elif kind == "connection_init":
                self.close(TOO_MANY_INITS, "Too many initialisation requests")
                return
            elif kind == "subscribe":
                ident = message.get("id")
                payload = message.get("payload")
                if not isinstance(ident, str) or not ident or not isinstance(payload, dict):
                    self.close(BAD_REQUEST, "Invalid message received")
                    return
                if ident in self.operations:
                    self.close(DUPLICATE_ID, f"Subscriber for {ident} already exists")
                    return
                if len(self.operations) >= MAX_OPERATIONS:
                    self.close(BAD_REQUEST, f"At most {MAX_OPERATIONS} subscriptions a socket")
                    return
                self.operations[ident] = asyncio.create_task(self._operate(ident, payload))
            elif kind == "complete":
                task = self.operations.pop(str(message.get("id")), None)
                if task is not None:
                    task.cancel()
            else:
                self.close(BAD_REQUEST, "Invalid message received")
                return

    async def _operate(self, ident: str, payload: dict[str, Any]) -> None:
        if not may_read_children(self.viewer):
            # R2: only the roles that read children are told about them.
            refusal = {
                "message": "only PRACTITIONER, SAFEGUARDING_LEAD and INDEX_ADMIN "
                "have notifications",
                "extensions": {"code": "FORBIDDEN"},
            }
            await self.websocket.send_json({"id": ident, "type": "error", "payload": [refusal]})
            self.operations.pop(ident, None)
            return
        query = payload.get("query")
        variables = payload.get("variables")
        misuse = _not_one_subscription(query, payload.get("operationName"))
        if misuse is not None:
            refusal = {"message": misuse, "extensions": {"code": "BAD_USER_INPUT"}}
            await self.websocket.send_json({"id": ident, "type": "error", "payload": [refusal]})
            self.operations.pop(ident, None)
            return
        plan = (
            self.frames.plan(query, payload.get("operationName"), variables)
            if self.frames
            else None
        )
        try:
            if plan is not None:
                await self._stream(ident, plan)
            else:
                await self._execute(ident, query, variables, payload.get("operationName"))
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the socket may be gone; nothing to tell
            log.info("subscription_ended", error=type(exc).__name__)
        finally:
            self.operations.pop(ident, None)

    async def _stream(self, ident: str, plan: FramePlan) -> None:
        """A compiled subscription: each delivery rendered straight to its text frame,
        one await per message (the strawberry path's task, wait and execution skipped).
        It ends only when the hub closes it (suspension, a socket too slow)."""
        async with self.hub.listen(self.viewer) as subscriber:
            while True:
                item = await subscriber.queue.get()
                if item is None or subscriber.closed.is_set():
                    break
                record, delivery = item
                await self.websocket.send_text(plan.frame(ident, record, delivery.payload))
        self.close(FORBIDDEN, "Forbidden")

    async def _execute(self, ident: str, query: Any, variables: Any, operation_name: Any) -> None:
        """Any other document: strawberry subscribes and executes each message."""
        context = SubscriptionContext(self.viewer, self.hub)
        result = await self.schema.subscribe(
            query if isinstance(query, str) else None,
            variable_values=variables if isinstance(variables, dict) else None,
            context_value=context,
            operation_name=operation_name,
        )
        if isinstance(result, ExecutionResult):
            errors = [e.formatted for e in (result.errors or [])]
            await self.websocket.send_json({"id": ident, "type": "error", "payload": errors})
            return
        async for item in result:
            body: dict[str, Any] = {"data": item.data}
            if item.errors:
                body["errors"] = [_public(e) for e in item.errors]
            await self.websocket.send_json({"id": ident, "type": "next", "payload": body})
            if context.subscriber is not None and context.subscriber.closed.is_set():
                break
        if context.subscriber is not None and context.subscriber.closed.is_set():
            self.close(FORBIDDEN, "Forbidden")
            return
        await self.websocket.send_json({"id": ident, "type": "complete"})


def _not_one_subscription(query: Any, operation_name: Any) -> str | None:
    """Why this document is not one subscription with one root field, or None (then the
    schema validates it as usual). The socket runs subscriptions only: a query or
    mutation goes over HTTP, and the GraphQL spec allows a subscription one root field."""
    if not isinstance(query, str):
        return None
    try:
        document = parse(query)
    except GraphQLError:
        return None  # a syntax error: the schema's own answer names it
    operation = get_operation_ast(
        document, operation_name if isinstance(operation_name, str) else None
    )
    if not isinstance(operation, OperationDefinitionNode):
        return None
    if operation.operation is not OperationType.SUBSCRIPTION:
        return (
            "only subscriptions are accepted over the socket: send queries and mutations over HTTP"
        )
    if len(operation.selection_set.selections) != 1:
        return "a subscription must select exactly one root field"
    return None


def _public(error: GraphQLError) -> dict[str, Any]:
    """An error as the client sees it: the message only for the caller's own mistakes."""
    code = (error.extensions or {}).get("code")
    if code:
        return dict(error.formatted)
    return {"message": "internal error", "extensions": {"code": "INTERNAL"}}
