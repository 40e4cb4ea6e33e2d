"""Results as the issue asks for them: a markdown table and bench/results/latest.json.

The JSON has `dataset_children`, `date`, `machine`, and one row per system, workload and
concurrency in `results` (`rps`, `p50_ms`, `p95_ms`, `p99_ms`, `concurrency`, ...), plus
`ratios` computed from the same run and `targets` checked against them.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = ["machine", "markdown", "ratios", "run_header", "targets", "write"]

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _mem_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def _version(argv: list[str]) -> str | None:
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return (
        (out.stdout or out.stderr).strip().splitlines()[0] if (out.stdout or out.stderr) else None
    )


def machine(load_at_start: float) -> dict[str, Any]:
    """The machine, its software, and how busy it was (1-minute load average, 2 cores)."""
    from localneo4j import neo4j_version

    cores = os.cpu_count()
    mem = _mem_gib()
    return {
        "summary": f"{cores} cores, {_cpu_model()}, {mem} GiB RAM, {platform.system()} "
        f"{platform.release()}",
        "cpu": _cpu_model(),
        "cores": cores,
        "memory_gib": mem,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "node": _version(["node", "--version"]),
        "go": _version(["go", "version"]),
        "neo4j": neo4j_version(),
        "load_average_at_start": round(load_at_start, 2),
        "load_average_at_end": round(os.getloadavg()[0], 2),
    }


def run_header(
    args: Any, data: Any, sample: Any, started_at: datetime, load_at_start: float
) -> dict[str, Any]:
    """What every run's report starts with: when, where, which data, which viewer."""
    return {
        "mode": args.mode,
        "date": started_at.isoformat(timespec="seconds"),
        "machine": machine(load_at_start),
        "dataset_children": data.children,
        "dataset_seed": data.seed,
        "dataset_seeded_on": data.seeded_on,
        "child_nodes": data.child_nodes,
        "sample_size": len(sample.children),
        "viewer": f"PRACTITIONER {sample.practitioner_id} ({sample.local_authority})",
        "warmup_s": args.warmup,
        "duration_s": args.duration,
        "concurrency": args.concurrency,
    }


def _row(
    results: list[dict[str, Any]], system: str, workload: str, c: int
) -> dict[str, Any] | None:
    for row in results:
        if row["system"] == system and row["workload"] == workload and row["concurrency"] == c:
            return row
    return None


def ratios(results: list[dict[str, Any]]) -> dict[str, float | None]:
    """The quantities the issue's targets are stated in, at concurrency 8, workload (1)."""
    cg = _row(results, "contactgraph", "profile", 8) or {}
    ng = _row(results, "neo4j-graphql", "profile", 8) or {}
    raw = _row(results, "raw", "profile", 8) or {}

    def div(a: float | None, b: float | None) -> float | None:
        return round(a / b, 3) if a is not None and b else None

    return {
        "contactgraph_over_neo4j_graphql_rps_profile_c8": div(cg.get("rps"), ng.get("rps")),
        "contactgraph_over_raw_p50_profile_c8": div(cg.get("p50_ms"), raw.get("p50_ms")),
        "contactgraph_p95_ms_profile_c8": cg.get("p95_ms"),
        "contactgraph_rps_profile_c8": cg.get("rps"),
        "raw_over_contactgraph_rps_profile_c8": div(raw.get("rps"), cg.get("rps")),
    }


def targets(r: dict[str, float | None]) -> list[dict[str, Any]]:
    """Issue 7's targets (stated for full mode, concurrency 8), each with met / not met."""

    def check(name: str, value: float | None, op: str, bound: float) -> dict[str, Any]:
        met = (
            None
            if value is None
            else (value >= bound if op == ">=" else value <= bound if op == "<=" else value < bound)
        )
        return {"target": name, "value": value, "bound": f"{op} {bound}", "met": met}

    return [
        check(
            "ContactGraph rps / @neo4j/graphql rps (profile, c=8)",
            r["contactgraph_over_neo4j_graphql_rps_profile_c8"],
            ">=",
            1.5,
        ),
        check(
            "ContactGraph p50 / raw Cypher p50 (profile, c=8)",
            r["contactgraph_over_raw_p50_profile_c8"],
            "<=",
            2.0,
        ),
        check("ContactGraph p95 ms (profile, c=8)", r["contactgraph_p95_ms_profile_c8"], "<", 25.0),
        check("ContactGraph rps (profile, c=8)", r["contactgraph_rps_profile_c8"], ">=", 500.0),
    ]


