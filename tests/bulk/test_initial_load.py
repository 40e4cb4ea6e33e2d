"""`contactgraph load --initial` makes the graph `contactgraph ingest` makes (issue 21).

The same two feed files (the ingest benchmark's generator, 10,000 mixed records, then a
second source's file that refers to the first one's children by NHS number, matches
some of them, and has records held for review) go into an empty index twice: once with
`contactgraph ingest`, file after file, once with `contactgraph load --initial`. The two
graphs are dumped, every node and relationship with every property and its type, ids
the index generates (children, match reviews) replaced by what they stand for, and
compared. Then a second load is refused, by the database's name, and changes nothing.

A bulk load stops and restarts its Neo4j server, so this test has an instance of its own
(CONTACTGRAPH_BULK_TEST_INSTANCE and _PORT, by default `bulktest` on 7727), never the
suite's shared one.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any, LiteralString

import neo4j
import pytest

from bench.ingest_bench import generate
from graph import load, migrations
from graph.connection import Neo4jTarget, target_from_env
from graph.nhs_number import with_check_digit

REPO = Path(__file__).resolve().parents[2]
CLI = (sys.executable, "-m", "api.cli")
RECORDS = 10_000
LOCAL_AUTHORITIES = [
    {"code": code, "name": f"{code} council", "indexTeamPhone": "01632 960000"}
    for code in ("NBR", "EVL", "SMR", "WFD")
]


@pytest.fixture(scope="module")
def env() -> dict[str, str]:
    return {
        **os.environ,
        "CONTACTGRAPH_NEO4J_INSTANCE": os.environ.get(
            "CONTACTGRAPH_BULK_TEST_INSTANCE", "bulktest"
        ),
        "CONTACTGRAPH_NEO4J_PORT": os.environ.get("CONTACTGRAPH_BULK_TEST_PORT", "7727"),
        "CONTACTGRAPH_NEO4J_HEAP": "1g",
        "CONTACTGRAPH_NEO4J_PAGECACHE": "512m",
        "CONTACTGRAPH_REFERENCE_SOURCES": "refdata",
    }


@pytest.fixture(scope="module")
def target(env: dict[str, str]) -> Neo4jTarget:
    import localneo4j

    saved = os.environ.get("CONTACTGRAPH_NEO4J_PORT")
    os.environ["CONTACTGRAPH_NEO4J_PORT"] = env["CONTACTGRAPH_NEO4J_PORT"]
    try:
        inst = localneo4j.instance(env["CONTACTGRAPH_NEO4J_INSTANCE"])
        localneo4j.install(progress=lambda _: None)
        localneo4j.start(inst)
        return target_from_env(inst.name)
    finally:
        if saved is None:
            os.environ.pop("CONTACTGRAPH_NEO4J_PORT", None)
        else:
            os.environ["CONTACTGRAPH_NEO4J_PORT"] = saved


@contextlib.contextmanager
def _driver(target: Neo4jTarget) -> Iterator[neo4j.Driver]:
    """A driver of its own for each step: one that saw the database before an import
    would wait for a bookmark (a transaction id) the new store never reaches."""
    with neo4j.GraphDatabase.driver(target.uri, auth=target.auth) as driver:
        yield driver


def _count(target: Neo4jTarget, cypher: LiteralString) -> int:
    with _driver(target) as driver:
        return int(driver.execute_query(cypher).records[0]["n"])


def _second_source(path: Path, first: Path, today: date) -> None:
    """A GP system's file: its own practice, children of the first file by NHS number
    (matched: an update, not a new child), a child named twice without an NHS number
    (the third such record is ambiguous: held for review), and involvements."""
    children = []
    with first.open("rb") as handle:
        for line in handle:
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            if obj.get("op") == "UPSERT_CHILD" and "nhsNumber" in obj.get("payload", {}):
                children.append(obj["payload"])
            if len(children) >= 40:
                break
    lines: list[dict[str, Any]] = [
        {
            "sourceRef": "svc-1",
            "op": "UPSERT_SERVICE",
            "payload": {
                "id": "s-gp-bulk",
                "name": "Bulk Surgery",
                "kind": "GP",
                "localAuthority": "NBR",
            },
        },
        {
            "sourceRef": "gp-1",
            "op": "UPSERT_PRACTITIONER",
            "payload": {"id": "p-gp-bulk", "name": "Dr Bulk", "serviceId": "s-gp-bulk"},
        },
    ]
    for n, child in enumerate(children):
        if n % 2 == 0:  # the same child as the GP knows it: matched by NHS number
            moved = {**child, "address": {"line1": f"{n} Surgery Lane", "postcode": "NB2 4GP"}}
            lines.append({"sourceRef": f"reg-{n}", "op": "UPSERT_CHILD", "payload": moved})
        lines.append(
            {
                "sourceRef": f"visit-{n}",
                "op": "START_INVOLVEMENT",
                "payload": {
                    "child": {"nhsNumber": child["nhsNumber"]},
                    "serviceId": "s-gp-bulk",
                    "practitionerId": "p-gp-bulk",
                    "startedOn": (today - timedelta(days=n)).isoformat(),
                    "isLeadProfessional": n % 3 == 0,
                },
            }
        )
    twin = {
        "givenName": "Alex", "familyName": "Bulkington", "dateOfBirth": "2016-05-05",
        "gender": "NOT_KNOWN", "address": {"line1": "1 Twin Road", "postcode": "NB3 3TW"},
        "localAuthority": "NBR",
    }  # fmt: skip
    # One child, then the same details with another NHS number: a conflict, held for
    # review (R15); twin-2 is sent again with the first number: matched, its review closed.
    nhs_a, nhs_b = with_check_digit("999777001"), with_check_digit("999777002")
    for ref, nhs in (("twin-0", nhs_a), ("twin-1", nhs_b), ("twin-2", nhs_b), ("twin-2", nhs_a)):
        payload = {**twin, "nhsNumber": nhs}
        lines.append({"sourceRef": ref, "op": "UPSERT_CHILD", "payload": payload})
    lines.append(
        {"sourceRef": "end-1", "op": "END_INVOLVEMENT",
         "payload": {"involvementRef": "visit-0", "endedOn": today.isoformat()}}
    )  # fmt: skip
    with path.open("w") as out:
        out.writelines(json.dumps(line) + "\n" for line in lines)


@pytest.fixture(scope="module")
def feeds(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("bulk")
    today = date.today()
    reference = folder / "refdata.ndjson"  # a new authority, from a reference-data source
    reference.write_text(
        json.dumps(
            {
                "sourceRef": "la-zzz",
                "op": "UPSERT_LOCAL_AUTHORITY",
                "payload": {
                    "code": "ZZZ",
                    "name": "Zedshire",
                    "indexTeam": {"phone": "01632 960999", "email": "index@zzz.example.org"},
                },
            }
        )
        + "\n"
    )
    first, second = folder / "bench-mis.ndjson", folder / "gp-bulk.ndjson"
    with first.open("wb") as out:
        out.writelines(generate(RECORDS, existing=0, seed=7, today=today))
    _second_source(second, first, today)
    return [reference, first, second]


def _reset(target: Neo4jTarget, env: dict[str, str]) -> None:
    """An empty index: migrations applied, local authorities set up by the index team."""
    with _driver(target) as driver:
        load.wipe(driver)
    _cli(env, "migrate")
    with _driver(target) as driver:
        driver.execute_query(
            "UNWIND $rows AS row CREATE (la:LocalAuthority) SET la = row", rows=LOCAL_AUTHORITIES
        )


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [*CLI, *args], cwd=REPO, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done


_SKIPPED = (
    "Migration", "AuditEvent", "AuditChain", "AuditWriter", "AuditLink", "AuditCheckpoint",
    "AuditMention", "IngestLock", "StatisticsSnapshot",
    # Ingest's writes announce each change (issue 20's outbox); a first load announces
    # nothing: the initial state of an empty index is news to no one (bulk/plan.py).
    "OutboxEvent", "Notification",
)  # fmt: skip
_DUMP_NODES = """
MATCH (n) WHERE NONE(l IN labels(n) WHERE l IN $skipped)
RETURN elementId(n) AS eid, labels(n) AS labels,
  [k IN keys(n) | [k, n[k], valueType(n[k])]] AS props
