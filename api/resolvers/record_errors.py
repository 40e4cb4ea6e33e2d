"""reportRecordError, recordErrors, resolveRecordError, withdrawRecordError: a wrong index
record, reported by a practitioner and dealt with by the index team of the child's local
authority, or taken back by its reporter.

A report on a child the caller cannot find (not there, archived, not theirs to read)
answers NOT_FOUND exactly as Query.child does (R4: no oracle), and a lookup for a report
spends the R2 budget like one. The queue names children by id only; each one named is
audited (R14), and a report made from a sensitive service R6 hides from the team is not
there for them at all (policies.disclosure.AuditActor, as for the audit trail).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import strawberry
from strawberry.types import Info

from api.context import RequestContext
from api.errors import BadUserInput, Forbidden, NotFound
from api.resolvers import mutation
from api.resolvers.child import findable, load_children
from api.schema.enums import RecordErrorField, RecordErrorOutcome, RecordErrorStatus
from api.schema.record_errors import RecordError, RecordErrorReceipt, RecordErrorReporter
from graph import record_errors as error_graph
from policies import disclosure
from policies import record_errors as error_policy
from policies.facts import ChildFacts
from policies.viewer import Viewer
from policies.vocabulary import SENSITIVE_KINDS

__all__ = ["RecordErrorMutation", "RecordErrorQuery"]

CHILD_NOT_FOUND = "no child with that id is visible to you"
ERROR_NOT_FOUND = "no open record error with that id is yours to resolve"
WITHDRAW_NOT_FOUND = "no open record error with that id is yours to withdraw"
MAX_ERRORS = 100
FROM_SENSITIVE = 1000
"""Reports from sensitive services a listing reads at most, oldest first, to ask R6 which
of them the team may know of (the others are never shown, whatever their number)."""
_MAX_TEXT = 2000
_MAX_ID = 200


def _reporter_shown(
    ctx: RequestContext, viewer: Viewer, fact: error_graph.RecordErrorFact, child: ChildFacts | None
) -> bool:
    """R6: a report made from a sensitive service says the child goes there. Where the
    reader may not see that service's involvement, the report is not there for them at
    all (not even without its reporter: that blank would say the same). AUDITOR reads
    every one (policies.disclosure.AuditActor)."""
    if fact.reporter_practitioner_id is None:
        return True
    return child is not None and bool(
        disclosure.decide(viewer, disclosure.AuditActor(fact.reporter_services), child, ctx.now)
    )


def _shape(ctx: RequestContext, fact: error_graph.RecordErrorFact) -> RecordError:
    # Shown: the event names the report and, by `child`, says it showed this child's.
    ctx.audit.child(fact.child_id)
    ctx.audit.disclose(f"RecordError:{fact.id}")
    reporter = None
    if fact.reporter_practitioner_id is not None:
        reporter = RecordErrorReporter(
            practitioner_id=strawberry.ID(fact.reporter_practitioner_id),
            name=fact.reporter_name,
        )
    return RecordError(
        id=strawberry.ID(fact.id),
        child_id=strawberry.ID(fact.child_id),
        field=RecordErrorField(fact.field),
        description=fact.description,
        status=RecordErrorStatus(fact.status),
        reported_at=fact.reported_at or ctx.now,
        reporter=reporter,
        outcome=RecordErrorOutcome(fact.outcome) if fact.outcome else None,
        resolution=fact.resolution,
        resolved_at=fact.resolved_at,
        resolved_by=fact.resolved_by,
    )


async def _there(
    ctx: RequestContext, facts: Sequence[error_graph.RecordErrorFact]
) -> list[error_graph.RecordErrorFact]:
    """The reports the reader may know of: the children named are read in one round trip
    for R6's question about each reporter; the others are left out, audited as withheld."""
    ids = list(dict.fromkeys(f.child_id for f in facts))
    viewer, children = await load_children(ctx, ids) if ids else (ctx.viewer, [])
    by_id = {c.id: c for c in children}
    there = []
    for fact in facts:
        # Read to decide: named in the event whether shown or not (R14); a child none of
        # whose reports is shown is recorded as read only to decide, which keeps the
        # event out of their trail for all but AUDITOR (AuditReadToDecide).
        ctx.audit.consulted(fact.child_id)
        if _reporter_shown(ctx, viewer, fact, by_id.get(fact.child_id)):
            there.append(fact)
        else:
            ctx.audit.deny(f"RecordError:{fact.id}: R6: reported from a sensitive service")
    return there


