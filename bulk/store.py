"""The graph a first load is building, kept on disk in SQLite until it is written as CSV.

A bulk load plans every record exactly as `contactgraph ingest` does (the same planner,
the same facts, the same rows), but the facts come from here instead of from Neo4j and
the rows are applied here instead of by Cypher. Each table mirrors a node label, with
the relationships a node has one of as columns, and every statement of graph/ingest.py
has its equivalent in `apply`, with the same MERGE/SET semantics, so that the CSV
written from these tables at the end makes the graph the Cypher would have made.

Why SQLite (a B-tree on disk with a bounded page cache) rather than dicts or sorted
runs: the facts a record needs are point look-ups into everything loaded before it, in
file order (a `child.ref` three million lines back, every child with the same NHS
number or the same family name and date of birth for matching, the START an END
ends), and each record's outcome changes what the next one sees. Dicts of that for
11 million children do not fit the 1 GB the load may use; sorted runs answer batch
joins, not a stream of dependent look-ups. SQLite's indexes answer each chunk's
look-ups in one query per kind of key, its page cache is capped (`cache_mb`), and the
operating system's file cache, not this process, holds the rest.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import orjson

from feeds.ops import WRITE_KINDS
from graph.feed_writes import ChunkWrites
from graph.feed_writes.feed_record import WRITE_FEED_NEW, WRITE_FEED_UPDATE, FeedRecordRow
from graph.ingest import ChildRow, ChunkFacts, ChunkKeys, KnownRecord

__all__ = ["KeyStore"]

_FEED = (WRITE_FEED_NEW, WRITE_FEED_UPDATE)

_SCHEMA = """
CREATE TABLE feed (source TEXT, ref TEXT, op TEXT, hash TEXT, status TEXT, entity TEXT,
  child TEXT, review TEXT, PRIMARY KEY (source, ref)) WITHOUT ROWID;
CREATE TABLE child (id TEXT PRIMARY KEY, nhs TEXT, fam TEXT, given TEXT, dob TEXT, pc TEXT,
  shielded INTEGER, la TEXT, props BLOB) WITHOUT ROWID;
CREATE INDEX child_nhs ON child (nhs) WHERE nhs IS NOT NULL;
CREATE INDEX child_fam_dob ON child (fam, dob);
CREATE TABLE service (id TEXT PRIMARY KEY, source TEXT, sensitive INTEGER, props BLOB)
  WITHOUT ROWID;
CREATE TABLE practitioner (id TEXT PRIMARY KEY, source TEXT, service TEXT, props BLOB)
  WITHOUT ROWID;
CREATE TABLE carer (id TEXT PRIMARY KEY, props BLOB) WITHOUT ROWID;
CREATE TABLE cares_for (carer TEXT, child TEXT, source TEXT, ref TEXT, props BLOB,
  PRIMARY KEY (carer, child)) WITHOUT ROWID;
CREATE TABLE involvement (id TEXT PRIMARY KEY, child TEXT, service TEXT, practitioner TEXT,
  started TEXT, ended TEXT, props BLOB) WITHOUT ROWID;
CREATE TABLE assessment (id TEXT PRIMARY KEY, child TEXT, holder TEXT, props BLOB)
  WITHOUT ROWID;
CREATE TABLE review (id TEXT PRIMARY KEY, props BLOB, status TEXT, closed INTEGER)
  WITHOUT ROWID;
