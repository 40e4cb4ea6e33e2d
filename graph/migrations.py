"""Numbered Cypher migrations, applied in order and recorded in the graph.

Each `graph/migrations/NNNN_name.cypher` file holds statements separated by `;`.
They are written to be idempotent (IF NOT EXISTS, MERGE), and a `:Migration` node
records each one applied, so re-running `contactgraph migrate` does nothing new.

A migration mixes two kinds of statement: schema (constraints and indexes), which a new
store needs whatever its data, and data (SET, MERGE, MATCH ... DELETE), which bring the
data written before the migration to the shape today's code writes. A store made by
`neo4j-admin database import` (contactgraph load --initial) holds data already in that
shape, written by today's planner: it takes the schema statements only (`apply_schema`),
and a data statement run on it would rewrite what it should not (0021 would name the
holder of every imported CAF as its assessor, which ingest never does).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import LiteralString, cast

from neo4j import AsyncManagedTransaction

from graph.database import Graph

__all__ = [
    "Migration", "applied", "apply_all", "apply_schema", "available", "is_schema", "net_schema",
    "pending", "run",
]  # fmt: skip

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.cypher$")

_SCHEMA = re.compile(r"^(CREATE|DROP)\s+(CONSTRAINT|(\w+\s+)?INDEX)\b", re.IGNORECASE)
_NAMED = re.compile(
    r"^(CREATE|DROP)\s+(CONSTRAINT|(?:\w+\s+)?INDEX)\s+(?!(?:IF|FOR|ON)\b)(\w+)", re.IGNORECASE
)
_APPLIED = "MATCH (m:Migration) RETURN m.id AS id ORDER BY id"
_RECORD = "MERGE (m:Migration {id: $id}) ON CREATE SET m.name = $name, m.appliedAt = datetime()"


@dataclass(frozen=True)
class Migration:
    id: str
    name: str
    path: Path

    def statements(self) -> list[str]:
        text = "\n".join(
            line for line in self.path.read_text().splitlines() if not line.strip().startswith("//")
        )
        return [s.strip() for s in text.split(";") if s.strip()]


def is_schema(statement: str) -> bool:
    """A constraint or index statement (CREATE/DROP CONSTRAINT, CREATE/DROP [kind] INDEX)."""
    return _SCHEMA.match(statement.lstrip()) is not None


def available() -> list[Migration]:
    found = []
    for path in sorted(MIGRATIONS_DIR.glob("*.cypher")):
        match = _NAME.match(path.name)
        if match is None:
            raise ValueError(f"migration file name must be NNNN_name.cypher: {path.name}")
        found.append(Migration(match.group(1), match.group(2), path))
    return found


async def applied(graph: Graph) -> set[str]:
    return {record["id"] for record in await graph.read(_APPLIED)}


async def pending(graph: Graph) -> list[Migration]:
    done = await applied(graph)
    return [m for m in available() if m.id not in done]


async def run(graph: Graph, migration: Migration) -> None:
    """Apply one migration's statements, without recording it."""
    for statement in migration.statements():
        # Schema statements cannot share a transaction with data writes; a batched
        # statement (CALL ... IN TRANSACTIONS) needs an auto-commit transaction.
        if "IN TRANSACTIONS" in statement:
            await graph.write_autocommit(cast(LiteralString, statement))
        else:
            await graph.write(cast(LiteralString, statement))


def net_schema(statements: list[str] | None = None) -> tuple[list[str], list[str]]:
    """(indexes, constraints): the CREATE statements of the schema statements given (by
    default every migration's, in order) that those statements leave standing, each in
    the order first created.

    A new store needs the end state, not the history: an index or constraint a later
    migration drops (0011's involvement_source_ref, 0022's audit_event_seq) would be built
    over the imported data only to be thrown away. A DROP of a name no earlier statement
    created drops nothing on a new store. Every schema statement must name what it makes:
    the name is what a drop refers to."""
    standing: dict[str, tuple[bool, str]] = {}  # name: (a constraint?, its statement)
    if statements is None:
        statements = [s for m in available() for s in m.statements() if is_schema(s)]
    for statement in statements:
        match = _NAMED.match(statement.lstrip())
        if match is None:
            raise ValueError(f"a schema statement must name its index or constraint: {statement}")
        verb, kind, name = match.group(1).upper(), match.group(2).upper(), match.group(3)
        if verb == "DROP":
            standing.pop(name, None)
        else:  # IF NOT EXISTS: the first statement of a name is the one that makes it
            standing.setdefault(name, (kind == "CONSTRAINT", statement))
    indexes = [s for constraint, s in standing.values() if not constraint]
    constraints = [s for constraint, s in standing.values() if constraint]
    return indexes, constraints


async def apply_schema(graph: Graph) -> int:
    """The schema the migrations leave standing (`net_schema`), recording nothing; returns
    how many statements ran. The caller waits for the indexes (`CALL db.awaitIndexes`).

    For a store whose data was written in today's shape (see above): what records the
    migrations as applied there is the caller's (graph/initial_load.py puts back the
    records the database held before the import replaced it).

    Over millions of imported nodes how they are sent matters. Indexes created in one
    transaction are populated by one job in one pass over the store, in the background,
    where a statement each starts a job and a pass each. A uniqueness constraint cannot
    be deferred (its statement returns once its index is built and the data checked), so
    the constraints run one by one after the indexes' transaction, while those populate."""
    indexes, constraints = net_schema()

    async def create_indexes(tx: AsyncManagedTransaction) -> None:
        for statement in indexes:
            await (await tx.run(cast(LiteralString, statement))).consume()

    if indexes:
        await graph.write_transaction(create_indexes)
    for statement in constraints:
        await graph.write(cast(LiteralString, statement))
    return len(indexes) + len(constraints)


async def apply_all(graph: Graph, report: object = print) -> list[Migration]:
    ran = []
    for migration in await pending(graph):
        await run(graph, migration)
        await graph.write(_RECORD, id=migration.id, name=migration.name)
        if callable(report):
            report(f"applied migration {migration.id}_{migration.name}")
        ran.append(migration)
    return ran
