"""What a benchmark run measures and where: modes, systems' ports, paths, the command line."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from bench.workloads import SYSTEMS, WORKLOADS

DESCRIPTION = "One command for the whole benchmark of issue 7."

REPO = Path(__file__).resolve().parents[2]  # bench/run/options.py -> the repository
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
# One benchmark viewer reads the whole sample: past any real browsing budget (R2).
BENCH_BUDGET = "PRACTITIONER=1000000000,SAFEGUARDING_LEAD=1000000000,INDEX_ADMIN=1000000000"
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
    p = argparse.ArgumentParser(prog="python -m bench.run", description=DESCRIPTION)
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
