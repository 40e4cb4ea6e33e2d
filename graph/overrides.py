"""Sharing without consent (R9), the decisions to share or not (CAF guide 4.24), shielding (R4).

An `:AccessOverride` is written once and never edited: its expiry is fixed when it is
recorded (policies.overrides.override_terms), so "is it still active" is a comparison
on every read, never a cached flag. It carries `practitionerId` and
`recordedBySubject`, which is how graph/children.py and graph/assessments.py fetch
only the current viewer's own overrides.

Each write is one transaction through graph.idempotency.write_once, taking the
child's write lock first (graph.consent.LOCK_CHILD).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, LiteralString

from neo4j import AsyncManagedTransaction

from graph.consent import ChildContext, Recorder, locked_context
from graph.database import Graph
from graph.facts import native_datetime, practitioner_from, practitioner_projection
from graph.idempotency import IdempotencyClaim, write_once
from graph.ingest_lock import take_ingest_lock
from graph.outbox import ALERT_RAISED, emit
from policies.facts import PractitionerFact

__all__ = [
    "OverrideDraft",
    "OverrideRecord",
    "RecorderNotOnIndex",
    "SharingDecisionRecord",
    "SharingDraft",
    "decision_from",
    "fetch_overrides_for_review",
    "record_access_override",
    "record_sharing_decision",
    "set_shielded",
]


@dataclass(frozen=True)
class OverrideRecord:
    id: str
    child_id: str
    ground: str
    justification: str
    recorded_by: PractitionerFact | None
    recorded_at: datetime
    expires_at: datetime
    lifts_shielding: bool


@dataclass(frozen=True)
class SharingDecisionRecord:
    id: str
    child_id: str
    shared: bool
    with_consent: bool
    recipient: str
    reason: str
    recorded_by: PractitionerFact | None
    recorded_at: datetime


_OVERRIDE_MAP: LiteralString = (
    """o { .id, .ground, .justification, .recordedAt, .expiresAt, .liftsShielding,
  childId: c.id,
  recordedBy: [(rp:Practitioner)-[:RECORDED]->(o) | """
    + practitioner_projection("rp")
    + """][0] }"""
)

# Issue 20: the child's safeguarding leads hear of it (graph/outbox.py), in this write.
_CREATE_OVERRIDE: LiteralString = (
    """
MATCH (c:Child {id: $childId}), (p:Practitioner {id: $practitionerId})
CREATE (o:AccessOverride {id: $id, ground: $ground, justification: $justification,
  recordedAt: $now, expiresAt: $expiresAt, liftsShielding: $liftsShielding,
  recordedBySubject: $subject, practitionerId: $practitionerId})-[:FOR]->(c)
CREATE (p)-[:RECORDED]->(o)
WITH o, c
// R4, R9: a lifted shield is reported to the child's own index team for immediate review,
// in the transaction that lifts it (policies.alerts.AlertKind.SHIELD_LIFTED).
CALL (o, c) {
  WITH o, c WHERE c.shielded = true AND o.liftsShielding AND c.localAuthority IS NOT NULL
  CREATE (alert:AccessAlert {id: 'alert-' + randomUUID(), kind: 'SHIELD_LIFTED', state: 'OPEN',
    raisedAt: $now, localAuthority: c.localAuthority, subject: $subject,
    role: 'SAFEGUARDING_LEAD', childIds: [c.id],
    detail: 'R4/R9: a safeguarding lead lifted the shield with override ' + o.id})
  """
    + ALERT_RAISED
    + """
}
"""
    + emit(
        "CASE WHEN o.liftsShielding AND c.shielded = true THEN 'SHIELD_LIFTED'"
        " ELSE 'OVERRIDE_RECORDED' END",
        child="c.id",
        subject="o.id",
        practitioner="$practitionerId",
        local_authority="c.localAuthority",
        actor="$subject",
    )
    + """RETURN o.id AS id
"""
)

_LOAD_OVERRIDE: LiteralString = (
    "MATCH (o:AccessOverride {id: $id})-[:FOR]->(c:Child) RETURN " + _OVERRIDE_MAP + " AS o"
)

# R9: a lead reviews the overrides recorded for children of their own local authority.
_FOR_REVIEW: LiteralString = (
    """
MATCH (o:AccessOverride)-[:FOR]->(c:Child)
WHERE c.localAuthority = $localAuthority
WITH o, c ORDER BY o.recordedAt DESC, o.id LIMIT $first
RETURN """
    + _OVERRIDE_MAP
    + " AS o"
)

_CREATE_DECISION: LiteralString = """
MATCH (c:Child {id: $childId}), (p:Practitioner {id: $practitionerId})
CREATE (d:SharingDecision {id: $id, shared: $shared, withConsent: $withConsent,
  recipient: $recipient, reason: $reason, recordedAt: $now,
  recordedBySubject: $subject, practitionerId: $practitionerId})-[:ABOUT]->(c)
CREATE (p)-[:RECORDED]->(d)
RETURN d.id AS id
"""

_LOAD_DECISION: LiteralString = (
    """
MATCH (d:SharingDecision {id: $id})-[:ABOUT]->(c:Child)
RETURN d { .id, .shared, .withConsent, .recipient, .reason, .recordedAt, childId: c.id,
  recordedBy: [(rp:Practitioner)-[:RECORDED]->(d) | """
    + practitioner_projection("rp")
    + """][0] } AS d
