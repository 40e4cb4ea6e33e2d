"""The feed vocabulary a source system acts on: rejection codes (feeds.md).

Stable strings: a source's error queue matches on them, so a code is never renamed.
The ops themselves are named by their registry (feeds/ops/__init__.py).
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Code"]


class Code(StrEnum):
    """Why a record was rejected; the message beside it names the field."""

    MALFORMED_JSON = "MALFORMED_JSON"
    RECORD_TOO_LARGE = "RECORD_TOO_LARGE"
    MISSING_FIELD = "MISSING_FIELD"
    INVALID_FIELD = "INVALID_FIELD"
    UNKNOWN_FIELD = "UNKNOWN_FIELD"
    UNKNOWN_OP = "UNKNOWN_OP"
    INVALID_NHS_NUMBER = "INVALID_NHS_NUMBER"
    INVALID_DATE = "INVALID_DATE"
    INVALID_ENUM = "INVALID_ENUM"
    # Decided against the graph, per chunk (feeds/plan.py and the ops):
    UNKNOWN_SERVICE = "UNKNOWN_SERVICE"
    UNKNOWN_PRACTITIONER = "UNKNOWN_PRACTITIONER"
    PRACTITIONER_NOT_IN_SERVICE = "PRACTITIONER_NOT_IN_SERVICE"
    UNKNOWN_LOCAL_AUTHORITY = "UNKNOWN_LOCAL_AUTHORITY"
    UNKNOWN_CHILD = "UNKNOWN_CHILD"
    AMBIGUOUS_CHILD = "AMBIGUOUS_CHILD"
    CHILD_PENDING_REVIEW = "CHILD_PENDING_REVIEW"
    END_BEFORE_START = "END_BEFORE_START"
    ENDED_BEFORE_STARTED = "ENDED_BEFORE_STARTED"
    SOURCE_REF_REUSED = "SOURCE_REF_REUSED"
    SOURCE_CONFLICT = "SOURCE_CONFLICT"
    OUT_OF_SCOPE = "OUT_OF_SCOPE"
