"""A feed record checked on its own: everything decided without the graph (feeds.md, R15).

A source system sends records of the shape `{"sourceRef", "op", "payload"}`, one per
NDJSON line or one per `IngestRecord` of the `ingest` mutation. This turns each into
a typed, validated `IncomingRecord` (the op's own reader types the payload) or a
`Rejection` with a code and a message that names the field: one bad record is
rejected alone and the rest go on.

What needs the graph (is that service known? which child is this?) is decided later,
per chunk (feeds/plan.py).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import orjson

from feeds.codes import Code
from feeds.fields import CONTROL, MAX_SOURCE_REF, Invalid
from feeds.ops import BY_NAME, NAMES
from feeds.records import IncomingRecord, Rejection, payload_hash

__all__ = ["MAX_LINE_BYTES", "parse_payload", "parse_record"]

MAX_LINE_BYTES = 64 * 1024
"""One record; a longer line is rejected unread, so a broken file cannot exhaust memory."""


def parse_payload(op: str, payload: dict[str, Any], today: date) -> Any:
    """The typed payload for `op`; raises ValueError(code, message) when it is invalid."""
    try:
        return BY_NAME[op].read(payload, today)
    except Invalid as exc:
        raise ValueError(exc.code, exc.message) from None


def _source_ref(value: Any) -> str:
    if value is None or value == "":
        raise Invalid(Code.MISSING_FIELD, "sourceRef is required")
    if not isinstance(value, str):
        raise Invalid(Code.INVALID_FIELD, "sourceRef must be a string")
    if len(value) > MAX_SOURCE_REF or CONTROL.search(value) or value != value.strip():
        raise Invalid(
            Code.INVALID_FIELD,
            f"sourceRef must be at most {MAX_SOURCE_REF} printable characters, "
            "without leading or trailing spaces",
        )
    return value


def parse_record(
    position: int, source_ref: Any, op: Any, payload: Any, today: date, *, fallback_ref: str
) -> IncomingRecord | Rejection:
    """Validate one record. `payload` is a dict (NDJSON) or a JSON string (GraphQL)."""
    ref = fallback_ref
    try:
        ref = _source_ref(source_ref)
        if op is None or op == "":
            raise Invalid(Code.MISSING_FIELD, "op is required")
        spec = BY_NAME.get(op) if isinstance(op, str) else None
        if spec is None:
            raise Invalid(Code.UNKNOWN_OP, f"op must be one of {', '.join(NAMES)}")
        if isinstance(payload, str):
            if len(payload) > MAX_LINE_BYTES:
                raise Invalid(
                    Code.RECORD_TOO_LARGE, f"payload is longer than {MAX_LINE_BYTES} characters"
                )
            try:
                payload = orjson.loads(payload)
            except orjson.JSONDecodeError:
                raise Invalid(Code.MALFORMED_JSON, "payload is not valid JSON") from None
        if payload is None:
            raise Invalid(Code.MISSING_FIELD, "payload is required")
        if not isinstance(payload, dict):
            raise Invalid(Code.INVALID_FIELD, "payload must be a JSON object")
        typed = spec.read(payload, today)
        canonical = orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)
    except Invalid as exc:
        return Rejection(ref, exc.code, exc.message)
    except (orjson.JSONEncodeError, TypeError, ValueError, RecursionError):
        return Rejection(ref, Code.INVALID_FIELD, "payload could not be read")
    return IncomingRecord(position, ref, op, payload_hash(op, canonical), typed, canonical)
