"""graphql-http's serverAudits against a real server: only the deliberate GET refusals fail.

Starts `contactgraph serve` on a loopback port (same Neo4j instance as the suite) and
runs bench/http_audit.py's audit, which installs the pinned npm package when missing.
Needs Node and npm, which `./run` installs when they are absent.
"""

from __future__ import annotations

import pytest

from bench import http_audit

pytestmark = pytest.mark.conformance


def test_graphql_http_server_audits_pass_but_for_get(graph) -> None:
    server = http_audit.serve(8063)
    try:
        results = http_audit.run_audit("http://127.0.0.1:8063/graphql")
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert len(results) >= 60
    assert http_audit.unexpected(results) == []
    refused = {r["id"] for r in results if r["status"] != "ok"}
    assert refused <= http_audit.DELIBERATE
