"""Feed chunks into the graph (R15): one transaction per chunk, one write query per chunk.

A chunk of validated records is written in one managed write transaction:

1. take the ingest lock (graph/ingest_lock.py), so two writers (two feeds, a match
   resolution, a retention batch) never both decide "no such child yet" from the same
   snapshot and create the same child twice;
2. one lookup query fetching everything the chunk's decisions need: this source's
   earlier FeedRecords (for idempotency and for `child.ref` / `involvementRef`), the
   children holding the chunk's NHS numbers or family name and date of birth (R15
   candidates), and the services, practitioners and local authorities named;
3. the caller's `plan` function turns those facts into rows (api/ingest.py: policies
   decide there, nothing is decided here);
4. one query with an UNWIND subquery per kind of write, in dependency order
   (services, practitioners, children, carers, involvements, ends, assessments,
   reviews, then the FeedRecords), and the chunk's audit event last, in the same
   transaction: a crash leaves either the whole chunk (records, FeedRecords and
   audit) or nothing, so a re-run after kill -9 reports the first part as
   `unchanged` and writes the rest, with no duplicates and no gaps.

The same write query ends with R4's household check (graph/alerts.py): each child row
that puts an unshielded child at a shielded child's address, and each carer row that
leaves a carer living with a shielded child caring for another child, raises an
`:AccessAlert` for the shielded child's index team, in the same transaction, and the
query returns them for the chunk's audit event. It costs one index seek per child row
and one expansion per carer row, and no extra round trip. What the feed is told does
not change with it (R4, no oracle): the alerts go to the index team and the audit
trail, never into the report.

Steps 2 and 3 may also be done ahead, outside the transaction (`lookup` and a
`Planned`), while the previous chunk of the same feed is still being written: a feed
file's chunks then keep both the Neo4j server and the Python process busy. Such a plan
is used only if the lock's generation shows that nobody but that previous chunk held
the lock since the lookup; otherwise steps 2 and 3 are done again under the lock.

A plan made ahead is also split (`split_writes`): rows that touch nothing the previous
chunk wrote are written first, before the lock is taken, while that chunk commits
(commit is most of what the server does for a chunk, and it runs on one thread); the
rest wait for the lock, that is for the previous chunk's commit. If the lock then shows
the plan stale, the early rows are rolled back with the transaction (`StalePlan`), and
nobody ever saw them: they commit only under the lock, with the rest of the chunk.

Each subquery returns how many rows it wrote; fewer than it was given means the graph
changed under the plan (a child deleted between lookup and write), and the transaction
is rolled back with `ChunkConflict` for the caller to plan again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Generic, LiteralString, TypeVar

from neo4j import AsyncManagedTransaction

from graph.alerts import (
    HOUSEHOLD_BY_ADDRESS,
    HOUSEHOLD_BY_CARER,
    Actor,
    HouseholdAlert,
    household_alerts,
)
from graph.audit import AuditRecord, append_in_transaction
from graph.database import Graph
from graph.ingest_lock import take_ingest_lock
from policies.facts import SENSITIVE_KINDS

__all__ = [
    "ChildRow",
    "ChunkConflict",
    "ChunkFacts",
    "ChunkKeys",
    "ChunkWrites",
    "KnownRecord",
    "Planned",
    "StalePlan",
    "apply_chunk",
    "lookup",
    "merge_facts",
    "split_writes",
]

P = TypeVar("P")


class ChunkConflict(RuntimeError):
    """A write found fewer nodes than planned; the chunk was rolled back, plan it again."""


@dataclass(frozen=True, slots=True)
class ChildRow:
    """A child on the index as matching sees it (keys are graph.keys forms)."""

    id: str
    nhs_number: str | None
    family_name_key: str
    given_name_key: str
    date_of_birth: date
    postcode_key: str
    shielded: bool
    local_authority: str | None


@dataclass(slots=True)
class KnownRecord:
    """A FeedRecord this source sent before, and what became of it."""

    source_ref: str
    op: str
    payload_hash: str
    status: str  # ACCEPTED or PENDING_REVIEW
    entity_id: str | None
    child_id: str | None
    review_id: str | None
    entity_exists: bool
    child: ChildRow | None = None  # UPSERT_CHILD: the child it resolved to
    started_on: date | None = None  # START_INVOLVEMENT: the involvement's dates
    ended_on: date | None = None


@dataclass
class ChunkKeys:
    """Everything a chunk's decisions may need to look up."""

    source_refs: set[str] = field(default_factory=set)
    nhs_numbers: set[str] = field(default_factory=set)
    name_births: set[tuple[str, date]] = field(default_factory=set)
    service_ids: set[str] = field(default_factory=set)
    practitioner_ids: set[str] = field(default_factory=set)
    local_authorities: set[str] = field(default_factory=set)


