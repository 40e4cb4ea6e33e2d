"""Webhook endpoints and deliveries (issue 20; rules in policies/webhooks.py).

```
(:WebhookEndpoint {id, serviceId, localAuthority, url, description, state, secretSealed,
                   previousSecretSealed?, previousSecretUntil?, createdAt, createdBy,
                   rotatedAt?, rotatedBy?, disabledAt?, disabledBy?})-[:FOR]->(:Service)
(:WebhookDelivery {id, notificationId, endpointId, localAuthority, state, attempts,
                   nextAttemptAt, createdAt, notifiedAt, lease?, leaseOwner?, leaseUntil?,
                   lastAttemptAt?, lastStatus?, lastError?, deliveredAt?, deadAt?,
                   replayedAt?, replayedBy?, replays?})
```

A delivery is one notification to one endpoint, unique on `id` (notification id @
endpoint id), so fanning a notification out twice makes it once. Workers claim PENDING
deliveries with a lease (`lease`, a random token, and `leaseUntil`): the claim takes each
delivery's write lock before it re-reads its state, so two workers never hold the same
delivery, and every later write names the lease, so a worker whose lease ran out and was
taken over cannot write over the new holder's result. `attempts` counts claims, so a
delivery that kills its worker every time still reaches the dead list.

Notifications reach webhooks through the label `:WebhookPending`, which the dispatcher
gives each practitioner's notification as it writes it (graph/notifications.py): fan-out
reads them by label and removes it in the transaction that writes their deliveries.
"""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass
from datetime import datetime
from typing import Any, LiteralString

from graph.database import Graph
from graph.facts import native_datetime

__all__ = [
    "Claimed",
    "DeliveryRecord",
    "EndpointRecord",
    "ServiceFacts",
    "claim",
    "create_endpoint",
    "delivery",
    "disable_endpoint",
    "endpoint",
    "fan_out",
    "list_deliveries",
    "list_endpoints",
    "record_outcome",
    "release",
    "replay",
    "rotate_secret",
    "service",
    "work_waiting",
]


@dataclass(frozen=True, slots=True)
class ServiceFacts:
    id: str
    name: str
    local_authority: str | None
    kind: str = ""
    sensitive: bool = False


@dataclass(frozen=True, slots=True)
class EndpointRecord:
    id: str
    service_id: str
    local_authority: str | None
    url: str
    description: str
    active: bool
    secret_sealed: str
    previous_secret_sealed: str | None
    previous_secret_until: datetime | None
    created_at: datetime
    created_by: str
    rotated_at: datetime | None
    disabled_at: datetime | None
    disabled_by: str | None


@dataclass(frozen=True, slots=True)
class DeliveryRecord:
    id: str
    notification_id: str
    endpoint_id: str
    local_authority: str | None
    state: str
    attempts: int
    #: Sent to the endpoint at least once (answered or not): it passed the policy's check
    #: at an attempt. One never sent may yet be WITHHELD (policies.webhooks.DeliveryListing).
    sent: bool
    next_attempt_at: datetime | None
    created_at: datetime
    last_attempt_at: datetime | None
    last_status: int | None
    last_error: str | None
    delivered_at: datetime | None
    dead_at: datetime | None
    replays: int
    #: When the notification was written: commit-to-delivery latency starts here.
    notified_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Claimed:
    """A delivery this worker now holds, with what it needs to try it."""

    delivery: DeliveryRecord
    lease: str
    endpoint: EndpointRecord
    #: The notification's recipient still works for the endpoint's service.
    recipient_at_service: bool
    #: The notification still exists (retention may have removed it).
    notification_exists: bool
    #: The endpoint's service as it stands now (kind, feed's sensitive flag): a service
    #: that became sensitive after registration must receive nothing (R6).
    service_kind: str = ""
    service_sensitive: bool = False
    #: The recipient is suspended (R2): the practitioner id is the subject suspended, as
    #: the index takes it (graph/suspensions.py); their service's system hears nothing
    #: for them until they are reinstated, as their own socket and inbox hear nothing.
    recipient_suspended: bool = False


def _dt(value: Any) -> datetime:
    out = native_datetime(value)
    assert out is not None
    return out


_SERVICE: LiteralString = """
MATCH (s:Service {id: $id})
RETURN s.id AS id, s.name AS name, s.localAuthority AS la, s.kind AS kind,
  coalesce(s.sensitive, false) AS sensitive
"""


