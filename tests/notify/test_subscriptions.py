"""Subscriptions over a real WebSocket (graphql-transport-ws) to a real API process.

Melanie's socket hears of Lee's involvement; it hears nothing of the clinic's until the
clinic records Hannah's consent naming her, and nothing of the clinic again once Hannah
withdraws it. A socket is refused without a valid token and closed when its token
expires or its subject is suspended.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import neo4j
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from api.devkeys import issue_token
from api.subscriptions import NotificationHub
from graph.suspensions import reinstate, suspend
from notify.dispatcher import Dispatcher
from policies.viewer import Role, Viewer
from tests.api.consent_support import WITHDRAW, fresh_family
from tests.feeds.conftest import Feed, clean_source, feed, feed_source, record
from tests.misuse.servers import ApiProcess, api_process
from tests.notify.conftest import CLINIC, clinic_names_melanie, start

__all__ = ["clean_source", "feed", "feed_source", "fresh_family"]

pytestmark = pytest.mark.usefixtures("clean_notifications", "fresh_family")

SUBSCRIBE = "subscription { notifications { id kind summary child { id } payload } }"
#: Bounds the wait for a message that must come (never an assertion on time itself).
PATIENCE = 60


@pytest.fixture(scope="module")
def server() -> Iterator[ApiProcess]:
    with api_process(CONTACTGRAPH_NOTIFY_POLL="0.05") as api:
        yield api


def _ws(api: ApiProcess) -> str:
    return api.url.replace("http://", "ws://") + "/graphql"


async def _open(
    api: ApiProcess, token: str | None, *, subscribe: bool = True, query: str = SUBSCRIBE
) -> ClientConnection:
    socket = await connect(_ws(api), subprotocols=["graphql-transport-ws"])  # type: ignore[list-item]
    payload = {"Authorization": f"Bearer {token}"} if token else {}
    await socket.send(json.dumps({"type": "connection_init", "payload": payload}))
    ack = json.loads(await asyncio.wait_for(socket.recv(), PATIENCE))
    assert ack == {"type": "connection_ack"}
    if subscribe:
        await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}}))
        await asyncio.sleep(0.5)  # let the server register it before the change is made
    return socket


async def _next(socket: ClientConnection) -> dict[str, Any]:
    message = json.loads(await asyncio.wait_for(socket.recv(), PATIENCE))
    assert message["type"] == "next", message
    node: dict[str, Any] = message["payload"]["data"]["notifications"]
    node["payload"] = json.loads(node["payload"])
    return node


async def _closed(socket: ClientConnection) -> int:
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            await asyncio.wait_for(socket.recv(), PATIENCE)
    rcvd = closed.value.rcvd
    assert rcvd is not None
    return int(rcvd.code)


def _token(settings: Any, practitioner_id: str, ttl: int = 3600) -> str:
    return issue_token(
        settings,
        [Role.PRACTITIONER],
        practitioner_id=practitioner_id,
        local_authority="NBR",
        ttl_seconds=ttl,
    )


async def _lee(feed: Feed, ref: str) -> None:
    """A marker change Melanie may see: Lee starts (again) with Hannah."""
    report = await feed.send(
        record(ref, "START_INVOLVEMENT", start("c-hannah", "s-nbr-youth", "p-lee"))
    )
    assert report["accepted"] == 1, report


async def test_melanie_hears_of_lee_and_of_the_clinic_only_with_consent(
    server: ApiProcess,
    clinic_feed: Feed,
    dispatcher: Dispatcher,
    as_viewer: Any,
    settings: Any,
) -> None:
    socket = await _open(server, _token(settings, "p-melanie"))
    try:
        await _lee(clinic_feed, "lee-1")
        await dispatcher.drain()
        first = await _next(socket)
        assert first["kind"] == "INVOLVEMENT_STARTED"
        assert first["payload"]["involvement"]["practitioner"]["id"] == "p-lee"
        assert first["child"] == {"id": "c-hannah"}

        # The clinic starts: nothing for her. The marker that follows is the next message.
        await clinic_feed.send(
            record("clinic-1", "START_INVOLVEMENT", start("c-hannah", CLINIC, "p-nurse"))
        )
        await dispatcher.drain()
        await _lee(clinic_feed, "lee-2")
        await dispatcher.drain()
        second = await _next(socket)
        assert second["payload"]["involvement"]["service"]["id"] == "s-nbr-youth"

        # The clinic records Hannah's consent naming her: now she is told.
        nurse = as_viewer(practitioner_id="p-nurse")
        grant_id = await clinic_names_melanie(nurse)
        await dispatcher.drain()
        third = await _next(socket)
        assert third["kind"] == "CONSENT_GRANTED"
        assert {i["service"]["id"] for i in third["payload"]["involvements"]} == {CLINIC}

        # With consent the clinic's next change reaches her ...
        await clinic_feed.send(
            record("clinic-2", "START_INVOLVEMENT", start("c-hannah", CLINIC, "p-nurse"))
        )
        await dispatcher.drain()
        fourth = await _next(socket)
        assert fourth["payload"]["involvement"]["service"]["id"] == CLINIC

        # ... until Hannah withdraws it: told of the withdrawal (without the clinic's name),
        # then the clinic's next change is not delivered; the marker comes first.
        assert "errors" not in await nurse.post(
            WITHDRAW, {"id": grant_id, "reason": "changed mind"}
        )
        await dispatcher.drain()
        fifth = await _next(socket)
        assert fifth["kind"] == "CONSENT_WITHDRAWN" and CLINIC not in json.dumps(fifth)
        await clinic_feed.send(
            record("clinic-3", "START_INVOLVEMENT", start("c-hannah", CLINIC, "p-nurse"))
        )
        await dispatcher.drain()
        await _lee(clinic_feed, "lee-3")
        await dispatcher.drain()
        sixth = await _next(socket)
        assert sixth["payload"]["involvement"]["service"]["id"] == "s-nbr-youth"
    finally:
        await socket.close()


async def test_a_document_the_compiled_path_does_not_take_is_served_by_strawberry(
    server: ApiProcess, clinic_feed: Feed, dispatcher: Dispatcher, settings: Any
) -> None:
    """Directives are graphql-core's to decide (api/subscription_frames.py falls back):
    the same delivery reaches the socket, with the directive applied."""
    query = (
        "subscription { notifications { id kind summary @include(if: false) "
        "child { id } payload } }"
    )
    socket = await _open(server, _token(settings, "p-melanie"), query=query)
    try:
        await _lee(clinic_feed, "lee-fb")
        await dispatcher.drain()
        first = await _next(socket)
        assert first["kind"] == "INVOLVEMENT_STARTED" and "summary" not in first
        assert first["payload"]["involvement"]["practitioner"]["id"] == "p-lee"
        assert first["child"] == {"id": "c-hannah"}
    finally:
        await socket.close()


async def test_a_notification_written_before_a_withdrawal_is_not_delivered_after_it(
    clinic_feed: Feed,
    dispatcher: Dispatcher,
    as_viewer: Any,
    graph: Any,
    sync_driver: neo4j.Driver,
) -> None:
    """Delivery re-checks: a notification the dispatcher wrote while the consent stood is
    withheld from the socket when the consent was withdrawn before it was delivered. The
    hub is driven by hand here, so the order is certain: write, withdraw, then poll."""
    nurse = as_viewer(practitioner_id="p-nurse")
    grant_id = await clinic_names_melanie(nurse)
    await dispatcher.drain()
    hub = NotificationHub(graph, autostart=False)
    melanie = Viewer("p-melanie", frozenset({Role.PRACTITIONER}), "p-melanie", "NBR")
    async with hub.listen(melanie) as subscriber:
        await clinic_feed.send(
            record("clinic-x", "START_INVOLVEMENT", start("c-hannah", CLINIC, "p-nurse"))
        )
        await dispatcher.drain()
        stored = sync_driver.execute_query(
            "MATCH (n:Notification {recipient: 'p-melanie', kind: 'INVOLVEMENT_STARTED'}) "
            "WHERE n.payload CONTAINS $clinic RETURN count(n) AS n",
            clinic=CLINIC,
        ).records[0]["n"]
        assert stored == 1  # written while the consent stood
        assert "errors" not in await nurse.post(WITHDRAW, {"id": grant_id, "reason": "changed"})
        await dispatcher.drain()
        await hub.poll_once()
        delivered = []
        while not subscriber.queue.empty():
            delivered.append(subscriber.queue.get_nowait()[1].payload)
        assert [p["kind"] for p in delivered] == ["CONSENT_WITHDRAWN"]
        assert CLINIC not in json.dumps(delivered)


async def test_a_socket_needs_a_valid_token(server: ApiProcess, settings: Any) -> None:
    for payload in ({}, {"Authorization": "Bearer not-a-token"}, {"token": "x.y.z"}):
        socket = await connect(_ws(server), subprotocols=["graphql-transport-ws"])  # type: ignore[list-item]
        await socket.send(json.dumps({"type": "connection_init", "payload": payload}))
        assert await _closed(socket) == 4403
    # Subscribing before connection_init is refused.
    socket = await connect(_ws(server), subprotocols=["graphql-transport-ws"])  # type: ignore[list-item]
    await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIBE}}))
    assert await _closed(socket) == 4401
    # An expired token is refused like any other bad token.
    expired = issue_token(
        settings,
        [Role.PRACTITIONER],
        practitioner_id="p-melanie",
        ttl_seconds=1,
        issued_at=int(datetime.now(UTC).timestamp()) - 3600,
    )
    socket = await connect(_ws(server), subprotocols=["graphql-transport-ws"])  # type: ignore[list-item]
    await socket.send(
        json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {expired}"}})
    )
    assert await _closed(socket) == 4403


async def test_the_socket_closes_when_the_token_expires(server: ApiProcess, settings: Any) -> None:
    socket = await _open(server, _token(settings, "p-melanie", ttl=3))
    assert await _closed(socket) == 4403


async def test_the_socket_closes_when_the_subject_is_suspended(
    server: ApiProcess, settings: Any, graph: Any
) -> None:
    socket = await _open(server, _token(settings, "p-libby"))
    now = datetime.now(UTC)
    await suspend(graph, "p-libby", "test: a suspended subject hears nothing", "test", now)
    try:
        assert await _closed(socket) == 4403
        # And a new socket is refused.
        socket = await connect(_ws(server), subprotocols=["graphql-transport-ws"])  # type: ignore[list-item]
        token = _token(settings, "p-libby")
        await socket.send(
            json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})
        )
        assert await _closed(socket) == 4403
    finally:
        await reinstate(graph, "p-libby", "test over", "test", datetime.now(UTC))


async def test_a_subscription_over_http_is_refused_without_running(as_viewer: Any) -> None:
    melanie = as_viewer(practitioner_id="p-melanie")
    body = await melanie.post(SUBSCRIBE)
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "WebSocket" in body["errors"][0]["message"]
    assert body.get("data") is None


async def test_roles_that_read_no_children_get_no_notifications(
    server: ApiProcess, settings: Any, as_viewer: Any
) -> None:
    for role in (Role.ANALYST, Role.AUDITOR, Role.FEED):
        token = issue_token(settings, [role], subject=f"someone-{role.value.lower()}")
        socket = await _open(server, token, subscribe=False)
        await socket.send(
            json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIBE}})
        )
        message = json.loads(await asyncio.wait_for(socket.recv(), PATIENCE))
        assert message["type"] == "error"
        assert message["payload"][0]["extensions"]["code"] == "FORBIDDEN"
        await socket.close()
        body = await as_viewer(role, subject=f"someone-{role.value.lower()}").post(
            "{ notifications { nodes { id } } }"
        )
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


@pytest.mark.parametrize(
    ("document", "says"),
    [
        ("{ __typename }", "only subscriptions"),
        ("mutation { markNotificationsRead(ids: []) { __typename } }", "only subscriptions"),
        (
            "subscription { a: notifications { id } b: notifications { id } }",
            "exactly one root field",
        ),
    ],
)
async def test_what_is_not_one_subscription_is_a_clean_error(
    server: ApiProcess, settings: Any, document: str, says: str
) -> None:
    """A query or mutation sent as a subscribe message, or a subscription with two root
    fields, answers BAD_USER_INPUT saying why, not INTERNAL."""
    token = issue_token(settings, [Role.PRACTITIONER], practitioner_id="p-melanie")
    socket = await _open(server, token, subscribe=False)
    await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": document}}))
    message = json.loads(await asyncio.wait_for(socket.recv(), PATIENCE))
    assert message["type"] == "error", message
    (error,) = message["payload"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert says in error["message"]
    await socket.close()