@dataclass
class ChunkFacts:
    records: dict[str, KnownRecord]
    children: list[ChildRow]
    services: dict[str, str | None]  # id -> the source that maintains it (None: not a feed)
    practitioners: dict[str, tuple[str | None, str | None]]  # id -> (source, service id)
    local_authorities: set[str]
    #: R6: the sensitive services named, whoever maintains them.
    sensitive_services: frozenset[str] = frozenset()


def merge_facts(older: ChunkFacts, newer: ChunkFacts) -> ChunkFacts:
    """`older` as updated by `newer` (what a chunk wrote after `older` was read).

    Children are listed oldest first: the planner indexes its records' child rows, then
    `children` in order, and a later row for the same id replaces an earlier one. So
    `newer.children` must hold every child row of `newer.records` (a chunk's written
    facts do), and come last.
    """
    return ChunkFacts(
        records=older.records | newer.records,
        children=[*older.children, *newer.children],
        services=older.services | newer.services,
        practitioners=older.practitioners | newer.practitioners,
        local_authorities=older.local_authorities | newer.local_authorities,
        sensitive_services=older.sensitive_services | newer.sensitive_services,
    )


@dataclass(frozen=True)
class Planned(Generic[P]):
    """A chunk planned ahead, valid if the lock's next holder is `generation`.

    `early` holds the rows that touch nothing the chunk before wrote: they are written
    first, before the lock is taken, while that chunk may still be committing; `writes`
    holds the rest, written under the lock once it has committed.
    """

    writes: ChunkWrites
    outcome: P
    generation: int
    early: ChunkWrites | None = None


class StalePlan(ChunkConflict):
    """Rows planned ahead were written, then the lock showed that the plan was stale."""


# For each kind of row, the keys holding the ids it needs to find in the graph.
_NEEDS: dict[str, tuple[str, ...]] = {
    "services": ("id",),
    "practitioners": ("id", "serviceId"),
    "children_new": (),
    "children_update": ("id",),
    "carers": ("id", "childId"),
    "involvements_new": ("childId", "serviceId", "practitionerId"),
    "involvements_update": ("id", "childId", "serviceId", "practitionerId"),
    "ends": ("id",),
    "assessments": ("id", "childId", "holderId"),
    "reviews": ("id",),
    "reviews_closed": ("id",),
    "feed_new": (),
    "feed_update": (),
}


def split_writes(writes: ChunkWrites, before: ChunkFacts) -> tuple[ChunkWrites, ChunkWrites]:
    """(early, late) for a chunk planned on top of `before`, what the chunk still being
    committed writes: late are the rows that touch a node or FeedRecord of `before`, and
    every row that needs what a late row writes.

    Kinds of rows are taken in the order they are written (a row only ever needs rows
    of kinds before its own), so one pass settles which rows wait.
    """
    busy = {c.id for c in before.children} | set(before.services) | set(before.practitioners)
    for k in before.records.values():
        busy.update(i for i in (k.entity_id, k.review_id) if i is not None)
    early, late = ChunkWrites(), ChunkWrites()
    for name, _ in _STATEMENTS:
        needs = _NEEDS[name]
        for row in getattr(writes, name):
            waits = any(row.get(key) in busy for key in needs)
            if name == "reviews":
                waits = waits or any(c in busy for c in row["candidateIds"])
            elif name == "feed_update":
                waits = row["sourceRef"] in before.records
            if waits:
                getattr(late, name).append(row)
                written = row.get("id") or row.get("props", {}).get("id")
                if written:
                    busy.add(written)
            else:
                getattr(early, name).append(row)
    return early, late


