"""Standard Webhooks signatures (https://www.standardwebhooks.com/, spec v1).

A delivery carries three headers: `webhook-id` (the notification's id, the same on every
retry, so a receiver drops what it already processed), `webhook-timestamp` (Unix seconds
of this attempt, so a receiver refuses replays older than its tolerance) and
`webhook-signature`: `v1,` + base64(HMAC-SHA256(secret, "id.timestamp.body")). While a
rotated secret is still honoured, both signatures are sent, space-separated, as the spec
allows, so a receiver can switch secrets without losing a delivery.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

__all__ = ["SECRET_PREFIX", "decode_secret", "headers", "new_secret", "sign"]

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32


def new_secret() -> str:
    """A fresh signing secret as the spec writes it: whsec_ + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def decode_secret(secret: str) -> bytes:
    raw = secret.removeprefix(SECRET_PREFIX)
    return base64.b64decode(raw + "=" * (-len(raw) % 4))


def sign(key: bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def headers(keys: list[bytes], msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The request headers of one attempt, signed with every key in `keys` (newest first)."""
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(sign(k, msg_id, timestamp, body) for k in keys),
        "content-type": "application/json",
    }
