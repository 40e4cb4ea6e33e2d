"""The webhook settings, part of the one settings object (api/settings.py)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from policies.webhooks import RetrySchedule

__all__ = ["WebhookConfig", "load_webhook_config"]


@dataclass(frozen=True)
class WebhookConfig:
    #: The sealing key for signing secrets (webhooks/secretbox.py): base64 here, or a file.
    key_b64: str | None = field(default=None, repr=False)
    key_file: Path | None = None
    retry: RetrySchedule = field(default_factory=RetrySchedule)
    connect_timeout_s: float = 5.0
    #: The whole attempt, connect to last byte read: a receiver that trickles its answer
    #: cannot hold a worker's slot longer than this.
    attempt_timeout_s: float = 10.0
    #: Bytes of a receiver's answer read at most (the rest is dropped unread).
    max_response_bytes: int = 64 * 1024
    #: A claim holds a delivery this long: longer than an attempt, so a live worker's
    #: delivery is never taken over, short enough that a dead worker's is retried soon.
    lease_s: float = 60.0
    poll_s: float = 0.1
    batch: int = 100
    concurrency: int = 64
    #: After rotateWebhookSecret, deliveries carry a signature with the old secret too,
    #: this long, so a receiver can switch without losing any.
    rotation_grace_s: float = 24 * 3600.0


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    return float(raw) if raw else default


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw else default


def load_webhook_config(production: bool, local: Path) -> WebhookConfig:
    """In production the sealing key must be named: no key file is made in `.local`."""
    key_file = os.environ.get("CONTACTGRAPH_WEBHOOK_KEY_FILE")
    default = RetrySchedule()
    return WebhookConfig(
        key_b64=os.environ.get("CONTACTGRAPH_WEBHOOK_KEY") or None,
        key_file=Path(key_file) if key_file else (None if production else local / "webhook-key"),
        retry=RetrySchedule(
            max_attempts=_int("CONTACTGRAPH_WEBHOOK_MAX_ATTEMPTS", default.max_attempts),
            base_s=_float("CONTACTGRAPH_WEBHOOK_RETRY_BASE", default.base_s),
            factor=default.factor,
            cap_s=_float("CONTACTGRAPH_WEBHOOK_RETRY_CAP", default.cap_s),
        ),
        connect_timeout_s=_float("CONTACTGRAPH_WEBHOOK_CONNECT_TIMEOUT", 5.0),
        attempt_timeout_s=_float("CONTACTGRAPH_WEBHOOK_TIMEOUT", 10.0),
        max_response_bytes=_int("CONTACTGRAPH_WEBHOOK_MAX_RESPONSE", 64 * 1024),
        lease_s=_float("CONTACTGRAPH_WEBHOOK_LEASE", 60.0),
        poll_s=_float("CONTACTGRAPH_WEBHOOK_POLL", 0.1),
        batch=_int("CONTACTGRAPH_WEBHOOK_BATCH", 100),
        concurrency=_int("CONTACTGRAPH_WEBHOOK_CONCURRENCY", 64),
        rotation_grace_s=_float("CONTACTGRAPH_WEBHOOK_ROTATION_GRACE", 24 * 3600.0),
    )
