"""The browsing ledger (R2) and the per-subject day's refusals, kept in Neo4j.

```
(:BrowsingDay {key: subject|day, subject, day, role, localAuthority, childIds,
               refusals, alertedAt, refusalsAlertedAt, touchedAt})
```
Once its day has passed, retention (api/retention.py) replaces `childIds` with
`childCount`, and deletes the day after policies.retention.BROWSING_DAYS_KEPT.

One node per subject and day holds the distinct children that subject has read that
day. It lives in the graph, not in a process, so every API process counts against the
same budget and a restart forgets nothing. A reservation takes the node's write lock
before reading it (the same pattern as the audit chain's head), so concurrent reads by
one subject from several processes cannot both take the last place.

Cheap on purpose: a read of a child the process already knows is counted today costs
nothing here (api/browsing.py remembers them); a read of a new child folds its
reservation into the child read itself (`RESERVE` is spliced in front of graph/children's
query, which then runs as one auto-commit write), so the budget adds no round trip.

The same node counts the subject's refused reads (REPEATED_REFUSALS) and remembers that
the day's alerts were raised, so each is raised once a day, not once a request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, LiteralString

from graph.database import Graph
from graph.outbox import ALERT_RAISED

__all__ = [
    "RESERVE",
    "BudgetRequest",
    "Monitoring",
    "OutOfArea",
    "counted",
    "record_monitoring",
    "reserve",
]


@dataclass(frozen=True, slots=True)
class BudgetRequest:
    """Who spends, on which children, within what budget; `$budget` of `RESERVE`."""

    subject: str
    role: str
    day: date
    limit: int
    local_authority: str | None
    ids: tuple[str, ...]
    now: datetime

    def params(self) -> dict[str, Any]:
        return {
            "key": f"{self.subject}|{self.day.isoformat()}",
            "subject": self.subject,
            "role": self.role,
            "day": self.day,
            "limit": self.limit,
            "localAuthority": self.local_authority,
            "ids": list(self.ids),
            "now": self.now,
        }


_DAY: LiteralString = """
  MERGE (d:BrowsingDay {key: $budget.key})
    ON CREATE SET d.subject = $budget.subject, d.day = $budget.day, d.childIds = [],
      d.refusals = 0
  SET d.touchedAt = $budget.now, d.role = $budget.role,
    d.localAuthority = coalesce($budget.localAuthority, d.localAuthority)
