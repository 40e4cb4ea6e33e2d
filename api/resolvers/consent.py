"""Query.consents, recordConsent, recordConsentRefusal, withdrawConsent (R9, R10, R6).

Thin: validate the input, fetch facts (inside the write transaction for mutations),
ask policies.consent, shape the answer. What a recorder may name follows R6 and R6b
(policies.consent.service_naming): consent to share a sensitive service is recorded by
that service, and a sensitive service hidden from the recorder is answered exactly like
an id that does not exist, in grants and refusals alike; a listed or withdrawn record
naming one, or saying who works with a shielded child (R4), is for that viewer a record
that does not exist (`record_seen`, policies.disclosure.ConsentRecord). A
consent recorded on the strength of an override alone is clamped to it (R10).

Nothing about consent is cached between requests: every decision is taken on the
facts read by this request, so a withdrawal or refusal takes effect on the very next
one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

import strawberry
from strawberry.types import Info

from api import browsing, shaping
from api.context import RequestContext
from api.errors import BadUserInput, Forbidden, NotFound
from api.resolvers import mutation
from api.schema.consent import (
    ConsentGrant,
    ConsentMethod,
    ConsentPurpose,
    ConsentState,
    RecordConsentInput,
    RecordRefusalInput,
)
from api.schema.pagination import Connection, Page
from graph import consent as consent_graph
from graph.consent import ChildContext, ConsentDraft, ConsentRecord, ConsentWriteFacts
from graph.idempotency import IdempotencyConflict
from policies import consent as consent_policy
from policies import disclosure
from policies.facts import ChildFacts
from policies.overrides import active_override
from policies.viewer import Role, Viewer

__all__ = [
    "MAX_ID",
    "authorise",
    "caf_there",
    "record_consent",
    "record_consent_refusal",
    "record_seen",
    "resolve_consents",
    "shape_consent",
    "standing",
    "withdraw_consent",
]

MAX_ID = 200
_MAX_REASON = 1000

CHILD_NOT_FOUND = "no child with that id is visible to you"
RECORD_NOT_FOUND = "no consent record with that id is visible to you"
#: The one answer for a service id that does not exist and for a sensitive service R6
#: hides from the recorder (no fishing): it names no id, so the two are byte-identical.
SERVICE_NOT_FOUND = "no service with that id is visible to you"
#: R6b: a sensitive service the recorder may see but does not work for.
NOT_THE_RECORDERS_SERVICE = (
    "consent to share a sensitive service's involvement is recorded by a practitioner of "
    "that service, who passes on what the child told them (R6b)"
)


def shape_consent(
    ctx: RequestContext, viewer: Viewer, child: ChildFacts, record: ConsentRecord
) -> ConsentGrant:
    """The record as the API shows it; who gave it is a carer shown under R4 (api/shaping)."""
    fact = record.fact
    return ConsentGrant(
        id=strawberry.ID(fact.id),
        child_id=strawberry.ID(record.child_id),
        purpose=ConsentPurpose(fact.purpose),
        state=ConsentState(consent_policy.effective_state(fact, ctx.today, ctx.now)),
        given_by_child=fact.given_by_child,
        competence_assessed=fact.competence_assessed,
        covers_service_ids=[strawberry.ID(s) for s in sorted(fact.covers_service_ids)],
        covers_assessment_id=strawberry.ID(fact.covers_assessment_id)
        if fact.covers_assessment_id
        else None,
        granted_to_practitioner_ids=[
            strawberry.ID(p) for p in sorted(fact.granted_to_practitioner_ids)
        ],
        granted_to_service_ids=[strawberry.ID(s) for s in sorted(fact.granted_to_service_ids)],
        method=ConsentMethod(record.method),
        recorded_on=fact.recorded_on,
        expires_on=fact.expires_on,
        withdrawn_on=record.withdrawn_on,
        _carer=shaping.carer(ctx, viewer, child, record.carer) if record.carer else None,
    )


def _practitioner_only(ctx: RequestContext, action: str) -> None:
    """Roles that never record or read consent are refused before anything is looked up,
    so they cannot even learn whether a child id exists."""
    viewer = ctx.viewer
    if viewer.practitioner_id is None or not (
        viewer.has(Role.PRACTITIONER) or viewer.has(Role.SAFEGUARDING_LEAD)
    ):
        ctx.audit.deny(f"{action}: role")
        raise Forbidden(
            "only a practitioner working with the child may record or read consent (R10)"
        )


def _id(value: str, field: str) -> str:
    text = str(value).strip()
    if not text or len(text) > MAX_ID:
        raise BadUserInput(f"{field.rsplit('.', 1)[-1]} must be a non-empty id", field=field)
    return text


def _ids(values: Iterable[strawberry.ID] | None, field: str) -> tuple[str, ...]:
    ids = tuple(dict.fromkeys(_id(v, field) for v in values or ()))
    if len(ids) > consent_policy.MAX_SCOPE:
        raise BadUserInput(
            f"{field.rsplit('.', 1)[-1]} may name at most {consent_policy.MAX_SCOPE} ids",
            field=field,
        )
    return ids


def standing(ctx: RequestContext, viewer: Viewer, context: ChildContext) -> bool:
    """Is the viewer's involvement with the child standing to act on it (consent, a lead
    professional, a sharing decision)? Not for a shielded child whose whereabouts are
    withheld from them (R4): whether a login's service works with him is where he is, so
    it must change no answer. Such a child is acted on under an override (R9), or by his
    own index team."""
    return context.involved and bool(
        disclosure.decide(viewer, disclosure.Whereabouts(), context.child, ctx.now)
    )


def caf_there(ctx: RequestContext, viewer: Viewer, context: ChildContext, caf_id: str) -> bool:
    """R7: is this CAF of the child there at all for the viewer? One held from a sensitive
    service R6 hides from them is not: no answer (an "already open" refusal, a consent
    that covers it) may say it exists."""
    ref = next((a for a in context.assessments if a.id == caf_id), None)
    if ref is None:
        return False
    item = disclosure.AssessmentExists(ref.as_summary())
    return disclosure.decide(viewer, item, context.child, ctx.now).allowed


_MAY_NOT_RECORD = (
    "only a practitioner involved with this child, or holding an access override for them, "
    "may record or read their consent (R9, R10)"
)


def authorise(
    ctx: RequestContext, context: ChildContext, action: str, refusal: str = _MAY_NOT_RECORD
) -> Viewer:
    """R9/R10: involved with the child, or holding an override. Returns the viewer with
    their services filled in (consent may be granted to a service). `refusal` is what
    the caller is told otherwise (the same whatever the child, for the no-oracle rule)."""
    viewer = dataclasses.replace(ctx.viewer, service_ids=context.viewer_service_ids)
    involved = standing(ctx, viewer, context)
    decision = consent_policy.may_record_consent(
        viewer, involved=involved, overrides=context.child.overrides, now=ctx.now
    )
    if not decision:
        ctx.audit.deny(f"{action}: {decision.reason}")
        raise Forbidden(refusal)
    if not involved:
        override = active_override(viewer, context.child.overrides, ctx.now)
        if override is not None:
            ctx.audit.override(override.id)
    return viewer


def record_seen(
    ctx: RequestContext, viewer: Viewer, child: ChildFacts, record: ConsentRecord
) -> bool:
    """R4, R6, R7 (policies.disclosure): may the viewer know this record exists?"""
    fact = record.fact
    item = disclosure.ConsentRecord(
        record.named_services,
        fact.granted_to_practitioner_ids,
        fact.recorded_by_practitioner_id,
        fact.covers_assessment_id,
    )
    return disclosure.decide(viewer, item, child, ctx.now).allowed


def _visible(
    ctx: RequestContext, viewer: Viewer, context: ChildContext, record: ConsentRecord
) -> bool:
    seen = record_seen(ctx, viewer, context.child, record)
    if not seen:
        ctx.audit.deny(f"ConsentGrant:{record.fact.id}")
        return False
    ctx.audit.disclose(f"ConsentGrant:{record.fact.id}")
    return True


async def resolve_consents(
    info: Info[Any, Any], child_id: str, page: Page | None = None
) -> list[ConsentGrant]:
    ctx = mutation.begin(info, "consents")
    _practitioner_only(ctx, "Query.consents")
    child_id = _id(child_id, "childId")
    ctx.audit.child(child_id)
    # R2: a child's consents are a read of the child; spent (or refused) before any read.
    await browsing.spend_shown(ctx, [child_id])
    context = await consent_graph.fetch_consents(
        ctx.graph,
        child_id,
        practitioner_id=ctx.viewer.practitioner_id,
        subject=ctx.viewer.subject,
        now=ctx.now,
    )
    if context is None:
        raise NotFound(CHILD_NOT_FOUND)
    viewer = authorise(ctx, context, "Query.consents")
    visible = [r for r in context.records if _visible(ctx, viewer, context, r)]
    if page is not None:
        visible = page.select(visible, key_of=lambda record: record.fact.id)
    return [shape_consent(ctx, viewer, context.child, record) for record in visible]


def _draft(
    *,
    child_id: str,
    purpose: ConsentPurpose,
    refusal: bool,
    by_child: bool,
    competence: bool | None,
    carer_id: strawberry.ID | None,
    carer_field: str,
    covers_service_ids: list[strawberry.ID] | None,
    covers_assessment_id: strawberry.ID | None,
    granted_to_practitioner_ids: list[strawberry.ID] | None,
    granted_to_service_ids: list[strawberry.ID] | None,
    method: ConsentMethod | None,
    expires_on: Any,
    today: Any,
) -> ConsentDraft:
    carer = _id(carer_id, carer_field) if carer_id is not None else None
    if by_child and carer is not None:
        raise BadUserInput(
            f"given by the child or by a carer, not both: leave {carer_field.split('.')[-1]} "
            "empty when the child decides",
            field=carer_field,
        )
    if not by_child and carer is None:
        raise BadUserInput(
            "name the carer with parental responsibility who decided, or mark it as the "
            "child's own decision",
            field=carer_field,
        )
    draft = ConsentDraft(
        child_id=_id(child_id, "input.childId"),
        purpose=purpose.name,
        refusal=refusal,
        given_by_child=by_child,
        competence_assessed=bool(competence),
        carer_id=carer,
        covers_service_ids=_ids(covers_service_ids, "input.coversServiceIds"),
        covers_assessment_id=_id(covers_assessment_id, "input.coversAssessmentId")
        if covers_assessment_id is not None
        else None,
        granted_to_practitioner_ids=_ids(
            granted_to_practitioner_ids, "input.grantedToPractitionerIds"
        ),
        granted_to_service_ids=_ids(granted_to_service_ids, "input.grantedToServiceIds"),
        method=(method or ConsentMethod.VERBAL).value,
        expires_on=expires_on,
    )
    if expires_on is not None and expires_on < today:
        raise BadUserInput("expiresOn must be today or later", field="input.expiresOn")
    scope, at_fault = consent_policy.check_scope(
        draft.purpose,
        covers_service_ids=frozenset(draft.covers_service_ids),
        covers_assessment_id=draft.covers_assessment_id,
        granted_to=len(draft.granted_to_practitioner_ids) + len(draft.granted_to_service_ids),
        refusal=refusal,
    )
    if not scope:
        raise BadUserInput(scope.reason, field=f"input.{at_fault}")
    return draft


def _check_services(
    ctx: RequestContext, viewer: Viewer, draft: ConsentDraft, facts: ConsentWriteFacts, action: str
) -> None:
    """R6, R6b: every service named must be one the recorder may name (policies.consent).

    A sensitive service hidden from the recorder gets exactly the answer an unknown id
    gets (same code, message and field, and the same place in the order of checks), so
    naming ids cannot tell anyone which exist. The audit event records the refusal
    without the service id: the trail is read by others (R14), and the id is the secret.
    """
    named = [(sid, "input.coversServiceIds", True) for sid in draft.covers_service_ids] + [
        (sid, "input.grantedToServiceIds", False) for sid in draft.granted_to_service_ids
    ]
    for service_id, field, covered in named:
        outcome, decision = consent_policy.service_naming(
            viewer,
            facts.context.child,
            facts.services.get(service_id),
            covered=covered,
            today=ctx.today,
            now=ctx.now,
        )
        if outcome is consent_policy.ServiceNaming.ALLOWED:
            continue
        if outcome is consent_policy.ServiceNaming.NOT_THE_RECORDERS_SERVICE:
            ctx.audit.deny(f"{action}: {field}: {decision.reason}")
            raise BadUserInput(NOT_THE_RECORDERS_SERVICE, field=field)
        if service_id in facts.services:
            ctx.audit.deny(f"{action}: {field}: R6: a sensitive service hidden from the recorder")
        raise BadUserInput(SERVICE_NOT_FOUND, field=field)


def _decide_recording(
    ctx: RequestContext, draft: ConsentDraft, child_field: str, carer_field: str, action: str
) -> Any:
    def decide(facts: ConsentWriteFacts | None) -> ConsentDraft:
        if facts is None:
            raise NotFound(CHILD_NOT_FOUND)
        viewer = authorise(ctx, facts.context, action)
        if draft.given_by_child:
            decision = consent_policy.child_may_decide(
                facts.context.child.date_of_birth, ctx.today, draft.competence_assessed
            )
            if not decision:
                raise BadUserInput(
                    "the child's own decision does not count here: "
                    + decision.reason.removeprefix("R10: ")
                    + " (R10); a carer with parental responsibility decides instead",
                    field=child_field,
                )
        else:
            # R4: who a shielded child's carers are is withheld from this recorder, so
            # whether the named carer is one must change no answer: the index team, or a
            # safeguarding lead in their shield lift, records a carer's decision for him.
            if not disclosure.decide(viewer, disclosure.Carers(), facts.context.child, ctx.now):
                raise BadUserInput(
                    "a shielded child's carers are reached through the index team (R4): "
                    "ask them to record a carer's decision",
                    field=carer_field,
                )
            link = facts.carer_parental_responsibility
            decision = consent_policy.carer_may_consent(
                cares_for_child=link is not None, parental_responsibility=bool(link)
            )
            if not decision:
                raise BadUserInput(
                    f"this carer cannot decide for the child: {decision.reason} (R10)",
                    field=carer_field,
                )
        _check_services(ctx, viewer, draft, facts, action)
        for unknown in facts.unknown_practitioner_ids:
            raise BadUserInput(
                f"no practitioner with id {unknown!r}", field="input.grantedToPractitionerIds"
            )
        # The child's CAFs came with the locked context: one not among them, or one R7
        # hides from this recorder, is answered alike.
        if draft.covers_assessment_id is not None and not caf_there(
            ctx, viewer, facts.context, draft.covers_assessment_id
        ):
            raise BadUserInput(
                "no assessment with that id for this child", field="input.coversAssessmentId"
            )
        # R10: recorded on the strength of an override alone, it lasts no longer than it.
        terms = consent_policy.recording_terms(
            viewer,
            involved=standing(ctx, viewer, facts.context),
            overrides=facts.context.child.overrides,
            now=ctx.now,
            expires_on=draft.expires_on,
            refusal=draft.refusal,
        )
        return dataclasses.replace(
            draft,
            expires_on=terms.expires_on,
            standing_until=terms.standing_until,
            standing_override_id=terms.override_id,
        )

    return decide


async def _record(
    info: Info[Any, Any],
    action: str,
    arguments: dict[str, Any],
    draft: ConsentDraft,
    child_field: str,
    carer_field: str,
) -> ConsentGrant:
    ctx: RequestContext = info.context
    claim = mutation.claim(info, action, arguments)
    try:
        context, record = await consent_graph.record_consent(
            ctx.graph,
            draft,
            recorder=mutation.recorder(ctx),
            claim=claim,
            decide=_decide_recording(ctx, draft, child_field, carer_field, action),
        )
    except IdempotencyConflict as exc:
        raise mutation.conflict() from exc
    viewer = dataclasses.replace(ctx.viewer, service_ids=context.viewer_service_ids)
    ctx.audit.disclose(f"ConsentGrant:{record.fact.id}")
    return shape_consent(ctx, viewer, context.child, record)


async def record_consent(info: Info[Any, Any], input: RecordConsentInput) -> ConsentGrant:
    ctx = mutation.begin(info, "recordConsent", str(input.child_id).strip()[:MAX_ID])
    _practitioner_only(ctx, "recordConsent")
    draft = _draft(
        child_id=str(input.child_id),
        purpose=input.purpose,
        refusal=False,
        by_child=input.given_by_child,
        competence=input.child_competence_assessed,
        carer_id=input.given_by_carer_id,
        carer_field="input.givenByCarerId",
        covers_service_ids=input.covers_service_ids,
        covers_assessment_id=input.covers_assessment_id,
        granted_to_practitioner_ids=input.granted_to_practitioner_ids,
        granted_to_service_ids=input.granted_to_service_ids,
        method=input.method,
        expires_on=input.expires_on,
        today=ctx.today,
    )
    return await _record(
        info,
        "recordConsent",
        {"input": input},
        draft,
        "input.givenByChild",
        "input.givenByCarerId",
    )


async def record_consent_refusal(info: Info[Any, Any], input: RecordRefusalInput) -> ConsentGrant:
    ctx = mutation.begin(info, "recordConsentRefusal", str(input.child_id).strip()[:MAX_ID])
    _practitioner_only(ctx, "recordConsentRefusal")
    draft = _draft(
        child_id=str(input.child_id),
        purpose=input.purpose,
        refusal=True,
        by_child=input.refused_by_child,
        competence=input.child_competence_assessed,
        carer_id=input.refused_by_carer_id,
        carer_field="input.refusedByCarerId",
        covers_service_ids=input.covers_service_ids,
        covers_assessment_id=input.covers_assessment_id,
        granted_to_practitioner_ids=None,
        granted_to_service_ids=None,
        method=input.method,
        expires_on=None,
        today=ctx.today,
    )
    return await _record(
        info,
        "recordConsentRefusal",
        {"input": input},
        draft,
        "input.refusedByChild",
        "input.refusedByCarerId",
    )


async def withdraw_consent(info: Info[Any, Any], grant_id: str, reason: str | None) -> ConsentGrant:
    ctx = mutation.begin(info, "withdrawConsent")
    _practitioner_only(ctx, "withdrawConsent")
    grant_id = _id(grant_id, "id")
    why = mutation.text(reason, "reason", limit=_MAX_REASON, required=False)
    if why:
        ctx.audit.reason = why
    claim = mutation.claim(info, "withdrawConsent", {"id": grant_id, "reason": why})

    def decide(facts: consent_graph.WithdrawFacts | None) -> None:
        if facts is None:
            raise NotFound(RECORD_NOT_FOUND)
        ctx.audit.child(facts.context.child.id)
        viewer = authorise(ctx, facts.context, "withdrawConsent")
        # R4, R6: a record that would say who works with a shielded child, or name a
        # sensitive service the viewer may not see, is not theirs to know of, let alone
        # withdraw.
        if not record_seen(ctx, viewer, facts.context.child, facts.record):
            ctx.audit.deny(f"ConsentGrant:{grant_id}")
            raise NotFound(RECORD_NOT_FOUND)
        decision = consent_policy.may_withdraw(facts.record.fact, ctx.today)
        if not decision:
            raise BadUserInput(decision.reason, field="id")

    try:
        context, record = await consent_graph.withdraw_consent(
            ctx.graph,
            grant_id,
            why,
            recorder=mutation.recorder(ctx),
            claim=claim,
            decide=decide,
        )
    except IdempotencyConflict as exc:
        raise mutation.conflict() from exc
    ctx.audit.child(context.child.id)
    viewer = dataclasses.replace(ctx.viewer, service_ids=context.viewer_service_ids)
    ctx.audit.disclose(f"ConsentGrant:{record.fact.id}")
    return shape_consent(ctx, viewer, context.child, record)


# --- Root fields: what this domain adds to Query and Mutation --------------------


@strawberry.type
class ConsentQuery:
    @strawberry.field(
        description=(
            "Every consent grant and refusal recorded for a child, oldest first, for a "
            "practitioner involved with the child or holding an access override for them "
            "(R9, R10); anyone else gets FORBIDDEN. Records naming a sensitive service you "
            "may not see (R6) are left out. Needs X-Purpose. Audited."
        )
    )
    async def consents(self, info: Info[Any, Any], child_id: strawberry.ID) -> list[ConsentGrant]:
        return await resolve_consents(info, str(child_id))

    @strawberry.field(
        description=(
            "consents a page at a time: the same records, rules and audit, oldest first; "
            "only the records on the page are shown and audited. `first` is 1 to 100; pass "
            "`pageInfo.endCursor` as `after` for the next page."
        )
    )
    async def consents_connection(
        self,
        info: Info[Any, Any],
        child_id: strawberry.ID,
        first: int = 20,
        after: str | None = None,
    ) -> Connection[ConsentGrant]:

        page = Page("consents", first, after, 100)
        return page.connection(await resolve_consents(info, str(child_id), page))


@strawberry.type
class ConsentMutation:
    @strawberry.mutation(
        description=(
            "Record a consent the child or a carer gave you (R10). Only a practitioner "
            "involved with the child, or holding an access override for them, may record "
            "one (FORBIDDEN otherwise). BAD_USER_INPUT names the field at fault: e.g. "
            "input.givenByChild for a child under 12, input.givenByCarerId for a carer "
            "without parental responsibility or of another child. Takes effect on the next "
            "request. Audited; send an Idempotency-Key to make retries safe."
        )
    )
    async def record_consent(self, info: Info[Any, Any], input: RecordConsentInput) -> ConsentGrant:
        return await record_consent(info, input)

    @strawberry.mutation(
        description=(
            "Record a refusal (CAF guide 4.16). A competent child's refusal outweighs any "
            "carer's grant for the same purpose and scope, at once (R10). Same authorisation "
            "and validation as recordConsent."
        )
    )
    async def record_consent_refusal(
        self, info: Info[Any, Any], input: RecordRefusalInput
    ) -> ConsentGrant:
        return await record_consent_refusal(info, input)

    @strawberry.mutation(
        description=(
            "Withdraw a consent (R10): from the very next request it counts nowhere. A "
            "record already withdrawn, or a refusal, gives BAD_USER_INPUT. The reason is "
            "kept with the record and the audit event."
        )
    )
    async def withdraw_consent(
        self, info: Info[Any, Any], id: strawberry.ID, reason: str | None = None
    ) -> ConsentGrant:
        return await withdraw_consent(info, str(id), reason)