async def service(graph: Graph, service_id: str) -> ServiceFacts | None:
    rows = await graph.read(_SERVICE, id=service_id)
    if not rows:
        return None
    r = rows[0]
    return ServiceFacts(r["id"], r["name"] or "", r["la"], r["kind"] or "", bool(r["sensitive"]))


_ENDPOINT_MAP: LiteralString = (
    "e { .id, .serviceId, .localAuthority, .url, .description, .state, .secretSealed, "
    ".previousSecretSealed, .previousSecretUntil, .createdAt, .createdBy, .rotatedAt, "
    ".disabledAt, .disabledBy }"
)


def _endpoint(m: dict[str, Any]) -> EndpointRecord:
    return EndpointRecord(
        id=m["id"],
        service_id=m["serviceId"],
        local_authority=m.get("localAuthority"),
        url=m["url"],
        description=m.get("description") or "",
        active=m.get("state") == "ACTIVE",
        secret_sealed=m["secretSealed"],
        previous_secret_sealed=m.get("previousSecretSealed"),
        previous_secret_until=native_datetime(m.get("previousSecretUntil")),
        created_at=_dt(m["createdAt"]),
        created_by=m.get("createdBy") or "",
        rotated_at=native_datetime(m.get("rotatedAt")),
        disabled_at=native_datetime(m.get("disabledAt")),
        disabled_by=m.get("disabledBy"),
    )


_CREATE: LiteralString = (
    """
MATCH (s:Service {id: $serviceId})
CREATE (e:WebhookEndpoint {id: $id, serviceId: s.id, localAuthority: s.localAuthority,
  url: $url, description: $description, state: 'ACTIVE', secretSealed: $sealed,
  createdAt: $now, createdBy: $by})-[:FOR]->(s)
RETURN """
    + _ENDPOINT_MAP
    + " AS e"
)


async def create_endpoint(
    graph: Graph,
    *,
    endpoint_id: str,
    service_id: str,
    url: str,
    description: str,
    sealed: str,
    by: str,
    now: datetime,
) -> EndpointRecord:
    rows = await graph.write(
        _CREATE,
        id=endpoint_id,
        serviceId=service_id,
        url=url,
        description=description,
        sealed=sealed,
        by=by,
        now=now,
    )
    return _endpoint(rows[0]["e"])


_ENDPOINT: LiteralString = "MATCH (e:WebhookEndpoint {id: $id}) RETURN " + _ENDPOINT_MAP + " AS e"


async def endpoint(graph: Graph, endpoint_id: str) -> EndpointRecord | None:
    rows = await graph.read(_ENDPOINT, id=endpoint_id)
    return _endpoint(rows[0]["e"]) if rows else None


_LIST_ENDPOINTS: LiteralString = (
    """
MATCH (e:WebhookEndpoint)
WHERE ($all OR e.localAuthority IN $authorities)
  AND ($serviceId IS NULL OR e.serviceId = $serviceId)
  AND ($includeDisabled OR e.state = 'ACTIVE')
  AND ($hiddenKinds IS NULL OR NOT EXISTS {
    MATCH (s:Service {id: e.serviceId}) WHERE s.sensitive = true OR s.kind IN $hiddenKinds })
RETURN """
    + _ENDPOINT_MAP
    + " AS e ORDER BY e.createdAt DESC, e.id LIMIT $limit"
)


async def list_endpoints(
    graph: Graph,
    *,
    authorities: Set[str] | None,
    service_id: str | None,
    include_disabled: bool,
    limit: int,
    hidden_kinds: Set[str] | None = None,
) -> list[EndpointRecord]:
    """Endpoints of these authorities (None: every one). With `hidden_kinds`, none of a
    service flagged sensitive or of one of these kinds is listed (R6)."""
    rows = await graph.read(
        _LIST_ENDPOINTS,
        all=authorities is None,
        authorities=sorted(authorities or ()),
        serviceId=service_id,
        includeDisabled=include_disabled,
        limit=limit,
        hiddenKinds=None if hidden_kinds is None else sorted(hidden_kinds),
    )
    return [_endpoint(r["e"]) for r in rows]


