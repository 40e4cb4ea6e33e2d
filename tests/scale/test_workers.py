"""Issue 17: several API processes on one Neo4j, as an operator runs them.

Real `contactgraph serve` processes over HTTP, 8 clients, mixed reads and mutations:
no request fails for want of the audit chain, every answered request has exactly one
event, and `audit verify` passes, also after a worker is killed with SIGKILL mid-load.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import neo4j
import pytest

from api.devkeys import issue_token
from graph.audit import verify_audit
from graph.database import Graph
from policies.viewer import Role
from tests.api.consent_support import RECORD_CONSENT, consent_input, fresh_family
from tests.queries import CHILD_PROFILE, SEARCH

__all__ = ["fresh_family"]  # the fixture, used below by name

REPO = Path(__file__).resolve().parents[2]
CLIENTS = 8
REQUESTS = 2000
# Reads of profiles, a search, and consents recorded (write transactions that take the
# child's lock), for Hannah and for Jack: a fifth of the requests are mutations.
MIX: list[tuple[str, dict[str, Any]]] = [
    (CHILD_PROFILE, {"id": "c-hannah"}),
    (SEARCH, {"input": {"childId": "c-hannah"}}),
    (RECORD_CONSENT, {"input": consent_input()}),
    (CHILD_PROFILE, {"id": "c-jack"}),
    (CHILD_PROFILE, {"id": "c-ellie"}),
    (CHILD_PROFILE, {"id": "c-hannah"}),
    (SEARCH, {"input": {"childId": "c-jack"}}),
    (RECORD_CONSENT, {"input": consent_input(childId="c-jack")}),
    (CHILD_PROFILE, {"id": "c-jack"}),
    (CHILD_PROFILE, {"id": "c-ellie"}),
]


def _free_port(taken: set[int]) -> int:
    """A port in CONTACTGRAPH_TEST_PORT_BASE .. +19 when set, else one the kernel picks."""
    base = os.environ.get("CONTACTGRAPH_TEST_PORT_BASE")
    candidates = range(int(base), int(base) + 20) if base else [0] * 20
    for candidate in candidates:
        if candidate in taken:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", candidate))
            except OSError:
                continue
            port = int(sock.getsockname()[1])
        if port not in taken:
            taken.add(port)
            return port
    raise RuntimeError("no free port for an API process")


@contextlib.contextmanager
def _serving(ports: list[int], workers: int | None = None) -> Iterator[list[subprocess.Popen]]:
    """`contactgraph serve` on each port; stopped with SIGTERM (closing their chains)."""
    # Timeouts well above the defaults: on a shared 2-core machine a consent can wait
    # seconds for its child's lock behind the others, and this test is about failures
    # the audit chains could cause, not about latency.
    env = dict(
        os.environ,
        CONTACTGRAPH_RATE_LIMIT=str(10**12),
        CONTACTGRAPH_AUDIT_CHECKPOINT="0.5",
        CONTACTGRAPH_GRAPHIQL="0",
        CONTACTGRAPH_QUERY_TIMEOUT="60",
        CONTACTGRAPH_REQUEST_TIMEOUT="90",
    )
    procs: list[subprocess.Popen] = []
    with tempfile.TemporaryFile() as logs:
        try:
            for port in ports:
                cmd = [sys.executable, "-m", "api.cli", "serve", "--port", str(port)]
                if workers:
                    cmd += ["--workers", str(workers)]
                procs.append(subprocess.Popen(cmd, cwd=REPO, env=env, stdout=logs, stderr=logs))
            for port, proc in zip(ports, procs, strict=True):
                _wait_ready(port, proc)
            yield procs
        finally:
            for proc in procs:
                proc.send_signal(signal.SIGTERM)
            for proc in procs:
                try:
                    proc.wait(60)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            logs.seek(0)
            problems = [line for line in logs.read().decode().splitlines() if "error" in line]
            print("\n".join(problems[-20:]))  # shown by pytest when the test fails


def _wait_ready(port: int, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"the API process on {port} exited with {proc.returncode}"
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                return
        time.sleep(0.3)
    raise AssertionError(f"the API process on {port} never became ready")


def _workers_of(supervisor: int) -> list[int]:
    """The uvicorn worker processes (spawned children, not the resource tracker)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            if ppid == supervisor and b"spawn_main" in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
    return found


@dataclass
class Load:
    """What each request got: an answer, or a dropped connection."""

    answered: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    dropped: list[str] = field(default_factory=list)
    progress: asyncio.Event = field(default_factory=asyncio.Event)
    answered_after_kill: int = 0
    killed: bool = False


