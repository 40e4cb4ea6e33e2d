"""The Cypher that writes seed records (Hannah's story, the synthetic population) by kind.

Each record kind has one Cypher statement, run over a whole chunk of rows with
UNWIND inside a managed write transaction: one round trip per few thousand rows
instead of one per record, which is what makes 100,000 children a matter of a
minute rather than an hour. Every statement MERGEs on the record's id, sets every
property the model names (a missing optional one is removed), and re-points the
relationships it owns, so loading the same records twice leaves one copy and
loading changed records leaves the changed graph, not a mixture.

The statements rely on the uniqueness constraints of graph/migrations (id on
Child, Carer, Service, Practitioner, Involvement, Assessment; code on
LocalAuthority): they make each MERGE and MATCH an index seek. Without them the
load is quadratic.

Relationship ends travel in the rows under keys that are not properties (see
seed.hannah.Scenario, whose fields are the kinds here). A row whose ends do not exist
fails its whole transaction with LoadError rather than quietly writing a node without
its relationships. What to write, and generating it, is seed/'s business (seed.load):
this module knows rows by kind, not where they come from.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, LiteralString

from neo4j import Driver, ManagedTransaction, Query, unit_of_work

from graph.lead_professional import set_lead

__all__ = ["CHUNK_ROWS", "KINDS", "LoadError", "Row", "wipe", "write_rows"]

Row = dict[str, Any]
"""One node or relationship as plain data; keys are graph/model.md property names."""

CHUNK_ROWS = 10_000
"""Rows per transaction: large enough to amortise the round trip, small enough for the
server's transaction timeout and heap (the test instance has a 1 GB heap)."""

_TX_TIMEOUT_S = 120.0


class LoadError(RuntimeError):
    """A chunk referred to a node that is not in the graph; nothing of it was written."""


LOCAL_AUTHORITIES: LiteralString = """
UNWIND $rows AS row
MERGE (la:LocalAuthority {code: row.code})
SET la.name = row.name,
    la.indexTeamPhone = row.indexTeamPhone,
    la.indexTeamEmail = row.indexTeamEmail,
    la.addressLine1 = row.addressLine1,
    la.addressLine2 = row.addressLine2,
    la.town = row.town,
    la.postcode = row.postcode
RETURN count(*) AS written, count(*) AS linked
"""

SERVICES: LiteralString = """
UNWIND $rows AS row
MERGE (s:Service {id: row.id})
SET s.name = row.name,
    s.kind = row.kind,
    s.sensitive = row.sensitive,
    s.localAuthority = row.localAuthority,
    s.phone = row.phone,
    s.email = row.email,
    s.addressLine1 = row.addressLine1,
    s.addressLine2 = row.addressLine2,
    s.town = row.town,
    s.postcode = row.postcode
RETURN count(*) AS written, count(*) AS linked
"""

PRACTITIONERS: LiteralString = """
UNWIND $rows AS row
OPTIONAL MATCH (s:Service {id: row.serviceId})
MERGE (p:Practitioner {id: row.id})
SET p.name = row.name,
    p.jobTitle = row.jobTitle,
    p.phone = row.phone,
    p.email = row.email
WITH p, s
CALL (p, s) {
  WITH p, s WHERE s IS NOT NULL
  MERGE (p)-[:WORKS_FOR]->(s)
}
CALL (p, s) {
  MATCH (p)-[old:WORKS_FOR]->(other)
  WHERE s IS NOT NULL AND other <> s
  DELETE old
}
RETURN count(*) AS written, count(s) AS linked
"""

CHILDREN: LiteralString = """
UNWIND $rows AS row
MERGE (c:Child {id: row.id})
SET c.nhsNumber = row.nhsNumber,
    c.givenName = row.givenName,
    c.familyName = row.familyName,
    c.givenNameKey = row.givenNameKey,
    c.familyNameKey = row.familyNameKey,
    c.dateOfBirth = row.dateOfBirth,
    c.gender = row.gender,
    c.addressLine1 = row.addressLine1,
    c.addressLine2 = row.addressLine2,
    c.town = row.town,
    c.postcode = row.postcode,
    c.postcodeKey = row.postcodeKey,
    c.addressKey = row.addressKey,
    c.localAuthority = row.localAuthority,
    c.shielded = row.shielded,
    c.archivedOn = row.archivedOn,
    c.dateOfDeath = row.dateOfDeath,
    c.source = row.source,
    c.sourceRef = row.sourceRef
RETURN count(*) AS written, count(*) AS linked
"""

