"""Access alerts (policies/alerts.py): stored, listed a page at a time, resolved once.

```
(:AccessAlert {id, kind, state: OPEN|RESOLVED, raisedAt, localAuthority, subject, role,
               childIds, detail, resolvedAt, resolvedBy, outcome})
```

An alert is a plain node, not linked to the children it names: `childIds` is what the
index team needs to open each child, and an alert outlives a child deleted under R16
(the misuse it records is not erased with the child). `localAuthority` is the index
team it is for; `(localAuthority, state)` is indexed (migration 0012), because an index
team's first question is "what is still open for us".

The household alerts are raised inside a feed chunk's own write (graph/ingest.py),
from the rows that chunk writes, so they commit with the write that brought R4's
household rule into play, or not at all. Their Cypher lives here, next to the
node's shape; ingest splices it into its one write query.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, LiteralString

from neo4j import AsyncManagedTransaction

from graph.database import Graph
from graph.facts import native_datetime
from graph.idempotency import IdempotencyClaim, write_once
from graph.outbox import ALERT_RAISED

__all__ = [
    "HOUSEHOLD_BY_ADDRESS",
    "HOUSEHOLD_BY_CARER",
    "HOUSEHOLD_FOR_CHILD",
    "Actor",
    "AlertCursor",
    "AlertPage",
    "AlertRecord",
    "HouseholdAlert",
    "household_alerts",
    "list_alerts",
    "resolve_alert",
]


@dataclass(frozen=True, slots=True)
class Actor:
    """On whose behalf a write is made, as an alert it raises records them."""

    subject: str
    role: str
    request_id: str

    def params(self, source: str) -> dict[str, str]:
        """`$actor` of the household checks: who wrote, for which source, in which request."""
        return {
            "subject": self.subject,
            "role": self.role,
            "requestId": self.request_id,
            "source": source,
        }


@dataclass(frozen=True, slots=True)
class AlertRecord:
    id: str
    kind: str
    state: str
    raised_at: datetime
    local_authority: str | None
    subject: str
    role: str
    child_ids: tuple[str, ...]
    detail: str
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    outcome: str | None = None


@dataclass(frozen=True, slots=True)
class HouseholdAlert:
    """A HOUSEHOLD_RULE_TRIGGERED alert a feed write raised: for the write's audit event."""

    id: str
    local_authority: str | None
    shielded_child_ids: tuple[str, ...]
    child_ids: tuple[str, ...]  # every child it names, the shielded ones first


@dataclass(frozen=True, slots=True)
class AlertCursor:
    """A position in an authority's alerts, newest first: after this one."""

    raised_at: datetime
    id: str


@dataclass(frozen=True, slots=True)
class AlertPage:
    alerts: list[AlertRecord]
    has_next_page: bool


# --- Raised by a feed chunk's write (graph/ingest.py) -----------------------------------------
#
# `$newChildren`, `$updatedChildren` and `$carers` stand for the chunk's rows of those
# kinds (graph/ingest.py puts its own parameter in their place); `$actor` and `$now`
# are the write's. A row stands for one record's write, so a record that brings the
# rule into play raises one alert per local authority of the shielded children
# involved, each time it is written (re-sent unchanged, nothing is written and nothing
# is raised). The kind is policies.alerts.AlertKind.HOUSEHOLD_RULE_TRIGGERED.

_RAISE: LiteralString = (
    """
  CREATE (alert:AccessAlert {id: 'alert-' + randomUUID(), kind: 'HOUSEHOLD_RULE_TRIGGERED',
    state: 'OPEN', raisedAt: $now, localAuthority: la, subject: $actor.subject,
    role: $actor.role, childIds: shieldedIds + others, detail: detail})
  """
    + ALERT_RAISED
    + """  RETURN collect(alert { .id, .localAuthority, .childIds, shieldedIds: shieldedIds })
    AS alerts
"""
)

# R4: an unshielded child written at the address key of a shielded child (other than
# itself). A row that leaves the address alone (a shielded child's update, R15) has no
# addressKey and is passed over. The key a row writes is compared, not the child's
# final state, so each record's write answers for itself.
HOUSEHOLD_BY_ADDRESS: LiteralString = (
    """
  UNWIND $newChildren + $updatedChildren AS row
  WITH row, coalesce(row.addressKey, row.props.addressKey) AS key
  WHERE key IS NOT NULL
  MATCH (s:Child {addressKey: key})
  WHERE s.shielded = true AND s.id <> row.id
  WITH row, s.localAuthority AS la, collect(s.id) AS shieldedIds
  WITH la, shieldedIds, [row.id] AS others,
    'R4 household rule: UPSERT_CHILD ' + row.sourceRef + ' from source ' + $actor.source
    + ' (request ' + $actor.requestId + ') put child ' + row.id
    + ' at the address of a shielded child' AS detail"""
    + _RAISE
)

# R4: a carer who lives with a shielded child and cares for another child, after this
# write (policies.shielding.carer_contact withholds the carer on that other child's
# record). A feed's carers are its own (their ids derive from the source), but it can
# link one to any child it can name by NHS number, a shielded child included.
HOUSEHOLD_BY_CARER: LiteralString = (
    """
  UNWIND $carers AS row
  MATCH (k:Carer {id: row.id})-[:CARES_FOR {livesWithChild: true}]->(s:Child)
  WHERE s.shielded = true
  WITH row, k, s.localAuthority AS la, collect(s.id) AS shieldedIds
  WITH row, la, shieldedIds,
    [(k)-[:CARES_FOR]->(x:Child) WHERE NOT x.id IN shieldedIds | x.id] AS others
  WHERE size(others) > 0
  WITH la, shieldedIds, others,
    'R4 household rule: UPSERT_CARER ' + row.rel.sourceRef + ' from source '
    + $actor.source + ' (request ' + $actor.requestId + ') made carer ' + row.id
    + ', who lives with a shielded child, the carer of another child' AS detail"""
    + _RAISE
)


