"""A first load in bulk runs every migration's schema statements and none of its data
statements (graph/migrations.py): which is which must be right for every migration."""

from __future__ import annotations

from graph.migrations import available, is_schema


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
