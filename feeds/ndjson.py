"""NDJSON feed files: one `{"sourceRef", "op", "payload"}` a line, any size, streamed.

Memory stays bounded whatever the file: a line is read at most MAX_LINE_BYTES at a
time, and a longer one is rejected without being held.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import IO

import orjson

from feeds.codes import Code
from feeds.fields import MAX_SOURCE_REF
from feeds.records import IncomingRecord, Rejection
from feeds.validation import MAX_LINE_BYTES, parse_record

__all__ = ["ndjson_lines", "parse_line", "parsed_lines"]

_LINE_KEYS = frozenset({"sourceRef", "op", "payload"})


def parse_line(line: bytes, line_number: int, today: date) -> IncomingRecord | Rejection | None:
    """One NDJSON line; None for a blank line. Rejections without a sourceRef use 'line N'."""
    if not line.strip():
        return None
    fallback = f"line {line_number}"
    if len(line) > MAX_LINE_BYTES:
        return Rejection(
            fallback, Code.RECORD_TOO_LARGE, f"a record is at most {MAX_LINE_BYTES} bytes"
        )
    try:
        obj = orjson.loads(line)
    except orjson.JSONDecodeError:
        return Rejection(fallback, Code.MALFORMED_JSON, f"line {line_number} is not valid JSON")
    if not isinstance(obj, dict):
        return Rejection(fallback, Code.MALFORMED_JSON, f"line {line_number} is not a JSON object")
    for key in obj:
        if key not in _LINE_KEYS:
            ref = obj.get("sourceRef")
            where = ref if isinstance(ref, str) and ref and len(ref) <= MAX_SOURCE_REF else fallback
            return Rejection(where, Code.UNKNOWN_FIELD, f"{str(key)[:40]} is not a known field")
    return parse_record(
        line_number,
        obj.get("sourceRef"),
        obj.get("op"),
        obj.get("payload"),
        today,
        fallback_ref=fallback,
    )


def ndjson_lines(stream: IO[bytes]) -> Iterator[tuple[int, bytes]]:
    """(line number, line) for each line, reading at most MAX_LINE_BYTES of any one line.

    A longer line is yielded truncated to MAX_LINE_BYTES + 1 bytes (so parse_line
    rejects it as too large) and the rest of it is skipped without being held.
    """
    number = 0
    while True:
        line = stream.readline(MAX_LINE_BYTES + 1)
        if not line:
            return
        number += 1
        if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
            while True:  # skip the rest of the over-long line
                rest = stream.readline(MAX_LINE_BYTES)
                if not rest or rest.endswith(b"\n"):
                    break
        yield number, line


def parsed_lines(
    stream: IO[bytes], today: date
) -> Iterator[tuple[int, IncomingRecord | Rejection | None]]:
    """(lines consumed, record) for each line of a feed file, for `pipeline.chunked`."""
    for number, line in ndjson_lines(stream):
        yield 1, parse_line(line, number, today)