class Rows(list[Any]):
    """Query parameters that print as their count.

    The driver formats every query's parameters for its debug log, log on or off; for a
    chunk of thousands of rows that costs more than sending them.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return f"<{len(self)} rows>"


@dataclass
class ChunkWrites:
    """Rows per statement, filled by the plan; statements run in this field order."""

    services: Rows = field(default_factory=Rows)
    practitioners: Rows = field(default_factory=Rows)
    children_new: Rows = field(default_factory=Rows)
    children_update: Rows = field(default_factory=Rows)
    carers: Rows = field(default_factory=Rows)
    involvements_new: Rows = field(default_factory=Rows)
    involvements_update: Rows = field(default_factory=Rows)
    ends: Rows = field(default_factory=Rows)
    assessments: Rows = field(default_factory=Rows)
    reviews: Rows = field(default_factory=Rows)
    reviews_closed: Rows = field(default_factory=Rows)
    feed_new: Rows = field(default_factory=Rows)
    feed_update: Rows = field(default_factory=Rows)

    def rows(self) -> int:
        return sum(len(getattr(self, name)) for name, _ in _STATEMENTS)

    def batches(self) -> Rows:
        """The rows of every statement, in order, for `WRITE` (empty lists included)."""
        return Rows(getattr(self, name) for name, _ in _STATEMENTS)


# Dates travel as ISO text: the driver's own date type is built in Python, slowly, and
# a chunk's lookup returns thousands of them.
_CHILD_MAP: LiteralString = (
    "{ .id, .nhsNumber, .familyNameKey, .givenNameKey, dateOfBirth: toString(c.dateOfBirth),"
    " .postcodeKey, .shielded, .localAuthority }"
)

LOOKUP: LiteralString = (
    """
CALL () {
  UNWIND $refs AS ref
  MATCH (f:FeedRecord {source: $source, sourceRef: ref})
  OPTIONAL MATCH (c:Child {id: f.entityId}) WHERE f.op = 'UPSERT_CHILD'
  OPTIONAL MATCH (i:Involvement {id: f.entityId})
    WHERE f.op IN ['START_INVOLVEMENT', 'END_INVOLVEMENT']
  RETURN collect(f { .sourceRef, .op, .payloadHash, .status, .entityId, .childId, .reviewId,
    exists: CASE f.op
      WHEN 'UPSERT_CHILD' THEN c IS NOT NULL
      WHEN 'START_INVOLVEMENT' THEN i IS NOT NULL
      WHEN 'END_INVOLVEMENT' THEN i IS NOT NULL
      ELSE true END,
    child: c """
    + _CHILD_MAP
    + """,
    startedOn: toString(i.startedOn), endedOn: toString(i.endedOn) }) AS records
}
CALL () {
  UNWIND $nhsNumbers AS n
  MATCH (c:Child {nhsNumber: n})
  RETURN collect(c """
    + _CHILD_MAP
    + """) AS byNhs
}
CALL () {
  UNWIND $nameBirths AS k
  MATCH (c:Child {familyNameKey: k.family, dateOfBirth: k.born})
  RETURN collect(c """
    + _CHILD_MAP
    + """) AS byName
}
CALL () {
  UNWIND $serviceIds AS id
  MATCH (s:Service {id: id})
  RETURN collect([s.id, s.source, s.sensitive = true OR s.kind IN $sensitiveKinds]) AS services
}
CALL () {
  UNWIND $practitionerIds AS id
  MATCH (p:Practitioner {id: id})
  WITH p, [(p)-[:WORKS_FOR]->(s:Service) |
    [s.id, s.source, s.sensitive = true OR s.kind IN $sensitiveKinds]][0] AS service
  RETURN collect([p.id, p.source, service[0], service[1], service[2]]) AS practitioners
}
CALL () {
  UNWIND $localAuthorities AS code
  MATCH (la:LocalAuthority {code: code})
  RETURN collect(la.code) AS localAuthorities
}
RETURN records, byNhs, byName, services, practitioners, localAuthorities
"""
)

SERVICES: LiteralString = """
UNWIND $rows AS row
MERGE (s:Service {id: row.id})
SET s += row.props
RETURN count(*) AS written
"""

# A practitioner works for one service: naming another moves them.
PRACTITIONERS: LiteralString = """
UNWIND $rows AS row
MATCH (s:Service {id: row.serviceId})
MERGE (p:Practitioner {id: row.id})
SET p += row.props
MERGE (p)-[:WORKS_FOR]->(s)
WITH p, s
CALL (p, s) {
  MATCH (p)-[old:WORKS_FOR]->(other) WHERE other <> s
  DELETE old
}
RETURN count(*) AS written
"""

CHILDREN_NEW: LiteralString = """
UNWIND $rows AS row
CREATE (c:Child)
SET c = row
RETURN count(*) AS written
"""

CHILDREN_UPDATE: LiteralString = """
UNWIND $rows AS row
MATCH (c:Child {id: row.id})
SET c += row.props
RETURN count(*) AS written
"""

# The CARES_FOR carries the record's (source, sourceRef): a corrected `child` moves it.
CARERS: LiteralString = """
UNWIND $rows AS row
MATCH (c:Child {id: row.childId})
MERGE (k:Carer {id: row.id})
SET k += row.props
MERGE (k)-[r:CARES_FOR]->(c)
SET r += row.rel
WITH k, c, row
CALL (k, c, row) {
  MATCH (k)-[old:CARES_FOR]->(other)
  WHERE old.source = row.rel.source AND old.sourceRef = row.rel.sourceRef AND other <> c
  DELETE old
}
RETURN count(*) AS written
"""

INVOLVEMENTS_NEW: LiteralString = """
UNWIND $rows AS row
MATCH (c:Child {id: row.childId})
MATCH (s:Service {id: row.serviceId})
OPTIONAL MATCH (p:Practitioner {id: row.practitionerId})
WITH row, c, s, p WHERE row.practitionerId IS NULL OR p IS NOT NULL
CREATE (i:Involvement)
SET i = row.props
CREATE (i)-[:OF]->(c)
CREATE (i)-[:AT]->(s)
FOREACH (_ IN CASE WHEN p IS NULL THEN [] ELSE [1] END | CREATE (i)-[:BY]->(p))
RETURN count(*) AS written
"""

# An updated START moves the involvement to the child, service and practitioner it now
# names; it never touches endedOn, which belongs to the END record.
INVOLVEMENTS_UPDATE: LiteralString = """
UNWIND $rows AS row
MATCH (c:Child {id: row.childId})
MATCH (s:Service {id: row.serviceId})
OPTIONAL MATCH (p:Practitioner {id: row.practitionerId})
WITH row, c, s, p WHERE row.practitionerId IS NULL OR p IS NOT NULL
MERGE (i:Involvement {id: row.id})
SET i += row.props
MERGE (i)-[:OF]->(c)
MERGE (i)-[:AT]->(s)
FOREACH (_ IN CASE WHEN p IS NULL THEN [] ELSE [1] END | MERGE (i)-[:BY]->(p))
WITH i, c, s, p
CALL (i, c, s, p) {
  MATCH (i)-[old:OF|AT|BY]->(other)
  WHERE (type(old) = 'OF' AND other <> c)
     OR (type(old) = 'AT' AND other <> s)
     OR (type(old) = 'BY' AND (p IS NULL OR other <> p))
  DELETE old
}
RETURN count(*) AS written
"""

ENDS: LiteralString = """
UNWIND $rows AS row
MATCH (i:Involvement {id: row.id})
SET i.endedOn = row.endedOn
RETURN count(*) AS written
"""

# A registered CAF is an indicator and a holder, never content (feeds.md, R7).
ASSESSMENTS: LiteralString = """
UNWIND $rows AS row
MATCH (c:Child {id: row.childId})
MATCH (h:Practitioner {id: row.holderId})
MERGE (a:Assessment {id: row.id})
  ON CREATE SET a.strengths = []