async def _run_load(urls: list[str], token: str, load: Load, kill_after: int | None) -> None:
    per_client = REQUESTS // CLIENTS

    async def client(i: int) -> None:
        http = httpx.AsyncClient(base_url=urls[i % len(urls)], timeout=120)
        try:
            for k in range(per_client):
                query, variables = MIX[(i + k) % len(MIX)]
                request_id = f"scale-{uuid.uuid4().hex}"
                headers = {
                    "Authorization": f"Bearer {token}",
                    "X-Purpose": "scale test",
                    "X-Request-Id": request_id,
                }
                try:
                    response = await http.post(
                        "/graphql", json={"query": query, "variables": variables}, headers=headers
                    )
                except httpx.TransportError:
                    # The worker holding this connection died: the request failed cleanly
                    # (no answer at all); carry on over a new connection.
                    load.dropped.append(request_id)
                    await http.aclose()
                    http = httpx.AsyncClient(base_url=urls[i % len(urls)], timeout=120)
                    continue
                load.answered[request_id] = (response.status_code, response.json())
                load.answered_after_kill += load.killed
                if kill_after is not None and len(load.answered) >= kill_after:
                    load.progress.set()
                if k % 25 == 24:  # new connections now and then, spread over the workers
                    await http.aclose()
                    http = httpx.AsyncClient(base_url=urls[i % len(urls)], timeout=120)
        finally:
            await http.aclose()

    await asyncio.gather(*(client(i) for i in range(CLIENTS)))


def _events_by_request(driver: neo4j.Driver, request_ids: list[str]) -> dict[str, list[str]]:
    records, _, _ = driver.execute_query(
        # The client's X-Request-Id is kept as clientRequestId (requestId is the server's).
        "MATCH (a:AuditEvent) WHERE a.clientRequestId IN $ids "
        "RETURN a.clientRequestId AS rid, collect(a.writer) AS writers",
        ids=request_ids,
    )
    return {r["rid"]: list(r["writers"]) for r in records}


@pytest.fixture
def token(settings: Any) -> str:
    return issue_token(
        settings,
        [Role.PRACTITIONER],
        practitioner_id="p-melanie",
        local_authority="NBR",
        subject=f"scale-{uuid.uuid4().hex[:8]}",
    )


def _assert_all_ok(load: Load) -> None:
    for request_id, (status, body) in load.answered.items():
        assert status == 200 and "errors" not in body, (request_id, status, body)


async def test_four_processes_eight_clients_no_failures_one_event_each(
    graph: Graph, sync_driver: neo4j.Driver, token: str, fresh_family: Any
) -> None:
    taken: set[int] = set()
    ports = [_free_port(taken) for _ in range(4)]
    load = Load()
    with _serving(ports):
        await _run_load([f"http://127.0.0.1:{p}" for p in ports], token, load, None)
    assert not load.dropped
    assert len(load.answered) == REQUESTS
    _assert_all_ok(load)
    events = _events_by_request(sync_driver, list(load.answered))
    assert {rid: len(w) for rid, w in events.items()} == dict.fromkeys(load.answered, 1)
    assert len({w[0] for w in events.values()}) == 4  # one chain per process
    report = await verify_audit(graph)
    assert report.ok, report.broken
    writers = {w[0] for w in events.values()}
    assert all(c.closed for c in report.chains if c.writer in writers)


async def test_a_worker_killed_mid_load_loses_no_answered_event(
    graph: Graph, sync_driver: neo4j.Driver, token: str, fresh_family: Any
) -> None:
    port = _free_port(set())
    load = Load()
    with _serving([port], workers=4) as (supervisor,):
        workers = _workers_of(supervisor.pid)
        assert len(workers) == 4, workers
        victim = workers[0]

        async def kill() -> None:
            await load.progress.wait()
            os.kill(victim, signal.SIGKILL)
            load.killed = True

        killer = asyncio.create_task(kill())
        await _run_load([f"http://127.0.0.1:{port}"], token, load, kill_after=REQUESTS // 3)
        await killer
    assert len(load.answered) + len(load.dropped) == REQUESTS
    assert load.answered_after_kill > REQUESTS // 2  # the other workers kept serving
    _assert_all_ok(load)
    events = _events_by_request(sync_driver, list(load.answered) + load.dropped)
    # Every answered request's event is durable; a dropped one left at most one.
    assert all(len(events.get(rid, ())) == 1 for rid in load.answered)
    assert all(len(events.get(rid, ())) <= 1 for rid in load.dropped)
    report = await verify_audit(graph)
    assert report.ok, report.broken
    (dead,) = [c for c in report.chains if f"-{victim}-api-" in c.writer]
    assert dead.ok and not dead.closed and dead.links > 0
