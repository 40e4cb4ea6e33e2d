"""DNS rebinding (issue 20): a webhook's host is resolved once per connection, every
address it gives is checked, and the connection goes to the checked address, with the
name kept as the Host header (and the TLS name).

The endpoint's name here is answered by a rebinding resolver: loopback (allowed outside
production) at the first look-up, a private address after. The name exists in no real
DNS, so a delivery that reaches the receiver went to the address that was checked; and
a client that looked the name up twice (once to check, once to connect) would be sent
to the private address.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpcore
import neo4j
import pytest

from policies.webhooks import address_allowed
from tests.webhooks.receiver import Receiver
from webhooks.pinning import AddressRefused, PinnedBackend
from webhooks.worker import DeliveryWorker

NAME = "rebind.contactgraph.invalid"


class Rebinding:
    """Answers loopback once, then a private address, and counts the look-ups."""

    def __init__(self, *answers: list[str]) -> None:
        self.answers = list(answers)
        self.asked: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.asked.append(host)
        return self.answers[min(len(self.asked), len(self.answers)) - 1]


async def _deliver(worker: DeliveryWorker) -> None:
    async with worker.client() as client:
        await worker.drain(client)


def _states(driver: neo4j.Driver, nid: str) -> list[tuple[str, str | None]]:
    rows = driver.execute_query(
        "MATCH (d:WebhookDelivery {notificationId: $id}) RETURN d.state AS s, d.lastError AS e",
        id=nid,
    ).records
    return [(r["s"], r["e"]) for r in rows]


async def test_a_rebound_name_is_connected_to_only_at_the_address_checked(
    receiver: Receiver, register: Any, notify: Any, make_worker: Any, sync_driver: neo4j.Driver
) -> None:
    endpoint, _ = await register("s-oakfield-school", receiver.url)
    parts = urlsplit(receiver.url)
    named = parts._replace(netloc=f"{NAME}:{parts.port}").geturl()
    sync_driver.execute_query(
        "MATCH (e:WebhookEndpoint {id: $id}) SET e.url = $url", id=endpoint, url=named
    )
    rebinding = Rebinding(["127.0.0.1"], ["10.20.30.40"])
    worker = make_worker()
    worker.resolver = rebinding
    first = notify("p-melanie")
    await _deliver(worker)
    assert receiver.ids() == [first]
    assert rebinding.asked == [NAME]  # one look-up for the attempt: the one checked
    assert receiver.received[0].headers["host"] == f"{NAME}:{parts.port}"
    assert _states(sync_driver, first) == [("DELIVERED", None)]

    # A new connection looks the name up again: it now points at a private network, so
    # nothing is sent there, at any attempt, and the delivery ends DEAD.
    again = make_worker()
    again.resolver = rebinding
    second = notify("p-melanie")
    await _deliver(again)
    assert receiver.ids() == [first]
    assert _states(sync_driver, second) == [("DEAD", "address not allowed")]
    assert len(rebinding.asked) == 1 + 3  # one look-up for each of the three attempts


@pytest.mark.parametrize(
    ("answer", "production", "refused"),
    [
        (["127.0.0.1"], False, None),
        (["127.0.0.1"], True, "address not allowed"),  # loopback only where configured
        (["93.184.216.34", "10.0.0.1"], True, "address not allowed"),  # any one forbidden
        (["93.184.216.34"], True, None),
        ([], True, "host name did not resolve"),
    ],
)
async def test_every_address_a_name_gives_is_checked(
    answer: list[str], production: bool, refused: str | None
) -> None:
    backend = PinnedBackend(lambda a: address_allowed(a, production=production), Rebinding(answer))
    if refused is None:
        assert await backend.pin(NAME, 443) == answer[0]
    else:
        with pytest.raises(AddressRefused) as caught:
            await backend.pin(NAME, 443)
        assert caught.value.reason == refused


async def test_an_address_literal_is_checked_without_a_look_up() -> None:
    never = Rebinding()
    backend = PinnedBackend(lambda a: address_allowed(a, production=True), never)
    with pytest.raises(AddressRefused):
        await backend.pin("169.254.169.254", 80)
    with pytest.raises(AddressRefused):
        await backend.pin("[::1]", 80)
    assert await backend.pin("93.184.216.34", 80) == "93.184.216.34"
    assert never.asked == []
    with pytest.raises(AddressRefused):
        await backend.connect_unix_socket("/var/run/docker.sock")
    assert isinstance(backend, httpcore.AsyncNetworkBackend)