def _team(ctx: RequestContext, action: str, local_authority: str | None) -> str:
    decision = error_policy.may_work_record_errors(ctx.viewer, local_authority)
    if not decision:
        ctx.audit.deny(f"{action}: {decision.reason}")
        raise Forbidden(decision.reason)
    ctx.purpose()
    assert ctx.viewer.local_authority is not None
    return ctx.viewer.local_authority


async def report_record_error(
    info: Info[Any, Any], child_id: str, field: RecordErrorField, description: str
) -> RecordErrorReceipt:
    ctx: RequestContext = info.context
    action = "reportRecordError"
    ctx.audit.touch(action)
    decision = error_policy.may_report_record_error(ctx.viewer)
    if not decision:
        ctx.audit.deny(f"Mutation.{action}: {decision.reason}")
        raise Forbidden("your role may not read children, nor report on their records")
    ctx.purpose()
    child_id = child_id.strip()
    if not child_id or len(child_id) > _MAX_ID:
        raise BadUserInput("childId must be a non-empty index identifier", field="childId")
    text = mutation.text(description, "description", limit=_MAX_TEXT)
    assert text is not None
    viewer, found = await load_children(ctx, [child_id], spend=True)
    if not findable(ctx, viewer, found, by_search=False):
        ctx.audit.deny(f"Child:{child_id}: not found")
        raise NotFound(CHILD_NOT_FOUND)
    ctx.audit.child(child_id)
    error_id = await error_graph.report_record_error(
        ctx.graph,
        child_id,
        field=field.value,
        description=text,
        subject=ctx.viewer.subject,
        practitioner_id=ctx.viewer.practitioner_id,
        now=ctx.now,
    )
    if error_id is None:  # deleted under R16 between the look-up and the write
        raise NotFound(CHILD_NOT_FOUND)
    ctx.audit.disclose(f"RecordError:{error_id}")
    return RecordErrorReceipt(
        id=strawberry.ID(error_id), status=RecordErrorStatus.OPEN, reported_at=ctx.now
    )


async def resolve_record_errors(
    info: Info[Any, Any], local_authority: str | None, status: RecordErrorStatus, first: int
) -> list[RecordError]:
    ctx: RequestContext = info.context
    ctx.audit.touch("recordErrors")
    la = _team(ctx, "recordErrors", local_authority)
    if not 1 <= first <= MAX_ERRORS:
        raise BadUserInput(f"first must be between 1 and {MAX_ERRORS}", field="first")
    # Reports made from a sensitive service are read apart (up to FROM_SENSITIVE of them)
    # and R6 is asked about each: cut first, a list's length counted those the team may
    # not know of and its neighbours dated them; read in one list, enough of them, which
    # nobody on the team can close, would have emptied the queue for good. The others are
    # read a full page whatever `first` is: one about a child since archived is left out.
    queue = await error_graph.record_errors(
        ctx.graph, la, status.value, MAX_ERRORS, FROM_SENSITIVE, SENSITIVE_KINDS
    )
    shown = await _there(ctx, [*queue.plain, *queue.from_sensitive])
    shown.sort(key=lambda f: (f.reported_at or ctx.now, f.id))
    return [_shape(ctx, fact) for fact in shown[:first]]


async def resolve_record_error(
    info: Info[Any, Any], error_id: str, outcome: RecordErrorOutcome, note: str | None
) -> RecordError:
    ctx: RequestContext = info.context
    action = "resolveRecordError"
    ctx.audit.touch(action)
    la = _team(ctx, action, None)
    if not error_id.strip() or len(error_id) > _MAX_ID:
        raise BadUserInput("id must be a record error id", field="id")
    resolution = mutation.text(note, "note", limit=_MAX_TEXT, required=False)
    # Decided before anything is written: a report the team may not know of (R6) is
    # answered as an unknown id, and stays open for whoever may see it.
    found = await error_graph.fetch_record_error(ctx.graph, error_id, la)
    if found is not None and not await _there(ctx, [found]):
        raise NotFound(ERROR_NOT_FOUND)
    resolved = await error_graph.resolve_record_error(
        ctx.graph,
        error_id,
        local_authority=la,
        outcome=outcome.value,
        resolution=resolution,
        subject=ctx.viewer.subject,
        now=ctx.now,
    )
    if resolved is None:
        ctx.audit.deny(f"RecordError:{error_id}: not an open report of yours")
        raise NotFound(ERROR_NOT_FOUND)
    return _shape(ctx, resolved)


