"""Mutation.ingest, Query.matchReviews and Mutation.resolveMatchReview (R15, R4, R14).

`ingest` is a thin shell around feeds/pipeline.py, the code path `contactgraph ingest`
shares. The review resolvers fetch facts from graph/match_review.py, ask
policies.matching who may decide and policies.shielding what each candidate may show,
and note every child touched in the audit collector.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator
from typing import Any

import orjson
import strawberry
from strawberry.types import Info

from api import shaping
from api.context import RequestContext
from api.errors import BadUserInput, Forbidden, NotFound
from api.resolvers.queues import queue_connection, queue_items
from api.schema.child import Address
from api.schema.enums import gender
from api.schema.guard import Guard
from api.schema.ingest import (
    IncomingChild,
    IngestError,
    IngestRecord,
    IngestReport,
    MatchCandidate,
    MatchReview,
    MatchReviewReason,
    MatchReviewStatus,
)
from api.schema.pagination import Connection, Page
from feeds.ops.upsert_child import ChildPayload, child_properties
from feeds.pipeline import CHUNK_RECORDS, MAX_CALL_RECORDS, Chunk, Ingestor, chunk_event, chunked
from feeds.report import ChunkOutcome
from feeds.validation import parse_payload, parse_record
from graph import match_review as reviews
from graph.alerts import Actor
from graph.audit import AuditRecord
from policies import disclosure, matching
from policies.retention import admissible_new_child

__all__ = ["resolve_ingest", "resolve_match_review", "resolve_match_reviews"]

MAX_REVIEWS = 100
MAX_ID = 200


async def resolve_ingest(
    info: Info[Any, Any], source: str, records: list[IngestRecord]
) -> IngestReport:
    ctx: RequestContext = info.context
    ctx.audit.touch("ingest")
    decision = matching.may_ingest(ctx.viewer, source)
    if not decision:
        ctx.audit.deny(f"Mutation.ingest: {decision.reason}")
        raise Forbidden("this token may not push records for that source")
    if len(records) > MAX_CALL_RECORDS:
        raise BadUserInput(
            f"send at most {MAX_CALL_RECORDS} records a call (use the CLI for files)",
            field="records",
        )
    items = [
        (
            1,
            parse_record(
                n,
                r.source_ref,
                r.op,
                r.payload,
                ctx.today,
                fallback_ref=f"record {n}",
            ),
        )
        for n, r in enumerate(records, start=1)
    ]
    role = ctx.viewer.primary_role.value
    actor = Actor(ctx.viewer.subject, role, ctx.request_id)
    ingestor = Ingestor(
        ctx.graph,
        source,
        today=ctx.today,
        now=ctx.now,
        actor=actor,
        reference_sources=ctx.settings.reference_sources,
    )

    async def chunks() -> AsyncIterator[Chunk]:
        for chunk in chunked(items, CHUNK_RECORDS):
            yield chunk

    def audit(outcome: ChunkOutcome) -> list[AuditRecord]:
        # Reference data a chunk changed is audited in the chunk's own transaction; the
        # children it wrote are named in this request's event, below.
        if not outcome.changed:
            return []
        event = chunk_event(outcome, ctx.viewer.subject, role, ctx.request_id, source)
        return [dataclasses.replace(event, child_ids=[])]

    async for _, outcome in ingestor.ingest_chunks(chunks(), audit):
        # R4: a write that brought the household rule into play raised an alert with it;
        # this request's event names the shielded children too. The report does not.
        for child_id in outcome.audited_child_ids():
            ctx.audit.child(child_id)
    report = ingestor.report
    return IngestReport(
        accepted=report.accepted,
        unchanged=report.unchanged,
        rejected=report.rejected,
        errors=[
            IngestError(source_ref=e.source_ref, code=e.code, message=e.message)
            for e in report.errors
        ],
        pending_match_review=report.pending_match_review,
        held_for_review=report.held,
    )


def _begin_review(info: Info[Any, Any], action: str) -> RequestContext:
    ctx: RequestContext = info.context
    ctx.audit.touch(action)
    decision = matching.may_review_matches(ctx.viewer)
    if not decision:
        ctx.audit.deny(f"{action}: {decision.reason}")
        raise Forbidden("only an INDEX_ADMIN of a local authority works the match review queue")
    ctx.purpose()
    return ctx


def _incoming(review: reviews.ReviewFacts, today: Any) -> ChildPayload | None:
    try:
        payload = parse_payload("UPSERT_CHILD", orjson.loads(review.payload), today)
    except (ValueError, orjson.JSONDecodeError):
        return None
    assert isinstance(payload, ChildPayload)
    return payload


def _shape_review(ctx: RequestContext, review: reviews.ReviewFacts) -> MatchReview:
    """Each candidate as the index view would show them (R4, policies.disclosure); the
    incoming address too is withheld when it could locate a candidate the viewer may not."""
    viewer, now, audit = ctx.viewer, ctx.now, ctx.audit
    payload = _incoming(review, ctx.today)
    candidates = []
    incoming_address_allowed = True
    for candidate in review.candidates:
        child = candidate.child
        audit.child(child.id)
        where = disclosure.decide(viewer, disclosure.LocalAuthority(), child, now)
        home = disclosure.decide(viewer, disclosure.HomeAddress(), child, now)
        if not where or not home:
            incoming_address_allowed = False
        incoming_nhs = payload.nhs_number if payload else None
        same_nhs = (
            None
            if incoming_nhs is None or candidate.nhs_number is None
            else incoming_nhs == candidate.nhs_number
        )
        candidates.append(
            MatchCandidate(
                id=strawberry.ID(child.id),
                given_name=child.given_name,
                family_name=child.family_name,
                date_of_birth=child.date_of_birth,
                gender=gender(child.gender),
                shielded=child.shielded,
                archived=child.archived_on is not None,
                same_nhs_number=same_nhs,
                _local_authority=child.local_authority,
                _local_authority_guard=Guard.of(where, f"Child:{child.id}.localAuthority"),
                _address=shaping.address(child.address),
                _guard=Guard.of(home, f"Child:{child.id}.address"),
            )
        )
    if payload is not None:
        incoming = IncomingChild(
            nhs_number=payload.nhs_number,
            given_name=payload.given_name,
            family_name=payload.family_name,
            date_of_birth=payload.date_of_birth,
            gender=gender(payload.gender),
            local_authority=payload.local_authority,
            date_of_death=payload.date_of_death,
            _address=Address(
                line1=payload.line1,
                line2=payload.line2,
                town=payload.town,
                postcode=payload.postcode,
            ),
            _guard=Guard(incoming_address_allowed, f"MatchReview:{review.id}.incoming.address"),
        )
    else:  # unreadable by today's rules (cannot happen for a record validated on arrival)
        incoming = IncomingChild(
            nhs_number=None,
            given_name="",
            family_name="",
            date_of_birth=review.received_at.date(),
            gender=gender("NOT_KNOWN"),
            local_authority=review.local_authority or "",
            date_of_death=None,
        )
    return MatchReview(
        id=strawberry.ID(review.id),
        source=review.source,
        source_ref=review.source_ref,
        status=MatchReviewStatus(review.status),
        reason=MatchReviewReason(review.reason),
        received_at=review.received_at,
        incoming=incoming,
        candidates=candidates,
        resolved_child_id=strawberry.ID(review.child_id) if review.child_id else None,
        resolved_at=review.resolved_at,
    )


async def resolve_match_reviews(
    info: Info[Any, Any], first: int, page: Page | None = None
) -> list[MatchReview]:
    ctx = _begin_review(info, "matchReviews")
    la = ctx.viewer.local_authority
    assert la is not None
    found = await queue_items(
        first, page, MAX_REVIEWS, lambda limit: reviews.pending_reviews(ctx.graph, la, limit)
    )
    return [_shape_review(ctx, review) for review in found]


async def resolve_match_review(
    info: Info[Any, Any], review_id: str, match_to_child_id: str | None, create_new: bool
) -> MatchReview:
    ctx = _begin_review(info, "resolveMatchReview")
    if (match_to_child_id is None) == (not create_new):
        raise BadUserInput(
            "give exactly one of matchToChildId or createNew: true", field="matchToChildId"
        )
    if not review_id.strip() or len(review_id) > MAX_ID:
        raise BadUserInput("id must be a match review id", field="id")
    hidden = NotFound("no pending match review with that id is yours to resolve")
    review = await reviews.fetch_review(ctx.graph, review_id)
    if review is None:
        raise hidden
    candidates = [c.child for c in review.candidates]
    if review.status != matching.ReviewStatus.PENDING or not matching.review_concerns_viewer(
        ctx.viewer, review.local_authority, candidates
    ):
        ctx.audit.deny(f"MatchReview:{review_id}: not a pending review of yours")
        for child in candidates:
            ctx.audit.deny(f"Child:{child.id}: in a review not yours to resolve")
        raise hidden
    for child in candidates:
        ctx.audit.child(child.id)
    payload = _incoming(review, ctx.today)
    if payload is None:
        raise BadUserInput("the held record can no longer be read; ask the source to resend it")
    actor = Actor(ctx.viewer.subject, ctx.viewer.primary_role.value, ctx.request_id)
    now = ctx.now
    if match_to_child_id is not None:
        if len(match_to_child_id) > MAX_ID:
            raise BadUserInput("matchToChildId is too long", field="matchToChildId")
        target = await reviews.target_child(ctx.graph, match_to_child_id)
        if target is None:
            raise NotFound("no child with that id", field="matchToChildId")
        ctx.audit.child(target.child.id)
        decision = matching.may_match_to_child(ctx.viewer, target.child)
        if not decision:
            ctx.audit.deny(f"Child:{target.child.id}: {decision.reason}")
            raise Forbidden(
                "only the index team of the child's local authority may match a record to it"
            )
        props = child_properties(payload, protect_whereabouts=target.child.shielded).props()
        resolved = await reviews.match_review_to_child(
            ctx.graph,
            review.id,
            review.payload_hash,
            target.child.id,
            props,
            actor=actor,
            now=now,
        )
    else:
        decision = matching.may_create_new_child(ctx.viewer, candidates)
        if not decision:
            ctx.audit.deny(f"MatchReview:{review_id}: {decision.reason}")
            raise Forbidden(
                "a candidate is shielded: only its own local authority's index team may "
                "decide that this record is another child"
            )
        if not admissible_new_child(payload.date_of_birth, payload.date_of_death, ctx.today):
            raise BadUserInput(
                "the index holds children up to their 18th birthday (R16)", field="createNew"
            )
        props = child_properties(payload, protect_whereabouts=False).props()
        props.update(
            id=f"c-{uuid.uuid4().hex}",
            shielded=False,
            source=review.source,
            sourceRef=review.source_ref,
        )
        resolved = await reviews.create_child_for_review(
            ctx.graph, review.id, review.payload_hash, props, actor=actor, now=now
        )
    if resolved is None:
        raise hidden
    ctx.audit.child(resolved.child_id)
    for alert in resolved.alerts:  # R4: the write is audited with the shielded children
        for child_id in alert.child_ids:
            ctx.audit.child(child_id)
    after = await reviews.fetch_review(ctx.graph, review.id)
    assert after is not None
    return _shape_review(ctx, after)


# --- Root fields: what this domain adds to Query and Mutation --------------------


@strawberry.type
class IngestQuery:
    @strawberry.field(
        description=(
            "Feed records held for review (R15) that concern your local authority (the "
            "record names it, or a candidate lives there), oldest first. INDEX_ADMIN only, "
            "with X-Purpose. Audited: every candidate shown is recorded."
        )
    )
    async def match_reviews(self, info: Info[Any, Any], first: int = 20) -> list[MatchReview]:
        return await resolve_match_reviews(info, first)

    @strawberry.field(
        description=(
            "matchReviews a page at a time: the same reviews, rules and audit, oldest "
            "first; only the reviews on the page are audited. `first` is 1 to 100; pass "
            "`pageInfo.endCursor` as `after` for the next page. Pages run over the oldest "
            "100 pending reviews: resolve some to reach the rest."
        )
    )
    async def match_reviews_connection(
        self, info: Info[Any, Any], first: int = 20, after: str | None = None
    ) -> Connection[MatchReview]:
        return await queue_connection(
            "matchReviews",
            first,
            after,
            MAX_REVIEWS,
            lambda first, page: resolve_match_reviews(info, first, page),
        )


@strawberry.type
class IngestMutation:
    @strawberry.mutation(
        description=(
            "Push records from a source system (R15). FEED tokens only, and only for the "
            "source named in the token (FORBIDDEN otherwise); at most 1000 records a call "
            "(BAD_USER_INPUT). Idempotent per (source, sourceRef). Each bad record is "
            "rejected alone with a code; the rest are written. Children are matched by NHS "
            "number, else by exact names, date of birth and postcode; anything uncertain is "
            "held for review. Audited."
        )
    )
    async def ingest(
        self, info: Info[Any, Any], source: str, records: list[IngestRecord]
    ) -> IngestReport:
        return await resolve_ingest(info, source, records)

    @strawberry.mutation(
        description=(
            "Decide a held feed record (R15): give exactly one of matchToChildId (the record "
            "is that child: it updates them, and the source's later records about it go "
            "there) or createNew: true (it is a new child). INDEX_ADMIN only, with "
            "X-Purpose. Matching needs the child to be in your local authority; creating a "
            "new child beside a shielded candidate needs you to be that candidate's index "
            "team (R4). A review already resolved, or not yours, gives NOT_FOUND. Audited."
        )
    )
    async def resolve_match_review(
        self,
        info: Info[Any, Any],
        id: strawberry.ID,
        match_to_child_id: strawberry.ID | None = None,
        create_new: bool = False,
    ) -> MatchReview:
        return await resolve_match_review(
            info, str(id), str(match_to_child_id) if match_to_child_id else None, create_new
        )
