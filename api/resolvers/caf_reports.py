"""overdueReviews, sharingDecisions (CAF guide 4.24) and cafFigures (R11).

Thin: who may ask (policies.assessments, policies.analytics), the facts (graph.caf_reports),
each item asked of the decision point (policies.disclosure), shaped through api.shaping;
the analyst's counts suppressed by policies.caf_figures.
"""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from typing import Any

import strawberry
from strawberry.types import Info

from api import shaping
from api.errors import BadUserInput, Forbidden, NotFound
from api.resolvers import mutation
from api.resolvers.child import findable, load_children
from api.resolvers.overrides import shape_sharing_decision
from api.schema.caf_reports import CafFigures, OverdueReview
from api.schema.overrides import SharingDecision
from graph import caf_reports
from graph.assessments import fetch_team_assessments
from policies import analytics, caf_figures, disclosure, visibility
from policies import assessments as assessment_policy
from policies.viewer import Role

__all__ = ["resolve_caf_figures", "resolve_overdue_reviews", "resolve_sharing_decisions"]

_MAX_CODE = 20


async def resolve_overdue_reviews(
    info: Info[Any, Any], local_authority: str
) -> list[OverdueReview]:
    from api.schema.caf_reports import OverdueReview

    ctx = mutation.begin(info, "overdueReviews")
    area = local_authority.strip().upper()
    if not area or len(area) > _MAX_CODE:
        raise BadUserInput("localAuthority must be a local authority code", field="localAuthority")
    allowed = assessment_policy.may_list_overdue(ctx.viewer, area)
    if not allowed:
        ctx.audit.deny(f"overdueReviews: {allowed.reason}")
        raise Forbidden(allowed.reason)
    mine = None if ctx.viewer.has(Role.INDEX_ADMIN) else ctx.viewer.practitioner_id
    page = await caf_reports.fetch_overdue(
        ctx.graph,
        area,
        today=ctx.today,
        mine=mine,
        practitioner_id=ctx.viewer.practitioner_id,
        subject=ctx.viewer.subject,
        horizon=visibility.involvement_horizon(ctx.today),
    )
    viewer = dataclasses.replace(ctx.viewer, service_ids=page.viewer_service_ids)
    found: list[OverdueReview] = []
    for child in page.children:
        ctx.audit.child(child.id)
        lead = child.lead_professional.id if child.lead_professional else None
        for summary in child.assessments:
            due = summary.next_review_on
            if summary.status != "OPEN" or due is None or due >= ctx.today:
                continue
            if mine is not None and mine not in (summary.holder.id, lead):
                continue
            seen = disclosure.decide(viewer, disclosure.AssessmentSummary(summary), child, ctx.now)
            if not seen:
                ctx.audit.deny(f"Assessment:{summary.id}.holder")
                continue
            if seen.override_id is not None:
                ctx.audit.override(seen.override_id)
            ctx.audit.disclose(f"Assessment:{summary.id}")
            found.append(
                OverdueReview(
                    assessment_id=strawberry.ID(summary.id),
                    child_id=strawberry.ID(child.id),
                    next_review_on=due,
                    days_overdue=(ctx.today - due).days,
                    holder=shaping.practitioner(
                        ctx,
                        viewer,
                        child,
                        summary.holder,
                        f"Assessment:{summary.id}.holder.contact",
                    ),
                )
            )
    found.sort(key=lambda r: (r.next_review_on, str(r.assessment_id)))
    return found


async def resolve_sharing_decisions(info: Info[Any, Any], child_id: str) -> list[SharingDecision]:
    child_id = child_id.strip()
    if not child_id or len(child_id) > 200:
        raise BadUserInput("childId must be a non-empty id", field="childId")
    ctx = mutation.begin(info, "sharingDecisions", child_id)
    if ctx.viewer.practitioner_id is None and not ctx.viewer.has(Role.SAFEGUARDING_LEAD):
        ctx.audit.deny("sharingDecisions: role")
        raise Forbidden("only the lead professional, the CAF team or the area's safeguarding lead")
    if not (ctx.viewer.has(Role.PRACTITIONER) or ctx.viewer.has(Role.SAFEGUARDING_LEAD)):
        ctx.audit.deny("sharingDecisions: role")
        raise Forbidden("only the lead professional, the CAF team or the area's safeguarding lead")
    viewer, found = await load_children(ctx, [child_id], spend=True)
    shown = findable(ctx, viewer, found, by_search=False)
    if not shown:
        ctx.audit.deny(f"Child:{child_id}: not found")
        raise NotFound("no child with that id is visible to you")
    child = shown[0]
    decisions = await caf_reports.fetch_sharing_decisions(ctx.graph, child_id)
    team_cafs = await fetch_team_assessments(
        ctx.graph,
        child_id,
        practitioner_id=ctx.viewer.practitioner_id,
        subject=ctx.viewer.subject,
        now=ctx.now,
    )
    reads_a_caf = any(
        disclosure.decide(
            viewer, disclosure.AssessmentContent(content.access), content.child, ctx.now
        )
        for content in team_cafs
    )
    is_lead = (
        child.lead_professional is not None
        and child.lead_professional.id == ctx.viewer.practitioner_id
    )
    allowed = assessment_policy.may_read_sharing_decisions(
        viewer,
        is_lead_professional=is_lead,
        reads_a_caf=reads_a_caf,
        child_local_authority=child.local_authority,
    )
    if not allowed:
        ctx.audit.deny(f"sharingDecisions: {allowed.reason}")
        raise Forbidden(allowed.reason)
    shaped = []
    for record in decisions:
        who = record.recorded_by
        services = (who.service,) if who is not None and who.service is not None else ()
        seen = disclosure.decide(viewer, disclosure.SharingDecisionEntry(services), child, ctx.now)
        if not seen or who is None:
            ctx.audit.deny(f"SharingDecision:{record.id}")
            continue
        ctx.audit.disclose(f"SharingDecision:{record.id}")
        shaped.append(
            shape_sharing_decision(
                record,
                shaping.practitioner(
                    ctx, viewer, child, who, f"SharingDecision:{record.id}.contact"
                ),
            )
        )
    return shaped


