"""One command for the whole benchmark of issue 7.

    .local/venv/bin/python -m bench.run [--mode quick|full] [--duration SECONDS]
        [--concurrency 1,8,32] [--systems raw,neo4j-graphql,contactgraph]
        [--workloads profile,search,mix] [--py-spy SECONDS] [--smoke]

What it does, in order:
1. builds the Go load generator (.local/bench/loadgen) and installs the npm peer
   (`npm ci` into bench/neo4j-graphql/ when node_modules is missing);
2. migrates and, unless already loaded, seeds the `bench` Neo4j instance (port 7707)
   with 100,000 (quick) or 1,000,000 (full) synthetic children (bench/dataset.py);
3. samples children and a GP practitioner, issues a real development token for them,
   and reads every sampled child's neighbourhood once (a warm page cache for everyone);
4. starts ContactGraph (`contactgraph serve`, port 8100), the raw-Cypher peer (8101) and
   the @neo4j/graphql peer (8102), all on 127.0.0.1, and checks that each answers the
   same child correctly (and that ContactGraph and the peer withhold the same
   sensitive involvements) before measuring anything;
5. for each workload and concurrency, measures the three systems one after the other
   (so the ratios compare figures taken minutes apart, not an hour), each with a
   warm-up and a fixed duration;
6. writes bench/results/latest.md and latest.json, prints the table, and stops every
   server it started, whatever happened (and the Neo4j instance too if it started it).
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx

from bench import dataset as ds
from bench import report as rpt
from bench.procs import (
    HOST,
    ProcessStats,
    Server,
    ServerError,
    Servers,
    die_with_parent,
    local_neo4j_pid,
    peak_rss_mb,
    terminate_on_signals,
)
from bench.workloads import SYSTEMS, WORKLOADS, Endpoint, requests_for

REPO = Path(__file__).resolve().parent.parent
LOCAL = REPO / ".local" / "bench"
VENV_BIN = REPO / ".local" / "venv" / "bin"
LOADGEN_SRC = REPO / "bench" / "loadgen"
LOADGEN = LOCAL / "loadgen"
NPM_PEER = REPO / "bench" / "neo4j-graphql"

PORTS = {"contactgraph": 8100, "raw": 8101, "neo4j-graphql": 8102}
MODES = {
    "quick": {"children": 100_000, "duration": 8.0, "warmup": 2.0},
    "full": {"children": 1_000_000, "duration": 20.0, "warmup": 5.0},
}
PURPOSE = "benchmark: checking who is working with this child"
# The per-subject cost budget would refuse a single benchmark viewer within seconds (it is
# meant for one person's pace); the limiter still runs on every request, it never refuses.
BENCH_RATE_LIMIT = str(10**12)
NOTES = {
    "raw": "raw: one hand-written Cypher query per request, no GraphQL, no token, no policy, "
    "no audit (the floor).",
    "neo4j-graphql": "neo4j-graphql: @neo4j/graphql 7 with an @authorization filter for R6; "
    "no R4 shielding, no R10, no R6c overrides, no audit.",
    "contactgraph": "contactgraph: policy (R2-R7) on, and one hash-chained audit event per "
    "request, durable before the answer leaves (R14).",
}
EXTERNAL_NEO4J = ("NEO4J_URI", "NEO4J_USER", "NEO4J_PASSWORD", "NEO4J_DATABASE")


def _csv(allowed: tuple[str, ...]) -> Any:
    def parse(text: str) -> list[str]:
        items = [t.strip() for t in text.split(",") if t.strip()]
        bad = [t for t in items if t not in allowed]
        if bad or not items:
            raise argparse.ArgumentTypeError(f"choose from {', '.join(allowed)}")
        return items

    return parse


def _ints(text: str) -> list[int]:
    try:
        values = [int(t) for t in text.split(",") if t.strip()]
    except ValueError as exc:
        raise argparse.ArgumentTypeError("a comma-separated list of integers") from exc
    if not values or any(v < 1 or v > 256 for v in values):
        raise argparse.ArgumentTypeError("concurrency must be between 1 and 256")
    return values


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    p.add_argument("--mode", choices=sorted(MODES), default="quick")
    p.add_argument("--duration", type=float, help="measured seconds per cell (8 quick, 20 full)")
    p.add_argument("--warmup", type=float, help="warm-up seconds per cell (2 quick, 5 full)")
    p.add_argument("--concurrency", type=_ints, default=[1, 8, 32])
    p.add_argument("--systems", type=_csv(SYSTEMS), default=list(SYSTEMS))
    p.add_argument("--workloads", type=_csv(WORKLOADS), default=list(WORKLOADS))
    p.add_argument("--children", type=int, help="dataset size (overrides the mode's)")
    p.add_argument("--seed", type=int, default=1, help="generator seed of the dataset")
    p.add_argument("--sample", type=int, default=2000, help="children the requests cycle over")
    p.add_argument("--practitioner", help="viewer's practitioner id (default: the first GP)")
    p.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra setting for the ContactGraph server, e.g. CONTACTGRAPH_FAST_PATH=0",
    )
    p.add_argument(
        "--py-spy",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="after measuring, profile ContactGraph under the profile workload at 8 clients",
    )
    p.add_argument("--smoke", action="store_true", help="label the figures as smoke figures")
    p.add_argument("--output", default="latest", help="results file name in bench/results/")
    p.add_argument("--instance", default="bench", help="local Neo4j instance (default bench)")
    p.add_argument("--neo4j-port", type=int, default=7707)
    p.add_argument("--keep-neo4j", action="store_true", help="leave Neo4j running at the end")
    p.add_argument("--max-requests", type=int, default=5_000_000, help="bound per cell")
    args = p.parse_args(argv)
    mode = MODES[args.mode]
    args.children = args.children or int(mode["children"])
    args.duration = args.duration or float(mode["duration"])
    args.warmup = float(mode["warmup"]) if args.warmup is None else args.warmup
    args.sample = max(10, args.sample - args.sample % 10)  # the mix needs whole 9 + 1 blocks
    for item in args.env:
        if "=" not in item:
            p.error(f"--env wants KEY=VALUE, got {item!r}")
    return args


# --------------------------------------------------------------------------- preparation


def environment(args: argparse.Namespace) -> dict[str, str]:
    """The environment of every command and server: always the local bench instance."""
    for key in EXTERNAL_NEO4J:
        if os.environ.pop(key, None) is not None:
            print(
                f"note: ignoring {key}: the benchmark always uses the local '{args.instance}' Neo4j"
            )
    os.environ["CONTACTGRAPH_NEO4J_INSTANCE"] = args.instance
    os.environ["CONTACTGRAPH_NEO4J_PORT"] = str(args.neo4j_port)
    env = dict(os.environ)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def build_loadgen() -> None:
    go = shutil.which("go")
    if go is None:
        raise SystemExit("the load generator needs Go (https://go.dev/dl/); `go` is not on PATH")
    LOCAL.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, GOFLAGS="-mod=mod", GOPROXY="off", GOTOOLCHAIN="local", CGO_ENABLED="0")
    done = subprocess.run(
        [go, "build", "-o", str(LOADGEN), "."],
        cwd=LOADGEN_SRC,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"building bench/loadgen failed:\n{done.stdout}{done.stderr}")


def install_npm_peer() -> None:
    """`npm ci` when node_modules is missing or older than package-lock.json."""
    installed = NPM_PEER / "node_modules" / ".package-lock.json"
    lock = NPM_PEER / "package-lock.json"
    if installed.is_file() and installed.stat().st_mtime >= lock.stat().st_mtime:
        return
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        raise SystemExit("the @neo4j/graphql peer needs Node 20+ and npm on PATH")
    print("installing the @neo4j/graphql peer (npm ci)...", flush=True)
    done = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund"], cwd=NPM_PEER, timeout=900, check=False
    )
    if done.returncode != 0:
        raise SystemExit("npm ci in bench/neo4j-graphql failed")


def git_state() -> str:
    def git(*a: str) -> str:
        out = subprocess.run(["git", *a], cwd=REPO, capture_output=True, text=True, check=False)
        return out.stdout.strip()

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--untracked-files=no")
    return f"{head}{' with uncommitted changes' if dirty else ''}"


# --------------------------------------------------------------------------- servers


def define_servers(
    args: argparse.Namespace, env: dict[str, str], lifetime_s: float
) -> dict[str, Server]:
    from api.settings import load_settings
    from graph.connection import target_from_env

    logs = LOCAL / "logs"
    servers: dict[str, Server] = {}
    if "contactgraph" in args.systems:
        cg_env = dict(env, CONTACTGRAPH_GRAPHIQL="0", CONTACTGRAPH_RATE_LIMIT=BENCH_RATE_LIMIT)
        cg_env.update(dict(item.split("=", 1) for item in args.env))
        servers["contactgraph"] = Server(
            name="contactgraph",
            argv=[
                str(VENV_BIN / "contactgraph"),
                "serve",
                "--host",
                HOST,
                "--port",
                str(PORTS["contactgraph"]),
            ],
            port=PORTS["contactgraph"],
            ready_path="/readyz",
            env=cg_env,
            cwd=REPO,
            log_path=logs / "contactgraph.log",
        )
    if "raw" in args.systems:
        servers["raw"] = Server(
            name="raw",
            argv=[
                str(VENV_BIN / "python"),
                "-m",
                "bench.raw_server",
                "--port",
                str(PORTS["raw"]),
                "--instance",
                args.instance,
                "--max-lifetime",
                str(int(lifetime_s)),
            ],
            port=PORTS["raw"],
            ready_path="/healthz",
            env=env,
            cwd=REPO,
            log_path=logs / "raw.log",
        )
    if "neo4j-graphql" in args.systems:
        target = target_from_env(args.instance)
        settings = load_settings()
        node_env = dict(
            env,
            NEO4J_URI=target.uri,
            NEO4J_USER=target.user,
            NEO4J_PASSWORD=target.password,
            JWKS_FILE=str(settings.jwks_path),
            JWT_ISSUER=settings.issuer,
            JWT_AUDIENCE=settings.audience,
            PORT=str(PORTS["neo4j-graphql"]),
            BENCH_MAX_LIFETIME_S=str(int(lifetime_s)),
            NODE_ENV="production",
        )
        servers["neo4j-graphql"] = Server(
            name="neo4j-graphql",
            argv=["node", "server.mjs"],
            port=PORTS["neo4j-graphql"],
            ready_path="/healthz",
            env=node_env,
            cwd=NPM_PEER,
            log_path=logs / "neo4j-graphql.log",
        )
    return servers


# --------------------------------------------------------------------------- verification


def _child_of(system: str, body: dict[str, Any]) -> dict[str, Any] | None:
    data = body.get("data") or {}
    if system == "neo4j-graphql":
        children = data.get("children") or []
        return children[0] if children else None
    return data.get("child")


def _matches_of(system: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    data = body.get("data") or {}
    if system == "neo4j-graphql":
        return list(data.get("children") or [])
    return list((data.get("searchChildren") or {}).get("matches") or [])


def _post(
    client: httpx.Client, spec: dict[str, str], headers: dict[str, str]
) -> tuple[int, Any, str]:
    response = client.post(spec["url"], content=spec["body"], headers=headers)
    try:
        body = response.json()
    except ValueError:
        body = {}
    return response.status_code, body, response.text


def verify(
    endpoints: dict[str, Endpoint],
    headers: dict[str, str],
    children: list[dict[str, str]],
    special: list[dict[str, str]],
) -> list[str]:
    """Check, before measuring, that every system answers the real child, not an error.

    `children` are ordinary sampled children, `special` ones with an active sensitive
    involvement (R6) or shielded (R4). Raises SystemExit if any system fails, or if
    ContactGraph shows a shielded child's address or carers; returns notes on the
    expected differences (the raw peer applies no policy; the @neo4j/graphql peer no R4).
    """
    notes: list[str] = []
    failures: list[str] = []
    today = date.today()
    why = {c["id"]: c.get("why", "") for c in special}
    everyone = children + [c for c in special if c["id"] not in {x["id"] for x in children}]
    seen: dict[str, dict[str, list[str]]] = collections.defaultdict(dict)
    with httpx.Client(timeout=30.0) as client:
        for system, endpoint in endpoints.items():
            # A first request pays for one-off setup (the @neo4j/graphql peer asks the server
            # for its version once): not what we are checking.
            _post(client, requests_for(endpoint, "profile", children[:1], today)[0], headers)
            for kind in ("profile", "search"):
                for spec in requests_for(endpoint, kind, everyone, today):
                    status, body, text = _post(client, spec, headers)
                    child_id = spec["expect"].split('"')[3]
                    if status != 200 or not isinstance(body, dict) or body.get("errors"):
                        failures.append(f"{system} {kind} {child_id}: HTTP {status} {text[:300]}")
                        continue
                    found = (
                        [_child_of(system, body)]
                        if kind == "profile"
                        else [m for m in _matches_of(system, body) if m.get("id") == child_id]
                    )
                    child = found[0] if found else None
                    if not child or child.get("id") != child_id or "involvements" not in child:
                        failures.append(
                            f"{system} {kind} {child_id}: the child is not in the answer"
                        )
                        continue
                    if not child["involvements"]:
                        notes.append(f"{system} {kind} {child_id}: no involvements listed")
                    rt = (body.get("extensions") or {}).get("cypherRoundTrips")
                    if rt is not None and rt != 1:
                        notes.append(f"{system} {kind} {child_id}: {rt} Cypher round trips")
                    if (
                        why.get(child_id) == "shielded"
                        and system == "contactgraph"
                        and (child.get("address") is not None or child.get("carers"))
                    ):
                        failures.append(f"contactgraph showed shielded {child_id}'s whereabouts")
                    if kind == "profile":
                        seen[system][child_id] = sorted(i["id"] for i in child["involvements"])
    if failures:
        raise SystemExit("verification failed:\n  " + "\n  ".join(failures[:20]))
    shielded = [c for c, w in why.items() if w == "shielded"]
    if shielded and "contactgraph" in seen:
        notes.append(
            f"ContactGraph withheld address and carers of the {len(shielded)} shielded children "
            "checked (R4); the peers do not apply R4"
        )
    # ContactGraph and the peer apply R5 and R6 and must agree; raw applies R5 only.
    if "contactgraph" in seen and "neo4j-graphql" in seen:
        cg, ng = seen["contactgraph"], seen["neo4j-graphql"]
        differ = [c for c in cg if cg[c] != ng.get(c)]
        if differ:
            notes.append(
                "ContactGraph and @neo4j/graphql list different involvements for "
                + ", ".join(differ[:5])
            )
        else:
            notes.append(
                f"ContactGraph and @neo4j/graphql list the same involvements for all {len(cg)} "
                "children checked"
            )
    if "raw" in seen:
        for other in ("contactgraph", "neo4j-graphql"):
            if other not in seen:
                continue
            mine, raw = seen[other], seen["raw"]
            extra = [c for c in mine if not set(mine[c]) <= set(raw.get(c, []))]
            if extra:
                notes.append(f"{other} lists involvements the raw peer does not, for {extra[:5]}")
            hidden = sum(len(raw[c]) - len(mine.get(c, [])) for c in raw)
            sensitive = sum(1 for w in why.values() if w == "sensitive")
            notes.append(
                f"{other} withheld {hidden} involvement(s) that the raw peer listed (R6; "
                f"{sensitive} children with an active sensitive involvement checked)"
            )
    return notes


# --------------------------------------------------------------------------- measuring


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
    audited = server.name == "contactgraph"
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


def py_spy_profile(
    args: argparse.Namespace,
    server: Server,
    requests: list[dict[str, str]],
    headers: dict[str, str],
) -> dict[str, Any]:
    """Profile ContactGraph under the profile workload at 8 clients (not part of the table)."""
    py_spy = VENV_BIN / "py-spy"
    if not py_spy.is_file():
        return {"error": "py-spy is not installed: .local/venv/bin/pip install py-spy"}
    seconds = int(args.py_spy)
    spec = make_spec("contactgraph/profile/c8/py-spy", requests, headers, 8, args)
    spec["warmup_s"] = 2.0
    spec["duration_s"] = float(2 * seconds + 4)
    spec_path = LOCAL / "specs" / "py-spy.json"
    spec_path.write_text(json.dumps(spec))
    raw_path, svg_path = LOCAL / "profile.txt", LOCAL / "profile.svg"
    load = loadgen(spec_path)
    out = ""
    try:
        time.sleep(3)
        for fmt, path in (("raw", raw_path), ("flamegraph", svg_path)):
            subprocess.run(
                [
                    str(py_spy),
                    "record",
                    "--pid",
                    str(server.pid),
                    "--duration",
                    str(seconds),
                    "--rate",
                    "200",
                    "--format",
                    fmt,
                    "--output",
                    str(path),
                ],
                capture_output=True,
                timeout=seconds + 60,
                check=False,
            )
        out, _ = load.communicate(timeout=2 * seconds + 80)
    except subprocess.TimeoutExpired:
        pass
    finally:
        stop_loadgen(load)
    summary = summarise_profile(raw_path)
    with contextlib.suppress(ValueError, KeyError):
        summary["load_while_profiling"] = {
            k: json.loads(out)[k] for k in ("rps", "p50_ms", "p95_ms")
        }
    summary["files"] = [str(raw_path.relative_to(REPO)), str(svg_path.relative_to(REPO))]
    (LOCAL / "profile-top.json").write_text(json.dumps(summary, indent=2))
    return summary


_LINE = re.compile(r":\d+\)$")


def summarise_profile(path: Path, top: int = 25) -> dict[str, Any]:
    """Self and inclusive sample shares per function from py-spy's collapsed stacks."""
    self_counts: collections.Counter[str] = collections.Counter()
    incl_counts: collections.Counter[str] = collections.Counter()
    total = 0
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return {"error": f"no profile at {path}"}
    for line in lines:
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_LINE.sub(")", f.strip()) for f in stack.split(";") if f.strip()]
        frames = [re.sub(r"\(\S*/(site-packages|lib/python3\.\d+|main)/", "(", f) for f in frames]
        if not frames:
            continue
        total += count
        self_counts[frames[-1]] += count
        for frame in set(frames):
            incl_counts[frame] += count

    def share(counter: collections.Counter[str]) -> list[list[Any]]:
        return (
            [[name, round(100 * n / total, 1)] for name, n in counter.most_common(top)]
            if total
            else []
        )

    return {
        "samples": total,
        "self_percent": share(self_counts),
        "inclusive_percent": share(incl_counts),
    }


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    env = environment(args)
    import localneo4j as neo
    from api.devkeys import issue_token
    from api.settings import load_settings
    from policies.viewer import Role

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

            settings = load_settings()
            token = issue_token(
                settings,
                [Role.PRACTITIONER],
                practitioner_id=sample.practitioner_id,
                local_authority=sample.local_authority,
                ttl_seconds=int(estimate * 3 + 3600),
            )
            headers = {
                "Authorization": f"Bearer {token}",
                "X-Purpose": PURPOSE,
                "Content-Type": "application/json",
            }
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
                "mode": args.mode,
                "smoke": args.smoke,
                "date": started_at.isoformat(timespec="seconds"),
                "machine": rpt.machine(load_at_start),
                "dataset_children": data.children,
                "dataset_seed": data.seed,
                "dataset_seeded_on": data.seeded_on,
                "child_nodes": data.child_nodes,
                "sample_size": len(sample.children),
                "viewer": f"PRACTITIONER {sample.practitioner_id} ({sample.local_authority})",
                "warmup_s": args.warmup,
                "duration_s": args.duration,
                "concurrency": args.concurrency,
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


if __name__ == "__main__":
    sys.exit(main())