# Disabling also cancels what was waiting for it, in the same transaction: after the
# answer that says it is disabled, no attempt starts (one already on the wire finishes,
# and its result is not recorded over CANCELLED).
_DISABLE: LiteralString = (
    """
MATCH (e:WebhookEndpoint {id: $id})
SET e.state = 'DISABLED', e.disabledAt = coalesce(e.disabledAt, $now),
  e.disabledBy = coalesce(e.disabledBy, $by)
WITH e
CALL (e) {
  MATCH (d:WebhookDelivery {endpointId: e.id, state: 'PENDING'})
  SET d.state = 'CANCELLED', d.lease = null, d.leaseOwner = null, d.leaseUntil = null
  RETURN count(d) AS cancelled
}
RETURN """
    + _ENDPOINT_MAP
    + " AS e"
)


async def disable_endpoint(
    graph: Graph, endpoint_id: str, by: str, now: datetime
) -> EndpointRecord | None:
    rows = await graph.write(_DISABLE, id=endpoint_id, by=by, now=now)
    return _endpoint(rows[0]["e"]) if rows else None


_ROTATE: LiteralString = (
    """
MATCH (e:WebhookEndpoint {id: $id}) WHERE e.state = 'ACTIVE'
SET e.previousSecretSealed = e.secretSealed, e.previousSecretUntil = $previousUntil,
  e.secretSealed = $sealed, e.rotatedAt = $now, e.rotatedBy = $by
RETURN """
    + _ENDPOINT_MAP
    + " AS e"
)


async def rotate_secret(
    graph: Graph,
    endpoint_id: str,
    *,
    sealed: str,
    previous_until: datetime,
    by: str,
    now: datetime,
) -> EndpointRecord | None:
    """None when the endpoint is unknown or disabled."""
    rows = await graph.write(
        _ROTATE, id=endpoint_id, sealed=sealed, previousUntil=previous_until, by=by, now=now
    )
    return _endpoint(rows[0]["e"]) if rows else None


# --- Deliveries --------------------------------------------------------------------

# Sent at least once; deliveries written before `sent` was kept count as sent if they
# ended DELIVERED or DEAD (each needed an attempt).
_SENT: LiteralString = "coalesce(d.sent, d.state IN ['DELIVERED', 'DEAD'])"

_DELIVERY_MAP: LiteralString = (
    "d { .id, .notificationId, .endpointId, .localAuthority, .state, .attempts, "
    ".nextAttemptAt, .createdAt, .lastAttemptAt, .lastStatus, .lastError, .deliveredAt, "
    ".deadAt, .replays, .notifiedAt, sent: " + _SENT + " }"
)


def _delivery(m: dict[str, Any]) -> DeliveryRecord:
    return DeliveryRecord(
        id=m["id"],
        notification_id=m["notificationId"],
        endpoint_id=m["endpointId"],
        local_authority=m.get("localAuthority"),
        state=m["state"],
        attempts=int(m.get("attempts") or 0),
        sent=bool(m.get("sent")),
        next_attempt_at=native_datetime(m.get("nextAttemptAt")),
        created_at=_dt(m["createdAt"]),
        last_attempt_at=native_datetime(m.get("lastAttemptAt")),
        last_status=m.get("lastStatus"),
        last_error=m.get("lastError"),
        delivered_at=native_datetime(m.get("deliveredAt")),
        dead_at=native_datetime(m.get("deadAt")),
        replays=int(m.get("replays") or 0),
        notified_at=native_datetime(m.get("notifiedAt")),
    )


# Fan-out: an endpoint receives the notifications made since it was registered, never a
# backlog from before it existed. The label is taken off in the transaction that makes
# the deliveries, so a
# crash leaves either both or neither; MERGE on the unique id makes a second pass over
# the same notification (two workers at once) add nothing.
_FAN_OUT: LiteralString = """
MATCH (n:WebhookPending)
WITH n LIMIT $limit
REMOVE n:WebhookPending
WITH n
CALL (n) {
  MATCH (:Practitioner {id: n.recipient})-[:WORKS_FOR]->(:Service)
        <-[:FOR]-(e:WebhookEndpoint {state: 'ACTIVE'})
  WHERE e.createdAt <= n.createdAt
  MERGE (d:WebhookDelivery {id: n.id + '@' + e.id})
  ON CREATE SET d.notificationId = n.id, d.endpointId = e.id,
    d.localAuthority = e.localAuthority, d.state = 'PENDING', d.attempts = 0,
    d.nextAttemptAt = $now, d.createdAt = $now, d.notifiedAt = n.createdAt
  RETURN count(d) AS made
}
RETURN count(n) AS notifications, sum(made) AS deliveries
"""


