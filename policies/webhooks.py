"""Webhooks for supplier systems (issue 20): who registers an endpoint, which URLs are
accepted, and when a failed delivery is tried again or given up.

Who: the INDEX_ADMIN of the service's own local authority. A webhook sends what the
service's practitioners are told about children to a machine the service runs; the index
team already decides who works for which service of its authority (feeds, R15) and
answers for who is told what, so it also decides where those notifications may be sent.
There is no supplier administrator role in the policy (R1 names six roles), and a
practitioner cannot register one: a practitioner could otherwise send a whole service's
notifications to a machine of their own choosing. AUDITOR reads endpoints and deliveries
of every authority but changes nothing.

Where: https only in production. A plain-http endpoint would put the notification (a
child's name, who works with them) on the wire in clear, and the signature proves only
who sent it, not that nobody read it. Outside production, http to the loopback address
is allowed so that tests and a developer's own receiver need no certificate. In
production an address that names this machine or a private network is refused too: the
delivery worker must not become a way to reach what sits behind the index's firewall.

Never for a sensitive service (R6): a webhook tells its receiver which children the
service's practitioners work with, and an index admin registers it. An endpoint of a
mental health, sexual health or substance misuse service (or one a feed flags sensitive)
would let the admin learn that a child uses that service, which R6 withholds from them;
its deliveries' timestamps would correlate with the children's audit trails as well. So
such an endpoint is refused at registration, an existing one whose service has become
sensitive receives nothing (checked at every attempt: WITHHELD), and neither it nor its
deliveries are listed to an index admin.

When again: exponential backoff with jitter, so that a receiver that comes back after an
outage is not met by every delivery at once; after `max_attempts` the delivery is dead
(listed for the index team, replayable by them).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Set
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit

from policies.decision import Decision, Rule, allow, deny
from policies.text import visible_length
from policies.viewer import Role, Viewer
from policies.vocabulary import SENSITIVE_KINDS

__all__ = [
    "MAX_DESCRIPTION",
    "MAX_URL",
    "DeliveryListing",
    "DeliveryState",
    "RetrySchedule",
    "address_allowed",
    "check_description",
    "check_url",
    "delivery_listing",
    "may_manage_endpoints",
    "may_read_endpoints",
    "readable_authorities",
    "redacted_url",
    "sensitive_hidden_from",
    "service_may_receive",
    "succeeded",
]

MAX_URL = 2048
MAX_DESCRIPTION = 500


class DeliveryState(StrEnum):
    """Where one notification's delivery to one endpoint stands."""

    #: Waiting for its next attempt (nextAttemptAt); a worker holds it while it tries.
    PENDING = "PENDING"
    #: The endpoint answered 2xx: never sent again (unless an admin replays it).
    DELIVERED = "DELIVERED"
    #: Every attempt failed: listed for the index team, who may replay it.
    DEAD = "DEAD"
    #: At the attempt, policy no longer let the recipient see it (consent withdrawn,
    #: shield, the practitioner left the service): nothing was sent.
    WITHHELD = "WITHHELD"
    #: The endpoint was disabled before it went out: nothing was sent.
    CANCELLED = "CANCELLED"


def may_manage_endpoints(viewer: Viewer, service_local_authority: str | None) -> Decision:
    """Register, disable or rotate the secret of an endpoint for a service of this authority,
    and replay its dead deliveries."""
    if (
        viewer.has(Role.INDEX_ADMIN)
        and viewer.local_authority is not None
        and viewer.local_authority == service_local_authority
    ):
        return allow("INDEX_ADMIN of the service's local authority", Rule.R14)
    return deny("only INDEX_ADMIN of the service's local authority manages its webhooks", Rule.R14)


def may_read_endpoints(viewer: Viewer) -> Decision:
    """List endpoints and deliveries: the authority's index team, or an auditor (all)."""
    if viewer.has(Role.AUDITOR):
        return allow("AUDITOR reads every authority's webhooks", Rule.R14)
    if viewer.has(Role.INDEX_ADMIN) and viewer.local_authority is not None:
        return allow("INDEX_ADMIN reads their own authority's webhooks", Rule.R14)
    return deny("only INDEX_ADMIN and AUDITOR list webhooks", Rule.R14)


def service_may_receive(kind: str, sensitive: bool) -> Decision:
    """Whether a service's system may have a webhook endpoint at all, and be delivered to
    now: never a sensitive service's (R6; the module's docstring says why)."""
    if sensitive or kind in SENSITIVE_KINDS:
        return deny(
            "webhooks cannot be registered for a sensitive service (mental health, sexual "
            "health, substance misuse): its notifications would disclose which children use it",
            Rule.R6,
        )
    return allow("the service is not sensitive", Rule.R6)


def sensitive_hidden_from(viewer: Viewer) -> Set[str] | None:
    """The service kinds whose endpoints and deliveries `viewer` is not shown (with any
    service flagged sensitive), or None for an AUDITOR, who reads everything."""
    if viewer.has(Role.AUDITOR):
        return None
    return SENSITIVE_KINDS


@dataclass(frozen=True)
class DeliveryListing:
    """Which deliveries a reader may list (and name: replaying one not listed to them is
    NOT_FOUND, like an unknown id).

    To an index admin (R4, no oracle) neither WITHHELD deliveries nor any never sent. A
    delivery is withheld when, at an attempt, policy does not let its recipient's service
    see what it tells (an override that is the practitioner's own, a consent withdrawn, a
    sensitive service's involvement): its notification id and time would say that
    something happened that the admin's service may not know of. One not yet sent may be
    withheld at its first attempt, so it would say as much by being listed PENDING (or
    CANCELLED, if the endpoint was disabled first) and then gone. One sent has passed the
    check. AUDITOR lists every one."""

    states: frozenset[str] | None  # None: every state
    sent_only: bool

    def shows(self, state: str, sent: bool) -> bool:
        return (self.states is None or state in self.states) and (sent or not self.sent_only)


