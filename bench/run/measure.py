"""One cell of the table: a system, a workload and a concurrency, measured by the load
generator while the server's and Neo4j's CPU are sampled."""

from __future__ import annotations

import argparse
import contextlib
import json
import subprocess
import time
from pathlib import Path
from typing import Any

from bench import dataset as ds
from bench.procs import ProcessStats, Server, ServerError, die_with_parent
from bench.run.options import LOADGEN


def loadgen(spec_path: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(LOADGEN), "-spec", str(spec_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=die_with_parent,
    )


def stop_loadgen(process: subprocess.Popen[str]) -> None:
    """Kill our own load generator if it is still running (after an error or a signal)."""
    if process.poll() is None:
        process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired, ValueError):
            process.communicate(timeout=5)


def run_cell(
    args: argparse.Namespace,
    server: Server,
    neo4j_pid: int | None,
    spec: dict[str, Any],
    spec_path: Path,
) -> dict[str, Any]:
    spec_path.parent.mkdir(parents=True, exist_ok=True)
    spec_path.write_text(json.dumps(spec))
    if not server.alive():
        raise ServerError(f"{server.name} is not running:\n{server.log_tail()}")
    audited = server.name.startswith("contactgraph")
    events_before = ds.audit_events() if audited else 0
    started = time.monotonic()
    process = subprocess.Popen(
        [str(LOADGEN), "-spec", str(spec_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(max(0.0, spec["warmup_s"] - (time.monotonic() - started)))
    server_stats = ProcessStats(server.pid)
    server_stats.start()
    neo_stats = ProcessStats(neo4j_pid) if neo4j_pid else None
    if neo_stats:
        neo_stats.start()
    window_start = time.monotonic()
    try:
        out, err = process.communicate(
            timeout=spec["warmup_s"] + spec["duration_s"] + spec["timeout_s"] + 60
        )
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise ServerError(f"the load generator did not finish ({spec['name']})") from None
    window = min(time.monotonic() - window_start, spec["duration_s"])
    if process.returncode != 0:
        raise ServerError(
            f"loadgen failed for {spec['name']} (exit {process.returncode}): {err.strip()}"
        )
    result = json.loads(out)
    audit_per_request = None
    if audited and result["completed"]:
        # Every answer that touched a child waited for its audit event to be durable (R14).
        audit_per_request = round((ds.audit_events() - events_before) / result["completed"], 3)
    return {
        "rps": round(result["rps"], 1),
        "p50_ms": result["p50_ms"],
        "p95_ms": result["p95_ms"],
        "p99_ms": result["p99_ms"],
        "max_ms": result["max_ms"],
        "mean_ms": round(result["mean_ms"], 3),
        "count": result["count"],
        "ok": result["ok"],
        "errors": result["errors"],
        "error_kinds": result["error_kinds"],
        "error_samples": result["error_samples"][:2],
        "round_trips": None
        if result["round_trips_mean"] is None
        else round(result["round_trips_mean"], 3),
        "bytes_mean": round(result["bytes_mean"]),
        "duration_s": round(result["duration_s"], 2),
        "stopped_by": result["stopped_by"],
        "server_cores": server_stats.cores_used(window),
        "neo4j_cores": neo_stats.cores_used(window) if neo_stats else None,
        "audit_events_per_request": audit_per_request,
        "loadgen_cores": round(result["client_cpu_s"] / result["duration_s"], 2)
        if result["duration_s"]
        else None,
    }


def make_spec(
    name: str,
    requests: list[dict[str, str]],
    headers: dict[str, str],
    c: int,
    args: argparse.Namespace,
) -> dict[str, Any]:
    return {
        "name": name,
        "headers": headers,
        "requests": requests,
        "concurrency": c,
        "warmup_s": args.warmup,
        "duration_s": args.duration,
        "max_requests": args.max_requests,
        "timeout_s": 10,
        "gomaxprocs": 1,
    }
