"""The run from start to finish: prepare, seed, verify, measure every cell, report."""

from __future__ import annotations

import os
import time
from datetime import UTC, date, datetime
from typing import Any

from bench import dataset as ds
from bench import report as rpt
from bench.procs import (
    HOST,
    ServerError,
    Servers,
    local_neo4j_pid,
    peak_rss_mb,
    terminate_on_signals,
)
from bench.run.measure import make_spec, run_cell
from bench.run.options import (
    BENCH_BUDGET,
    BENCH_RATE_LIMIT,
    LOCAL,
    NOTES,
    PORTS,
    REPO,
    environment,
    parse_args,
)
from bench.run.prepare import build_loadgen, git_state, install_npm_peer, viewer_headers
from bench.run.pyspy import py_spy_profile
from bench.run.servers import define_servers
from bench.run.verify import verify
from bench.workloads import Endpoint, requests_for


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    env = environment(args)
    import localneo4j as neo

    total_cells = len(args.workloads) * len(args.concurrency) * len(args.systems)
    estimate = total_cells * (args.warmup + args.duration + 2) + 2 * args.py_spy + 120
    print(
        f"benchmark: {args.mode} mode, {args.children:,} children, {total_cells} cells of "
        f"{args.warmup:g}+{args.duration:g} s: about {estimate / 60:.0f} min with the data loaded",
        flush=True,
    )
    inst = neo.instance(args.instance)
    neo4j_was_running = neo.status(inst) != "stopped"
    started_at = datetime.now(UTC)
    load_at_start = os.getloadavg()[0]
    report: dict[str, Any] = {}
    with terminate_on_signals():
        try:
            build_loadgen()
            if "neo4j-graphql" in args.systems:
                install_npm_peer()
            data = ds.ensure_dataset(args.children, args.seed, env)
            sample = ds.sample(data, args.sample, practitioner_id=args.practitioner)
            print(
                f"viewer: practitioner {sample.practitioner_id} ({sample.local_authority}); "
                f"{len(sample.children):,} children sampled",
                flush=True,
            )
            from bench.raw_server import _CHILD

            t0 = time.monotonic()
            ds.prewarm(
                [c["id"] for c in sample.children],
                "UNWIND $ids AS id MATCH (c:Child {id: id})" + _CHILD,
            )
            print(f"page cache warmed for the sample in {time.monotonic() - t0:.1f}s", flush=True)

            headers = viewer_headers(
                sample.practitioner_id, sample.local_authority, int(estimate * 3 + 3600)
            )
            today = date.today()
            with Servers() as servers:
                defined = define_servers(args, env, lifetime_s=estimate * 3 + 1800)
                for system in args.systems:
                    servers.start(defined[system])
                    print(
                        f"started {system} (pid {defined[system].pid}) on {HOST}:{PORTS[system]}",
                        flush=True,
                    )
                endpoints = {s: Endpoint(s, f"http://{HOST}:{PORTS[s]}") for s in args.systems}
                checks = verify(endpoints, headers, sample.children[:20], ds.special_children())
                for note in checks:
                    print(f"verified: {note}", flush=True)

                neo_pid = local_neo4j_pid(args.instance)
                results: list[dict[str, Any]] = []
                failed: dict[str, str] = {}
                for workload in args.workloads:
                    requests = {
                        s: requests_for(endpoints[s], workload, sample.children, today)
                        for s in args.systems
                    }
                    for c in args.concurrency:
                        for system in args.systems:
                            name = f"{system}/{workload}/c{c}"
                            if system in failed:
                                continue
                            spec = make_spec(name, requests[system], headers, c, args)
                            try:
                                row = run_cell(
                                    args,
                                    defined[system],
                                    neo_pid,
                                    spec,
                                    LOCAL / "specs" / f"{system}-{workload}-c{c}.json",
                                )
                            except ServerError as exc:
                                failed[system] = str(exc)
                                print(f"FAILED {name}: {exc}", flush=True)
                                continue
                            row = {"system": system, "workload": workload, "concurrency": c, **row}
                            results.append(row)
                            print(
                                f"{name:<32} {row['rps']:>8.1f} req/s  p50 {row['p50_ms']:7.2f}  "
                                f"p95 {row['p95_ms']:7.2f}  p99 {row['p99_ms']:7.2f} ms  "
                                f"errors {row['errors']}  cypher/req {row['round_trips']}  "
                                f"server {row['server_cores']} cores"
                                + (
                                    f"  audit/req {row['audit_events_per_request']}"
                                    if row["audit_events_per_request"] is not None
                                    else ""
                                ),
                                flush=True,
                            )
                            time.sleep(1.0)
                profile = None
                if (
                    args.py_spy > 0
                    and "contactgraph" in args.systems
                    and "contactgraph" not in failed
                ):
                    print(f"profiling ContactGraph with py-spy for {args.py_spy:g}s...", flush=True)
                    profile = py_spy_profile(
                        args,
                        defined["contactgraph"],
                        requests_for(endpoints["contactgraph"], "profile", sample.children, today),
                        headers,
                    )
                server_info = {
                    s.name: {"pid": s.pid, "peak_rss_mb": peak_rss_mb(s.pid)} for s in servers
                }
            ratios = rpt.ratios(results)
            report = {
                **rpt.run_header(args, data, sample, started_at, load_at_start),
                "smoke": args.smoke,
                "systems": args.systems,
                "workloads": args.workloads,
                "loadgen_threads": 1,
                "git": git_state(),
                "neo4j": {
                    "instance": inst.name,
                    "port": inst.bolt_port,
                    "heap": inst.heap,
                    "pagecache": inst.pagecache,
                    "peak_rss_mb": peak_rss_mb(neo_pid) if neo_pid else None,
                },
                "contactgraph_env": [
                    "CONTACTGRAPH_GRAPHIQL=0",
                    f"CONTACTGRAPH_RATE_LIMIT={BENCH_RATE_LIMIT}",
                    f"CONTACTGRAPH_BROWSING_BUDGET={BENCH_BUDGET}",
                    *args.env,
                ],
                "results": results,
                "servers": server_info,
                "ratios": ratios,
                "targets": rpt.targets(ratios),
                "verification": checks,
                "failed": failed,
                "notes": [note for system, note in NOTES.items() if system in args.systems]
                + [f"{s} failed: {why.splitlines()[0]}" for s, why in failed.items()],
            }
            if profile is not None:
                report["profile"] = profile
            md_path, json_path = rpt.write(report, args.output)
            print()
            print(rpt.markdown(report))
            print(f"wrote {md_path.relative_to(REPO)} and {json_path.relative_to(REPO)}")
            if profile and "self_percent" in profile:
                print("\nContactGraph profile (py-spy, % of samples, self time):")
                for name, pct in profile["self_percent"][:15]:
                    print(f"  {pct:5.1f}%  {name}")
        finally:
            if not neo4j_was_running and not args.keep_neo4j:
                print(
                    f"stopping the '{inst.name}' Neo4j instance (the harness started it)",
                    flush=True,
                )
                neo.stop(inst)
    return 0 if report and not report.get("failed") else 1
