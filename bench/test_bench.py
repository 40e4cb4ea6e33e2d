"""Tests of the harness itself (no Neo4j needed): run with
`.local/venv/bin/python -m pytest bench/test_bench.py -q -p no:cacheprovider`.

The load generator is the part whose mistakes would silently flatter a system: these
tests prove that it counts an answer as served only when it is a 200 without GraphQL
errors that contains the requested child, and that it refuses to leave loopback.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from bench import report
from bench.run.pyspy import summarise_profile
from bench.workloads import Endpoint, requests_for

LOADGEN_SRC = Path(__file__).resolve().parent / "loadgen"


@pytest.fixture(scope="module")
def loadgen(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("go") is None:
        pytest.fail("Go is needed to build the load generator")
    binary = tmp_path_factory.mktemp("loadgen") / "loadgen"
    subprocess.run(
        ["go", "build", "-o", str(binary), "."],
        cwd=LOADGEN_SRC,
        check=True,
        env={**os.environ, "GOPROXY": "off", "GOFLAGS": "-mod=mod"},
        timeout=300,
    )
    return binary


class _Handler(BaseHTTPRequestHandler):
    """Answers like the servers under test do, right and wrong."""

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length", 0))
        self.rfile.read(length)
        answers = {
            "/ok": (200, {"data": {"child": {"id": "c-1"}}, "extensions": {"cypherRoundTrips": 1}}),
            "/errors": (200, {"data": None, "errors": [{"message": "no"}]}),
            "/status": (500, {"data": {"child": {"id": "c-1"}}}),
            "/other-child": (200, {"data": {"child": {"id": "c-2"}}}),
        }
        status, body = answers[self.path]
        payload = json.dumps(body, separators=(",", ":")).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def fake_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


def _run(loadgen: Path, spec: dict[str, Any], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(spec))
    return subprocess.run(
        [str(loadgen), "-spec", str(path)], capture_output=True, text=True, timeout=60, check=False
    )


def test_only_a_200_without_errors_naming_the_child_counts(
    loadgen: Path, fake_server: str, tmp_path: Path
) -> None:
    expect = '"id":"c-1"'
    spec = {
        "name": "t",
        "requests": [
            {"url": f"{fake_server}{path}", "body": "{}", "expect": expect}
            for path in ("/ok", "/errors", "/status", "/other-child")
        ],
        "concurrency": 1,
        "warmup_s": 0,
        "duration_s": 1.0,
        "timeout_s": 5,
    }
    done = _run(loadgen, spec, tmp_path)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    kinds = result["error_kinds"]
    assert result["ok"] > 0
    # One client cycling through four requests: each kind a quarter of the answers.
    for kind in ("graphql_errors", "status_500", "missing_expected"):
        assert abs(kinds[kind] - result["ok"]) <= 1, kinds
    assert result["errors"] == sum(kinds.values())
    assert result["count"] == result["ok"] + result["errors"]
    assert result["round_trips_mean"] == 1.0
    assert result["rps"] == pytest.approx(result["ok"] / result["duration_s"])
    assert 0 < result["p50_ms"] <= result["p95_ms"] <= result["p99_ms"] <= result["max_ms"]


def test_requests_are_bounded(loadgen: Path, fake_server: str, tmp_path: Path) -> None:
    spec = {
        "requests": [{"url": f"{fake_server}/ok", "body": "{}", "expect": '"c-1"'}],
        "concurrency": 2,
        "warmup_s": 0,
        "duration_s": 30,
        "max_requests": 50,
    }
    done = _run(loadgen, spec, tmp_path)
    result = json.loads(done.stdout)
    assert result["stopped_by"] == "max_requests"
    assert result["count"] <= 50
    assert result["completed"] <= 50


@pytest.mark.parametrize(
    "url", ["http://10.1.2.3:8100/graphql", "http://example.org/graphql", "https://127.0.0.1/x"]
)
def test_the_load_generator_refuses_to_leave_loopback(
    loadgen: Path, tmp_path: Path, url: str
) -> None:
    spec = {"requests": [{"url": url, "body": "{}"}], "duration_s": 1}
    done = _run(loadgen, spec, tmp_path)
    assert done.returncode == 2
    assert done.stdout == ""


def test_the_mix_is_nine_profiles_to_one_search() -> None:
    children = [
        {"id": f"c-{n}", "familyName": "O'Brien", "dateOfBirth": "2015-01-02"} for n in range(40)
    ]
    for system in ("raw", "neo4j-graphql", "contactgraph"):
        requests = requests_for(
            Endpoint(system, "http://127.0.0.1:1"), "mix", children, date.today()
        )
        searches = [r for r in requests if "Search" in r["body"] or r["url"].endswith("/search")]
        assert len(searches) == 4
        assert all(r["expect"] == f'"id":"c-{n}"' for n, r in enumerate(requests))
    (ngql,) = requests_for(
        Endpoint("neo4j-graphql", "http://127.0.0.1:1"), "search", children[:1], date.today()
    )
    assert json.loads(ngql["body"])["variables"]["familyNameKey"] == "obrien"


def test_ratios_and_targets_come_from_the_same_rows() -> None:
    rows = [
        {"system": "contactgraph", "workload": "profile", "concurrency": 8, "rps": 600.0,
         "p50_ms": 9.0, "p95_ms": 20.0},
        {"system": "neo4j-graphql", "workload": "profile", "concurrency": 8, "rps": 300.0,
         "p50_ms": 20.0, "p95_ms": 40.0},
        {"system": "raw", "workload": "profile", "concurrency": 8, "rps": 900.0,
         "p50_ms": 6.0, "p95_ms": 12.0},
        {"system": "contactgraph", "workload": "profile", "concurrency": 32, "rps": 1.0,
         "p50_ms": 900.0, "p95_ms": 999.0},
    ]  # fmt: skip
    ratios = report.ratios(rows)
    assert ratios["contactgraph_over_neo4j_graphql_rps_profile_c8"] == 2.0
    assert ratios["contactgraph_over_raw_p50_profile_c8"] == 1.5
    met = {t["target"]: t["met"] for t in report.targets(ratios)}
    assert all(met.values()), met
    slower = report.targets(report.ratios([{**rows[0], "p95_ms": 25.0}, *rows[1:]]))
    assert [t["met"] for t in slower] == [True, True, False, True]
    assert all(t["met"] is None for t in report.targets(report.ratios([])))


def test_profile_summary_counts_self_and_inclusive_time(tmp_path: Path) -> None:
    path = tmp_path / "profile.txt"
    path.write_text(
        "main (a.py:1);read (graph/database.py:10);send (x.py:3) 30\n"
        "main (a.py:1);read (graph/database.py:12) 10\n"
        "main (a.py:1);verify (api/auth.py:5) 60\n"
    )
    summary = summarise_profile(path)
    assert summary["samples"] == 100
    assert dict(map(tuple, summary["self_percent"])) == {
        "verify (api/auth.py)": 60.0,
        "send (x.py)": 30.0,
        "read (graph/database.py)": 10.0,
    }
    assert dict(map(tuple, summary["inclusive_percent"]))["read (graph/database.py)"] == 40.0


def _batches(**rows: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    from bench.write_floor import _NAMES

    return [rows.get(name, []) for name in _NAMES]


def test_write_floor_variants_drop_only_what_they_say() -> None:
    """The floor's variants must not flatter a design by dropping rows it would still write."""
    from bench.write_floor import _NAMES, VARIANTS

    child = {"id": "c-1", "source": "s", "sourceRef": "ch-1"}
    start = {"childId": "c-1", "props": {"id": "i-1", "source": "s", "sourceRef": "st-1"}}
    end = {"id": "i-1", "endedOn": "2026-01-01"}
    feed = [
        {"sourceRef": "ch-1", "op": "UPSERT_CHILD", "payloadHash": "h1"},
        {"sourceRef": "st-1", "op": "START_INVOLVEMENT", "payloadHash": "h2"},
        {"sourceRef": "en-1", "op": "END_INVOLVEMENT", "payloadHash": "h3"},
    ]
    sent = _batches(children_new=[child], involvements_new=[start], ends=[end], feed_new=feed)

    def named(batches: list[list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
        return {n: rows for n, rows in zip(_NAMES, batches, strict=True) if rows}

    assert named(VARIANTS["as-sent"](sent)) == named(sent)
    assert named(VARIANTS["entities"](sent)) == {
        "children_new": [child], "involvements_new": [start], "ends": [end]
    }  # fmt: skip
    assert named(VARIANTS["feed-records"](sent)) == {"feed_new": feed}
    folded = named(VARIANTS["folded"](sent))
    # The END updates an entity another record created: its FeedRecord stays.
    assert folded["feed_new"] == [feed[2]]
    assert folded["children_new"] == [dict(child, payloadHash="h1")]
    assert folded["involvements_new"][0]["props"]["payloadHash"] == "h2"
    assert folded["ends"] == [end]


def test_workers_summary_sets_two_workers_against_one() -> None:
    from bench.workers_bench import summary

    def row(system: str, c: int, rps: float, p50: float, cores: float) -> dict[str, Any]:
        return {
            "system": system,
            "concurrency": c,
            "rps": rps,
            "p50_ms": p50,
            "p95_ms": 2 * p50,
            "server_cores": cores,
            "neo4j_cores": 0.5,
        }

    rows = [
        row("raw", 1, 500, 2.0, 0.3),
        row("contactgraph", 1, 250, 4.0, 0.5),
        row("contactgraph-2w", 1, 240, 4.2, 0.5),
        row("raw", 8, 900, 8.0, 0.6),
        row("contactgraph", 8, 400, 20.0, 1.0),
        row("contactgraph-2w", 8, 600, 13.0, 1.5),
    ]
    out = summary(rows, [1, 8])
    assert out["p50_1_client_over_raw"] == {"contactgraph": 2.0, "contactgraph-2w": 2.1}
    assert out["c8"]["rps_2w_over_1w"] == 1.5
    assert out["c8"]["server_cpu_ms_per_request_1w_2w"] == [2.5, 2.5]


def test_a_store_snapshot_puts_back_the_database_and_leaves_system(tmp_path: Path) -> None:
    from bench.store_snapshot import _copy

    data, snapshot = tmp_path / "data", tmp_path / "snapshot"
    for part, text in (
        ("databases/neo4j/neostore", "seeded"),
        ("transactions/neo4j/neostore.transaction.db.0", "log 0"),
        ("databases/system/neostore", "users"),
    ):
        (data / part).parent.mkdir(parents=True, exist_ok=True)
        (data / part).write_text(text)
    _copy(data, snapshot)
    assert not (snapshot / "databases/system").exists()
    # A run writes to the store and adds a log file; the system database changes too.
    (data / "databases/neo4j/neostore").write_text("after a run")
    (data / "transactions/neo4j/neostore.transaction.db.1").write_text("log 1")
    (data / "databases/system/neostore").write_text("users, changed")
    _copy(snapshot, data)
    assert (data / "databases/neo4j/neostore").read_text() == "seeded"
    assert sorted(p.name for p in (data / "transactions/neo4j").iterdir()) == [
        "neostore.transaction.db.0"
    ]
    assert (data / "databases/system/neostore").read_text() == "users, changed"
