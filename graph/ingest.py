"""Feed chunks into the graph (R15): one transaction per chunk, one write query per chunk.

A chunk of validated records is written in one managed write transaction:

1. take the ingest lock (graph/ingest_lock.py), so two writers (two feeds, a match
   resolution, a retention batch) never both decide "no such child yet" from the same
   snapshot and create the same child twice;
2. one lookup query fetching everything the chunk's decisions need: this source's
   earlier FeedRecords (for idempotency and for `child.ref` / `involvementRef`), the
   children holding the chunk's NHS numbers or family name and date of birth (R15
   candidates), and the services, practitioners and local authorities named;
3. the caller's `plan` function turns those facts into rows (feeds/plan.py: policies
   decide there, nothing is decided here);
4. one query with an UNWIND subquery per kind of write (`ChunkWriter`), in the op
   registry's order (feeds/ops: services, practitioners, children and their reviews,
   carers, involvements, ends, assessments, then the FeedRecords), and the chunk's
   audit event last, in the same transaction: a crash leaves either the whole chunk
   (records, FeedRecords and audit) or nothing, so a re-run after kill -9 reports the
   first part as `unchanged` and writes the rest, with no duplicates and no gaps.

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

from collections.abc import Callable, Sequence
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
from graph.feed_writes import ChunkWrites, WriteKind, feed_key
from graph.ingest_lock import take_ingest_lock
from policies.facts import SENSITIVE_KINDS

__all__ = [
    "ChildRow",
    "ChunkConflict",
    "ChunkFacts",
    "ChunkKeys",
    "ChunkWriter",
    "KnownRecord",
    "Planned",
    "StalePlan",
    "apply_chunk",
    "lookup",
    "merge_facts",
]

P = TypeVar("P")


class ChunkConflict(RuntimeError):
    """A write found fewer nodes than planned; the chunk was rolled back, plan it again."""


@dataclass(slots=True)
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


class Rows(list[Any]):
    """Query parameters that print as their count.

    The driver formats every query's parameters for its debug log, log on or off; for a
    chunk of thousands of rows that costs more than sending them.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return f"<{len(self)} rows>"


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


class ChunkWriter:
    """A chunk's one write query, composed from the kinds of rows in the order given
    (feeds/ops: the op registry's order, then the FeedRecords), with R4's household
    checks after them over the child and carer rows.

    One query, a subquery a kind: the server writes the whole chunk without waiting on
    this process between statements, and each subquery returns how many rows it wrote.
    One text and one parameter, a list of row lists, whatever kinds of rows a chunk has:
    Neo4j plans a query again for every new combination of parameter types, and an empty
    list is a type of its own (planning this query takes half a second; it showed as a
    tenth of the server's time when each chunk sent only the statements it had rows
    for). The household checks come last, over the rows of the statements they follow,
    and return the alerts they raised.
    """

    def __init__(self, kinds: Sequence[WriteKind[Any]]) -> None:
        self.kinds = tuple(kinds)
        names = [kind.name for kind in self.kinds]
        if len(set(names)) != len(names):
            raise ValueError(f"two kinds of rows share a name: {names}")
        batch: dict[str, LiteralString] = {
            kind.name: f"$batches[{i}]"  # type: ignore[misc]
            for i, kind in enumerate(self.kinds)
        }
        self.household: tuple[tuple[LiteralString, LiteralString], ...] = tuple(
            (
                name,
                cypher.replace("$newChildren", batch["children_new"])
                .replace("$updatedChildren", batch["children_update"])
                .replace("$carers", batch["carers"])
                .replace("AS alerts", "AS " + name),
            )
            for name, cypher in (
                ("addressAlerts", HOUSEHOLD_BY_ADDRESS),
                ("carerAlerts", HOUSEHOLD_BY_CARER),
            )
        )
        self.query: LiteralString = (
            "".join(
                "CALL () {\n"
                + kind.statement.replace("$rows", batch[kind.name]).replace(
                    "AS written", "AS " + kind.name
                )
                + "}\n"
                for kind in self.kinds
            )
            + "".join("CALL () {" + cypher + "}\n" for _, cypher in self.household)
            + "RETURN "
            + ", ".join([*names, *(name for name, _ in self.household)])
        )

    def batches(self, writes: ChunkWrites) -> Rows:
        """The rows of every kind as their statements' parameters, in order, for `query`
        (empty lists included)."""
        return Rows(Rows(row.params() for row in writes.named(kind.name)) for kind in self.kinds)

    def split(self, writes: ChunkWrites, before: ChunkFacts) -> tuple[ChunkWrites, ChunkWrites]:
        """(early, late) for a chunk planned on top of `before`, what the chunk still
        being committed writes: late are the rows that need a node or FeedRecord of
        `before`, and every row that needs what a late row writes.

        Kinds of rows are taken in the order they are written (a row only ever needs rows
        of kinds before its own), so one pass settles which rows wait.
        """
        busy = {c.id for c in before.children} | set(before.services) | set(before.practitioners)
        for k in before.records.values():
            busy.update(i for i in (k.entity_id, k.review_id) if i is not None)
        busy.update(map(feed_key, before.records))
        early, late = ChunkWrites(), ChunkWrites()
        for kind in self.kinds:
            for row in writes.of(kind):
                if any(need in busy for need in row.needs()):
                    late.add(kind, row)
                    written = row.creates()
                    if written:
                        busy.add(written)
                else:
                    early.add(kind, row)
        return early, late


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
    # for a service the feed maintains (feeds/ops/register_assessment.py).
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
    tx: AsyncManagedTransaction,
    writer: ChunkWriter,
    writes: ChunkWrites,
    now: datetime,
    actor: dict[str, str],
) -> list[HouseholdAlert]:
    """Write the rows; returns the household alerts (R4) the write raised."""
    if not writes.rows():
        return []
    batches = writer.batches(writes)
    # `now` travels once: the driver packs a datetime slowly.
    result = await tx.run(writer.query, batches=batches, now=now, actor=actor)
    written = await result.single(strict=True)
    for kind, rows in zip(writer.kinds, batches, strict=True):
        if written[kind.name] != len(rows):
            raise ChunkConflict(f"{kind.name}: wrote {written[kind.name]} of {len(rows)}")
    return household_alerts([a for name, _ in writer.household for a in written[name]])


async def apply_chunk(
    graph: Graph,
    source: str,
    keys: ChunkKeys,
    plan: Callable[[ChunkFacts], tuple[ChunkWrites, P]],
    now: datetime,
    *,
    writer: ChunkWriter,
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
            alerts += await _write_rows(tx, writer, planned.early, now, who)
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
        alerts += await _write_rows(tx, writer, writes, now, who)
        if audit is not None and (events := audit(outcome, alerts)):
            await append_in_transaction(tx, events)
        if on_written is not None:
            on_written()
        return outcome, generation

    return await graph.write_transaction(work)
