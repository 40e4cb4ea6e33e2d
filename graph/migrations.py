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

from graph.database import Graph

__all__ = [
    "Migration", "applied", "apply_all", "apply_schema", "available", "is_schema", "pending", "run",
]  # fmt: skip

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.cypher$")

_SCHEMA = re.compile(r"^(CREATE|DROP)\s+(CONSTRAINT|(\w+\s+)?INDEX)\b", re.IGNORECASE)
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


async def apply_schema(graph: Graph) -> int:
    """Every migration's schema statements, in order, recording nothing; returns how many.

    For a store whose data was written in today's shape (see above): what records the
    migrations as applied there is the caller's (graph/initial_load.py puts back the
    records the database held before the import replaced it)."""
    statements = [s for m in available() for s in m.statements() if is_schema(s)]
    for statement in statements:
        await graph.write(cast(LiteralString, statement))
    return len(statements)


async def apply_all(graph: Graph, report: object = print) -> list[Migration]:
    ran = []
    for migration in await pending(graph):
        await run(graph, migration)
        await graph.write(_RECORD, id=migration.id, name=migration.name)
        if callable(report):
            report(f"applied migration {migration.id}_{migration.name}")
        ran.append(migration)
    return ran