"""

#: A re-read is free whatever the count (a budget lowered since stands for new children
#: only). Otherwise all or nothing: the children of `$budget.ids` not yet read today fit
#: in what is left of the budget, and are recorded; or none is, `withinBudget` is false,
#: and the first refusal of the day raises BUDGET_EXCEEDED for the viewer's own index
#: team.
#: (policies.alerts.AlertKind.BUDGET_EXCEEDED; a CALL, so it can lead any query.)
RESERVE: LiteralString = (
    "CALL () {"
    + _DAY
    + """  WITH d, [x IN $budget.ids WHERE NOT x IN d.childIds] AS fresh
  WITH d, fresh, size(fresh) = 0 OR size(d.childIds) + size(fresh) <= $budget.limit AS fits
  SET d.childIds = CASE WHEN fits THEN d.childIds + fresh ELSE d.childIds END
  FOREACH (_ IN CASE WHEN NOT fits AND d.alertedAt IS NULL THEN [1] ELSE [] END |
    SET d.alertedAt = $budget.now
    CREATE (alert:AccessAlert {id: 'alert-' + randomUUID(), kind: 'BUDGET_EXCEEDED',
      state: 'OPEN', raisedAt: $budget.now, localAuthority: $budget.localAuthority,
      subject: $budget.subject, role: $budget.role, childIds: [],
      detail: 'R2 browsing budget: ' + $budget.subject + ' (' + $budget.role + ') read '
        + toString(size(d.childIds)) + ' distinct children on ' + toString($budget.day)
        + ', the daily budget of ' + toString($budget.limit)
        + ', and asked for more; further reads of new children are refused today'})
  """
    + ALERT_RAISED
    + """)
  RETURN fits AS withinBudget
}
"""
)

_RESERVE_ONLY: LiteralString = RESERVE + "RETURN withinBudget\n"


async def reserve(graph: Graph, request: BudgetRequest) -> bool:
    """Record `request.ids` as read today if they fit in the budget; False if they do not."""
    rows = await graph.write_autocommit_retried(_RESERVE_ONLY, budget=request.params())
    return bool(rows[0]["withinBudget"])


async def counted(graph: Graph, subject: str, day: date) -> list[str]:
    """The children already spent today: lets a search decide before it runs (R4)."""
    rows = await graph.read(
        "MATCH (d:BrowsingDay {key: $key}) RETURN d.childIds AS ids",
        key=f"{subject}|{day.isoformat()}",
    )
    return list(rows[0]["ids"] or []) if rows else []


@dataclass(frozen=True, slots=True)
class OutOfArea:
    """R4: a shielded child read or found by someone outside its own local authority."""

    child_id: str
    local_authority: str | None


@dataclass(frozen=True, slots=True)
class Monitoring:
    """What one request leaves for the index teams to watch, written after it ran."""

    subject: str
    role: str
    day: date
    local_authority: str | None
    request_id: str
    refusals: int
    threshold: int
    out_of_area: tuple[OutOfArea, ...]
    now: datetime


# One statement: the day's refusals counted (the first time they reach the threshold,
# REPEATED_REFUSALS for the subject's index team), and one SHIELDED_READ_OUT_OF_AREA
# alert per shielded child for the index team of the child's own authority.
_MONITOR: LiteralString = (
    "CALL () {"
    + _DAY
    + """  SET d.refusals = coalesce(d.refusals, 0) + $refusals
  FOREACH (_ IN CASE WHEN d.refusals >= $threshold AND d.refusalsAlertedAt IS NULL
                     THEN [1] ELSE [] END |
    SET d.refusalsAlertedAt = $budget.now
    CREATE (alert:AccessAlert {id: 'alert-' + randomUUID(), kind: 'REPEATED_REFUSALS',
      state: 'OPEN', raisedAt: $budget.now, localAuthority: $budget.localAuthority,
      subject: $budget.subject, role: $budget.role, childIds: [],
      detail: 'R2/R14: ' + $budget.subject + ' (' + $budget.role + ') was refused '
        + toString(d.refusals) + ' child reads on ' + toString($budget.day)
        + ' (not found, not visible, forbidden or over budget), as when probing ids'})
  """
    + ALERT_RAISED
    + """)
  RETURN d.refusals AS refusals
}
CALL () {
  UNWIND $outOfArea AS shielded
  CREATE (alert:AccessAlert {id: 'alert-' + randomUUID(), kind: 'SHIELDED_READ_OUT_OF_AREA',
    state: 'OPEN', raisedAt: $budget.now, localAuthority: shielded.localAuthority,
    subject: $budget.subject, role: $budget.role, childIds: [shielded.childId],
    detail: 'R4: shielded child ' + shielded.childId + ' was read or found by '
      + $budget.subject + ' (' + $budget.role + ', local authority '
      + coalesce($budget.localAuthority, 'none') + ') in request ' + $requestId})
  """
    + ALERT_RAISED
    + """  RETURN count(alert) AS raised
}
RETURN refusals, raised
"""
)


async def record_monitoring(graph: Graph, seen: Monitoring) -> None:
    """One write for what a request leaves to monitor (only when it left something)."""
    await graph.write_autocommit_retried(
        _MONITOR,
        budget={
            "key": f"{seen.subject}|{seen.day.isoformat()}",
            "subject": seen.subject,
            "role": seen.role,
            "day": seen.day,
            "localAuthority": seen.local_authority,
            "now": seen.now,
        },
        refusals=seen.refusals,
        threshold=seen.threshold,
        requestId=seen.request_id,
        outOfArea=[
            {"childId": o.child_id, "localAuthority": o.local_authority} for o in seen.out_of_area
        ],
    )
