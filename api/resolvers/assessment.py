"""Child.assessment: the CAF content, shown only as R7 allows."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import strawberry
from strawberry.types import Info

from api.context import RequestContext
from api.resolvers.child import practitioner_view
from api.schema.enums import AssessmentStatus
from api.schema.guard import Guard
from graph.assessments import AssessmentContent, fetch_assessment
from policies import assessments as assessment_policy

if TYPE_CHECKING:
    from api.schema.assessment import Assessment

__all__ = ["resolve_child_assessment", "shape_assessment"]


def shape_assessment(ctx: RequestContext, content: AssessmentContent) -> Assessment:
    from api.schema.assessment import Assessment, AssessmentDomain, AssessmentNeed, DeliveryAction

    # R4 still applies inside a CAF: contact details of a shielded child's team stay hidden.
    open_contacts = not content.child_shielded
    guard = Guard(open_contacts, f"Assessment:{content.id}.contacts")
    return Assessment(
        id=strawberry.ID(content.id),
        status=AssessmentStatus(content.status),
        started_on=content.started_on,
        closed_on=content.closed_on,
        holder=practitioner_view(content.holder, guard),
        needs=[
            AssessmentNeed(domain=AssessmentDomain(n.domain), element=n.element, summary=n.summary)
            for n in content.needs
        ],
        strengths=list(content.strengths),
        actions=[
            DeliveryAction(
                id=strawberry.ID(a.id),
                description=a.description,
                owner=practitioner_view(a.owner, guard) if a.owner else None,
                due_on=a.due_on,
                done_on=a.done_on,
            )
            for a in content.actions
        ],
        team_around_the_child=[practitioner_view(p, guard) for p in content.team],
        next_review_on=content.next_review_on,
    )


async def resolve_child_assessment(
    info: Info[Any, Any], child_id: str, assessment_id: str
) -> Assessment | None:
    ctx: RequestContext = info.context
    content = await fetch_assessment(
        ctx.graph,
        child_id,
        assessment_id,
        practitioner_id=ctx.viewer.practitioner_id,
        subject=ctx.viewer.subject,
    )
    if content is None:
        ctx.audit.deny(f"Assessment:{assessment_id}: not found")
        return None
    decision = assessment_policy.may_read_assessment(ctx.viewer, content.access, ctx.now)
    if not decision:
        ctx.audit.deny(f"Assessment:{assessment_id}")
        return None
    ctx.audit.disclose(f"Assessment:{assessment_id}")
    return shape_assessment(ctx, content)
