"""Match reviews (R15): UPSERT_CHILD records held for the index team, and their resolution.

A review keeps the incoming record's payload (canonical JSON) and points at the
children it might be (`CANDIDATE`). Listing returns the facts policies need to decide
what an INDEX_ADMIN may see of each candidate (R4). Resolving writes the child (the
matched one updated, or a new one) and turns the source's FeedRecord from
PENDING_REVIEW into ACCEPTED, in one transaction under the ingest lock, so the source's
later records that refer to it (`child.ref`) resolve, and a re-send of the same payload
is `unchanged`. Writing the held record's address is a write like a feed's: if it puts
the child at a shielded child's address, the same transaction raises R4's household
alert for that child's index team (graph/alerts.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, LiteralString

from neo4j import AsyncManagedTransaction

from graph.alerts import HOUSEHOLD_FOR_CHILD, Actor, HouseholdAlert, household_alerts
from graph.children import AT_A_SHIELDED_ADDRESS
from graph.database import Graph, reached
from graph.facts import address_from, native_date, native_datetime
from graph.ingest_lock import take_ingest_lock
from policies.facts import ChildFacts

__all__ = [
    "CandidateFacts",
    "Resolved",
    "ReviewFacts",
    "create_child_for_review",
    "fetch_review",
    "match_review_to_child",
    "pending_reviews",
    "target_child",
]


@dataclass(frozen=True, slots=True)
class CandidateFacts:
    child: ChildFacts
    nhs_number: str | None


@dataclass(frozen=True, slots=True)
class ReviewFacts:
    id: str
    source: str
    source_ref: str
    status: str
    reason: str
    received_at: datetime
    payload: str
    payload_hash: str
    local_authority: str | None
    candidates: tuple[CandidateFacts, ...]
    child_id: str | None = None
    resolved_at: datetime | None = None


_CANDIDATE_MAP: LiteralString = (
    "c { .id, .nhsNumber, .givenName, .familyName, .dateOfBirth, .gender, .shielded,"
    " .localAuthority, .addressLine1, .addressLine2, .town, .postcode, .archivedOn,"
    " .dateOfDeath, addressSharedWithShielded: " + AT_A_SHIELDED_ADDRESS + " }"
)

_REVIEW_MAP: LiteralString = (
    "r { .id, .source, .sourceRef, .status, .reason, .receivedAt, .payload, .localAuthority,"
    " .payloadHash, .childId, .resolvedAt, candidates: [(r)-[:CANDIDATE]->(c:Child) | "
    + _CANDIDATE_MAP
    + "] }"
)

# The reviews that concern one local authority's index team: the incoming record names
# it, or one of the candidates lives there.
PENDING: LiteralString = (
    """
MATCH (r:MatchReview {status: 'PENDING'})
WHERE r.localAuthority = $localAuthority
   OR EXISTS { (r)-[:CANDIDATE]->(:Child {localAuthority: $localAuthority}) }
WITH r ORDER BY r.receivedAt, r.id
LIMIT $first
RETURN """
    + _REVIEW_MAP
    + " AS review"
)

ONE: LiteralString = "MATCH (r:MatchReview {id: $id}) RETURN " + _REVIEW_MAP + " AS review"

TARGET: LiteralString = "MATCH (c:Child {id: $id}) RETURN " + _CANDIDATE_MAP + " AS child"

_CLAIM: LiteralString = """
MATCH (r:MatchReview {id: $id, status: 'PENDING'})
RETURN r.source AS source, r.sourceRef AS sourceRef, r.payloadHash AS payloadHash
"""

_UPDATE_CHILD: LiteralString = """
MATCH (c:Child {id: $childId})
SET c += $props
RETURN c.id AS id
"""

_CREATE_CHILD: LiteralString = """
CREATE (c:Child)
SET c = $props
RETURN c.id AS id
"""

_CLOSE: LiteralString = """
MATCH (r:MatchReview {id: $id})
SET r.status = 'RESOLVED', r.childId = $childId, r.resolvedAt = $now,
    r.resolvedBy = $subject, r.outcome = $outcome