# The same check for one child written outside a feed chunk (a match review resolved by
# an index team writes the held record's address): `$rows` holds that one row.
HOUSEHOLD_FOR_CHILD: LiteralString = (
    "CALL () {"
    + HOUSEHOLD_BY_ADDRESS.replace("$newChildren + $updatedChildren", "$rows")
    + "}\nRETURN alerts"
)


def household_alerts(rows: list[Any]) -> list[HouseholdAlert]:
    """The alerts a chunk's write returned (`a {.id, .localAuthority, ...}` maps)."""
    return [
        HouseholdAlert(
            id=m["id"],
            local_authority=m.get("localAuthority"),
            shielded_child_ids=tuple(m.get("shieldedIds") or ()),
            child_ids=tuple(m.get("childIds") or ()),
        )
        for m in rows
    ]


# --- Reading and resolving --------------------------------------------------------------------

_ALERT_MAP: LiteralString = (
    "a { .id, .kind, .state, .raisedAt, .localAuthority, .subject, .role, .childIds,"
    " .detail, .resolvedAt, .resolvedBy, .outcome }"
)

# Newest first; ties (alerts raised by one write share its time) broken by id. One text
# with the state and one without, so that (localAuthority, state) serves both.
_PAGE: LiteralString = (
    """
  AND ($afterAt IS NULL OR a.raisedAt < $afterAt
       OR (a.raisedAt = $afterAt AND a.id < $afterId))
WITH a ORDER BY a.raisedAt DESC, a.id DESC LIMIT $limit
RETURN """
    + _ALERT_MAP
    + " AS a"
)
_LIST_IN_STATE: LiteralString = (
    "MATCH (a:AccessAlert) WHERE a.localAuthority = $localAuthority AND a.state = $state" + _PAGE
)
_LIST_ALL: LiteralString = (
    "MATCH (a:AccessAlert) WHERE a.localAuthority = $localAuthority AND a.state IS NOT NULL" + _PAGE
)

# Taking the node's write lock first (SET) makes a second resolver wait, then see it
# resolved: an alert is resolved once.
_LOCK_ALERT: LiteralString = (
    "MATCH (a:AccessAlert {id: $id}) SET a.state = a.state RETURN " + _ALERT_MAP + " AS a"
)

_RESOLVE: LiteralString = """
MATCH (a:AccessAlert {id: $id})
SET a.state = 'RESOLVED', a.resolvedAt = $now, a.resolvedBy = $subject, a.outcome = $outcome
"""

_LOAD: LiteralString = "MATCH (a:AccessAlert {id: $id}) RETURN " + _ALERT_MAP + " AS a"


def _alert_from(m: dict[str, Any]) -> AlertRecord:
    raised_at = native_datetime(m.get("raisedAt"))
    assert raised_at is not None
    return AlertRecord(
        id=m["id"],
        kind=m.get("kind") or "",
        state=m.get("state") or "OPEN",
        raised_at=raised_at,
        local_authority=m.get("localAuthority"),
        subject=m.get("subject") or "",
        role=m.get("role") or "",
        child_ids=tuple(m.get("childIds") or ()),
        detail=m.get("detail") or "",
        resolved_at=native_datetime(m.get("resolvedAt")),
        resolved_by=m.get("resolvedBy"),
        outcome=m.get("outcome"),
    )


async def list_alerts(
    graph: Graph,
    local_authority: str,
    *,
    state: str | None,
    first: int,
    after: AlertCursor | None,
) -> AlertPage:
    """One page of an authority's alerts, newest first, and whether more follow."""
    rows = await graph.read(
        _LIST_ALL if state is None else _LIST_IN_STATE,
        localAuthority=local_authority,
        state=state,
        afterAt=after.raised_at if after else None,
        afterId=after.id if after else None,
        limit=first + 1,
    )
    alerts = [_alert_from(row["a"]) for row in rows]
    return AlertPage(alerts[:first], len(alerts) > first)


async def resolve_alert(
    graph: Graph,
    alert_id: str,
    outcome: str,
    *,
    subject: str,
    now: datetime,
    claim: IdempotencyClaim | None,
    decide: Callable[[AlertRecord | None], None],
) -> AlertRecord:
    """Record what was done about an alert. `decide(alert)` runs under the alert's lock,
    with None when there is no such alert, and raises to refuse (nothing is written)."""

    async def write(tx: AsyncManagedTransaction) -> str:
        row = await (await tx.run(_LOCK_ALERT, id=alert_id)).single()
        alert = _alert_from(row["a"]) if row is not None else None
        decide(alert)
        await (
            await tx.run(_RESOLVE, id=alert_id, now=now, subject=subject, outcome=outcome)
        ).consume()
        return alert_id

    async def load(tx: AsyncManagedTransaction, result_id: str) -> AlertRecord:
        row = await (await tx.run(_LOAD, id=result_id)).single(strict=True)
        return _alert_from(row["a"])

    return await write_once(graph, claim, write, load)