async def withdraw_record_error(
    info: Info[Any, Any], error_id: str, note: str | None
) -> RecordErrorReceipt:
    ctx: RequestContext = info.context
    action = "withdrawRecordError"
    ctx.audit.touch(action)
    may_report = error_policy.may_report_record_error(ctx.viewer)
    if not may_report:  # by role alone, whatever the id
        ctx.audit.deny(f"Mutation.{action}: {may_report.reason}")
        raise Forbidden("your role may not report on records, nor withdraw a report")
    ctx.purpose()
    if not error_id.strip() or len(error_id) > _MAX_ID:
        raise BadUserInput("id must be a record error id", field="id")
    resolution = mutation.text(note, "note", limit=_MAX_TEXT, required=False)
    found = await error_graph.fetch_any_record_error(ctx.graph, error_id)
    decision = error_policy.may_withdraw_record_error(
        ctx.viewer, found.reported_by if found is not None else ""
    )
    # Another's report answers as an unknown one: its id says nothing about whether it
    # exists, whose it is or whom it is about.
    withdrawn = None
    if found is not None and found.status == "OPEN" and decision:
        withdrawn = await error_graph.withdraw_record_error(
            ctx.graph, error_id, subject=ctx.viewer.subject, resolution=resolution, now=ctx.now
        )
    if withdrawn is None:  # unknown, another's, closed, or closed meanwhile
        if found is not None:  # read only to decide: the trail keeps it for AUDITOR alone
            ctx.audit.consulted(found.child_id)
        reason = "not found" if found is None else decision.reason if not decision else "closed"
        ctx.audit.deny(f"RecordError:{error_id}: {reason}")
        raise NotFound(WITHDRAW_NOT_FOUND)
    ctx.audit.child(withdrawn.child_id)
    ctx.audit.disclose(f"RecordError:{withdrawn.id}")
    return RecordErrorReceipt(
        id=strawberry.ID(withdrawn.id),
        status=RecordErrorStatus(withdrawn.status),
        reported_at=withdrawn.reported_at or ctx.now,
    )


# --- Root fields: what this domain adds to Query and Mutation --------------------


@strawberry.type
class RecordErrorQuery:
    @strawberry.field(
        description=(
            "Reports that a child's index record is wrong, for the index team of your local "
            "authority (the child's when reported), oldest first: OPEN ones unless `status` "
            "says otherwise. INDEX_ADMIN only (FORBIDDEN for another local authority), with "
            "X-Purpose. `first` is 1 to 100. Audited: every child named is recorded."
        )
    )
    async def record_errors(
        self,
        info: Info[Any, Any],
        local_authority: str | None = None,
        status: RecordErrorStatus = RecordErrorStatus.OPEN,
        first: int = 20,
    ) -> list[RecordError]:
        return await resolve_record_errors(info, local_authority, status, first)


@strawberry.type
class RecordErrorMutation:
    @strawberry.mutation(
        description=(
            "Tell the index team of the child's local authority that part of their index "
            "record is wrong. For PRACTITIONER, SAFEGUARDING_LEAD and INDEX_ADMIN, with "
            "X-Purpose, on a child you can find: any other id (unknown, archived) is "
            "NOT_FOUND, as for Query.child. The description (at most 2000 characters) goes "
            "to the index team: name nothing the child told a sensitive service. A "
            "practitioner of a sensitive service: your report reaches the index team only "
            "where R6 lets them see your service's involvement with the child (a consent "
            "recorded by your service); otherwise it is kept but nobody works it (the "
            "auditor sees only that you reported), so call the index team instead, and "
            "close it with withdrawRecordError. "
            "Answers with a receipt, nothing of the record. Audited."
        )
    )
    async def report_record_error(
        self,
        info: Info[Any, Any],
        child_id: strawberry.ID,
        field: RecordErrorField,
        description: str,
    ) -> RecordErrorReceipt:
        return await report_record_error(info, str(child_id), field, description)

    @strawberry.mutation(
        description=(
            "Close a report in your queue with what was done (outcome) and an optional note. "
            "INDEX_ADMIN of the report's local authority; any other id, or one already "
            "resolved, is NOT_FOUND. Audited."
        )
    )
    async def resolve_record_error(
        self,
        info: Info[Any, Any],
        id: strawberry.ID,
        outcome: RecordErrorOutcome,
        note: str | None = None,
    ) -> RecordError:
        return await resolve_record_error(info, str(id), outcome, note)

    @strawberry.mutation(
        description=(
            "Take back a report you made (reportRecordError) that is still OPEN: it is "
            "closed with outcome WITHDRAWN and your optional note. Only its reporter may; any "
            "other id (unknown, someone else's, already closed) is NOT_FOUND. This is how a "
            "practitioner of a sensitive service closes a report the index team cannot "
            "see. With X-Purpose. Audited."
        )
    )
    async def withdraw_record_error(
        self, info: Info[Any, Any], id: strawberry.ID, note: str | None = None
    ) -> RecordErrorReceipt:
        return await withdraw_record_error(info, str(id), note)