CARERS: LiteralString = """
UNWIND $rows AS row
MERGE (k:Carer {id: row.id})
SET k.name = row.name,
    k.phone = row.phone,
    k.email = row.email,
    k.addressLine1 = row.addressLine1,
    k.addressLine2 = row.addressLine2,
    k.town = row.town,
    k.postcode = row.postcode
RETURN count(*) AS written, count(*) AS linked
"""

CARES_FOR: LiteralString = """
UNWIND $rows AS row
OPTIONAL MATCH (k:Carer {id: row.carerId})
OPTIONAL MATCH (c:Child {id: row.childId})
CALL (k, c, row) {
  WITH k, c, row WHERE k IS NOT NULL AND c IS NOT NULL
  MERGE (k)-[r:CARES_FOR]->(c)
  SET r.relationship = row.relationship,
      r.parentalResponsibility = row.parentalResponsibility,
      r.livesWithChild = row.livesWithChild
}
RETURN count(*) AS written, count(CASE WHEN k IS NOT NULL AND c IS NOT NULL THEN 1 END) AS linked
"""

# An involvement is OF one child, AT one service and BY at most one practitioner: the
# last CALL removes any relationship a previous load pointed elsewhere.
INVOLVEMENTS: LiteralString = """
UNWIND $rows AS row
OPTIONAL MATCH (c:Child {id: row.childId})
OPTIONAL MATCH (s:Service {id: row.serviceId})
OPTIONAL MATCH (p:Practitioner {id: row.practitionerId})
WITH row, c, s, p,
     c IS NOT NULL AND s IS NOT NULL
       AND (row.practitionerId IS NULL OR p IS NOT NULL) AS complete
CALL (row, c, s, p, complete) {
  WITH row, c, s, p WHERE complete
  MERGE (i:Involvement {id: row.id})
  SET i.startedOn = row.startedOn,
      i.endedOn = row.endedOn,
      i.source = row.source,
      i.sourceRef = row.sourceRef
  MERGE (i)-[:OF]->(c)
  MERGE (i)-[:AT]->(s)
  FOREACH (_ IN CASE WHEN p IS NULL THEN [] ELSE [1] END | MERGE (i)-[:BY]->(p))
  WITH i, c, s, p
  MATCH (i)-[old:OF|AT|BY]->(end)
  WHERE (type(old) = 'OF' AND end <> c)
     OR (type(old) = 'AT' AND end <> s)
     OR (type(old) = 'BY' AND (p IS NULL OR end <> p))
  DELETE old
}
RETURN count(*) AS written, count(CASE WHEN complete THEN 1 END) AS linked
"""

ASSESSMENTS: LiteralString = """
UNWIND $rows AS row
OPTIONAL MATCH (c:Child {id: row.childId})
OPTIONAL MATCH (h:Practitioner {id: row.holderId})
CALL (row, c, h) {
  WITH row, c, h WHERE c IS NOT NULL AND h IS NOT NULL
  MERGE (a:Assessment {id: row.id})
  SET a.status = row.status,
      a.startedOn = row.startedOn,
      a.closedOn = row.closedOn,
      a.closeReason = row.closeReason,
      a.nextReviewOn = row.nextReviewOn,
      a.strengths = row.strengths
  MERGE (a)-[:ABOUT]->(c)
  MERGE (h)-[:HOLDS]->(a)
  WITH a, c, h, row
  CALL (a, row) {
    UNWIND row.teamMemberIds AS memberId
    MATCH (m:Practitioner {id: memberId})
    MERGE (m)-[:TEAM_MEMBER_OF]->(a)
  }
  CALL (a, c, h, row) {
    MATCH (a)-[old:ABOUT]->(other) WHERE other <> c
    DELETE old
  }
  CALL (a, h, row) {
    MATCH (other)-[old:HOLDS|TEAM_MEMBER_OF]->(a)
    WHERE (type(old) = 'HOLDS' AND other <> h)
       OR (type(old) = 'TEAM_MEMBER_OF' AND NOT other.id IN row.teamMemberIds)
    DELETE old
  }
}
RETURN count(*) AS written, count(CASE WHEN c IS NOT NULL AND h IS NOT NULL THEN 1 END) AS linked
"""

