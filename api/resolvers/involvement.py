"""recordOwnInvolvement, endOwnInvolvement, registerPaperAssessment (CAF guide 2.15).

A practitioner whose system does not feed the index records there what a feed would:
that they or their team work with a child (and perhaps lead), that it ended, that a
CAF exists on paper. What they record is read like a feed's (R5, R6: one recorded from
a sensitive service is seen only where R6 lets that service's involvement be seen), and
a feed's later record of the same involvement takes it over (graph/own_involvement.py).
Each answers with the child's index view, as the caller may see it.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

import strawberry
from strawberry.types import Info

from api.context import RequestContext
from api.errors import BadUserInput, Forbidden, NotFound
from api.resolvers import mutation
from api.resolvers.assessment import _id
from api.resolvers.child import index_view
from api.resolvers.consent import CHILD_NOT_FOUND, authorise, caf_there
from api.schema.child import Child
from api.schema.involvement import EndOwnInvolvementInput, RecordOwnInvolvementInput
from graph import own_involvement as own_graph
from graph.consent import ChildContext
from graph.idempotency import IdempotencyConflict
from policies import disclosure
from policies import lead_professional as lead_policy

__all__ = [
    "InvolvementMutation",
    "end_own_involvement",
    "record_own_involvement",
    "register_paper_assessment",
]

_MAX_TEXT = 500


def _begin(info: Info[Any, Any], action: str, child_id: str) -> RequestContext:
    ctx = mutation.begin(info, action, child_id)
    decision = lead_policy.may_record_own(ctx.viewer)
    if not decision:
        ctx.audit.deny(f"{action}: {decision.reason}")
        raise Forbidden(decision.reason)
    return ctx


def _day(ctx: RequestContext, value: date | None, field: str) -> date:
    day = value or ctx.today
    if day > ctx.today:
        raise BadUserInput(f"{field.rsplit('.', 1)[-1]} must not be in the future", field=field)
    return day


def _facts(facts: own_graph.OwnInvolvementFacts | None) -> own_graph.OwnInvolvementFacts:
    if facts is None:
        raise NotFound(CHILD_NOT_FOUND)
    if facts.service is None:
        raise BadUserInput(
            "your practitioner record names no service on the index: ask your service's "
            "system (or the index team) to record where you work first",
            field="input.childId",
        )
    return facts


def _may_lead(ctx: RequestContext, facts: own_graph.OwnInvolvementFacts) -> None:
    """Naming oneself lead on recording one's involvement never takes the role from
    another one can see (policies.lead_professional.lead_in_the_way). For a shielded
    child whose whereabouts are withheld from the caller, who leads is whereabouts (R4):
    refused alike, whoever leads."""
    viewer = dataclasses.replace(ctx.viewer, service_ids=facts.context.viewer_service_ids)
    if not disclosure.decide(viewer, disclosure.Whereabouts(), facts.context.child, ctx.now):
        ctx.audit.deny("recordOwnInvolvement: R4: the lead of a shielded child")
        raise Forbidden("R4: this child's index team records who leads for them")
    if lead_policy.lead_in_the_way(
        viewer,
        facts.context.child,
        lead_id=facts.lead_id,
        lead=facts.lead_practitioner,
        now=ctx.now,
    ):
        raise BadUserInput(
            "the child already has a lead professional: they stand down first, or the team "
            "appoints you (appointLeadProfessional)",
            field="input.isLeadProfessional",
        )


async def _answer(ctx: RequestContext, work: Any) -> Child:
    try:
        child_id = await work
    except IdempotencyConflict as exc:
        raise mutation.conflict() from exc
    return await index_view(ctx, child_id, CHILD_NOT_FOUND)


async def record_own_involvement(info: Info[Any, Any], input: RecordOwnInvolvementInput) -> Child:
    action = "recordOwnInvolvement"
    child_id = _id(str(input.child_id), "input.childId")
    ctx = _begin(info, action, child_id)
    purpose = mutation.text(input.purpose, "input.purpose", limit=_MAX_TEXT)
    assert purpose is not None
    started_on = _day(ctx, input.started_on, "input.startedOn")
    if input.is_lead_professional and input.for_team:
        raise BadUserInput(
            "a lead professional is a person: record your own involvement to lead",
            field="input.isLeadProfessional",
        )
    ctx.audit.reason = purpose

    def decide(found: own_graph.OwnInvolvementFacts | None) -> None:
        # The same involvement open already (a feed's, or recorded before) is not written
        # twice, and answers the same: for a shielded child, whether the caller's service
        # works with him is where he is (R4), so nothing may tell.
        facts = _facts(found)
        if input.is_lead_professional:
            _may_lead(ctx, facts)

    return await _answer(
        ctx,
        own_graph.record_own_involvement(
            ctx.graph,
            child_id,
            team=input.for_team,
            started_on=started_on,
            purpose=purpose,
            lead=input.is_lead_professional,
            recorder=mutation.recorder(ctx),
            claim=mutation.claim(info, action, {"input": input}),
            decide=decide,
        ),
    )


async def end_own_involvement(info: Info[Any, Any], input: EndOwnInvolvementInput) -> Child:
    action = "endOwnInvolvement"
    child_id = _id(str(input.child_id), "input.childId")
    ctx = _begin(info, action, child_id)
    ended_on = _day(ctx, input.ended_on, "input.endedOn")
    reason = mutation.text(input.reason, "input.reason", limit=_MAX_TEXT, required=False)
    assert ctx.viewer.practitioner_id is not None
    mine = own_graph.own_source(ctx.viewer.practitioner_id)

    def decide(found: own_graph.OwnInvolvementFacts | None) -> own_graph.OwnInvolvementRef | None:
        facts = _facts(found)
        # A feed's involvement is ended by its feed; a team's by anyone in the team.
        chosen = next(
            (
                i
                for i in facts.open
                if i.source == mine or (input.for_team and i.source.startswith("practitioner:"))
            ),
            None,
        )
        if chosen is None:
            viewer = ctx.viewer
            shielded_from_viewer = not disclosure.decide(
                viewer, disclosure.Whereabouts(), facts.context.child, ctx.now
            )
            if shielded_from_viewer:
                return None  # R4: answered as an end that changed nothing
            raise BadUserInput(
                "no open involvement recorded by you (or your team) with this child: one a "
                "feed reports is ended by that feed",
                field="input.childId",
            )
        if chosen.started_on is not None and ended_on < chosen.started_on:
            raise BadUserInput("endedOn is before the involvement started", field="input.endedOn")
        return chosen

    return await _answer(
        ctx,
        own_graph.end_own_involvement(
            ctx.graph,
            child_id,
            team=input.for_team,
            ended_on=ended_on,
            reason=reason,
            recorder=mutation.recorder(ctx),
            claim=mutation.claim(info, action, {"input": input}),
            decide=decide,
        ),
    )


async def register_paper_assessment(
    info: Info[Any, Any], child_id: str, started_on: date | None
) -> Child:
    action = "registerPaperAssessment"
    child_id = _id(child_id, "childId")
    ctx = _begin(info, action, child_id)
    started = _day(ctx, started_on, "startedOn")

    def decide(context: ChildContext | None) -> None:
        if context is None:
            raise NotFound(CHILD_NOT_FOUND)
        # R4 first, alike for everyone: a CAF on a shielded child says who works with
        # him, so only his index team (or one whose override lifts the shield) records
        # it; asking standing first would tell involved from not (R4: no oracle).
        shown = dataclasses.replace(ctx.viewer, service_ids=context.viewer_service_ids)
        if not disclosure.decide(shown, disclosure.Whereabouts(), context.child, ctx.now):
            ctx.audit.deny(f"{action}: R4: a CAF on a shielded child")
            raise Forbidden("R4: this child's index team records a CAF for them")
        viewer = authorise(
            ctx,
            context,
            action,
            "only a practitioner involved with this child, or holding an access override "
            "for them, may register a CAF for them (R9)",
        )
        # R7: a CAF held from a sensitive service hidden from this practitioner is not
        # there for them, so it neither blocks theirs nor is named to them.
        if any(
            a.status == "OPEN" and caf_there(ctx, viewer, context, a.id)
            for a in context.assessments
        ):
            raise BadUserInput(
                "this child already has an OPEN common assessment on the index: ask its holder",
                field="childId",
            )

    try:
        await own_graph.register_paper_assessment(
            ctx.graph,
            child_id,
            started_on=started,
            recorder=mutation.recorder(ctx),
            claim=mutation.claim(info, action, {"childId": child_id, "startedOn": started}),
            decide=decide,
        )
    except IdempotencyConflict as exc:
        raise mutation.conflict() from exc
    return await index_view(ctx, child_id, CHILD_NOT_FOUND)


# --- Root fields: what this domain adds to Mutation ---------------------------------


@strawberry.type
class InvolvementMutation:
    @strawberry.mutation(
        description=(
            "Record on the index that you (or, with forTeam, your service) now work with the "
            "child, with a purpose (CAF guide 2.15: for practitioners whose system does not "
            "feed the index). Its source is `practitioner:<your id>`; it is shown like any "
            "involvement (R5, R6: one from a sensitive service only where R6 allows). "
            "Recording one already open changes nothing. When your service's feed later "
            "reports the same involvement (same child, service and practitioner, still "
            "open) it takes this one over: the involvement keeps one entry, under the "
            "feed's id. PRACTITIONER or SAFEGUARDING_LEAD with a practitioner id. Audited."
        )
    )
    async def record_own_involvement(
        self, info: Info[Any, Any], input: RecordOwnInvolvementInput
    ) -> Child:
        return await record_own_involvement(info, input)

    @strawberry.mutation(
        description=(
            "End an involvement you (or, with forTeam, anyone in your team) recorded with "
            "recordOwnInvolvement; a feed's is ended by its feed (BAD_USER_INPUT). Audited."
        )
    )
    async def end_own_involvement(
        self, info: Info[Any, Any], input: EndOwnInvolvementInput
    ) -> Child:
        return await end_own_involvement(info, input)

    @strawberry.mutation(
        description=(
            "Tell the index that you hold a common assessment on paper for the child (CAF "
            "guide 2.15): the CAF indicator and you as its holder, nothing of its content. "
            "Needs the standing to act on the child (involved, or an access override). "
            "BAD_USER_INPUT when the child already has an OPEN CAF you can see. Audited."
        )
    )
    async def register_paper_assessment(
        self, info: Info[Any, Any], child_id: strawberry.ID, started_on: date | None = None
    ) -> Child:
        return await register_paper_assessment(info, str(child_id), started_on)
