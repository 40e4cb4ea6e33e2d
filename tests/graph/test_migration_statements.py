"""A first load in bulk runs every migration's schema statements and none of its data
statements (graph/migrations.py): which is which must be right for every migration."""

from __future__ import annotations

import pytest

from graph.migrations import available, is_schema, net_schema


def test_constraint_and_index_statements_are_schema() -> None:
    for statement in (
        "CREATE CONSTRAINT child_id IF NOT EXISTS FOR (n:Child) REQUIRE n.id IS UNIQUE",
        "DROP CONSTRAINT audit_event_seq IF EXISTS",
        "CREATE INDEX child_nhs_number IF NOT EXISTS FOR (n:Child) ON (n.nhsNumber)",
        "create fulltext index child_names IF NOT EXISTS FOR (n:Child) ON EACH [n.givenName]",
        "  DROP INDEX involvement_source_ref IF EXISTS",
        "CREATE TEXT INDEX t IF NOT EXISTS FOR (n:Child) ON (n.postcode)",
    ):
        assert is_schema(statement), statement


def test_data_statements_are_not_schema() -> None:
    for statement in (
        "MERGE (l:IngestLock {id: 'main'})",
        "MATCH (h:AuditChain) DELETE h",
        "CREATE (:AuditMention {childId: 'c'})",
        "CREATE (i:Index {name: 'x'})",
        "MATCH (n:AssessmentNeed) WHERE n.id IS NULL SET n.id = 'need-' + randomUUID()",
    ):
        assert not is_schema(statement), statement


def test_every_migration_statement_is_one_kind_or_the_other_as_its_verb_says() -> None:
    """A schema statement starts with CREATE or DROP and names a constraint or index;
    anything else in a migration changes data (0003, 0005, 0014, 0021, 0022 hold ten)."""
    schema = [s for m in available() for s in m.statements() if is_schema(s)]
    data = [s for m in available() for s in m.statements() if not is_schema(s)]
    assert all(" CONSTRAINT " in f" {s} " or " INDEX " in f" {s} " for s in schema)
    assert all(s.split()[0] in ("MATCH", "MERGE") for s in data)
    assert len(data) >= 10 and len(schema) >= 47


def test_a_new_store_takes_the_schema_the_migrations_leave_standing() -> None:
    """What a first load builds over the import (apply_schema): every index and constraint
    the migrations create and do not drop again, once each, and nothing they drop."""
    statements = [s for m in available() for s in m.statements() if is_schema(s)]
    indexes, constraints = net_schema()
    names = [s.split()[2] for s in [*indexes, *constraints]]
    created = [s.split()[2] for s in statements if s.split()[0] == "CREATE"]
    dropped = {s.split()[2] for s in statements if s.split()[0] == "DROP"}
    assert dropped == {
        "involvement_source_ref",
        "audit_event_seq",
        "audit_mention_child",
        "audit_event_subject_at",
        "audit_mention_child_event",
    }
    assert sorted(names) == sorted(set(created) - dropped)
    assert len(names) == len(set(names))
    assert all(s.split()[1] == "CONSTRAINT" for s in constraints)
    assert all(" INDEX " in f" {s} " and " CONSTRAINT " not in f" {s} " for s in indexes)
    assert "lead_professional_involvement" in names and "feed_record_key" in names


def test_the_net_schema_follows_drops_and_re_creations_in_order() -> None:
    indexes, constraints = net_schema(
        [
            "CREATE INDEX a IF NOT EXISTS FOR (n:X) ON (n.a)",
            "CREATE CONSTRAINT k IF NOT EXISTS FOR (n:X) REQUIRE n.k IS UNIQUE",
            "CREATE TEXT INDEX t IF NOT EXISTS FOR (n:X) ON (n.t)",
            "DROP INDEX a IF EXISTS",
            "DROP CONSTRAINT never_made IF EXISTS",
            "CREATE INDEX a IF NOT EXISTS FOR (n:X) ON (n.a, n.b)",
            "CREATE INDEX t IF NOT EXISTS FOR (n:X) ON (n.other)",
            "drop constraint k if exists",
        ]
    )
    assert indexes == [
        "CREATE TEXT INDEX t IF NOT EXISTS FOR (n:X) ON (n.t)",
        "CREATE INDEX a IF NOT EXISTS FOR (n:X) ON (n.a, n.b)",
    ]
    assert constraints == []


def test_an_unnamed_schema_statement_is_refused() -> None:
    """A drop finds what it drops by name: an unnamed index could not be followed."""
    for statement in (
        "CREATE INDEX FOR (n:X) ON (n.a)",
        "CREATE INDEX IF NOT EXISTS FOR (n:X) ON (n.a)",
    ):
        with pytest.raises(ValueError, match="must name"):
            net_schema([statement])
