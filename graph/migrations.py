"""Numbered Cypher migrations, applied in order and recorded in the graph.

Each `graph/migrations/NNNN_name.cypher` file holds statements separated by `;`.
They are written to be idempotent (IF NOT EXISTS, MERGE), and a `:Migration` node
records each one applied, so re-running `contactgraph migrate` does nothing new.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import LiteralString, cast

from graph.database import Graph

__all__ = ["Migration", "applied", "apply_all", "available", "pending", "run"]

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.cypher$")

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


async def apply_all(graph: Graph, report: object = print) -> list[Migration]:
    ran = []
    for migration in await pending(graph):
        await run(graph, migration)
        await graph.write(_RECORD, id=migration.id, name=migration.name)
        if callable(report):
            report(f"applied migration {migration.id}_{migration.name}")
        ran.append(migration)
    return ran
