"""Feed chunks into the graph (R15): one transaction per chunk, a few UNWINDs per chunk.

A chunk of validated records is written in one managed write transaction:

1. take the ingest lock (one node's write lock, see migration 0005), so two writers
   (two feeds, a match resolution, a retention batch) never both decide "no such child
   yet" from the same snapshot and create the same child twice;
2. one lookup query fetching everything the chunk's decisions need: this source's
   earlier FeedRecords (for idempotency and for `child.ref` / `involvementRef`), the
   children holding the chunk's NHS numbers or family name and date of birth (R15
   candidates), and the services, practitioners and local authorities named;
3. the caller's `plan` function turns those facts into rows (api/ingest.py: policies
   decide there, nothing is decided here);
4. one UNWIND statement per kind of write, in dependency order (services,
   practitioners, children, carers, involvements, ends, assessments, reviews), and the
   FeedRecords last, in the same transaction: a crash leaves either the whole chunk
   (records and their FeedRecords) or nothing, so a re-run after kill -9 reports the
   first part as `unchanged` and writes the rest, with no duplicates and no gaps.

Each statement returns how many rows it wrote; fewer than it was given means the graph
changed under the plan (a child deleted between lookup and write), and the transaction
is rolled back with `ChunkConflict` for the caller to plan again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, LiteralString, TypeVar

from neo4j import AsyncManagedTransaction

from graph.database import Graph
from graph.facts import native_date

__all__ = [
    "ChildRow",
    "ChunkConflict",
    "ChunkFacts",
    "ChunkKeys",
    "ChunkWrites",
    "KnownRecord",
    "apply_chunk",
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


@dataclass(frozen=True, slots=True)
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


@dataclass
class ChunkWrites:
    """Rows per statement, filled by the plan; statements run in this field order."""

    services: list[dict[str, Any]] = field(default_factory=list)
    practitioners: list[dict[str, Any]] = field(default_factory=list)
    children_new: list[dict[str, Any]] = field(default_factory=list)
    children_update: list[dict[str, Any]] = field(default_factory=list)
    carers: list[dict[str, Any]] = field(default_factory=list)
    involvements_new: list[dict[str, Any]] = field(default_factory=list)
    involvements_update: list[dict[str, Any]] = field(default_factory=list)
    ends: list[dict[str, Any]] = field(default_factory=list)
    assessments: list[dict[str, Any]] = field(default_factory=list)
    reviews: list[dict[str, Any]] = field(default_factory=list)
    reviews_closed: list[dict[str, Any]] = field(default_factory=list)
    feed_new: list[dict[str, Any]] = field(default_factory=list)
    feed_update: list[dict[str, Any]] = field(default_factory=list)

    def statements(self) -> Iterator[tuple[str, LiteralString, list[dict[str, Any]]]]:
        for name, cypher in _STATEMENTS:
            rows: list[dict[str, Any]] = getattr(self, name)
            if rows:
                yield name, cypher, rows


LOCK: LiteralString = "MERGE (l:IngestLock {id: 'main'}) SET l.lockedAt = datetime()"

_CHILD_MAP: LiteralString = (
    "{ .id, .nhsNumber, .familyNameKey, .givenNameKey, .dateOfBirth, .postcodeKey,"
    " .shielded, .localAuthority }"
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
    startedOn: i.startedOn, endedOn: i.endedOn }) AS records
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
  RETURN collect([s.id, s.source]) AS services
}
CALL () {
  UNWIND $practitionerIds AS id
  MATCH (p:Practitioner {id: id})
  RETURN collect([p.id, p.source, [(p)-[:WORKS_FOR]->(s:Service) | s.id][0]]) AS practitioners
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

_STATEMENTS: tuple[tuple[str, LiteralString], ...] = (
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


def _child_row(m: dict[str, Any] | None) -> ChildRow | None:
    if not m:
        return None
    return ChildRow(
        id=m["id"],
        nhs_number=m.get("nhsNumber"),
        family_name_key=m.get("familyNameKey") or "",
        given_name_key=m.get("givenNameKey") or "",
        date_of_birth=native_date(m.get("dateOfBirth")) or date.min,
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
            started_on=native_date(m.get("startedOn")),
            ended_on=native_date(m.get("endedOn")),
        )
    children = [c for c in map(_child_row, [*record["byNhs"], *record["byName"]]) if c]
    return ChunkFacts(
        records=known,
        children=children,
        services={sid: owner for sid, owner in record["services"]},
        practitioners={pid: (owner, sid) for pid, owner, sid in record["practitioners"]},
        local_authorities=set(record["localAuthorities"]),
    )


def _lookup_params(source: str, keys: ChunkKeys) -> dict[str, Any]:
    return {
        "source": source,
        "refs": sorted(keys.source_refs),
        "nhsNumbers": sorted(keys.nhs_numbers),
        "nameBirths": [{"family": f, "born": b} for f, b in keys.name_births],
        "serviceIds": sorted(keys.service_ids),
        "practitionerIds": sorted(keys.practitioner_ids),
        "localAuthorities": sorted(keys.local_authorities),
    }


async def apply_chunk(
    graph: Graph,
    source: str,
    keys: ChunkKeys,
    plan: Callable[[ChunkFacts], tuple[ChunkWrites, P]],
    now: datetime,
) -> P:
    """Look up, plan and write one chunk in one transaction; returns the plan's outcome.

    The managed transaction may run `work` more than once (transient errors), so `plan`
    must be a pure function of the facts it is given.
    """
    params = _lookup_params(source, keys)

    async def work(tx: AsyncManagedTransaction) -> P:
        await (await tx.run(LOCK)).consume()
        facts = _facts(await (await tx.run(LOOKUP, params)).single(strict=True))
        writes, outcome = plan(facts)
        for name, cypher, rows in writes.statements():
            # `now` travels once per statement: the driver packs a datetime slowly.
            result = await (await tx.run(cypher, rows=rows, now=now)).single(strict=True)
            if result["written"] != len(rows):
                raise ChunkConflict(f"{name}: wrote {result['written']} of {len(rows)} rows")
        return outcome

    return await graph.write_transaction(work)
