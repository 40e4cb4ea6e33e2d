"""GraphQL-over-HTTP conformance: graphql-http's `serverAudits` against ContactGraph.

    .local/venv/bin/python -m bench.http_audit                 # starts its own server
    .local/venv/bin/python -m bench.http_audit --url http://127.0.0.1:8000/graphql

Installs the pinned npm package (bench/graphql-http/package-lock.json, `npm ci` into its
ignored node_modules) when missing, serves the API on loopback unless --url is given
(the local Neo4j instance named by CONTACTGRAPH_NEO4J_INSTANCE must be running), sends
every audit with a development bearer token and X-Purpose, prints each audit that is
not ok and the counts. Exits 1 when anything but the deliberate GET refusals fails:
ContactGraph answers only POST, because a GET puts the query, its variables (a child's
name and date of birth) and the purpose into URLs that proxies and access logs keep.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from api.devkeys import issue_token
from api.settings import load_settings
from policies.viewer import Role

__all__ = ["DELIBERATE", "main", "run_audit"]

PACKAGE = Path(__file__).resolve().parent / "graphql-http"
ROOT = PACKAGE.parent.parent
VERSION = json.loads((PACKAGE / "package.json").read_text())["dependencies"]["graphql-http"]

# Audits that fail only because GET is refused on purpose (see the module docstring).
DELIBERATE = frozenset(
    {
        "5A70",  # MAY accept application/x-www-form-urlencoded formatted GET requests
        "D6D5",  # MAY allow URL-encoded JSON {variables} in GETs (graphql-response+json)
        "6A70",  # MAY allow URL-encoded JSON {variables} in GETs (application/json)
    }
)


def install() -> None:
    if (PACKAGE / "node_modules" / "graphql-http").is_dir():
        return
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        raise SystemExit("the graphql-http audit needs Node 18+ and npm on PATH")
    subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=PACKAGE, check=True, timeout=600)


def _free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def serve(port: int) -> subprocess.Popen[bytes]:
    if not _free(port):
        raise SystemExit(f"port {port} is in use")
    log = tempfile.TemporaryFile()  # noqa: SIM115 (kept open while the server runs)
    server = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "serve", "--port", str(port)],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            log.seek(0)
            tail = log.read()[-2000:].decode(errors="replace")
            raise SystemExit(f"the server exited before it listened:\n{tail}")
        if not _free(port):
            return server
        time.sleep(0.2)
    server.terminate()
    raise SystemExit("the server did not listen within a minute")


def run_audit(url: str) -> list[dict[str, Any]]:
    """Every audit's result as a dict (id, status, name, reason), in the package's order."""
    install()
    token = issue_token(
        load_settings(), [Role.PRACTITIONER], practitioner_id="p-melanie", local_authority="NBR"
    )
    done = subprocess.run(
        ["node", "audit.mjs", url],
        cwd=PACKAGE,
        env={**os.environ, "CONTACTGRAPH_TOKEN": token},
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    return [line for line in lines if "summary" not in line]


def unexpected(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in results if r["status"] != "ok" and r["id"] not in DELIBERATE]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--url", help="a running server's /graphql (default: start one)")
    p.add_argument("--port", type=int, default=8061, help="port for the server started here")
    args = p.parse_args(argv)
    server = None
    url = args.url
    if url is None:
        server = serve(args.port)
        url = f"http://127.0.0.1:{args.port}/graphql"
    try:
        results = run_audit(url)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
    counts = Counter(r["status"] for r in results)
    for r in results:
        if r["status"] != "ok":
            mark = "deliberate" if r["id"] in DELIBERATE else "UNEXPECTED"
            print(f"{r['status']:5} {r['id']} [{mark}] {r['name']}: {r.get('reason', '')}")
    tally = ", ".join(f"{counts[s]} {s}" for s in ("ok", "warn", "notice", "error"))
    print(f"graphql-http {VERSION} serverAudits: {tally} ({len(results)} audits)")
    bad = unexpected(results)
    if bad:
        print(f"{len(bad)} audit(s) other than the deliberate GET refusals did not pass")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
