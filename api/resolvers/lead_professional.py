"""standDownLeadProfessional and appointFamilyLead: the lead professional, whoever sets it.

One relationship holds the lead (graph/lead_professional.py): a feed's
START_INVOLVEMENT, appointLeadProfessional (api/resolvers/assessment.py), a
practitioner's own involvement and these mutations all write it, and Child.leadProfessional
/ Child.familyLead read it. Decided inside the write transaction on the child as it
stands (policies.lead_professional), answered with the index view.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import strawberry
from strawberry.types import Info

from api.context import RequestContext
from api.errors import BadUserInput, Forbidden, NotFound
from api.resolvers import mutation
from api.resolvers.assessment import _id, _practitioner_only
from api.resolvers.child import index_view
from api.resolvers.consent import CHILD_NOT_FOUND, standing
from api.schema.child import Child
from graph import lead_professional as lead_graph
from graph.consent import ChildContext
from graph.idempotency import IdempotencyConflict
from policies import disclosure
from policies import lead_professional as lead_policy
from policies.viewer import Viewer

__all__ = ["LeadProfessionalMutation", "appoint_family_lead", "stand_down_lead_professional"]

_MAX_REASON = 2000


def _viewer(ctx: RequestContext, context: ChildContext) -> Viewer:
    return dataclasses.replace(ctx.viewer, service_ids=context.viewer_service_ids)


def _holds_open(viewer: Viewer, context: ChildContext) -> bool:
    return any(
        a.status == "OPEN" and a.holder_id == viewer.practitioner_id for a in context.assessments
    )


def _may_change(
    ctx: RequestContext, action: str, facts: lead_graph.LeadChangeFacts | None
) -> lead_graph.LeadChangeFacts:
    """Who records a lead stands them down too (policies.lead_professional); the lead
    may stand down themselves."""
    if facts is None:
        raise NotFound(CHILD_NOT_FOUND)
    context = facts.context
    viewer = _viewer(ctx, context)
    is_lead = facts.lead_kind == "PRACTITIONER" and facts.lead_id == viewer.practitioner_id
    decision = lead_policy.may_stand_down_lead(
        viewer,
        is_lead=is_lead,
        involved=standing(ctx, viewer, context),
        holds_open_caf=_holds_open(viewer, context),
        overrides=context.child.overrides,
        now=ctx.now,
    )
    if not decision:
        ctx.audit.deny(f"{action}: {decision.reason}")
        raise Forbidden(decision.reason)
    if decision.override_id is not None:
        ctx.audit.override(decision.override_id)
    return facts


async def _change(
    info: Info[Any, Any],
    ctx: RequestContext,
    action: str,
    child_id: str,
    arguments: dict[str, Any],
    *,
    carer_id: str | None,
    family_lead: bool,
    decide: Any,
) -> Child:
    try:
        await lead_graph.change_lead(
            ctx.graph,
            child_id,
            family_lead=family_lead,
            carer_id=carer_id,
            recorder=mutation.recorder(ctx),
            claim=mutation.claim(info, action, {"childId": child_id, **arguments}),
            decide=decide,
        )
    except IdempotencyConflict as exc:
        raise mutation.conflict() from exc
    return await index_view(ctx, child_id, CHILD_NOT_FOUND)


async def stand_down_lead_professional(info: Info[Any, Any], child_id: str, reason: str) -> Child:
    action = "standDownLeadProfessional"
    child_id = _id(child_id, "childId")
    ctx = mutation.begin(info, action, child_id)
    _practitioner_only(ctx, action)
    ctx.audit.reason = mutation.text(reason, "reason", limit=_MAX_REASON)

    def decide(facts: lead_graph.LeadChangeFacts | None) -> None:
        _may_change(ctx, action, facts)
        # Nobody leading is answered as a stand-down that changed nothing: for a shielded
        # child, whether someone leads is whereabouts (R4) and must change no answer.

    return await _change(
        info, ctx, action, child_id, {"reason": reason}, carer_id=None, family_lead=False,
        decide=decide,
    )  # fmt: skip


async def appoint_family_lead(
    info: Info[Any, Any], child_id: str, carer_id: str | None, competence_assessed: bool
) -> Child:
    action = "appointFamilyLead"
    child_id = _id(child_id, "childId")
    carer = _id(carer_id, "carerId") if carer_id is not None else None
    ctx = mutation.begin(info, action, child_id)
    _practitioner_only(ctx, action)

    def decide(facts: lead_graph.LeadChangeFacts | None) -> None:
        facts = _may_change(ctx, action, facts)
        # R4: a shielded child's family is whereabouts; naming one of them, or learning
        # whether an id is one of his carers, is for his index team or a shield lift.
        seen = disclosure.decide(
            _viewer(ctx, facts.context), disclosure.Carers(), facts.context.child, ctx.now
        )
        if not seen:
            ctx.audit.deny(f"{action}: {seen.reason}")
            raise Forbidden("R4: this child's family is withheld from you; ask their index team")
        kind = "CARER" if carer is not None else "YOUNG_PERSON"
        decision = lead_policy.may_lead_from_family(
            kind,
            carer_parental_responsibility=facts.carer_parental_responsibility,
            date_of_birth=facts.context.child.date_of_birth,
            today=ctx.today,
            competence_assessed=competence_assessed,
        )
        if not decision:
            ctx.audit.deny(f"{action}: {decision.reason}")
            raise BadUserInput(
                decision.reason, field="carerId" if carer is not None else "competenceAssessed"
            )

    return await _change(
        info, ctx, action, child_id,
        {"carerId": carer, "competenceAssessed": competence_assessed},
        carer_id=carer, family_lead=True, decide=decide,
    )  # fmt: skip


# --- Root fields: what this domain adds to Mutation ---------------------------------


@strawberry.type
class LeadProfessionalMutation:
    @strawberry.mutation(
        description=(
            "Record that the child's lead professional (a practitioner, a carer or the "
            "young person) has stood down, with a reason (kept in the audit event). The lead "
            "themselves, a practitioner working with the child, the holder of its OPEN CAF, "
            "or one holding an access override (R9) may. Answers with the child's index "
            "view; a child with nobody leading is answered the same. Audited."
        )
    )
    async def stand_down_lead_professional(
        self, info: Info[Any, Any], child_id: strawberry.ID, reason: str
    ) -> Child:
        return await stand_down_lead_professional(info, str(child_id), reason)

    @strawberry.mutation(
        description=(
            "Make one of the child's carers (carerId) or, without carerId, the young person "
            "the lead professional (CAF guide 3.8), in place of whoever led. R10: the carer "
            "must hold parental responsibility; the young person must be 16 or over, or 12 "
            "to 15 with competenceAssessed true. Who may: as for appointLeadProfessional. "
            "Shown as Child.familyLead. Audited."
        )
    )
    async def appoint_family_lead(
        self,
        info: Info[Any, Any],
        child_id: strawberry.ID,
        carer_id: strawberry.ID | None = None,
        competence_assessed: bool = False,
    ) -> Child:
        return await appoint_family_lead(
            info,
            str(child_id),
            str(carer_id) if carer_id is not None else None,
            competence_assessed,
        )
