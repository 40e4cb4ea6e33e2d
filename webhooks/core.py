"""The notification core's re-check, as the delivery worker's `Shaper`.

Every channel re-checks a notification right before it is sent (notify/delivery.py):
the event's facts are read again, the recipient must still be one, and the payload is
shaped again through the disclosure decision point. For a webhook the viewer is the
recipient as a member of the endpoint's service only (`scoped`): the endpoint is that
service's system, so a practitioner who also works for a sensitive service does not pass
what they see there (R6a) to another service's machine; and without what is theirs
alone (their overrides, consents granted to them by name: R9, R6b). The worker writes the audit
event itself (one per delivery, naming the endpoint), so the core's is not written.

The body follows the Standard Webhooks payload shape: `type` (notification.<kind>),
`timestamp` (when the event happened) and `data` (the notification as shaped).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from graph.database import Graph
from graph.notifications import fetch_notifications
from notify.delivery import recheck_for
from policies.viewer import Role, Viewer
from webhooks.worker import Shaped, ShapeFor

__all__ = ["recheck_for_webhooks"]


def _scoped(recipient: str, item: ShapeFor) -> Viewer:
    return Viewer(
        subject=f"practitioner:{recipient}",
        roles=frozenset({Role.PRACTITIONER}),
        practitioner_id=recipient,
        local_authority=item.local_authority,
        service_ids=frozenset({item.service_id}),
    )


async def recheck_for_webhooks(
    graph: Graph, items: Sequence[ShapeFor], now: datetime
) -> Mapping[ShapeFor, Shaped | None]:
    fetched = await fetch_notifications(graph, sorted({i.notification_id for i in items}))
    records = {r.id: r for r in fetched}
    known = [i for i in items if i.notification_id in records]
    pairs = [
        (records[i.notification_id], _scoped(records[i.notification_id].recipient, i))
        for i in known
    ]
    deliveries = await recheck_for(
        graph, pairs, now, channel="webhook", write_audit=False, scoped=True
    )
    out: dict[ShapeFor, Shaped | None] = dict.fromkeys(items)
    for item, (record, _), delivery in zip(known, pairs, deliveries, strict=True):
        if delivery is None:
            continue
        out[item] = Shaped(
            body={
                "type": "notification." + str(record.kind).lower(),
                "timestamp": delivery.payload.get("occurredAt") or record.created_at.isoformat(),
                "data": delivery.payload,
            },
            recipient=record.recipient,
            child_ids=tuple(delivery.audit.child_ids),
            disclosed=delivery.disclosed,
            override_id=",".join(delivery.override_ids) or None,
            purpose=delivery.audit.purpose,
        )
    return out
