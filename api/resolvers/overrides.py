"""recordAccessOverride, overridesForReview, recordSharingDecision, setShielded (R9, R4, R14).

Thin: validate, fetch facts inside the write transaction, ask policies, shape. The
override's justification and the decision's reason go into the audit event (R14), and
override ids are recorded as such.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import strawberry
from strawberry.types import Info

from api import browsing, shaping
from api.context import RequestContext
from api.errors import BadUserInput, Forbidden, NotFound
from api.resolvers import mutation
from api.resolvers.child import index_view
from api.resolvers.consent import CHILD_NOT_FOUND, MAX_ID, standing
from api.resolvers.queues import queue_connection, queue_items
from api.schema.child import Child, Practitioner
from api.schema.overrides import (
    AccessOverride,
    OverrideGround,
    RecordOverrideInput,
    SharingDecision,
)
from api.schema.pagination import Connection, Page
from graph import overrides as override_graph
from graph.consent import ChildContext
from graph.idempotency import IdempotencyConflict
from policies import overrides as override_policy
from policies import shielding
from policies.viewer import Role

__all__ = [
    "record_access_override",
    "record_sharing_decision",
    "resolve_overrides_for_review",
    "set_shielded",
    "shape_sharing_decision",
]

_MAX_RECIPIENT = 200
_MAX_REASON = 1000


def _child_id(value: str, field: str) -> str:
    text = value.strip()
    if not text or len(text) > MAX_ID:
        raise BadUserInput(f"{field.rsplit('.', 1)[-1]} must be a non-empty id", field=field)
    return text


def _override(ctx: RequestContext, record: override_graph.OverrideRecord) -> AccessOverride:
    if record.recorded_by is None:  # the model always links the recorder
        raise NotFound("that access override is not available")
    return AccessOverride(
        id=strawberry.ID(record.id),
        child_id=strawberry.ID(record.child_id),
        ground=OverrideGround(record.ground),
        justification=record.justification,
        # The recorder's own work details: nothing of the child's whereabouts.
        recorded_by=shaping.own_practitioner(record.recorded_by),
        recorded_at=record.recorded_at,
        expires_at=record.expires_at,
        lifts_shielding=record.lifts_shielding,
        active=record.recorded_at <= ctx.now < record.expires_at,
    )


async def record_access_override(
    info: Info[Any, Any], input: RecordOverrideInput
) -> AccessOverride:
    child_id = _child_id(str(input.child_id), "input.childId")
    ctx = mutation.begin(info, "recordAccessOverride", child_id)
    viewer = ctx.viewer
    allowed = override_policy.may_record_override(viewer)
    if not allowed:
        ctx.audit.deny(f"recordAccessOverride: {allowed.reason}")
        raise Forbidden("only a PRACTITIONER or SAFEGUARDING_LEAD may record an override (R9)")
    if viewer.practitioner_id is None:
        raise Forbidden(
            "your token is not linked to a practitioner: an override names its recorder"
        )
    justified = override_policy.check_justification(input.justification)
    if not justified:
        raise BadUserInput(justified.reason, field="input.justification")
    justification = input.justification.strip()
    ctx.audit.reason = f"{input.ground.name}: {justification}"
    terms = override_policy.override_terms(viewer, ctx.now)
    claim = mutation.claim(info, "recordAccessOverride", {"input": input})

    def decide(context: ChildContext | None) -> None:
        if context is None:
            raise NotFound(CHILD_NOT_FOUND)

    try:
        record = await override_graph.record_access_override(
            ctx.graph,
            override_graph.OverrideDraft(
                child_id=child_id,
                ground=input.ground.name,
                justification=justification,
                expires_at=terms.expires_at,
                lifts_shielding=terms.lifts_shielding,
            ),
            recorder=mutation.recorder(ctx),
            claim=claim,
            decide=decide,
        )
    except IdempotencyConflict as exc:
        raise mutation.conflict() from exc
    except override_graph.RecorderNotOnIndex as exc:
        raise Forbidden(
            "your token's practitioner is not on the index: an override names its recorder (R9)"
        ) from exc
    ctx.audit.override(record.id)
    ctx.audit.disclose(f"AccessOverride:{record.id}")
    return _override(ctx, record)


async def resolve_overrides_for_review(
    info: Info[Any, Any], first: int | None, page: Page | None = None
) -> list[AccessOverride]:
    ctx = mutation.begin(info, "overridesForReview")
    allowed = override_policy.may_review_overrides(ctx.viewer)
    if not allowed:
        ctx.audit.deny(f"overridesForReview: {allowed.reason}")
        raise Forbidden(
            "only a SAFEGUARDING_LEAD (with a local authority) reviews access overrides (R9)"
        )
    la = ctx.viewer.local_authority
    assert la is not None
    records = await queue_items(
        100 if first is None else first,
        page,
        override_policy.MAX_REVIEW,
        lambda limit: override_graph.fetch_overrides_for_review(ctx.graph, la, limit),
    )
    shaped = []
    for record in records:
        ctx.audit.child(record.child_id)
        ctx.audit.disclose(f"AccessOverride:{record.id}")
        shaped.append(_override(ctx, record))
    return shaped


async def record_sharing_decision(
    info: Info[Any, Any],
    child_id: str,
    shared: bool,
    with_consent: bool,
    recipient: str,
    reason: str,
) -> SharingDecision:
    child_id = _child_id(child_id, "childId")
    ctx = mutation.begin(info, "recordSharingDecision", child_id)
    viewer = ctx.viewer
    if viewer.practitioner_id is None or not (
        viewer.has(Role.PRACTITIONER) or viewer.has(Role.SAFEGUARDING_LEAD)
    ):
        ctx.audit.deny("recordSharingDecision: role")
        raise Forbidden("only a practitioner records information-sharing decisions")
    to = mutation.text(recipient, "recipient", limit=_MAX_RECIPIENT)
    assert to is not None
    checked = override_policy.check_sharing_decision(
        shared=shared, with_consent=with_consent, reason=reason
    )
    if not checked:
        raise BadUserInput(checked.reason, field="reason")
    why = reason.strip()
    ctx.audit.reason = f"{'shared' if shared else 'not shared'} with {to}: {why}"
    claim = mutation.claim(
        info,
        "recordSharingDecision",
        {
            "childId": child_id,
            "shared": shared,
            "withConsent": with_consent,
            "recipient": to,
            "reason": why,
        },
    )

    def decide(context: ChildContext | None) -> None:
        if context is None:
            raise NotFound(CHILD_NOT_FOUND)
        me = dataclasses.replace(viewer, service_ids=context.viewer_service_ids)
        decision = override_policy.may_record_sharing_decision(
            me,
            involved=standing(ctx, me, context),
            child_local_authority=context.child.local_authority,
            overrides=context.child.overrides,
            now=ctx.now,
        )
        if not decision:
            ctx.audit.deny(f"recordSharingDecision: {decision.reason}")
            raise Forbidden(
                "only a practitioner working with this child, one holding an override for "
                "them, or a safeguarding lead of their local authority records this"
            )

    try:
        record = await override_graph.record_sharing_decision(
            ctx.graph,
            override_graph.SharingDraft(child_id, shared, with_consent, to, why),
            recorder=mutation.recorder(ctx),
            claim=claim,
            decide=decide,
        )
    except IdempotencyConflict as exc:
        raise mutation.conflict() from exc
    except override_graph.RecorderNotOnIndex as exc:
        raise Forbidden(
            "your token's practitioner is not on the index: a decision names its recorder"
        ) from exc
    if record.recorded_by is None:
        raise NotFound("that decision is not available")
    ctx.audit.disclose(f"SharingDecision:{record.id}")
    return shape_sharing_decision(record, shaping.own_practitioner(record.recorded_by))


def shape_sharing_decision(
    record: override_graph.SharingDecisionRecord, recorded_by: Practitioner
) -> SharingDecision:
    """A decision as the API shows it; its recorder already shaped for this reader."""
    return SharingDecision(
        id=strawberry.ID(record.id),
        child_id=strawberry.ID(record.child_id),
        shared=record.shared,
        with_consent=record.with_consent,
        recipient=record.recipient,
        reason=record.reason,
        recorded_by=recorded_by,
        recorded_at=record.recorded_at,
    )


async def set_shielded(info: Info[Any, Any], child_id: str, shielded: bool, reason: str) -> Child:
    child_id = _child_id(child_id, "childId")
    ctx = mutation.begin(info, "setShielded", child_id)
    if not ctx.viewer.has(Role.INDEX_ADMIN):
        ctx.audit.deny("setShielded: role")
        raise Forbidden("only INDEX_ADMIN of the child's own local authority sets shielding (R4)")
    why = mutation.text(reason, "reason", limit=_MAX_REASON)
    await browsing.spend_before_write(ctx, child_id)
    ctx.audit.reason = f"{'shielded' if shielded else 'unshielded'}: {why}"
    claim = mutation.claim(
        info, "setShielded", {"childId": child_id, "shielded": shielded, "reason": why}
    )

    def decide(context: ChildContext | None) -> None:
        if context is None:
            raise NotFound(CHILD_NOT_FOUND)
        decision = shielding.may_set_shielded(ctx.viewer, context.child.local_authority)
        if not decision:
            ctx.audit.deny(f"setShielded: {decision.reason}")
            raise Forbidden(
                "only INDEX_ADMIN of the child's own local authority sets shielding (R4)"
            )

    try:
        await override_graph.set_shielded(
            ctx.graph,
            child_id,
            shielded,
            recorder=mutation.recorder(ctx),
            claim=claim,
            decide=decide,
        )
    except IdempotencyConflict as exc:
        raise mutation.conflict() from exc
    return await index_view(ctx, child_id, CHILD_NOT_FOUND)


# --- Root fields: what this domain adds to Query and Mutation --------------------


@strawberry.type
class OverrideQuery:
    @strawberry.field(
        description=(
            "Access overrides for safeguarding review (R9), newest first: SAFEGUARDING_LEAD "
            "only, for children of the lead's own local authority. At most 500. Needs "
            "X-Purpose. Audited."
        )
    )
    async def overrides_for_review(
        self, info: Info[Any, Any], first: int | None = 100
    ) -> list[AccessOverride]:
        return await resolve_overrides_for_review(info, first)

    @strawberry.field(
        description=(
            "overridesForReview a page at a time: the same overrides, rules and audit, "
            "newest first; only the overrides on the page are audited. `first` is 1 to "
            "500; pass `pageInfo.endCursor` as `after` for the next page. Pages run over "
            "the newest 500."
        )
    )
    async def overrides_for_review_connection(
        self, info: Info[Any, Any], first: int = 100, after: str | None = None
    ) -> Connection[AccessOverride]:
        return await queue_connection(
            "overridesForReview",
            first,
            after,
            override_policy.MAX_REVIEW,
            lambda first, page: resolve_overrides_for_review(info, first, page),
        )


@strawberry.type
class OverrideMutation:
    @strawberry.mutation(
        description=(
            "Record an access override for one child (R9): PRACTITIONER or SAFEGUARDING_LEAD, "
            "with a ground and a justification of at least 20 characters (BAD_USER_INPUT "
            "field input.justification otherwise). Lasts 72 hours from now; a "
            "SAFEGUARDING_LEAD's also lifts shielding for one hour. Reported for immediate "
            "review and audited with its justification."
        )
    )
    async def record_access_override(
        self, info: Info[Any, Any], input: RecordOverrideInput
    ) -> AccessOverride:
        return await record_access_override(info, input)

    @strawberry.mutation(
        description=(
            "Record a decision to share, or not to share, information about a child (CAF "
            "guide 4.24), by a practitioner working with the child, one holding an override, "
            "or a SAFEGUARDING_LEAD of the child's local authority. Sharing without consent "
            "needs a reason of at least 20 characters. Audited."
        )
    )
    async def record_sharing_decision(
        self,
        info: Info[Any, Any],
        child_id: strawberry.ID,
        shared: bool,
        with_consent: bool,
        recipient: str,
        reason: str,
    ) -> SharingDecision:
        return await record_sharing_decision(
            info, str(child_id), shared, with_consent, recipient, reason
        )

    @strawberry.mutation(
        description=(
            "Shield or unshield a child (R4): INDEX_ADMIN of the child's own local authority "
            "only, with a reason (kept in the audit event). Returns the child as you now see "
            "it."
        )
    )
    async def set_shielded(
        self, info: Info[Any, Any], child_id: strawberry.ID, shielded: bool, reason: str
    ) -> Child:
        return await set_shielded(info, str(child_id), shielded, reason)
