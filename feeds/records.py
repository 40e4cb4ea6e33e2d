"""A feed record once read: accepted for planning (`IncomingRecord`) or `Rejection`.

A feed builds several of these small objects for every record it reads (the record,
its payload, the rows its plan makes): they are plain slotted dataclasses, never
changed once built, and not `frozen`, whose `__init__` sets each field through
`object.__setattr__` and cost several times as much.

Messages never repeat a submitted value. A rejected record may carry a child's address
or NHS number, and reports travel to places (logs, a feed's error queue, a terminal)
where such data must not: the field name and what is wrong with it are enough to fix it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

__all__ = ["IncomingRecord", "Rejection", "payload_hash"]


@dataclass(frozen=True, slots=True)
class Rejection:
    source_ref: str
    code: str
    message: str


@dataclass(slots=True)
class IncomingRecord:
    """A record that passed every check that needs no graph.

    `payload` is the typed payload of `op` (feeds/ops/<op>.py), which the op's own keys
    and plan read back.
    """

    position: int  # line number in a file, or 1-based index in an ingest call
    source_ref: str
    op: str
    payload_hash: str
    payload: Any
    canonical: bytes  # the payload as canonical JSON: what a match review keeps


def payload_hash(op: str, canonical: bytes) -> str:
    """What `unchanged` compares: the op and the payload, independent of key order."""
    return hashlib.blake2b(op.encode() + b"\x00" + canonical, digest_size=16).hexdigest()
