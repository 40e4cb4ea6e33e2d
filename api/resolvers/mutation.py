"""What every mutation does before it writes: audit, purpose, who is writing, idempotency.

Each mutation resolver calls `begin` first, so the attempt is audited (R14) even when
it is refused, and every write states its purpose like every read (R2). `claim`
turns the `Idempotency-Key` header into a claim that graph.idempotency checks inside
the mutation's own transaction.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
from datetime import date, datetime
from typing import Any

from graphql import FieldNode
from strawberry.types import Info

from api.context import RequestContext
from api.errors import BadUserInput
from graph.consent import Recorder
from graph.idempotency import IdempotencyClaim

__all__ = ["MAX_KEY", "begin", "claim", "conflict", "recorder", "text"]

MAX_KEY = 200


def begin(info: Info[Any, Any], action: str, child_id: str | None = None) -> RequestContext:
    ctx: RequestContext = info.context
    ctx.audit.touch(action)
    if child_id:
        ctx.audit.child(child_id)
    ctx.purpose()
    return ctx


def recorder(ctx: RequestContext) -> Recorder:
    return Recorder(
        subject=ctx.viewer.subject, practitioner_id=ctx.viewer.practitioner_id, now=ctx.now
    )


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return repr(value)  # strawberry.UNSET and the like


def claim(
    info: Info[Any, Any], operation: str, arguments: dict[str, Any]
) -> IdempotencyClaim | None:
    """The request's Idempotency-Key as a claim on (subject, key), or None without one.

    A key names one mutation: a document with several root fields cannot share it, and
    the same key with another mutation or other arguments is refused (graph.idempotency).
    """
    ctx: RequestContext = info.context
    if ctx.idempotency_key is None:
        return None
    key = ctx.idempotency_key.strip()
    if not key or len(key) > MAX_KEY:
        raise BadUserInput(
            f"the Idempotency-Key header must be 1 to {MAX_KEY} characters", field="Idempotency-Key"
        )
    roots = info.operation.selection_set.selections
    if len(roots) != 1 or not isinstance(roots[0], FieldNode):
        raise BadUserInput(
            "an Idempotency-Key covers exactly one mutation: send one mutation per request",
            field="Idempotency-Key",
        )
    canonical = json.dumps([operation, _plain(arguments)], sort_keys=True, separators=(",", ":"))
    return IdempotencyClaim(
        subject=ctx.viewer.subject,
        key=key,
        operation=operation,
        fingerprint=hashlib.sha256(canonical.encode()).hexdigest(),
        now=ctx.now,
    )


def text(value: str | None, field: str, *, limit: int, required: bool = True) -> str | None:
    """Trimmed free text within `limit` characters; blank is missing."""
    if value is None or not value.strip():
        if required:
            raise BadUserInput(f"{field.rsplit('.', 1)[-1]} must not be blank", field=field)
        return None
    if len(value) > limit:
        raise BadUserInput(
            f"{field.rsplit('.', 1)[-1]} must be at most {limit} characters", field=field
        )
    return value.strip()


def conflict() -> BadUserInput:
    """graph.idempotency.IdempotencyConflict, as the client sees it."""
    return BadUserInput(
        "this Idempotency-Key was already used for a different request; use a new key",
        field="Idempotency-Key",
    )