CREATE TABLE candidate (review TEXT, child TEXT, PRIMARY KEY (review, child)) WITHOUT ROWID;
CREATE TABLE local_authority (code TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE local_authority_row (seq INTEGER PRIMARY KEY, row BLOB);
"""

# Each look-up starts from the chunk's keys (CROSS JOIN fixes that order in SQLite): left
# to itself the planner may scan a whole table once per key.
_CHILD_COLUMNS = "c.id, c.nhs, c.fam, c.given, c.dob, c.pc, c.shielded, c.la"

_RECORDS = f"""
SELECT f.ref, f.op, f.hash, f.status, f.entity, f.child, f.review, {_CHILD_COLUMNS},
  i.id, i.started, i.ended
FROM json_each(?1) AS k
CROSS JOIN feed AS f ON f.source = ?2 AND f.ref = k.value
LEFT JOIN child AS c ON f.op = 'UPSERT_CHILD' AND c.id = f.entity
LEFT JOIN involvement AS i
  ON f.op IN ('START_INVOLVEMENT', 'END_INVOLVEMENT') AND i.id = f.entity
"""
_BY_NHS = (
    f"SELECT {_CHILD_COLUMNS} FROM json_each(?1) AS k CROSS JOIN child AS c ON c.nhs = k.value"
)
_BY_NAME = f"""
SELECT {_CHILD_COLUMNS} FROM json_each(?1) AS k
CROSS JOIN child AS c
  ON c.fam = json_extract(k.value, '$[0]') AND c.dob = json_extract(k.value, '$[1]')
"""
_SERVICES = """
SELECT s.id, s.source, s.sensitive FROM json_each(?1) AS k CROSS JOIN service AS s ON s.id = k.value
"""
_PRACTITIONERS = """
SELECT p.id, p.source, s.id, s.source, s.sensitive FROM json_each(?1) AS k
CROSS JOIN practitioner AS p ON p.id = k.value LEFT JOIN service AS s ON s.id = p.service
"""
_LOCAL_AUTHORITIES = (
    "SELECT la.code FROM json_each(?1) AS k CROSS JOIN local_authority AS la ON la.code = k.value"
)


def _dumps(value: Any) -> bytes:
    return orjson.dumps(value)


def _with_id(row: dict[str, Any]) -> bytes:
    """A row's node properties: `props` and the id its MERGE matched on."""
    return orjson.dumps({**row["props"], "id": row["id"]})


def _keys(values: Iterable[Any]) -> str:
    return orjson.dumps(list(values), default=str).decode()


def _child_row(row: tuple[Any, ...]) -> ChildRow:
    cid, nhs, fam, given, dob, pc, shielded, la = row
    return ChildRow(cid, nhs, fam, given, date.fromisoformat(dob), pc, bool(shielded), la)


class KeyStore:
    """One SQLite file in a work folder; `facts` and `apply` stand in for Neo4j."""

    def __init__(self, path: Path, cache_mb: int = 256) -> None:
        path.unlink(missing_ok=True)
        self.path = path
        #: Involvement writes in file order: LEADS_FROM_FLAGS replays the feed's lead flags
        #: in it, so a child whose lead two STARTs name ends as ingest leaves it.
        self.lead_seq = 0
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        # A crash loses the load, not data: the graph is written from here only at the end.
        for pragma in (
            "journal_mode = OFF",
            "synchronous = OFF",
            "temp_store = MEMORY",
            f"cache_size = -{cache_mb * 1024}",
            "locking_mode = EXCLUSIVE",
        ):
            self.db.execute(f"PRAGMA {pragma}")
        self.db.executescript(_SCHEMA)

    def close(self) -> None:
        self.db.close()

    def add_local_authorities(self, codes: Iterable[str]) -> None:
        self.db.executemany(
            "INSERT OR IGNORE INTO local_authority VALUES (?)", [(c,) for c in codes]
        )

    # --- Facts: graph/ingest.py LOOKUP, answered from the tables -----------------------

    def facts(self, source: str, keys: ChunkKeys) -> ChunkFacts:
        q = self.db.execute
        records: dict[str, KnownRecord] = {}
        for row in q(_RECORDS, (_keys(keys.source_refs), source)):
            ref, op, hsh, status, entity, child_id, review = row[:7]
            child = _child_row(row[7:15]) if row[7] is not None else None
            inv_id, started, ended = row[15:18]
            if op == "UPSERT_CHILD":
                exists = child is not None
            elif op in ("START_INVOLVEMENT", "END_INVOLVEMENT"):
                exists = inv_id is not None
            else:
                exists = True
            records[ref] = KnownRecord(
                ref, op, hsh, status or "ACCEPTED", entity, child_id, review, exists, child,
                date.fromisoformat(started) if started else None,
                date.fromisoformat(ended) if ended else None,
            )  # fmt: skip
        children = [_child_row(r) for r in q(_BY_NHS, (_keys(keys.nhs_numbers),))]
        names = _keys([f, b.isoformat()] for f, b in keys.name_births)
        children += [_child_row(r) for r in q(_BY_NAME, (names,))]
        services: dict[str, str | None] = {}
        sensitive: set[str] = set()
        practitioners: dict[str, tuple[str | None, str | None]] = {}
        for pid, owner, sid, service_owner, flag in q(
            _PRACTITIONERS, (_keys(keys.practitioner_ids),)
        ):
            practitioners[pid] = (owner, sid)
            if sid is not None:
                services[sid] = service_owner
                if flag:
                    sensitive.add(sid)
        for sid, owner, flag in q(_SERVICES, (_keys(keys.service_ids),)):
            services[sid] = owner
            if flag:
                sensitive.add(sid)
        las = {code for (code,) in q(_LOCAL_AUTHORITIES, (_keys(keys.local_authorities),))}
        return ChunkFacts(records, children, services, practitioners, las, frozenset(sensitive))

    # --- Writes: each statement of graph/ingest.py, same semantics ----------------------

    def _next_seq(self) -> int:
        self.lead_seq += 1
        return self.lead_seq

    def apply(self, writes: ChunkWrites) -> None:
        """One chunk's rows, in graph/ingest.py's statement order, in one transaction."""
        db = self.db
        db.execute("BEGIN")
        try:
            self._apply(
                {k.name: [r.params() for r in writes.of(k)] for k in WRITE_KINDS if k not in _FEED}
            )
            self._apply_feed([*writes.of(WRITE_FEED_NEW), *writes.of(WRITE_FEED_UPDATE)])
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def _apply(self, w: dict[str, list[dict[str, Any]]]) -> None:
        many = self.db.executemany
        if w["local_authorities"]:
            # Written after the import by their own statement (bulk/plan.py); known now.
            many(
                "INSERT INTO local_authority_row (row) VALUES (?)",
                [(_dumps(r),) for r in w["local_authorities"]],
            )
            self.add_local_authorities(r["code"] for r in w["local_authorities"])
        if w["services"]:
            # MERGE + SET s += props: the props name every key a service has.
            many(
                "INSERT OR REPLACE INTO service VALUES (?, ?, ?, ?)",
                [
                    (r["id"], r["props"]["source"], r["props"]["sensitive"], _with_id(r))
                    for r in w["services"]
                ],
            )
        if w["practitioners"]:
            # MERGE + SET p += props; WORKS_FOR moves to the service named.
            many(
                "INSERT OR REPLACE INTO practitioner VALUES (?, ?, ?, ?)",
                [
                    (r["id"], r["props"]["source"], r["serviceId"], _with_id(r))
                    for r in w["practitioners"]
                ],
            )
        if w["children_new"]:
            many(
                "INSERT INTO child VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [_child_values(r) for r in w["children_new"]],
            )
        for r in w["children_update"]:  # SET c += props (a part: whereabouts may be kept)
            (blob,) = self.db.execute("SELECT props FROM child WHERE id = ?", (r["id"],)).fetchone()
            props = orjson.loads(blob)
            props.update(orjson.loads(_dumps(r["props"])))
            self.db.execute(
                "REPLACE INTO child VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", _child_values(props)
            )
        for r in w["carers"]:
            rel = r["rel"]
            self.db.execute("INSERT OR REPLACE INTO carer VALUES (?, ?)", (r["id"], _with_id(r)))
            # The CARES_FOR this record made before, to another child, goes.
            self.db.execute(
                "DELETE FROM cares_for WHERE carer = ? AND source = ? AND ref = ? AND child <> ?",
                (r["id"], rel["source"], rel["sourceRef"], r["childId"]),
            )
            self.db.execute(
                "INSERT OR REPLACE INTO cares_for VALUES (?, ?, ?, ?, ?)",
                (r["id"], r["childId"], rel["source"], rel["sourceRef"], _dumps(rel)),
            )
        if w["involvements_new"]:
            many(
                "INSERT INTO involvement VALUES (?, ?, ?, ?, ?, NULL, ?)",
                [
                    (
                        r["props"]["id"], r["childId"], r["serviceId"], r["practitionerId"],
                        r["props"]["startedOn"].isoformat(),
                        _dumps({**r["props"], "isLeadProfessional": r["lead"],
                                "leadSeq": self._next_seq()}),
                    )
                    for r in w["involvements_new"]
                ],
            )  # fmt: skip
        if w["involvements_update"]:
            # SET i += props (never endedOn, kept in its own column); OF, AT, BY move.
            many(
                "UPDATE involvement SET child = ?, service = ?, practitioner = ?, started = ?, "
                "props = ? WHERE id = ?",
                [
                    (
                        r["childId"], r["serviceId"], r["practitionerId"],
                        r["props"]["startedOn"].isoformat(),
                        _dumps({**r["props"], "id": r["id"], "isLeadProfessional": r["lead"],
                                "leadSeq": self._next_seq()}),
                        r["id"],
                    )
                    for r in w["involvements_update"]
                ],
            )  # fmt: skip
        if w["ends"]:
            many(
                "UPDATE involvement SET ended = ? WHERE id = ?",
                [(r["endedOn"].isoformat(), r["id"]) for r in w["ends"]],
            )
        if w["assessments"]:
            many(
                "INSERT OR REPLACE INTO assessment VALUES (?, ?, ?, ?)",
                [(r["id"], r["childId"], r["holderId"], _with_id(r)) for r in w["assessments"]],
            )
        for r in w["reviews"]:
            self.db.execute(
                "INSERT INTO review VALUES (?1, ?2, ?3, 0) "
                "ON CONFLICT (id) DO UPDATE SET props = ?2, status = ?3",
                (r["id"], _with_id(r), r["props"]["status"]),
            )
            self.db.execute("DELETE FROM candidate WHERE review = ?", (r["id"],))
            many(
                "INSERT OR IGNORE INTO candidate VALUES (?, ?)",
                [(r["id"], c) for c in r["candidateIds"]],
            )
        if w["reviews_closed"]:
            many(
                "UPDATE review SET status = ?, closed = 1 WHERE id = ?",
                [(r["status"], r["id"]) for r in w["reviews_closed"]],
            )

    def _apply_feed(self, rows: list[FeedRecordRow]) -> None:
        """The FeedRecords, last as in graph/ingest.py: one in two rows of a feed, so
        read from the row's fields rather than through a `params()` dict each."""
        if rows:
            self.db.executemany(
                "INSERT OR REPLACE INTO feed VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        r.source, r.source_ref, r.op, r.payload_hash, r.status, r.entity_id,
                        r.child_id, r.review_id,
                    )
                    for r in rows
                ],
            )  # fmt: skip

    # --- Reading the tables back, for the CSV ---------------------------------------------

    def rows(self, sql: str) -> Iterator[tuple[Any, ...]]:
        cursor = self.db.execute(sql)
        while batch := cursor.fetchmany(10_000):
            yield from batch

    def local_authority_rows(self) -> list[dict[str, Any]]:
        """UPSERT_LOCAL_AUTHORITY rows in file order, for their statement after the import."""
        return [orjson.loads(r) for (r,) in self.rows("SELECT row FROM local_authority_row")]

    def count(self, table: str) -> int:
        (n,) = self.db.execute(f"SELECT count(*) FROM {table}").fetchone()
        return int(n)


def _child_values(props: dict[str, Any]) -> tuple[Any, ...]:
    born = props["dateOfBirth"]
    return (
        props["id"],
        props.get("nhsNumber"),
        props["familyNameKey"],
        props["givenNameKey"],
        born if isinstance(born, str) else born.isoformat(),
        props.get("postcodeKey"),
        bool(props.get("shielded")),
        props.get("localAuthority"),
        _dumps(props),
    )