SET a += row.props
MERGE (a)-[:ABOUT]->(c)
MERGE (h)-[:HOLDS]->(a)
WITH a, c, h
CALL (a, c) {
  MATCH (a)-[old:ABOUT]->(other) WHERE other <> c
  DELETE old
}
CALL (a, h) {
  MATCH (other)-[old:HOLDS]->(a) WHERE other <> h
  DELETE old
}
RETURN count(*) AS written
"""

REVIEWS: LiteralString = """
UNWIND $rows AS row
MERGE (r:MatchReview {id: row.id})
SET r += row.props, r.receivedAt = $now
WITH r, row
CALL (r, row) {
  MATCH (r)-[old:CANDIDATE]->(c) WHERE NOT c.id IN row.candidateIds
  DELETE old
}
CALL (r, row) {
  UNWIND row.candidateIds AS candidateId
  MATCH (c:Child {id: candidateId})
  MERGE (r)-[:CANDIDATE]->(c)
}
RETURN count(*) AS written
"""

REVIEWS_CLOSED: LiteralString = """
UNWIND $rows AS row
MATCH (r:MatchReview {id: row.id})
SET r.status = row.status, r.closedAt = $now
RETURN count(*) AS written
"""

FEED_NEW: LiteralString = """
UNWIND $rows AS row
CREATE (f:FeedRecord)
SET f = row, f.receivedAt = $now
RETURN count(*) AS written
"""

FEED_UPDATE: LiteralString = """
UNWIND $rows AS row
MATCH (f:FeedRecord {source: row.source, sourceRef: row.sourceRef})
SET f += row, f.receivedAt = $now
RETURN count(*) AS written
"""

_STATEMENTS: tuple[tuple[LiteralString, LiteralString], ...] = (
    ("services", SERVICES),
    ("practitioners", PRACTITIONERS),
    ("children_new", CHILDREN_NEW),
    ("children_update", CHILDREN_UPDATE),
    ("carers", CARERS),
    ("involvements_new", INVOLVEMENTS_NEW),
    ("involvements_update", INVOLVEMENTS_UPDATE),
    ("ends", ENDS),
    ("assessments", ASSESSMENTS),
    ("reviews", REVIEWS),
    ("reviews_closed", REVIEWS_CLOSED),
    ("feed_new", FEED_NEW),
    ("feed_update", FEED_UPDATE),
)


_BATCH: tuple[LiteralString, ...] = tuple(f"$batches[{i}]" for i in range(len(_STATEMENTS)))  # type: ignore[misc]

_ROWS_OF: dict[str, LiteralString] = {
    name: batch for (name, _), batch in zip(_STATEMENTS, _BATCH, strict=True)
}
_HOUSEHOLD_CHECKS: tuple[tuple[LiteralString, LiteralString], ...] = tuple(
    (
        name,
        cypher.replace("$newChildren", _ROWS_OF["children_new"])
        .replace("$updatedChildren", _ROWS_OF["children_update"])
        .replace("$carers", _ROWS_OF["carers"])
        .replace("AS alerts", "AS " + name),
    )
    for name, cypher in (
        ("addressAlerts", HOUSEHOLD_BY_ADDRESS),
        ("carerAlerts", HOUSEHOLD_BY_CARER),
    )
)

WRITE: LiteralString = (
    "".join(
        "CALL () {\n" + cypher.replace("$rows", batch).replace("AS written", "AS " + name) + "}\n"
        for (name, cypher), batch in zip(_STATEMENTS, _BATCH, strict=True)
    )
    + "".join("CALL () {" + cypher + "}\n" for _, cypher in _HOUSEHOLD_CHECKS)
    + "RETURN "
    + ", ".join(name for name, _ in (*_STATEMENTS, *_HOUSEHOLD_CHECKS))
)
"""Every statement of a chunk in one query, a subquery each, in order: the server
writes the whole chunk without waiting on this process between statements, and each
subquery returns how many rows it wrote. One text and one parameter, a list of row
lists, whatever kinds of rows a chunk has: Neo4j plans a query again for every new
combination of parameter types, and an empty list is a type of its own (planning this
query takes half a second; it showed as a tenth of the server's time when each chunk
sent only the statements it had rows for). The household checks come last, over the
rows of the statements they follow, and return the alerts they raised."""


def _iso_date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _child_row(m: dict[str, Any] | None) -> ChildRow | None:
    if not m:
        return None
    return ChildRow(
        id=m["id"],
        nhs_number=m.get("nhsNumber"),
        family_name_key=m.get("familyNameKey") or "",
        given_name_key=m.get("givenNameKey") or "",
        date_of_birth=_iso_date(m.get("dateOfBirth")) or date.min,
        postcode_key=m.get("postcodeKey") or "",
        shielded=bool(m.get("shielded")),
        local_authority=m.get("localAuthority"),
    )


def _facts(record: Any) -> ChunkFacts:
    known = {}
    for m in record["records"]:
        known[m["sourceRef"]] = KnownRecord(
            source_ref=m["sourceRef"],
            op=m["op"],
            payload_hash=m["payloadHash"],
            status=m.get("status") or "ACCEPTED",
            entity_id=m.get("entityId"),
            child_id=m.get("childId"),
            review_id=m.get("reviewId"),
            entity_exists=bool(m.get("exists")),
            child=_child_row(m.get("child")),
            started_on=_iso_date(m.get("startedOn")),
            ended_on=_iso_date(m.get("endedOn")),
        )
    children = [c for c in map(_child_row, [*record["byNhs"], *record["byName"]]) if c]
    # A practitioner's service comes with its maintaining source: a CAF's holder must work
    # for a service the feed maintains (api/ingest.py).
    services = {sid: owner for _, _, sid, owner, _ in record["practitioners"] if sid is not None}
    services.update((sid, owner) for sid, owner, _ in record["services"])
    sensitive = {sid for _, _, sid, _, flag in record["practitioners"] if sid is not None and flag}
    sensitive.update(sid for sid, _, flag in record["services"] if flag)
    return ChunkFacts(
        records=known,
        children=children,
        services=services,
        practitioners={pid: (owner, sid) for pid, owner, sid, _, _ in record["practitioners"]},
        local_authorities=set(record["localAuthorities"]),
        sensitive_services=frozenset(sensitive),
    )


def _lookup_params(source: str, keys: ChunkKeys) -> dict[str, Any]:
    return {
        "source": source,
        "refs": Rows(keys.source_refs),
        "nhsNumbers": Rows(keys.nhs_numbers),
        "nameBirths": Rows({"family": f, "born": b} for f, b in keys.name_births),
        "serviceIds": Rows(keys.service_ids),
        "practitionerIds": Rows(keys.practitioner_ids),
        "localAuthorities": Rows(keys.local_authorities),
        "sensitiveKinds": sorted(SENSITIVE_KINDS),
    }


async def lookup(graph: Graph, source: str, keys: ChunkKeys) -> ChunkFacts:
    """The lookup of step 2 in a read of its own, for planning a chunk ahead."""
    record = (await graph.read(LOOKUP, **_lookup_params(source, keys)))[0]
    return _facts(record)


async def _write_rows(
    tx: AsyncManagedTransaction, writes: ChunkWrites, now: datetime, actor: dict[str, str]
) -> list[HouseholdAlert]:
    """Write the rows; returns the household alerts (R4) the write raised."""
    if not writes.rows():
        return []
    batches = writes.batches()
    # `now` travels once: the driver packs a datetime slowly.
    written = await (await tx.run(WRITE, batches=batches, now=now, actor=actor)).single(strict=True)
    for (name, _), rows in zip(_STATEMENTS, batches, strict=True):
        if written[name] != len(rows):
            raise ChunkConflict(f"{name}: wrote {written[name]} of {len(rows)}")
    return household_alerts([a for name, _ in _HOUSEHOLD_CHECKS for a in written[name]])


async def apply_chunk(
    graph: Graph,
    source: str,
    keys: ChunkKeys,
    plan: Callable[[ChunkFacts], tuple[ChunkWrites, P]],
    now: datetime,
    *,
    planned: Planned[P] | None = None,
    on_planned: Callable[[int, P], None] | None = None,
    on_written: Callable[[], None] | None = None,
    audit: Callable[[P, list[HouseholdAlert]], list[AuditRecord]] | None = None,
    actor: Actor | None = None,
) -> tuple[P, int]:
    """Look up, plan and write one chunk in one transaction; returns the plan's outcome
    and the lock generation it committed under.

    `planned` is used instead of steps 2 and 3 when the lock's generation is the one it
    expects; its early rows are written before the lock is taken, and if the plan then
    turns out stale the transaction is rolled back with `StalePlan`. `on_planned
    (generation, outcome)` is told which plan this attempt writes (the next chunk can be
    planned on top of it), `on_written()` that all is written and the commit follows;
    `audit(outcome, alerts)` gives the events to commit with the chunk, told which
    household alerts (R4) its write raised; `actor` is who they name as having
    written (by default the source itself). The managed transaction
    may run `work` more than once (transient errors): an attempt under the same
    generation writes the same plan again, so what the next chunk was planned on holds.
    """
    plans: dict[int, tuple[ChunkWrites, P]] = {}
    who = (actor or Actor(f"source:{source}", "FEED", "-")).params(source)

    async def work(tx: AsyncManagedTransaction) -> tuple[P, int]:
        alerts: list[HouseholdAlert] = []
        if planned is not None and planned.early is not None:
            alerts += await _write_rows(tx, planned.early, now, who)
        generation = await take_ingest_lock(tx)
        if planned is not None and planned.generation == generation:
            writes, outcome = planned.writes, planned.outcome
        elif planned is not None and planned.early is not None:
            raise StalePlan(f"planned for generation {planned.generation}, found {generation}")
        elif generation in plans:
            writes, outcome = plans[generation]
        else:
            params = _lookup_params(source, keys)  # only now: a plan made ahead needs none
            facts = _facts(await (await tx.run(LOOKUP, params)).single(strict=True))
            writes, outcome = plans[generation] = plan(facts)
        if on_planned is not None:
            on_planned(generation, outcome)
        alerts += await _write_rows(tx, writes, now, who)
        if audit is not None and (events := audit(outcome, alerts)):
            await append_in_transaction(tx, events)
        if on_written is not None:
            on_written()
        return outcome, generation

    return await graph.write_transaction(work)
