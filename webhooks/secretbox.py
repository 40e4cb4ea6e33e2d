"""Signing secrets at rest: sealed with AES-256-GCM under a key that is not in the graph.

The worker must be able to sign, so a secret cannot be stored as a hash; stored in clear,
anyone with a database backup could forge deliveries to every supplier. Sealed, a backup
alone is useless: the key lives in the environment (CONTACTGRAPH_WEBHOOK_KEY, base64 of
32 bytes) or a file (CONTACTGRAPH_WEBHOOK_KEY_FILE; in development `.local/webhook-key`,
made on first use). The endpoint's id is the associated data, so a sealed secret copied
onto another endpoint does not open.
"""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

__all__ = ["SecretBox", "SecretKeyError", "box_from", "load_key"]

_VERSION = "v1"


class SecretKeyError(RuntimeError):
    """No key to seal or open webhook secrets with; the message says what to set."""


def load_key(key_b64: str | None, key_file: Path | None, *, create: bool) -> bytes:
    """The sealing key: from the variable, else the file (made when `create`, in
    development only)."""
    if key_b64:
        key = base64.b64decode(key_b64)
    elif key_file is not None and key_file.exists():
        key = key_file.read_bytes()
    elif key_file is not None and create:
        key_file.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(secrets.token_bytes(32))
        key = key_file.read_bytes()
    else:
        raise SecretKeyError(
            "webhooks need a sealing key: set CONTACTGRAPH_WEBHOOK_KEY (base64 of 32 bytes) "
            "or CONTACTGRAPH_WEBHOOK_KEY_FILE"
        )
    if len(key) != 32:
        raise SecretKeyError("the webhook sealing key must be 32 bytes")
    return key


class SecretBox:
    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

    def seal(self, endpoint_id: str, secret: str) -> str:
        nonce = secrets.token_bytes(12)
        sealed = self._aead.encrypt(nonce, secret.encode(), endpoint_id.encode())
        return f"{_VERSION}:{base64.b64encode(nonce + sealed).decode()}"

    def open(self, endpoint_id: str, sealed: str) -> str:
        version, _, blob = sealed.partition(":")
        if version != _VERSION:
            raise ValueError("unknown sealed secret version")
        raw = base64.b64decode(blob)
        return self._aead.decrypt(raw[:12], raw[12:], endpoint_id.encode()).decode()


def box_from(key_b64: str | None, key_file: Path | None, *, production: bool) -> SecretBox:
    """The box the settings name; outside production the key file is made on first use."""
    return SecretBox(load_key(key_b64, key_file, create=not production))
