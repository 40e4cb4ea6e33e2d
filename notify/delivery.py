"""Delivery's re-check: what a written notification may still carry, right before it is sent.

A notification was shaped when it was dispatched; by the time a channel delivers it the
facts may have changed (a consent withdrawn, a child shielded, the recipient no longer
involved). Every channel (inbox, subscription, webhook) calls `recheck` just before it
delivers: the event's facts are read again (one round trip for the batch), the recipient
must still be one (policies.notifications.recipients) and the payload is shaped again
through the disclosure decision point for the viewer actually receiving it. What it lets
through is audited like a read (R14), one event per delivered notification.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from graph.audit import AuditRecord, append_events
from graph.database import Graph
from graph.notifications import NotificationRecord, event_contexts_by_id
from policies.audit import notification_action
from policies.notifications import EventContext, Recipient, Shaped, recipients, shape
from policies.viewer import Viewer
from policies.visibility import involvement_horizon

__all__ = ["Delivery", "audit_record", "recheck", "recheck_for"]


@dataclass(frozen=True, slots=True)
class Delivery:
    """What one notification may carry now, and what telling it discloses (R14)."""

    payload: dict[str, Any]
    disclosed: tuple[str, ...]
    override_ids: tuple[str, ...]
    audit: AuditRecord


def audit_record(
    viewer: Viewer, ctx: EventContext, shaped: Shaped, now: datetime, *, action: str
) -> AuditRecord:
    """The audit event of telling `viewer` of an event (R14): a notification is a read."""
    child = ctx.child
    return AuditRecord(
        id=str(uuid.uuid4()),
        at=now,
        subject=viewer.subject,
        role=viewer.primary_role.value,
        action=action,
        purpose=f"notification: {ctx.event.kind.value}",
        child_ids=[child.id] if child is not None else [],
        disclosed=list(shaped.disclosed),
        denied=[],
        request_id=ctx.event.id,
        override_id=",".join(shaped.override_ids) or None,
        practitioner_id=viewer.practitioner_id,
    )


def _as_service(ctx: EventContext) -> EventContext:
    """The event's facts as a service's system may rely on them: a 72-hour override is
    its practitioner's own (R9) and a consent granted to a named practitioner is theirs
    (R6b); only consents granted to the service speak for the service as a whole."""
    child = ctx.child
    if child is not None:
        child = dataclasses.replace(
            child,
            overrides=(),
            consents=tuple(
                dataclasses.replace(c, granted_to_practitioner_ids=frozenset())
                for c in child.consents
            ),
        )
    consent = ctx.consent
    if consent is not None:
        consent = dataclasses.replace(consent, granted_to_practitioner_ids=frozenset())
    return dataclasses.replace(ctx, child=child, consent=consent)


async def recheck(
    graph: Graph,
    records: Sequence[NotificationRecord],
    now: datetime,
    *,
    channel: str = "webhook",
    viewers: Mapping[str, Viewer] | None = None,
    write_audit: bool = True,
) -> list[Delivery | None]:
    """For each record, what it may carry now for its recipient, or None. With
    `write_audit` the deliveries' audit events are written here (one transaction); an
    API request records them in its own audit event instead.

    `viewers` maps a recipient key to the viewer actually receiving (a subscription's
    or inbox's token); without one the recipient is judged as the practitioner or team
    the notification names (a webhook delivers to the practitioner's service's system)."""
    chosen = viewers or {}
    return await recheck_for(
        graph,
        [(r, chosen.get(r.recipient)) for r in records],
        now,
        channel=channel,
        write_audit=write_audit,
    )


async def recheck_for(
    graph: Graph,
    pairs: Sequence[tuple[NotificationRecord, Viewer | None]],
    now: datetime,
    *,
    channel: str,
    write_audit: bool = True,
    scoped: bool = False,
) -> list[Delivery | None]:
    """`recheck` for (record, receiving viewer) pairs: several sockets of one mailbox
    share one read of the event's facts. `scoped` (webhooks): the receiving viewer's
    service_ids are the only services the recipient counts as a member of (still only
    those the graph says they work for), so a service's endpoint never receives what its
    practitioner sees through another service (R6a). And the viewer is the service, not
    the person (R9, R6b): the practitioner's own access overrides and the consents granted
    to them by name are left out (`_as_service`), so what the item then does not show is
    not delivered."""
    if not pairs:
        return []
    contexts = await event_contexts_by_id(
        graph, [r.event_id for r, _ in pairs], now.date(), involvement_horizon(now.date())
    )
    out: list[Delivery | None] = []
    audit = []
    # Who may hear of each event, and (webhooks) its facts as a service sees them: worked
    # out once per event of the batch, not once per message (a busy child's event goes to
    # many sockets and endpoints).
    heard: dict[str, dict[str, Recipient]] = {}
    as_service: dict[str, EventContext] = {}
    for record, receiving in pairs:
        ctx = contexts.get(record.event_id)
        recipient = None
        if ctx is not None:
            if record.event_id not in heard:
                heard[record.event_id] = {r.key: r for r in recipients(ctx)}
            recipient = heard[record.event_id].get(record.recipient)
        if ctx is None or recipient is None:
            out.append(None)
            continue
        viewer = recipient.viewer
        if receiving is not None:
            # The token says who they are; the graph says which services they work for
            # now (R6a, R6b), as for any read.
            services = (
                receiving.service_ids & recipient.viewer.service_ids
                if scoped
                else receiving.service_ids | recipient.viewer.service_ids
            )
            viewer = dataclasses.replace(receiving, service_ids=services)
        if scoped and record.event_id not in as_service:
            as_service[record.event_id] = _as_service(ctx)
        shaped = shape(as_service[record.event_id] if scoped else ctx, viewer, now)
        if shaped is None:
            out.append(None)
            continue
        record_of = audit_record(viewer, ctx, shaped, now, action=notification_action(channel))
        payload = {"id": record.id, **shaped.payload}
        out.append(Delivery(payload, shaped.disclosed, shaped.override_ids, record_of))
        audit.append(record_of)
    if audit and write_audit:
        await append_events(graph, audit)
    return out
