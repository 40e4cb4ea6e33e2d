"""Reading across CAFs: overdue reviews, the decisions to share or not about a child, and
the counts behind CAF management information (R11). Plain facts out; policies decide.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, LiteralString

from graph.children import CARRIED, ChildPage, fetch_children_matching
from graph.database import Graph
from graph.facts import practitioner_projection
from graph.overrides import SharingDecisionRecord, decision_from

__all__ = [
    "CafFigureRows",
    "fetch_caf_figures",
    "fetch_overdue",
    "fetch_sharing_decisions",
]

#: At most this many children in one overdue list: an area's index team works through it;
#: it is not a way to list every child with a CAF.
OVERDUE_LIMIT = 500

_OVERDUE: LiteralString = (
    """
MATCH (a:Assessment {status: 'OPEN'})-[:ABOUT]->(c:Child)
WHERE a.nextReviewOn < $today AND c.archivedOn IS NULL
  AND coalesce(a.localAuthority, c.localAuthority) = $localAuthority
  AND ($mine IS NULL
    OR EXISTS { (:Practitioner {id: $mine})-[:HOLDS]->(a) }
    OR EXISTS { (:Practitioner {id: $mine})-[:LEAD_PROFESSIONAL_FOR]->(c) })
WITH DISTINCT c, """
    + CARRIED
    + """ ORDER BY c.id LIMIT $limit
"""
)


async def fetch_overdue(
    graph: Graph,
    local_authority: str,
    *,
    today: date,
    mine: str | None,
    practitioner_id: str | None,
    subject: str,
    horizon: date,
) -> ChildPage:
    """Children with an OPEN CAF in `local_authority` whose next review date has passed;
    with `mine`, only those whose CAF that practitioner holds or whose lead they are."""
    return await fetch_children_matching(
        graph,
        _OVERDUE,
        practitioner_id=practitioner_id,
        subject=subject,
        horizon=horizon,
        today=today,
        localAuthority=local_authority,
        mine=mine,
        limit=OVERDUE_LIMIT,
    )


_DECISIONS: LiteralString = (
    """
MATCH (c:Child {id: $childId})
RETURN [(d:SharingDecision)-[:ABOUT]->(c) | d { .id, .shared, .withConsent, .recipient,
  .reason, .recordedAt, childId: c.id,
  recordedBy: [(rp:Practitioner)-[:RECORDED]->(d) | """
    + practitioner_projection("rp")
    + """][0] }] AS decisions
"""
)


async def fetch_sharing_decisions(graph: Graph, child_id: str) -> list[SharingDecisionRecord]:
    """Every decision recorded about the child, newest first."""
    records = await graph.read(_DECISIONS, childId=child_id)
    if not records:
        return []
    decisions = [decision_from(m) for m in records[0]["decisions"]]
    decisions.sort(key=lambda d: (d.recorded_at, d.id), reverse=True)
    return decisions


@dataclass(frozen=True)
class CafFigureRows:
    """Counts only: keyed by local authority code (and month or outcome), never a CAF."""

    open_now: dict[str, int]
    long_running: dict[str, int]
    overdue: dict[str, int]
    opened: dict[tuple[str, str], int]
    closed: dict[tuple[str, str], int]
    outcomes: dict[tuple[str, str], int]
    #: Days from start to close of each CAF closed in the window, per authority: numbers
    #: only, in no particular order.
    durations: dict[str, list[int]]


_FIGURES: LiteralString = """
MATCH (a:Assessment)-[:ABOUT]->(c:Child)
WITH coalesce(a.localAuthority, c.localAuthority) AS la, a
RETURN la,
  sum(CASE WHEN a.status = 'OPEN' THEN 1 ELSE 0 END) AS openNow,
  sum(CASE WHEN a.status = 'OPEN' AND a.startedOn < $longBefore THEN 1 ELSE 0 END) AS longRunning,
  sum(CASE WHEN a.status = 'OPEN' AND a.nextReviewOn < $today THEN 1 ELSE 0 END) AS overdue,
  [m IN collect(CASE WHEN a.startedOn >= $since THEN toString(a.startedOn) END)
    | left(m, 7)] AS opened,
  [m IN collect(CASE WHEN a.closedOn >= $since THEN toString(a.closedOn) END)
    | left(m, 7)] AS closed,
  collect(CASE WHEN a.status <> 'OPEN' THEN coalesce(a.closeOutcome,
    CASE a.status WHEN 'TRANSFERRED_TO_SOCIAL_CARE' THEN 'TRANSFERRED_TO_SOCIAL_CARE'
      ELSE 'NEEDS_MET' END) END) AS outcomes,
  collect(CASE WHEN a.closedOn >= $since
    THEN duration.inDays(a.startedOn, a.closedOn).days END) AS durations
"""


async def fetch_caf_figures(
    graph: Graph, *, today: date, since: date, long_before: date
) -> CafFigureRows:
    """One aggregation pass over every CAF, grouped by local authority."""
    records = await graph.read(_FIGURES, today=today, since=since, longBefore=long_before)
    rows = CafFigureRows({}, {}, {}, {}, {}, {}, {})
    for r in records:
        la = r["la"] or "UNKNOWN"
        rows.open_now[la] = int(r["openNow"])
        rows.long_running[la] = int(r["longRunning"])
        rows.overdue[la] = int(r["overdue"])
        _tally(rows.opened, la, r["opened"])
        _tally(rows.closed, la, r["closed"])
        _tally(rows.outcomes, la, r["outcomes"])
        rows.durations[la] = [int(d) for d in r["durations"]]
    return rows


def _tally(into: dict[tuple[str, str], int], la: str, values: list[Any]) -> None:
    for value in values:
        into[(la, str(value))] = into.get((la, str(value)), 0) + 1