"""
)

_SET_SHIELDED: LiteralString = """
MATCH (c:Child {id: $childId})
SET c.shielded = $shielded, c.shieldingChangedOn = $now, c.shieldingChangedBy = $subject
RETURN c.id AS id
"""


def _override_from(m: dict[str, Any]) -> OverrideRecord:
    recorded_at = native_datetime(m.get("recordedAt"))
    expires_at = native_datetime(m.get("expiresAt"))
    assert recorded_at is not None and expires_at is not None
    return OverrideRecord(
        id=m["id"],
        child_id=m["childId"],
        ground=m["ground"],
        justification=m.get("justification") or "",
        recorded_by=practitioner_from(m.get("recordedBy")),
        recorded_at=recorded_at,
        expires_at=expires_at,
        lifts_shielding=bool(m.get("liftsShielding")),
    )


async def _load_override(tx: AsyncManagedTransaction, override_id: str) -> OverrideRecord:
    result = await tx.run(_LOAD_OVERRIDE, id=override_id)
    row = await result.single(strict=True)
    return _override_from(row["o"])


@dataclass(frozen=True)
class OverrideDraft:
    child_id: str
    ground: str
    justification: str
    expires_at: datetime
    lifts_shielding: bool


class RecorderNotOnIndex(Exception):
    """The token names a practitioner the index does not hold: an override names its
    recorder (R9), so none can be written."""


async def record_access_override(
    graph: Graph,
    draft: OverrideDraft,
    *,
    recorder: Recorder,
    claim: IdempotencyClaim | None,
    decide: Callable[[ChildContext | None], None],
) -> OverrideRecord:
    """R9: write the override; from the next request on it opens R6/R7 for its recorder."""

    async def write(tx: AsyncManagedTransaction) -> str:
        context = await locked_context(tx, draft.child_id, recorder)
        decide(context)
        override_id = f"override-{uuid.uuid4()}"
        result = await tx.run(
            _CREATE_OVERRIDE,
            id=override_id,
            childId=draft.child_id,
            ground=draft.ground,
            justification=draft.justification,
            expiresAt=draft.expires_at,
            liftsShielding=draft.lifts_shielding,
            **recorder.params(),
        )
        if await result.single() is None:  # the token's practitioner is not on the index
            raise RecorderNotOnIndex(recorder.practitioner_id or "")
        return override_id

    return await write_once(graph, claim, write, _load_override)


async def fetch_overrides_for_review(
    graph: Graph, local_authority: str, first: int
) -> list[OverrideRecord]:
    """Newest first, for the children of one local authority (R9 review)."""
    rows = await graph.read(_FOR_REVIEW, localAuthority=local_authority, first=first)
    return [_override_from(row["o"]) for row in rows]


@dataclass(frozen=True)
class SharingDraft:
    child_id: str
    shared: bool
    with_consent: bool
    recipient: str
    reason: str


async def _load_decision(tx: AsyncManagedTransaction, decision_id: str) -> SharingDecisionRecord:
    result = await tx.run(_LOAD_DECISION, id=decision_id)
    return decision_from((await result.single(strict=True))["d"])


def decision_from(m: dict[str, Any]) -> SharingDecisionRecord:
    """A recorded sharing decision from its map projection (see _LOAD_DECISION)."""
    recorded_at = native_datetime(m.get("recordedAt"))
    assert recorded_at is not None
    return SharingDecisionRecord(
        id=m["id"],
        child_id=m["childId"],
        shared=bool(m["shared"]),
        with_consent=bool(m["withConsent"]),
        recipient=m.get("recipient") or "",
        reason=m.get("reason") or "",
        recorded_by=practitioner_from(m.get("recordedBy")),
        recorded_at=recorded_at,
    )


async def record_sharing_decision(
    graph: Graph,
    draft: SharingDraft,
    *,
    recorder: Recorder,
    claim: IdempotencyClaim | None,
    decide: Callable[[ChildContext | None], None],
) -> SharingDecisionRecord:
    """CAF guide 4.24: a decision to share, or not to share, with its reason."""

    async def write(tx: AsyncManagedTransaction) -> str:
        context = await locked_context(tx, draft.child_id, recorder)
        decide(context)
        decision_id = f"sharing-{uuid.uuid4()}"
        result = await tx.run(
            _CREATE_DECISION,
            id=decision_id,
            childId=draft.child_id,
            shared=draft.shared,
            withConsent=draft.with_consent,
            recipient=draft.recipient,
            reason=draft.reason,
            **recorder.params(),
        )
        if await result.single() is None:  # the token's practitioner is not on the index
            raise RecorderNotOnIndex(recorder.practitioner_id or "")
        return decision_id

    return await write_once(graph, claim, write, _load_decision)


async def set_shielded(
    graph: Graph,
    child_id: str,
    shielded: bool,
    *,
    recorder: Recorder,
    claim: IdempotencyClaim | None,
    decide: Callable[[ChildContext | None], None],
) -> str:
    """R4: mark or unmark a child as shielded; returns the child id. The reason goes to
    the audit event, not onto the child."""

    async def write(tx: AsyncManagedTransaction) -> str:
        # Feeds match against `shielded` (R15): a chunk planned before this change must
        # see the lock's generation move, and plan again.
        await take_ingest_lock(tx)
        context = await locked_context(tx, child_id, recorder)
        decide(context)
        result = await tx.run(
            _SET_SHIELDED, childId=child_id, shielded=shielded, **recorder.params()
        )
        await result.single(strict=True)
        return child_id

    async def load(tx: AsyncManagedTransaction, result_id: str) -> str:
        return result_id

    return await write_once(graph, claim, write, load)