"""
_DUMP_RELATIONSHIPS = """
MATCH (a)-[r]->(b)
WHERE NONE(l IN labels(a) + labels(b) WHERE l IN $skipped)
RETURN elementId(a) AS a, type(r) AS type, elementId(b) AS b,
  [k IN keys(r) | [k, r[k], valueType(r[k])]] AS props
"""
_TIMES = frozenset({"receivedAt", "closedAt"})


def _dump(target: Neo4jTarget) -> tuple[list[str], list[str]]:
    """Every node and relationship as sorted text, generated ids and timestamps replaced."""
    with _driver(target) as driver:
        # The server's 30 s transaction timeout is for requests, not a dump of the graph.
        nodes = driver.execute_query(neo4j.Query(_DUMP_NODES, timeout=900), skipped=_SKIPPED)
        rels = driver.execute_query(neo4j.Query(_DUMP_RELATIONSHIPS, timeout=900), skipped=_SKIPPED)
    names: dict[str, str] = {}  # generated id -> what it stands for
    for node in nodes.records:
        props = {k: v for k, v, _ in node["props"]}
        if "Child" in node["labels"] or "MatchReview" in node["labels"]:
            kind = "child" if "Child" in node["labels"] else "review"
            names[props["id"]] = f"<{kind} {props['source']}/{props['sourceRef']}>"

    def value(key: str, v: Any, kind: str) -> str:
        if key in _TIMES:
            return f"<time> {kind}"
        if isinstance(v, list):
            v = [names.get(x, x) if isinstance(x, str) else x for x in v]
        elif isinstance(v, str):
            v = names.get(v, v)
        return f"{v!s} {kind}"

    def props_text(props: list[Any]) -> str:
        return ", ".join(f"{k}={value(k, v, t)}" for k, v, t in sorted(props, key=lambda p: p[0]))

    keyed: dict[str, str] = {}
    node_lines = []
    for node in nodes.records:
        text = f"({':'.join(sorted(node['labels']))} {{{props_text(node['props'])}}})"
        props = {k: v for k, v, _ in node["props"]}
        keyed[node["eid"]] = names.get(
            str(props.get("id")), str(props.get("id") or props.get("code"))
        )
        node_lines.append(text)
    rel_lines = [
        f"({keyed[r['a']]})-[{r['type']} {{{props_text(r['props'])}}}]->({keyed[r['b']]})"
        for r in rels.records
    ]
    return sorted(node_lines), sorted(rel_lines)


def _schema(target: Neo4jTarget) -> list[str]:
    """Every constraint and index, by name and definition (not its state or id)."""
    with _driver(target) as driver:
        constraints = driver.execute_query("SHOW CONSTRAINTS YIELD name, type RETURN *")
        indexes = driver.execute_query(
            "SHOW INDEXES YIELD name, type, labelsOrTypes, properties RETURN *"
        )
    return sorted(str(sorted(r.data().items())) for r in [*constraints.records, *indexes.records])


def _diff(a: list[str], b: list[str]) -> list[str]:
    only_a, only_b = sorted(set(a) - set(b)), sorted(set(b) - set(a))
    return [f"ingest only: {x}" for x in only_a[:10]] + [f"load only: {x}" for x in only_b[:10]]


def test_initial_load_makes_the_graph_ingest_makes(
    target: Neo4jTarget, env: dict[str, str], feeds: list[Path]
) -> None:
    _reset(target, env)
    for path in feeds:
        _cli(env, "ingest", str(path), "--quiet")
    ingested_nodes, ingested_rels = _dump(target)
    schema_after_ingest = _schema(target)

    _reset(target, env)
    done = _cli(env, "load", "--initial", *map(str, feeds))
    assert "accepted" in done.stdout
    loaded_nodes, loaded_rels = _dump(target)

    # The files exercise what they should: matching, reviews, ends, both sources.
    text = "\n".join(ingested_nodes)
    assert "(MatchReview {" in text and "status=PENDING" in text and "status=SUPERSEDED" in text
    assert "reg-" in text and "UPSERT_CHILD" in text
    assert "(LocalAuthority {code=ZZZ STRING" in text
    assert len(ingested_nodes) > RECORDS
    assert _diff(ingested_nodes, loaded_nodes) == []
    assert len(ingested_nodes) == len(loaded_nodes)
    assert _diff(ingested_rels, loaded_rels) == []
    assert len(ingested_rels) == len(loaded_rels)

    # The store is the index it replaced: every migration recorded (none will run its data
    # statements over the import), its ingest lock, and every constraint and index.
    with _driver(target) as driver:
        migrated = driver.execute_query("MATCH (m:Migration) RETURN m.id AS id ORDER BY id")
        locks = driver.execute_query("MATCH (l:IngestLock) RETURN l.id AS id")
    assert [r["id"] for r in migrated.records] == [m.id for m in migrations.available()]
    assert [r["id"] for r in locks.records] == ["main"]
    assert _schema(target) == schema_after_ingest

    # One audit event for the load, on an intact chain, and a statistics snapshot.
    with _driver(target) as driver:
        events = driver.execute_query(
            "MATCH (e:AuditEvent) RETURN e.action AS action, e.reason AS reason"
        ).records
        constraints = driver.execute_query("SHOW CONSTRAINTS YIELD name RETURN collect(name) AS n")
    assert [e["action"] for e in events] == ["initial-load"]
    assert "bench-mis.ndjson" in events[0]["reason"]
    verified = _cli(env, "audit", "verify").stdout
    assert "audit chains intact" in verified and " 1 events" in verified
    assert _count(target, "MATCH (s:StatisticsSnapshot) RETURN count(s) AS n") == 1
    assert "feed_record_key" in constraints.records[0]["n"]


def test_a_second_load_is_refused_by_name(
    target: Neo4jTarget, env: dict[str, str], feeds: list[Path]
) -> None:
    """Runs after the load above: the index is not empty any more."""
    children_query: LiteralString = "MATCH (c:Child) RETURN count(c) AS n"
    children = _count(target, children_query)
    if children == 0:  # run alone: make it non-empty the ordinary way
        _reset(target, env)
        _cli(env, "ingest", str(feeds[2]), "--quiet")
        children = _count(target, children_query)
    done = subprocess.run(
        [*CLI, "load", "--initial", str(feeds[1])],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert "database 'neo4j' is not empty" in done.stderr
    assert f"{children:,} Child" in done.stderr
    assert _count(target, children_query) == children