WITH r
MATCH (f:FeedRecord {source: r.source, sourceRef: r.sourceRef})
WHERE f.reviewId = r.id
SET f.status = 'ACCEPTED', f.entityId = $childId, f.childId = $childId
RETURN count(f) AS n
"""


@dataclass(frozen=True, slots=True)
class Resolved:
    """The child a review was resolved to, and any household alert (R4) the write raised."""

    child_id: str
    alerts: tuple[HouseholdAlert, ...] = ()


def _candidate(m: dict[str, Any]) -> CandidateFacts:
    reached(m["id"])
    return CandidateFacts(
        child=ChildFacts(
            id=m["id"],
            given_name=m.get("givenName") or "",
            family_name=m.get("familyName") or "",
            date_of_birth=native_date(m.get("dateOfBirth")) or datetime.min.date(),
            gender=m.get("gender") or "NOT_KNOWN",
            shielded=bool(m.get("shielded")),
            local_authority=m.get("localAuthority"),
            address=address_from(m),
            archived_on=native_date(m.get("archivedOn")),
            date_of_death=native_date(m.get("dateOfDeath")),
            address_shared_with_shielded=bool(m.get("addressSharedWithShielded")),
        ),
        nhs_number=m.get("nhsNumber"),
    )


def _review(m: dict[str, Any]) -> ReviewFacts:
    received = native_datetime(m.get("receivedAt"))
    assert received is not None
    return ReviewFacts(
        id=m["id"],
        source=m["source"],
        source_ref=m["sourceRef"],
        status=m["status"],
        reason=m["reason"],
        received_at=received,
        payload=m["payload"],
        payload_hash=m["payloadHash"],
        local_authority=m.get("localAuthority"),
        candidates=tuple(_candidate(c) for c in sorted(m["candidates"], key=lambda c: c["id"])),
        child_id=m.get("childId"),
        resolved_at=native_datetime(m.get("resolvedAt")),
    )


async def pending_reviews(graph: Graph, local_authority: str, first: int) -> list[ReviewFacts]:
    records = await graph.read(PENDING, localAuthority=local_authority, first=first)
    return [_review(r["review"]) for r in records]


async def fetch_review(graph: Graph, review_id: str) -> ReviewFacts | None:
    records = await graph.read(ONE, id=review_id)
    return _review(records[0]["review"]) if records else None


async def target_child(graph: Graph, child_id: str) -> CandidateFacts | None:
    records = await graph.read(TARGET, id=child_id)
    return _candidate(records[0]["child"]) if records else None


async def _resolve(
    graph: Graph,
    review_id: str,
    payload_hash: str,
    write_child: tuple[LiteralString, dict[str, Any]],
    outcome: str,
    actor: Actor,
    now: datetime,
) -> Resolved | None:
    cypher, params = write_child
    address_key = params["props"].get("addressKey")

    async def work(tx: AsyncManagedTransaction) -> Resolved | None:
        await take_ingest_lock(tx)
        claim = await (await tx.run(_CLAIM, id=review_id)).single()
        # Resolved meanwhile, or the source sent a corrected record since it was read.
        if claim is None or claim["payloadHash"] != payload_hash:
            return None
        written = await (await tx.run(cypher, **params)).single()
        if written is None:
            return None
        child_id = str(written["id"])
        await (
            await tx.run(
                _CLOSE,
                id=review_id,
                childId=child_id,
                now=now,
                subject=actor.subject,
                outcome=outcome,
            )
        ).consume()
        alerts: list[HouseholdAlert] = []
        if address_key is not None:  # a shielded child's update leaves the address alone
            row = {"id": child_id, "addressKey": address_key, "sourceRef": claim["sourceRef"]}
            raised = await tx.run(
                HOUSEHOLD_FOR_CHILD, rows=[row], now=now, actor=actor.params(claim["source"])
            )
            alerts = household_alerts((await raised.single(strict=True))["alerts"])
        return Resolved(child_id, tuple(alerts))

    return await graph.write_transaction(work)


async def match_review_to_child(
    graph: Graph,
    review_id: str,
    payload_hash: str,
    child_id: str,
    props: dict[str, Any],
    *,
    actor: Actor,
    now: datetime,
) -> Resolved | None:
    """Update `child_id` from the held record and resolve the review; None if it moved on."""
    return await _resolve(
        graph,
        review_id,
        payload_hash,
        (_UPDATE_CHILD, {"childId": child_id, "props": props}),
        "MATCHED",
        actor,
        now,
    )


async def create_child_for_review(
    graph: Graph,
    review_id: str,
    payload_hash: str,
    props: dict[str, Any],
    *,
    actor: Actor,
    now: datetime,
) -> Resolved | None:
    """Create a new child from the held record and resolve the review."""
    return await _resolve(
        graph, review_id, payload_hash, (_CREATE_CHILD, {"props": props}), "CREATED", actor, now
    )
