"""DNS rebinding: a webhook's host is resolved once, when the connection is made, and the
connection goes to the very address that was checked.

Checking what a name resolves to and then letting the HTTP client resolve it again to
connect leaves a window: a name that resolves to a public address at the check and to
this machine or a private network a moment later (a rebinding DNS server answers with a
zero TTL) would be connected to. Here the worker's HTTP client has no resolver of its
own: its network backend (`PinnedBackend`) resolves the host, asks
`policies.webhooks.address_allowed` about every address it got (loopback only where the
configuration allows it, as before), and connects to the first one, by address. The URL
is left as registered, so the Host header and TLS (SNI, and the certificate checked
against the name) are the name's; and connections are pooled per name, so a connection
made for one name never carries another's deliveries.

A kept-alive connection is reused without a new look-up: it goes to an address that was
checked when it was opened.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import typing
from collections.abc import Awaitable, Callable

import httpcore

__all__ = ["AddressRefused", "PinnedBackend", "Resolver", "resolve"]

#: (host, port) -> the addresses it resolves to now (empty: it did not resolve).
Resolver = Callable[[str, int], Awaitable[list[str]]]


class AddressRefused(Exception):
    """The host may not be connected to now; `reason` is coarse on purpose (an admin
    reads it as lastError: no address, no resolver's words)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


async def resolve(host: str, port: int) -> list[str]:
    """The system resolver's answer, in its order, each address once."""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        return []
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _literal(host: str) -> str | None:
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        return None


class PinnedBackend(httpcore.AsyncNetworkBackend):
    """Resolves, checks every address, connects to the checked one: one look-up a connection."""

    def __init__(
        self,
        allowed: Callable[[str], bool],
        resolver: Resolver = resolve,
        inner: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self.allowed = allowed
        self.resolver = resolver
        self.inner = inner or httpcore.AnyIOBackend()

    async def pin(self, host: str, port: int) -> str:
        """The address to connect to for `host`, or AddressRefused."""
        literal = _literal(host)
        addresses = [literal] if literal else await self.resolver(host, port)
        if not addresses:
            raise AddressRefused("host name did not resolve")
        # Every answer must be allowed: a name that also resolves to a forbidden address
        # is refused whichever one a client would have picked.
        if not all(self.allowed(a) for a in addresses):
            raise AddressRefused("address not allowed")
        return addresses[0]

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        address = await self.pin(host, port)
        return await self.inner.connect_tcp(
            address,
            port,
            timeout=timeout,
            local_address=local_address,
            socket_options=socket_options,
        )

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise AddressRefused("address not allowed")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)
