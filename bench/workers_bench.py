"""Issue 17's figures: one API worker against two, on this machine, in one run.

    python -m bench.workers_bench [--mode quick|full] [--children N] [--port-base 8110]

The profile workload at 1, 8 and 32 clients against the raw-Cypher floor, ContactGraph
with one worker (`serve --workers 1`) and with two (`serve --workers 2`), all three
started once and measured in turn by the Go load generator, with the CPU each server
(its workers included) and Neo4j used. The 1-client p50 is set against the floor's.
Written to bench/results/workers.json in latest.json's form (one row per system,
workload and concurrency in `results`) and workers.md. A script, not a timed test.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from datetime import UTC, date, datetime
from typing import Any

from bench import dataset as ds
from bench import report as rpt
from bench.procs import HOST, ServerError, Servers, local_neo4j_pid, terminate_on_signals
from bench.run.measure import make_spec, run_cell
from bench.run.options import BENCH_RATE_LIMIT, LOCAL, MODES, environment
from bench.run.prepare import build_loadgen, git_state, viewer_headers
from bench.run.servers import define_servers
from bench.workloads import Endpoint, requests_for

__all__ = ["main"]

WORKLOAD = "profile"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.workers_bench", description=__doc__)
    p.add_argument("--mode", choices=sorted(MODES), default="quick")
    p.add_argument("--children", type=int, help="dataset size (overrides the mode's)")
    p.add_argument("--duration", type=float, help="measured seconds per cell")
    p.add_argument("--warmup", type=float, help="warm-up seconds per cell")
    p.add_argument("--concurrency", default="1,8,32")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--sample", type=int, default=2000)
    p.add_argument("--instance", default="bench", help="local Neo4j instance (default bench)")
    p.add_argument("--neo4j-port", type=int, default=7707)
    p.add_argument("--port-base", type=int, default=8110, help="raw, 1 worker, 2 workers")
    p.add_argument("--output", default="workers")
    p.add_argument("--max-requests", type=int, default=5_000_000)
    args = p.parse_args(argv)
    mode = MODES[args.mode]
    args.children = args.children or int(mode["children"])
    args.duration = args.duration or float(mode["duration"])
    args.warmup = float(mode["warmup"]) if args.warmup is None else args.warmup
    args.concurrency = [int(c) for c in args.concurrency.split(",")]
    args.env = []
    return args


def _row(results: list[dict[str, Any]], system: str, c: int) -> dict[str, Any]:
    return next(r for r in results if r["system"] == system and r["concurrency"] == c)


def summary(results: list[dict[str, Any]], concurrency: list[int]) -> dict[str, Any]:
    """What the second worker changes: throughput, tail and CPU at each concurrency."""

    def ratio(a: float | None, b: float | None) -> float | None:
        return round(a / b, 3) if a is not None and b else None

    out: dict[str, Any] = {
        "p50_1_client_over_raw": {
            s: ratio(_row(results, s, 1)["p50_ms"], _row(results, "raw", 1)["p50_ms"])
            for s in ("contactgraph", "contactgraph-2w")
        }
        if 1 in concurrency
        else None
    }
    for c in concurrency:
        one, two = _row(results, "contactgraph", c), _row(results, "contactgraph-2w", c)
        out[f"c{c}"] = {
            "rps_2w_over_1w": ratio(two["rps"], one["rps"]),
            "p95_2w_over_1w": ratio(two["p95_ms"], one["p95_ms"]),
            "server_cores_1w_2w": [one["server_cores"], two["server_cores"]],
            "neo4j_cores_1w_2w": [one["neo4j_cores"], two["neo4j_cores"]],
            "server_cpu_ms_per_request_1w_2w": [
                round(one["server_cores"] * 1000 / one["rps"], 2) if one["rps"] else None,
                round(two["server_cores"] * 1000 / two["rps"], 2) if two["rps"] else None,
            ],
        }
    return out


def markdown(report: dict[str, Any]) -> str:
    lines = [
        f"# One worker against two ({report['date']})",
        "",
        f"{report['dataset_children']:,} children, profile workload, "
        f"{report['warmup_s']:g}+{report['duration_s']:g} s per cell; "
        f"{report['machine']['summary']}; load average "
        f"{report['machine']['load_average_at_start']} at the start, "
        f"{report['machine']['load_average_at_end']} at the end (a shared machine).",
        "",
        "| system | clients | req/s | p50 ms | p95 ms | p99 ms | errors | server cores "
        "| Neo4j cores | audit/req |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in report["results"]:
        audit = r["audit_events_per_request"]
        lines.append(
            f"| {r['system']} | {r['concurrency']} | {r['rps']} | {r['p50_ms']} | {r['p95_ms']} "
            f"| {r['p99_ms']} | {r['errors']} | {r['server_cores']} | {r['neo4j_cores']} "
            f"| {'-' if audit is None else audit} |"
        )
    lines += ["", "```json", json.dumps(report["summary"], indent=2), "```", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    env = environment(args)
    import localneo4j as neo

    cells = 3 * len(args.concurrency)
    estimate = cells * (args.warmup + args.duration + 2) + 120
    inst = neo.instance(args.instance)
    started_at = datetime.now(UTC)
    load_at_start = os.getloadavg()[0]
    ports = {
        "raw": args.port_base,
        "contactgraph-1": args.port_base + 1,
        "contactgraph-2": args.port_base + 2,
    }
    with terminate_on_signals():
        build_loadgen()
        data = ds.ensure_dataset(args.children, args.seed, env)
        sample = ds.sample(data, args.sample)
        from bench.raw_server import _CHILD

        ds.prewarm(
            [c["id"] for c in sample.children],
            "UNWIND $ids AS id MATCH (c:Child {id: id})" + _CHILD,
        )
        headers = viewer_headers(
            sample.practitioner_id, sample.local_authority, int(estimate * 3 + 3600)
        )
        lifetime = estimate * 3 + 1800
        args.systems = ["raw", "contactgraph"]
        servers = define_servers(
            args,
            env,
            lifetime,
            ports={"raw": ports["raw"], "contactgraph": ports["contactgraph-1"]},
        )
        args.systems = ["contactgraph"]
        two = define_servers(
            args, env, lifetime, ports={"contactgraph": ports["contactgraph-2"]}, workers=2
        )["contactgraph"]
        systems = {"raw": servers["raw"], "contactgraph": servers["contactgraph"], two.name: two}
        results: list[dict[str, Any]] = []
        with Servers() as running:
            for server in systems.values():
                running.start(server)
                print(f"started {server.name} (pid {server.pid}) on {HOST}:{server.port}")
            neo_pid = local_neo4j_pid(args.instance)
            today = date.today()
            for c in args.concurrency:
                for name, server in systems.items():
                    kind = "raw" if name == "raw" else "contactgraph"
                    requests = requests_for(
                        Endpoint(kind, f"http://{HOST}:{server.port}"),
                        WORKLOAD,
                        sample.children,
                        today,
                    )
                    spec = make_spec(f"{name}/{WORKLOAD}/c{c}", requests, headers, c, args)
                    try:
                        row = run_cell(
                            args,
                            server,
                            neo_pid,
                            spec,
                            LOCAL / "specs" / f"workers-{name}-c{c}.json",
                        )
                    except ServerError as exc:
                        print(f"FAILED {name} c{c}: {exc}")
                        return 1
                    row = {"system": name, "workload": WORKLOAD, "concurrency": c, **row}
                    results.append(row)
                    print(
                        f"{name:<18} c{c:<3} {row['rps']:>8.1f} req/s  p50 {row['p50_ms']:7.2f}  "
                        f"p95 {row['p95_ms']:7.2f} ms  errors {row['errors']}  "
                        f"server {row['server_cores']} cores  neo4j {row['neo4j_cores']} cores",
                        flush=True,
                    )
                    time.sleep(1.0)
    report = {
        **rpt.run_header(args, data, sample, started_at, load_at_start),
        "systems": list(systems),
        "workloads": [WORKLOAD],
        "git": git_state(),
        "neo4j": {"instance": inst.name, "port": inst.bolt_port},
        "contactgraph_env": [
            "CONTACTGRAPH_GRAPHIQL=0",
            "CONTACTGRAPH_DIAGNOSTICS=1",
            f"CONTACTGRAPH_RATE_LIMIT={BENCH_RATE_LIMIT}",
        ],
        "results": results,
        "summary": summary(results, args.concurrency),
    }
    text = markdown(report)
    print(text)
    rpt.save(args.output, text, report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
