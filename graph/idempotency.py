"""The Idempotency-Key header: a retried mutation returns its first result, never a second.

The key is claimed inside the mutation's own write transaction, by MERGE on an
`:IdempotencyRecord` whose id is derived from (subject, key). If the first attempt
committed and only its response was lost, the retry finds the record and loads the
stored result instead of writing again; if the first attempt rolled back, its record
rolled back with it and the retry runs afresh. Two concurrent attempts serialise on
the record's uniqueness constraint (migration 0004), so they cannot both write.

A record remembers which operation and which arguments it was used for (a
fingerprint): the same key sent with a different mutation or different input is a
client error, not a replay. Records older than `RETENTION` are treated as unused.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import LiteralString, TypeVar

from neo4j import AsyncManagedTransaction

from graph.database import Graph

__all__ = [
    "RETENTION",
    "IdempotencyClaim",
    "IdempotencyConflict",
    "claim_key",
    "record_id",
    "remember_result",
    "write_once",
]

T = TypeVar("T")

#: How long a key is remembered: long enough for any client's retry policy.
RETENTION = timedelta(hours=24)


class IdempotencyConflict(Exception):
    """The key was already used by this subject for a different request."""


@dataclass(frozen=True)
class IdempotencyClaim:
    subject: str
    key: str
    operation: str
    #: SHA-256 of the operation name and its canonical arguments.
    fingerprint: str
    now: datetime


def record_id(subject: str, key: str) -> str:
    """Keys are scoped to the caller: one client's key never collides with another's."""
    return hashlib.sha256(f"{subject}\n{key}".encode()).hexdigest()


_CLAIM: LiteralString = """
MERGE (r:IdempotencyRecord {id: $id})
  ON CREATE SET r.subject = $subject, r.key = $key, r.operation = $operation,
    r.fingerprint = $fingerprint, r.createdAt = $now, r.attempt = $attempt
WITH r
CALL (r) {
  WITH r WHERE r.attempt <> $attempt AND r.createdAt < $staleBefore
  SET r.operation = $operation, r.fingerprint = $fingerprint, r.createdAt = $now,
    r.attempt = $attempt, r.resultId = null
}
RETURN r.attempt = $attempt AS fresh, r.operation AS operation,
  r.fingerprint AS fingerprint, r.resultId AS resultId
"""

_REMEMBER: LiteralString = """
MATCH (r:IdempotencyRecord {id: $id}) SET r.resultId = $resultId
"""


async def claim_key(tx: AsyncManagedTransaction, claim: IdempotencyClaim) -> str | None:
    """None on first use (the caller goes on to write); the stored result id on a replay."""
    result = await tx.run(
        _CLAIM,
        id=record_id(claim.subject, claim.key),
        subject=claim.subject,
        key=claim.key,
        operation=claim.operation,
        fingerprint=claim.fingerprint,
        now=claim.now,
        staleBefore=claim.now - RETENTION,
        attempt=uuid.uuid4().hex,
    )
    row = await result.single(strict=True)
    if row["fresh"]:
        return None
    if row["operation"] != claim.operation or row["fingerprint"] != claim.fingerprint:
        raise IdempotencyConflict(row["operation"])
    result_id: str | None = row["resultId"]
    return result_id


async def remember_result(
    tx: AsyncManagedTransaction, claim: IdempotencyClaim, result_id: str
) -> None:
    await tx.run(_REMEMBER, id=record_id(claim.subject, claim.key), resultId=result_id)


async def write_once(
    graph: Graph,
    claim: IdempotencyClaim | None,
    write: Callable[[AsyncManagedTransaction], Awaitable[str]],
    load: Callable[[AsyncManagedTransaction, str], Awaitable[T]],
) -> T:
    """One mutation, one write transaction: claim the key, write, remember, load the result.

    `write` reads what it must decide on, asks (through the callback it was built with)
    and writes, returning the id of what it wrote; raising anything rolls everything
    back, the claimed key included. `load` reads the result back in the same
    transaction, so the answer reflects exactly what was committed.
    """

    async def work(tx: AsyncManagedTransaction) -> T:
        if claim is not None:
            previous = await claim_key(tx, claim)
            if previous is not None:
                return await load(tx, previous)
        result_id = await write(tx)
        if claim is not None:
            await remember_result(tx, claim, result_id)
        return await load(tx, result_id)

    return await graph.write_transaction(work)
