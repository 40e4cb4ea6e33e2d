"""R2's browsing budget and what a request leaves for the index teams to watch.

The budget itself is counted in the graph (graph/browsing.py), so it holds across API
processes and restarts. This module keeps what makes it cheap: each process remembers
which children it has seen counted for a subject today, so a re-read (free under R2)
costs no database work at all, and a read of a new child spends its budget inside its
own read. Forgetting is always safe: the graph still has the count.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from api.errors import BrowsingBudgetExceeded
from graph import browsing as ledger_graph
from policies import browsing

if TYPE_CHECKING:
    from api.context import RequestContext

__all__ = [
    "BrowsingLedger",
    "Watch",
    "budget_left",
    "budget_request",
    "fitting",
    "settle",
    "spend_before_write",
    "spend_shown",
]

_MAX_SUBJECTS = 50_000


class BrowsingLedger:
    """Per process: children known to be counted today, per subject (an optimisation)."""

    def __init__(self, max_subjects: int = _MAX_SUBJECTS) -> None:
        self._max = max_subjects
        self._seen: OrderedDict[tuple[str, date], set[str]] = OrderedDict()

    def unknown(self, subject: str, day: date, ids: list[str]) -> list[str]:
        seen = self._seen.get((subject, day))
        if seen is None:
            return list(dict.fromkeys(ids))
        return [i for i in dict.fromkeys(ids) if i not in seen]

    def remember(self, subject: str, day: date, ids: list[str] | tuple[str, ...]) -> None:
        key = (subject, day)
        seen = self._seen.get(key)
        if seen is None:
            if len(self._seen) >= self._max:
                self._seen.popitem(last=False)
            seen = self._seen[key] = set()
        else:
            self._seen.move_to_end(key)
        seen.update(ids)


@dataclass
class Watch:
    """What one request did that the index teams watch: written after it ran, if any."""

    out_of_area: dict[str, str | None] = field(default_factory=dict)

    def shielded_out_of_area(self, child_id: str, local_authority: str | None) -> None:
        self.out_of_area[child_id] = local_authority


def budget_request(ctx: RequestContext, ids: list[str]) -> ledger_graph.BudgetRequest | None:
    """The spend a read of `ids` needs, or None when every one is already counted today."""
    fresh = ctx.ledger.unknown(ctx.viewer.subject, ctx.today, ids)
    if not fresh:
        return None
    return ledger_graph.BudgetRequest(
        subject=ctx.viewer.subject,
        role=ctx.viewer.primary_role.value,
        day=ctx.today,
        limit=browsing.daily_budget(ctx.viewer, ctx.settings.browsing_budgets),
        local_authority=ctx.viewer.local_authority,
        ids=tuple(fresh),
        now=ctx.now,
    )


def settle(
    ctx: RequestContext,
    request: ledger_graph.BudgetRequest | None,
    within_budget: bool,
    asked: list[str],
) -> None:
    """Remember a spend that held; refuse one that did not (R2), naming the ids asked for.

    The refusal is the same whether or not such children exist (R4: no oracle), and the
    event names the ids, so the trail shows what was asked for past the budget.
    """
    if request is None:
        return
    if within_budget:
        ctx.ledger.remember(request.subject, request.day, request.ids)
        return
    for child_id in asked:
        ctx.audit.deny(f"Child:{child_id}: over the daily browsing budget (R2)")
    raise _refusal()


def _refusal() -> BrowsingBudgetExceeded:
    return BrowsingBudgetExceeded(
        "you have read as many different children today as your role allows; "
        "your local authority's index team has been told"
    )


#: Never a child id: asked for only to have a spent budget refused (and alerted) in RESERVE.
_PAST_BUDGET = "\x00past-the-budget"


async def budget_left(ctx: RequestContext, action: str) -> tuple[set[str], int]:
    """Before a search runs: the children already counted today and how many more fit.

    A spent budget refuses the search here, before anything is matched, so the refusal
    never depends on whether the search would have found anyone (R4: no oracle).
    """
    limit = browsing.daily_budget(ctx.viewer, ctx.settings.browsing_budgets)
    spent = await ledger_graph.counted(ctx.graph, ctx.viewer.subject, ctx.today)
    left = limit - len(spent)
    if left <= 0:
        request = budget_request(ctx, [_PAST_BUDGET])
        if request is not None:
            await ledger_graph.reserve(ctx.graph, request)  # the day's alert, if first
        ctx.audit.deny(f"Query.{action}: over the daily browsing budget (R2)")
        raise _refusal()
    return set(spent), left


async def spend_shown(ctx: RequestContext, ids: list[str]) -> None:
    """R2 for children a search or a network found: spent before any of them is shown."""
    request = budget_request(ctx, ids)
    if request is None:
        return
    settle(ctx, request, await ledger_graph.reserve(ctx.graph, request), ids)


async def spend_before_write(ctx: RequestContext, child_id: str) -> None:
    """R2 for a mutation that answers with the child's index view: spent before it writes.

    Past the budget the mutation is refused before anything is written: a refusal that
    came only with the answer would leave the caller not knowing the change was made.
    The answer's own read is then a re-read, free."""
    await spend_shown(ctx, [child_id])


def fitting(ids: list[str], counted: set[str], left: int) -> list[str]:
    """The first of `ids` that fit what is left of the budget (R2), in order: children
    already read today are free and always fit. What does not fit is cut, never refused:
    a refusal that came only when enough children were found would count them."""
    shown: list[str] = []
    for child_id in ids:
        if child_id not in counted:
            if left <= 0:
                break
            left -= 1
        shown.append(child_id)
    return shown