_WAITING: LiteralString = """
RETURN EXISTS { MATCH (:WebhookPending) } OR EXISTS {
  MATCH (d:WebhookDelivery)
  WHERE d.state = 'PENDING' AND d.nextAttemptAt <= $now
    AND (d.leaseUntil IS NULL OR d.leaseUntil < $now)
} AS waiting
"""


async def work_waiting(graph: Graph, now: datetime) -> bool:
    """Whether a notification waits for fan-out or a delivery is due: one read, so an idle
    worker polls without a write transaction."""
    rows = await graph.read(_WAITING, now=now)
    return bool(rows[0]["waiting"])


async def fan_out(graph: Graph, now: datetime, limit: int) -> tuple[int, int]:
    """(notifications taken, deliveries made)."""
    rows = await graph.write_autocommit_retried(_FAN_OUT, now=now, limit=limit)
    return int(rows[0]["notifications"]), int(rows[0]["deliveries"] or 0)


_CLAIM: LiteralString = (
    """
MATCH (d:WebhookDelivery)
WHERE d.state = 'PENDING' AND d.nextAttemptAt <= $now
  AND (d.leaseUntil IS NULL OR d.leaseUntil < $now)
WITH d ORDER BY d.nextAttemptAt LIMIT $limit
SET d.claimLock = true
REMOVE d.claimLock
WITH d
WHERE d.state = 'PENDING' AND (d.leaseUntil IS NULL OR d.leaseUntil < $now)
SET d.lease = randomUUID(), d.leaseOwner = $owner, d.leaseUntil = $leaseUntil,
  d.attempts = d.attempts + 1, d.lastAttemptAt = $now
WITH d
MATCH (e:WebhookEndpoint {id: d.endpointId})
OPTIONAL MATCH (n:Notification {id: d.notificationId})
RETURN """
    + _DELIVERY_MAP
    + " AS d, d.lease AS lease, "
    + _ENDPOINT_MAP
    + """ AS e, n IS NOT NULL AS found,
  EXISTS { MATCH (:Practitioner {id: n.recipient})-[:WORKS_FOR]->(:Service {id: e.serviceId}) }
    AS atService,
  EXISTS { MATCH (ss:SubjectSuspension {subject: n.recipient}) WHERE ss.suspended }
    AS recipientSuspended,
  COLLECT { MATCH (svc:Service {id: e.serviceId})
            RETURN [coalesce(svc.kind, ''), coalesce(svc.sensitive, false)] }[0] AS svc
"""
)


async def claim(
    graph: Graph, *, owner: str, now: datetime, lease_until: datetime, limit: int
) -> list[Claimed]:
    rows = await graph.write_autocommit_retried(
        _CLAIM, owner=owner, now=now, leaseUntil=lease_until, limit=limit
    )
    return [
        Claimed(
            delivery=_delivery(r["d"]),
            lease=r["lease"],
            endpoint=_endpoint(r["e"]),
            recipient_at_service=bool(r["atService"]),
            recipient_suspended=bool(r["recipientSuspended"]),
            notification_exists=bool(r["found"]),
            service_kind=(r["svc"] or ["", False])[0],
            service_sensitive=bool((r["svc"] or ["", False])[1]),
        )
        for r in rows
    ]


# Every result names the lease it was tried under: a worker whose lease ran out and was
# taken over writes nothing.
_OUTCOME: LiteralString = """
UNWIND $outcomes AS o
MATCH (d:WebhookDelivery {id: o.id})
WHERE d.lease = o.lease AND d.state = 'PENDING'
SET d.state = o.state, d.lastStatus = o.status, d.lastError = o.error,
  d.sent = coalesce(d.sent, false) OR o.state IN ['DELIVERED', 'PENDING', 'DEAD'],
  d.nextAttemptAt = CASE WHEN o.state = 'PENDING' THEN o.nextAt ELSE null END,
  d.deliveredAt = CASE WHEN o.state = 'DELIVERED' THEN $now ELSE d.deliveredAt END,
  d.deadAt = CASE WHEN o.state = 'DEAD' THEN $now ELSE d.deadAt END,
  d.lease = null, d.leaseOwner = null, d.leaseUntil = null
RETURN d.id AS id
"""


