"""Mutation.suspendSubject / reinstateSubject and Query.suspensions (R2, R14).

Thin: audit and purpose first (mutation.begin), the facts from graph/suspensions.py,
the decision from policies/suspension.py, then the write. The endpoint asks
graph.suspensions.active_suspension on every request, so a suspension written here
takes effect on the subject's very next request to any process.
"""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from api.context import RequestContext
from api.errors import BadUserInput, Forbidden, NotFound
from api.resolvers import mutation
from api.schema.suspension import Suspension
from graph import suspensions as suspension_graph
from policies import suspension as suspension_policy
from policies.suspension import MAX_REASON, MIN_REASON
from policies.viewer import Role

__all__ = ["resolve_reinstate", "resolve_suspend", "resolve_suspensions"]


def _shape(record: suspension_graph.Suspension) -> Suspension:
    return Suspension(
        subject=record.subject,
        suspended=record.suspended,
        reason=record.reason,
        since=record.since,
        suspended_by=record.by,
        reinstated_at=record.reinstated_at,
        reinstated_by=record.reinstated_by,
    )


async def _decide(info: Info[Any, Any], action: str, subject: str, reason: str) -> RequestContext:
    ctx = mutation.begin(info, action)
    subject = subject.strip()
    if not subject or len(subject) > suspension_policy.MAX_SUBJECT:
        raise BadUserInput("subject must be a token subject", field="subject")
    checked = suspension_policy.check_reason(reason)
    if not checked:
        raise BadUserInput(checked.reason, field="reason")
    ctx.audit.reason = f"{action} {subject}: {reason.strip()}"
    authorities = await suspension_graph.subject_authorities(ctx.graph, subject)
    decision = suspension_policy.may_suspend(ctx.viewer, subject, authorities)
    if not decision:
        ctx.audit.deny(f"Subject:{subject}: {decision.reason}")
        raise Forbidden("you may not suspend or reinstate that subject")
    ctx.audit.disclose(f"Subject:{subject}.{action}")
    return ctx


async def resolve_suspend(info: Info[Any, Any], subject: str, reason: str) -> Suspension:
    ctx = await _decide(info, "suspendSubject", subject, reason)
    record = await suspension_graph.suspend(
        ctx.graph, subject.strip(), reason.strip(), ctx.viewer.subject, ctx.now
    )
    return _shape(record)


async def resolve_reinstate(info: Info[Any, Any], subject: str, reason: str) -> Suspension:
    ctx = await _decide(info, "reinstateSubject", subject, reason)
    record = await suspension_graph.reinstate(
        ctx.graph, subject.strip(), reason.strip(), ctx.viewer.subject, ctx.now
    )
    if record is None:
        raise NotFound("that subject is not suspended", field="subject")
    return _shape(record)


async def resolve_suspensions(
    info: Info[Any, Any], include_reinstated: bool, first: int
) -> list[Suspension]:
    ctx = mutation.begin(info, "suspensions")
    if not (ctx.viewer.has(Role.INDEX_ADMIN) or ctx.viewer.has(Role.AUDITOR)):
        ctx.audit.deny("Query.suspensions: only INDEX_ADMIN and AUDITOR list suspensions")
        raise Forbidden("only INDEX_ADMIN and AUDITOR list suspensions")
    if not 1 <= first <= 500:
        raise BadUserInput("first must be between 1 and 500", field="first")
    records = await suspension_graph.list_suspensions(
        ctx.graph, include_reinstated=include_reinstated, limit=first
    )
    for record in records:
        ctx.audit.disclose(f"Subject:{record.subject}.suspension")
    return [_shape(r) for r in records]


# --- Root fields: what this domain adds to Query and Mutation --------------------

_WHO = (
    "AUDITOR for any subject; INDEX_ADMIN for a subject of their own local authority (a "
    "practitioner of one of its services, or someone whose token named it when they read "
    "children); nobody for themselves. FORBIDDEN otherwise, and for a subject the index "
    "does not know."
)


@strawberry.type
class SuspensionQuery:
    @strawberry.field(
        description=(
            "Subjects suspended now, newest first (with includeReinstated, also those "
            "reinstated since). INDEX_ADMIN and AUDITOR only. Needs X-Purpose. Audited."
        )
    )
    async def suspensions(
        self, info: Info[Any, Any], include_reinstated: bool = False, first: int = 100
    ) -> list[Suspension]:
        return await resolve_suspensions(info, include_reinstated, first)


@strawberry.type
class SuspensionMutation:
    @strawberry.mutation(
        description=(
            "Suspend a subject (R2, R14): from their next request on, to every API process, "
            "they get ACCOUNT_SUSPENDED and no data, whatever token they hold. "
            + _WHO
            + f" `reason` says why, {MIN_REASON} to {MAX_REASON} visible characters "
            "(BAD_USER_INPUT field reason). Suspending someone already suspended records "
            "the new reason. Needs X-Purpose. Audited with the reason."
        )
    )
    async def suspend_subject(self, info: Info[Any, Any], subject: str, reason: str) -> Suspension:
        return await resolve_suspend(info, subject, reason)

    @strawberry.mutation(
        description=(
            "Lift a subject's suspension: their next request is served again. "
            + _WHO
            + " `reason` as for suspendSubject. A subject who is not suspended gives "
            "NOT_FOUND. Needs X-Purpose. Audited with the reason."
        )
    )
    async def reinstate_subject(
        self, info: Info[Any, Any], subject: str, reason: str
    ) -> Suspension:
        return await resolve_reinstate(info, subject, reason)