def delivery_listing(viewer: Viewer) -> DeliveryListing:
    if viewer.has(Role.AUDITOR):
        return DeliveryListing(None, sent_only=False)
    states = frozenset(s.value for s in DeliveryState) - {DeliveryState.WITHHELD.value}
    return DeliveryListing(states, sent_only=True)


def readable_authorities(viewer: Viewer) -> Set[str] | None:
    """The authorities whose webhooks `viewer` may list; None means every one (AUDITOR)."""
    if viewer.has(Role.AUDITOR):
        return None
    return frozenset({viewer.local_authority}) if viewer.local_authority else frozenset()


def check_description(description: str) -> Decision:
    if visible_length(description) < 3:
        return deny("the description must say what the endpoint is (3 characters or more)")
    if len(description) > MAX_DESCRIPTION:
        return deny(f"the description must be at most {MAX_DESCRIPTION} characters")
    return allow("description recorded")


def address_allowed(address: str, *, production: bool) -> bool:
    """Whether the worker may connect to this IP address (a literal host, or what a host
    name resolved to). Outside production only loopback and public addresses; in
    production only public ones."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if ip.is_loopback:
        return not production
    return ip.is_global and not ip.is_multicast


_LOOPBACK_HOSTS = frozenset({"127.0.0.1"})


def redacted_url(url: str) -> str:
    """`url` as an audit event or error may record it: without user-info (a rejected URL
    may carry a password) and without query or fragment, at most 200 characters."""
    head = url.split("#", 1)[0].split("?", 1)[0]
    scheme, sep, rest = head.partition("://")
    if sep:
        authority, slash, path = rest.partition("/")
        authority = authority.rsplit("@", 1)[-1]
        head = f"{scheme}://{authority}{slash}{path}"
    else:
        head = head.rsplit("@", 1)[-1]
    return head[:200]


def check_url(url: str, *, production: bool) -> Decision:
    """Whether `url` may be registered. The same rule is applied again to what its host
    resolves to at every attempt (address_allowed), since a name can be pointed anywhere
    after it was registered."""
    if len(url) > MAX_URL:
        return deny(f"the URL must be at most {MAX_URL} characters")
    if any(ch.isspace() or ord(ch) < 0x20 for ch in url):
        return deny("the URL must not contain spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return deny("the URL is not valid")
    host = (parts.hostname or "").lower()
    if not host:
        return deny("the URL must name a host")
    if parts.username is not None or parts.password is not None:
        return deny("the URL must not carry credentials: deliveries are signed instead")
    if parts.fragment:
        return deny("the URL must not have a fragment")
    if port == 0:
        return deny("the URL's port is not valid")
    literal: ipaddress.IPv4Address | ipaddress.IPv6Address | None
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if parts.scheme == "http":
        if production:
            return deny("production endpoints must use https")
        if host not in _LOOPBACK_HOSTS:
            return deny(
                "http is allowed only to the loopback address (127.0.0.1) outside production"
            )
        return allow("http to loopback outside production")
    if parts.scheme != "https":
        return deny("the URL must use https")
    last = host.rstrip(".").rsplit(".", 1)[-1]
    if literal is None and (last.isdigit() or last.startswith("0x")):
        # 0x7f.1, 2130706433, 127.1: what C resolvers read as an IP address in disguise.
        return deny("the URL must name its host by a DNS name or a plain IP address")
    if literal is not None:
        if not address_allowed(host, production=production):
            return deny("the URL must not name a private, loopback or reserved address")
    elif production and (
        host == "localhost" or host.endswith((".localhost", ".local", ".internal"))
    ):
        return deny("the URL must name a public host")
    elif "." not in host and host != "localhost":
        return deny("the URL must name a fully qualified host")
    return allow("https endpoint")


@dataclass(frozen=True, slots=True)
class RetrySchedule:
    """Attempt n (1-based) failed: wait about base * factor**(n-1) seconds, at most cap,
    before attempt n+1; after max_attempts the delivery is dead.

    The default (8 attempts, 10 s doubling to at most 1 h) spans about 21 minutes of
    attempts plus jitter: long enough to ride out a receiver's restart or a short outage,
    short enough that an index team sees a broken endpoint in its dead list the same day.
    """

    max_attempts: int = 8
    base_s: float = 10.0
    factor: float = 2.0
    cap_s: float = 3600.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1 or self.base_s < 0 or self.factor < 1 or self.cap_s < 0:
            raise ValueError("a retry schedule needs max_attempts >= 1 and non-negative delays")

    def delay_after(self, attempts: int, jitter: float) -> float | None:
        """Seconds to wait after `attempts` failed attempts, or None when the delivery is
        now dead. `jitter` in [0, 1) (the caller's random draw) spreads the wait over the
        upper half of the step ("equal jitter"): retries from many deliveries that failed
        together spread out, and none comes back sooner than half the step."""
        if attempts >= self.max_attempts:
            return None
        step = min(self.cap_s, self.base_s * self.factor ** max(0, attempts - 1))
        jitter = min(max(jitter, 0.0), 1.0)
        return step / 2 + step / 2 * jitter


def succeeded(status_code: int | None) -> bool:
    """Only a 2xx acknowledges a delivery: a redirect is not followed and counts as a
    failure (the endpoint must be registered at its real address)."""
    return status_code is not None and 200 <= status_code < 300
