"""Issue 3's figure: how fast is the full child profile, and in how many Cypher round trips?

    .local/venv/bin/python -m bench.profile_latency [--duration 20] [--smoke]

Runs the benchmark harness (bench/run/) for ContactGraph alone: the 100,000-child
dataset (seeded once, then reused), the full index-view document of tests/queries.py
CHILD_PROFILE with a real token and X-Purpose, 8 concurrent keep-alive clients on
loopback, a warm-up, then a fixed measured duration. It prints one sentence with the
median and p95 latency, the throughput and the Cypher round trips per request (from
the response's extensions.cypherRoundTrips), and writes
bench/results/profile-latency.md and .json.
"""

from __future__ import annotations

import argparse
import json
import sys

from bench.report import RESULTS
from bench.run import main as run

OUTPUT = "profile-latency"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_latency", description=__doc__)
    parser.add_argument("--duration", type=float, default=20.0, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=5.0, help="warm-up seconds")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--smoke", action="store_true", help="label the figure as a smoke figure")
    parser.add_argument("--keep-neo4j", action="store_true")
    args = parser.parse_args(argv)

    harness_args = [
        "--mode",
        "quick",
        "--systems",
        "contactgraph",
        "--workloads",
        "profile",
        "--concurrency",
        str(args.clients),
        "--duration",
        str(args.duration),
        "--warmup",
        str(args.warmup),
        "--output",
        OUTPUT,
    ]
    if args.smoke:
        harness_args.append("--smoke")
    if args.keep_neo4j:
        harness_args.append("--keep-neo4j")
    code = run.main(harness_args)
    report = json.loads((RESULTS / f"{OUTPUT}.json").read_text())
    rows = [r for r in report["results"] if r["system"] == "contactgraph"]
    if code != 0 or not rows:
        print("no figure: the run failed (see above)", file=sys.stderr)
        return 1
    row = rows[0]
    label = " (smoke figure: the machine was shared)" if args.smoke else ""
    print()
    print(
        f"Full child profile (index view), {report['dataset_children']:,} children, "
        f"{row['concurrency']} concurrent clients, {row['duration_s']:g} s measured: "
        f"median {row['p50_ms']:.1f} ms, p95 {row['p95_ms']:.1f} ms, {row['rps']:.0f} req/s, "
        f"{row['round_trips']:g} Cypher round trip(s) per request, {row['errors']} errors; "
        f"{report['date'][:10]}, {report['machine']['summary']}{label}. "
        "Measured with: .local/venv/bin/python -m bench.profile_latency"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