def _fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return str(value)


def markdown(report: dict[str, Any]) -> str:
    m = report["machine"]
    lines = [
        f"## Benchmark results ({report['mode']} mode{', SMOKE' if report.get('smoke') else ''})",
        "",
        f"- Date: {report['date']}",
        f"- Machine: {m['summary']}; Python {m['python']}, Node {m['node']}, "
        f"{m['go']}, Neo4j {m['neo4j']} (embedded, {report['neo4j']['heap']} heap, "
        f"{report['neo4j']['pagecache']} page cache); 1-minute load average "
        f"{m['load_average_at_start']:.2f} at start, {m['load_average_at_end']:.2f} at end",
        f"- Dataset: {report['dataset_children']:,} synthetic children (seed "
        f"{report['dataset_seed']}), {report['sample_size']:,} sampled for the requests; viewer "
        f"{report['viewer']}",
        f"- Each cell: {report['warmup_s']:g} s warm-up, then {report['duration_s']:g} s measured, "
        f"closed loop, keep-alive, loopback; load generator on {report['loadgen_threads']} "
        "OS thread",
        f"- Code: {report['git']}",
    ]
    if report.get("contactgraph_env"):
        lines.append(f"- ContactGraph settings: {', '.join(report['contactgraph_env'])}")
    if report.get("smoke"):
        lines.append(
            "- **Smoke figures**: taken while other work shared the two cores; they prove the "
            "harness works, not how fast anything is."
        )
    lines += [
        "",
        "| workload | clients | system | req/s | p50 ms | p95 ms | p99 ms | Cypher/req | audit/req "
        "| errors | server CPU | Neo4j CPU | peak RSS MiB |",
        "| --- | ---: | --- |" + " ---: |" * 10,
    ]
    servers = report.get("servers", {})
    for row in report["results"]:
        rss = servers.get(row["system"], {}).get("peak_rss_mb")
        lines.append(
            f"| {row['workload']} | {row['concurrency']} | {row['system']} "
            f"| {_fmt(row.get('rps'))} "
            f"| {_fmt(row.get('p50_ms'), 2)} | {_fmt(row.get('p95_ms'), 2)} "
            f"| {_fmt(row.get('p99_ms'), 2)} | {_fmt(row.get('round_trips'), 2)} "
            f"| {_fmt(row.get('audit_events_per_request'), 2)} "
            f"| {_fmt(row.get('errors'))} | {_fmt(row.get('server_cores'), 2)} "
            f"| {_fmt(row.get('neo4j_cores'), 2)} | {_fmt(rss)} |"
        )
    lines += ["", "Targets (issue 7; stated for full mode, 1,000,000 children, concurrency 8):", ""]
    lines += ["| target | value | bound | met |", "| --- | ---: | --- | --- |"]
    for t in report["targets"]:
        met = "-" if t["met"] is None else ("yes" if t["met"] else "**no**")
        lines.append(f"| {t['target']} | {_fmt(t['value'], 2)} | {t['bound']} | {met} |")
    lines += [
        "",
        "Cypher/req is the mean of extensions.cypherRoundTrips over the measured answers (the "
        "@neo4j/graphql peer's is counted at its driver); ContactGraph's audit events are "
        "group-committed in separate write transactions, not counted there, and audit/req is "
        "the number of audit events written per answer. CPU columns are cores used on average "
        "during the measured window (2 in all). Peak RSS is VmHWM of each server process over "
        "the whole run.",
    ]
    if report.get("notes"):
        lines += [""] + [f"- {note}" for note in report["notes"]]
    return "\n".join(lines) + "\n"


def save(name: str, text: str, data: dict[str, Any]) -> tuple[Path, Path]:
    """bench/results/NAME.md (what people read) and NAME.json (what tools read)."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    md_path = RESULTS / f"{name}.md"
    json_path = RESULTS / f"{name}.json"
    md_path.write_text(text)
    json_path.write_text(json.dumps(data, indent=2, default=str) + "\n")
    return md_path, json_path


def publish(
    name: str, result: dict[str, Any], load_at_start: float, to_markdown: Callable[[Any], str]
) -> None:
    """Stamp a benchmark's result with the date and machine, print it and save it."""
    result["date"] = datetime.now(UTC).isoformat(timespec="seconds")
    result["machine"] = machine(load_at_start)
    text = to_markdown(result)
    print(text)
    save(name, text, result)


def write(report: dict[str, Any], name: str = "latest") -> tuple[Path, Path]:
    return save(name, markdown(report), report)
