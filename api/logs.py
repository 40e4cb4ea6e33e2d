"""Structured JSON logs, one line per event, correlated by request id.

What never goes into a log: bearer tokens, query text or variables, the X-Purpose text
(free text that may name a child), or any child's personal data. Log the request id,
the subject, timings and error codes; the audit trail, not the log, records who saw what.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog

__all__ = ["configure_logging", "get_logger", "where"]

_configured = False


def configure_logging(level: int = logging.INFO, stream: Any = None) -> None:
    global _configured
    processors: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        structlog.processors.JSONRenderer(),
    ]
    structlog.configure(
        processors=processors,
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(file=stream or sys.stderr),
        cache_logger_on_first_use=False,
    )
    # The driver's own warnings quote server messages, which can quote data: keep them out.
    logging.getLogger("neo4j").setLevel(logging.CRITICAL)
    _configured = True


def get_logger(name: str) -> Any:
    if not _configured:
        configure_logging()
    return structlog.get_logger(name)


def where(exc: BaseException | None) -> dict[str, Any]:
    """Type and innermost frames of an exception, without its message.

    Driver and constraint messages can quote property values (a child's name), so the
    message itself is never logged; the frames are enough to find the fault.
    """
    if exc is None:
        return {}
    frames = []
    tb = exc.__traceback__
    while tb is not None:
        frames.append(f"{tb.tb_frame.f_code.co_filename.rsplit('/', 2)[-1]}:{tb.tb_lineno}")
        tb = tb.tb_next
    return {"error": type(exc).__name__, "frames": frames[-6:]}