# A child has one lead professional: naming one replaces any other
# (graph/lead_professional.py).
LEAD_PROFESSIONALS: LiteralString = (
    """
UNWIND $rows AS row
OPTIONAL MATCH (lead:Practitioner {id: row.practitionerId})
OPTIONAL MATCH (c:Child {id: row.childId})
CALL (lead, c, row) {
  WITH lead, c, row WHERE lead IS NOT NULL AND c IS NOT NULL
  WITH lead, c, row.since AS leadSince, 'seed' AS leadSetBy, null AS leadInvolvementId,
    null AS leadActor
"""
    + set_lead(announce=False)
    + """}
RETURN count(*) AS written,
  count(CASE WHEN lead IS NOT NULL AND c IS NOT NULL THEN 1 END) AS linked
"""
)

# Order matters: every statement refers only to nodes written by the ones before it.
_STEPS: tuple[tuple[str, LiteralString], ...] = (
    ("local_authorities", LOCAL_AUTHORITIES),
    ("services", SERVICES),
    ("practitioners", PRACTITIONERS),
    ("children", CHILDREN),
    ("carers", CARERS),
    ("cares_for", CARES_FOR),
    ("involvements", INVOLVEMENTS),
    ("assessments", ASSESSMENTS),
    ("lead_professionals", LEAD_PROFESSIONALS),
)


@unit_of_work(timeout=_TX_TIMEOUT_S)
def _write_chunk(
    tx: ManagedTransaction, kind: str, cypher: LiteralString, rows: Sequence[Row]
) -> int:
    record = tx.run(cypher, rows=rows).single(strict=True)
    if record["linked"] != len(rows):
        # Raising inside the transaction function rolls the whole chunk back.
        raise LoadError(
            f"{len(rows) - record['linked']} of {len(rows)} {kind} refer to nodes that are "
            "not in the graph (write services, practitioners and children first)"
        )
    return int(record["written"])


def _chunks(rows: Sequence[Row], size: int) -> Iterator[Sequence[Row]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


KINDS: tuple[str, ...] = tuple(kind for kind, _ in _STEPS)
"""The record kinds in the order they are written."""


def write_rows(
    driver: Driver, rows_by_kind: Mapping[str, Sequence[Row]], database: str | None = None
) -> dict[str, int]:
    """Writes rows of each kind in dependency order; returns rows written per kind.

    Every kind in KINDS must be present (an empty list writes nothing), so a misnamed
    kind fails loudly instead of being skipped.
    """
    written: dict[str, int] = {}
    with driver.session(database=database) as session:
        for kind, cypher in _STEPS:
            written[kind] = 0
            for chunk in _chunks(rows_by_kind[kind], CHUNK_ROWS):
                written[kind] += session.execute_write(_write_chunk, kind, cypher, chunk)
    return written


# Deletes in the server's own transactions of 10,000 at a time, so no transaction
# grows with the graph. Relationships go first: a DETACH DELETE batch that happens to
# hold the services would also hold their hundreds of thousands of involvements'
# relationships and overflow the server's transaction memory. The outer (implicit)
# transaction is still subject to the transaction timeout, so each statement takes a
# bounded round ($limit) and wipe() repeats it until a round comes up short.
WIPE_RELATIONSHIPS: LiteralString = """
MATCH ()-[r]->()
WITH r LIMIT $limit
CALL (r) { DELETE r } IN TRANSACTIONS OF 10000 ROWS
"""

WIPE_NODES: LiteralString = """
MATCH (n)
WITH n LIMIT $limit
CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS
"""

_WIPE_ROUND = 200_000


def wipe(driver: Driver, database: str | None = None) -> None:
    """Deletes every node and relationship, but not the schema. For tests.

    Everything goes, :Migration records and the AuditChain head included, while
    constraints and indexes stay: re-apply the migrations afterwards (they are
    idempotent) to restore the data they create.
    """
    with driver.session(database=database) as session:
        for cypher, deleted in (
            (WIPE_RELATIONSHIPS, "relationships_deleted"),
            (WIPE_NODES, "nodes_deleted"),
        ):
            while True:
                # CALL { } IN TRANSACTIONS needs an implicit (auto-commit) transaction.
                query = Query(cypher, timeout=_TX_TIMEOUT_S)
                summary = session.run(query, limit=_WIPE_ROUND).consume()
                if getattr(summary.counters, deleted) < _WIPE_ROUND:
                    break
