"""Query.accessReport (R2, R14): figures from graph/access_report.py, ranked by
policies/monitoring.py. The command line's `contactgraph audit report` calls
`access_report` too, so both give the same figures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from api.errors import BadUserInput, Forbidden
from api.resolvers import mutation
from api.schema.monitoring import AccessReport, AccessReportSubject
from graph import access_report as report_graph
from graph.database import Graph
from policies import monitoring
from policies.browsing import Budgets
from policies.viewer import Role

__all__ = ["MAX_PERIOD", "access_report", "resolve_access_report"]

MAX_PERIOD = timedelta(days=366)


def check_period(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    start = start if start.tzinfo else start.replace(tzinfo=UTC)
    end = end if end.tzinfo else end.replace(tzinfo=UTC)
    if end <= start:
        raise BadUserInput("to must be after from", field="to")
    if end - start > MAX_PERIOD:
        raise BadUserInput("the period is at most 366 days", field="to")
    return start, end


async def access_report(
    graph: Graph, local_authority: str | None, start: datetime, end: datetime, budgets: Budgets
) -> list[monitoring.RankedSubject]:
    figures = await report_graph.subject_figures(graph, local_authority, start, end)
    return monitoring.rank(figures, {r.value: b for r, b in budgets.per_role.items()})


async def resolve_access_report(
    info: Info[Any, Any], local_authority: str, start: datetime, end: datetime
) -> AccessReport:
    ctx = mutation.begin(info, "accessReport")
    if not ctx.viewer.has(Role.AUDITOR):
        ctx.audit.deny("Query.accessReport: only AUDITOR reads the monitoring report")
        raise Forbidden("only an AUDITOR reads the access report")
    la = local_authority.strip()
    if not la or len(la) > 20:
        raise BadUserInput("localAuthority must be a local authority code", field="localAuthority")
    start, end = check_period(start, end)
    ranked = await access_report(ctx.graph, la, start, end, ctx.settings.browsing_budgets)
    ctx.audit.disclose(f"AccessReport:{la}:{start.isoformat()}/{end.isoformat()}")
    return AccessReport(
        local_authority=la,
        from_=start,
        to=end,
        subjects=[
            AccessReportSubject(
                subject=r.figures.subject,
                role=r.figures.role,
                requests=r.figures.requests,
                distinct_children=r.figures.distinct_children,
                shielded_child_reads=r.figures.shielded_reads,
                out_of_area_reads=r.figures.out_of_area_reads,
                overrides=r.figures.overrides,
                refused_reads=r.figures.refused_reads,
                unusualness=r.unusualness,
                reasons=list(r.reasons),
            )
            for r in ranked
        ],
    )


# --- Root fields: what this domain adds to Query and Mutation --------------------


@strawberry.type
class MonitoringQuery:
    @strawberry.field(
        description=(
            "Who used the index how between `from` and `to` (at most 366 days), for the "
            "subjects of one local authority (its services' practitioners, and anyone whose "
            "token named it when reading children), ranked by how unusual each is against "
            "their role's norm. AUDITOR only (FORBIDDEN otherwise). Needs X-Purpose. "
            "Audited. The command line gives the same: contactgraph audit report."
        )
    )
    async def access_report(
        self,
        info: Info[Any, Any],
        local_authority: str,
        from_: Annotated[datetime, strawberry.argument(name="from")],
        to: datetime,
    ) -> AccessReport:
        return await resolve_access_report(info, local_authority, from_, to)
