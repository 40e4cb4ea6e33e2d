"""The committed `schema.graphql` is current, and the live schema keeps the contract.

No Neo4j needed: both read the schema as the code builds it.
"""

from __future__ import annotations

from pathlib import Path

from graphql import build_schema, find_breaking_changes

from api.commands_schema import SCHEMA_FILE, schema_sdl
from api.settings import ROOT

CONTRACT = Path(ROOT) / ".." / "shared" / "design" / "contract.graphql"


def test_schema_file_is_current() -> None:
    assert SCHEMA_FILE.read_text() == schema_sdl(), (
        "schema.graphql is stale: run `python -m api.cli schema print` and commit it"
    )


def test_live_schema_breaks_nothing_in_the_published_contract() -> None:
    contract = build_schema(CONTRACT.read_text())
    live = build_schema(schema_sdl())
    breaking = find_breaking_changes(contract, live)
    assert breaking == [], "\n".join(f"{c.type.name}: {c.description}" for c in breaking)