def _months(since: date, today: date) -> list[str]:
    months, year, month = [], since.year, since.month
    while (year, month) <= (today.year, today.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


async def resolve_caf_figures(info: Info[Any, Any]) -> CafFigures:
    from api.schema.assessment_form import ClosureOutcome
    from api.schema.caf_reports import (
        CafAreaFigures,
        CafCount,
        CafFigures,
        CafMonthCount,
        CafOutcomeCount,
    )

    ctx = info.context
    decision = analytics.may_see_aggregates(ctx.viewer)
    if not decision:
        raise Forbidden("cafFigures is for analysts (R11)")
    today: date = ctx.today
    since = (
        date(today.year - 1, today.month, 1)
        if today.month == 12
        else date(today.year - 1, today.month + 1, 1)
    )
    rows = await caf_reports.fetch_caf_figures(
        ctx.graph,
        today=today,
        since=since,
        long_before=today - timedelta(days=caf_figures.LONG_RUNNING_DAYS),
    )
    months = _months(since, today)

    def count(n: int) -> CafCount:
        c = caf_figures.cell(n)
        return CafCount(count=c.children, suppressed=c.suppressed)

    def per_month(la: str, tally: dict[tuple[str, str], int]) -> list[CafMonthCount]:
        cells = caf_figures.line({m: tally.get((la, m), 0) for m in months})
        return [
            CafMonthCount(month=m, count=cells[m].children, suppressed=cells[m].suppressed)
            for m in months
        ]

    areas = []
    for la in sorted(rows.open_now):
        outcomes = caf_figures.line(
            {o.value: rows.outcomes.get((la, o.value), 0) for o in ClosureOutcome}
        )
        middle = caf_figures.median_days(rows.durations.get(la, []))
        areas.append(
            CafAreaFigures(
                local_authority=la,
                open_now=count(rows.open_now[la]),
                long_running=count(rows.long_running[la]),
                overdue_reviews=count(rows.overdue[la]),
                opened_per_month=per_month(la, rows.opened),
                closed_per_month=per_month(la, rows.closed),
                median_days_to_close=middle.days,
                median_suppressed=middle.suppressed,
                closures_by_outcome=[
                    CafOutcomeCount(
                        outcome=ClosureOutcome(o),
                        count=cell.children,
                        suppressed=cell.suppressed,
                    )
                    for o, cell in outcomes.items()
                ],
            )
        )
    return CafFigures(as_of=today, since=since, areas=areas)


# --- Root fields: what this domain adds to Query and Mutation --------------------


@strawberry.type
class CafReportQuery:
    @strawberry.field(
        description=(
            "OPEN CAFs in a local authority whose next review date has passed, oldest first "
            "(CAF guide 2.7: reviews are regular). INDEX_ADMIN sees those of their own local "
            "authority; a practitioner sees those of the CAFs they hold and of the children "
            "they are lead professional for. Shown under R4 and R7 like the index view "
            "(a CAF whose holder R6 hides from you is not listed). At most 500 children. "
            "Needs X-Purpose; audited with every child listed."
        )
    )
    async def overdue_reviews(
        self, info: Info[Any, Any], local_authority: str
    ) -> list[OverdueReview]:
        return await resolve_overdue_reviews(info, local_authority)

    @strawberry.field(
        description=(
            "The decisions recorded about a child to share information or not (CAF guide "
            "4.24), newest first. For the child's lead professional, the team around the "
            "child who may read its CAF (R7), and a SAFEGUARDING_LEAD of the child's local "
            "authority (FORBIDDEN otherwise). A decision recorded from a sensitive service R6 "
            "hides from you is left out; for a shielded child, only as R4 allows. Needs "
            "X-Purpose; audited."
        )
    )
    async def sharing_decisions(
        self, info: Info[Any, Any], child_id: strawberry.ID
    ) -> list[SharingDecision]:
        return await resolve_sharing_decisions(info, str(child_id))

    @strawberry.field(
        description=(
            "CAF management information per local authority (R11): open now, opened and "
            "closed per month over the last 12 months, median and long (over six months) "
            "duration, overdue reviews, closures by outcome. ANALYST only; no child is read."
        )
    )
    async def caf_figures(self, info: Info[Any, Any]) -> CafFigures:
        return await resolve_caf_figures(info)
