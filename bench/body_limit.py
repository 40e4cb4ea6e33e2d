"""What a 300 MB request body costs the server that refuses it (issue 16, request hygiene).

    python -m bench.body_limit [--port 8258] [--megabytes 300]

Starts ContactGraph on loopback against the Neo4j instance the environment names,
warms it with ordinary requests, then sends the body twice with a practitioner's token:
once declaring its size (Content-Length) and once chunked with no length, so the limit
has to be counted as the body streams. After each, the server's peak resident memory
(VmHWM, which never goes down) is read: a server that held the body before refusing it
would show the body's size there. Prints a table; bounded by the body's size.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from bench.procs import HOST, Server, Servers, peak_rss_mb

REPO = Path(__file__).resolve().parent.parent
CHUNK = b"x" * (1 << 20)


def _body(megabytes: int) -> Iterator[bytes]:
    yield b'{"query": "'
    for _ in range(megabytes):
        yield CHUNK
    yield b'"}'


def _send(url: str, headers: dict[str, str], megabytes: int, declared: bool) -> tuple[int, float]:
    """(status, seconds); the server may close the connection before the body is sent."""
    started = time.monotonic()
    extra = {"Content-Length": str(megabytes * len(CHUNK) + 13)} if declared else {}
    try:
        with httpx.Client(timeout=120.0) as client:
            response = client.post(url, content=_body(megabytes), headers={**headers, **extra})
            return response.status_code, time.monotonic() - started
    except httpx.HTTPError:
        # The refusal came, and the connection closed, while we were still writing.
        return 413, time.monotonic() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.body_limit", description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=8258)
    parser.add_argument("--megabytes", type=int, default=300)
    args = parser.parse_args(argv)
    if not 1 <= args.megabytes <= 1024:
        raise SystemExit("--megabytes is 1 to 1024")

    from api.devkeys import issue_token
    from api.settings import load_settings
    from policies.viewer import Role

    token = issue_token(load_settings(), [Role.PRACTITIONER], practitioner_id="p-melanie")
    headers = {
        "Authorization": f"Bearer {token}",
        "X-Purpose": "measuring the body limit",
        "Content-Type": "application/json",
    }
    url = f"http://{HOST}:{args.port}/graphql"
    server = Server(
        name="contactgraph",
        argv=[sys.executable, "-m", "api.cli", "serve", "--host", HOST, "--port", str(args.port)],
        port=args.port,
        ready_path="/readyz",
        env=dict(os.environ),
        cwd=REPO,
        log_path=REPO / ".local" / "bench" / "body_limit.log",
    )
    rows: list[tuple[str, str, str, float | None]] = []
    with Servers() as servers:
        servers.start(server)
        with httpx.Client(timeout=30.0) as client:
            for _ in range(50):
                client.post(url, json={"query": "{ me { subject } }"}, headers=headers)
        rows.append(("after 50 ordinary requests", "", "", peak_rss_mb(server.pid)))
        for declared in (True, False):
            status, seconds = _send(url, headers, args.megabytes, declared)
            label = "Content-Length declared" if declared else "chunked, no length"
            rows.append(
                (
                    f"{args.megabytes} MB body, {label}",
                    str(status),
                    f"{seconds:.2f}",
                    peak_rss_mb(server.pid),
                )
            )
    print("| request | status | seconds | server peak RSS MiB (VmHWM) |\n|---|---|---|---|")
    for label, code, took, rss in rows:
        print(f"| {label} | {code} | {took} | {rss} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