@dataclass(frozen=True, slots=True)
class Outcome:
    delivery_id: str
    lease: str
    state: str
    status: int | None = None
    error: str | None = None
    next_attempt_at: datetime | None = None


async def record_outcome(graph: Graph, outcomes: list[Outcome], now: datetime) -> set[str]:
    """The ids whose outcome was written (the others' leases had been taken over)."""
    if not outcomes:
        return set()
    rows = await graph.write_autocommit_retried(
        _OUTCOME,
        now=now,
        outcomes=[
            {
                "id": o.delivery_id,
                "lease": o.lease,
                "state": o.state,
                "status": o.status,
                "error": o.error,
                "nextAt": o.next_attempt_at,
            }
            for o in outcomes
        ],
    )
    return {r["id"] for r in rows}


_RELEASE: LiteralString = """
UNWIND $ids AS i
MATCH (d:WebhookDelivery {id: i.id}) WHERE d.lease = i.lease AND d.state = 'PENDING'
SET d.lease = null, d.leaseOwner = null, d.leaseUntil = null, d.attempts = d.attempts - 1
"""


async def release(graph: Graph, held: list[tuple[str, str]]) -> None:
    """Give back deliveries not tried (a worker stopping): the claim is not counted."""
    if held:
        await graph.write_autocommit_retried(
            _RELEASE, ids=[{"id": i, "lease": lease} for i, lease in held]
        )


_DELIVERY: LiteralString = "MATCH (d:WebhookDelivery {id: $id}) RETURN " + _DELIVERY_MAP + " AS d"


async def delivery(graph: Graph, delivery_id: str) -> DeliveryRecord | None:
    rows = await graph.read(_DELIVERY, id=delivery_id)
    return _delivery(rows[0]["d"]) if rows else None


_LIST_DELIVERIES: LiteralString = (
    """
MATCH (d:WebhookDelivery)
WHERE ($state IS NULL OR d.state = $state)
  AND ($states IS NULL OR d.state IN $states)
  AND (NOT $sentOnly OR """
    + _SENT
    + """)
  AND ($endpointId IS NULL OR d.endpointId = $endpointId)
  AND ($all OR d.localAuthority IN $authorities)
  AND ($hiddenKinds IS NULL OR NOT EXISTS {
    MATCH (he:WebhookEndpoint {id: d.endpointId}), (s:Service {id: he.serviceId})
    WHERE s.sensitive = true OR s.kind IN $hiddenKinds })
RETURN """
    + _DELIVERY_MAP
    + " AS d ORDER BY d.createdAt DESC, d.id LIMIT $limit"
)


async def list_deliveries(
    graph: Graph,
    *,
    authorities: Set[str] | None,
    state: str | None,
    endpoint_id: str | None,
    limit: int,
    hidden_kinds: Set[str] | None = None,
    states: Set[str] | None = None,
    sent_only: bool = False,
) -> list[DeliveryRecord]:
    """Newest first; `states`, when given, the only states listed (whatever `state` asks),
    and with `sent_only` only deliveries sent at least once."""
    rows = await graph.read(
        _LIST_DELIVERIES,
        all=authorities is None,
        authorities=sorted(authorities or ()),
        state=state,
        states=None if states is None else sorted(states),
        sentOnly=sent_only,
        endpointId=endpoint_id,
        limit=limit,
        hiddenKinds=None if hidden_kinds is None else sorted(hidden_kinds),
    )
    return [_delivery(r["d"]) for r in rows]


_REPLAY: LiteralString = (
    """
MATCH (d:WebhookDelivery {id: $id}) WHERE d.state = 'DEAD'
MATCH (e:WebhookEndpoint {id: d.endpointId}) WHERE e.state = 'ACTIVE'
SET d.state = 'PENDING', d.attempts = 0, d.nextAttemptAt = $now, d.deadAt = null,
  d.replayedAt = $now, d.replayedBy = $by, d.replays = coalesce(d.replays, 0) + 1
RETURN """
    + _DELIVERY_MAP
    + " AS d"
)


async def replay(graph: Graph, delivery_id: str, by: str, now: datetime) -> DeliveryRecord | None:
    """None unless the delivery is DEAD and its endpoint still active."""
    rows = await graph.write(_REPLAY, id=delivery_id, by=by, now=now)
    return _delivery(rows[0]["d"]) if rows else None
