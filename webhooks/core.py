"""The notification core's re-check, as the delivery worker's `Shaper`.

Every channel re-checks a notification right before it is sent (notify/delivery.py):
the event's facts are read again, the recipient must still be one, and the payload is
shaped again through the disclosure decision point for that recipient. The worker writes
the audit event itself (per delivery, naming the endpoint), so the core's is not written.

The body follows the Standard Webhooks payload shape: `type` (notification.<kind>),
`timestamp` (when the event happened) and `data` (the notification as shaped).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from graph.database import Graph
from graph.notifications import fetch_notifications
from notify.delivery import recheck
from webhooks.worker import Shaped

__all__ = ["recheck_for_webhooks"]


async def recheck_for_webhooks(
    graph: Graph, ids: Sequence[str], now: datetime
) -> Mapping[str, Shaped | None]:
    records = await fetch_notifications(graph, sorted(set(ids)))
    deliveries = await recheck(graph, records, now, channel="webhook", write_audit=False)
    out: dict[str, Shaped | None] = {}
    for record, delivery in zip(records, deliveries, strict=True):
        if delivery is None:
            out[record.id] = None
            continue
        body = {
            "type": "notification." + str(record.kind).lower(),
            "timestamp": delivery.payload.get("occurredAt") or record.created_at.isoformat(),
            "data": delivery.payload,
        }
        out[record.id] = Shaped(
            body=body,
            recipient=record.recipient,
            child_ids=tuple(delivery.audit.child_ids),
            disclosed=delivery.disclosed,
            override_id=",".join(delivery.override_ids) or None,
            purpose=delivery.audit.purpose,
        )
    return out
