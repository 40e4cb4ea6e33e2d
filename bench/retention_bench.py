"""Retention benchmark (issue 5): how long `contactgraph retention run` takes at scale.

    export CONTACTGRAPH_NEO4J_INSTANCE=feedbench CONTACTGRAPH_NEO4J_PORT=7737
    .local/venv/bin/python -m bench.retention_bench --years 0,3,10

Runs the real command as a subprocess against whatever the instance holds (for the
issue's figure, at least 1,000,000 children: the seeded population plus the children
the ingest benchmark created), once per `--years` offset, each as of today plus that
many years, in increasing order, so the same population is aged step by step:

- +0: today's run on a population of children (nearly nothing is due: the scan cost);
- +3: every child who turns 18 within three years is archived;
- +10: those archived more than six years before are deleted with everything that
  hangs only on them, and the next cohort is archived.

A dry run first measures the scan alone. It is destructive: run it last, on a
benchmark instance. Prints wall time, children before and after, and the job's summary.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import neo4j

from graph.connection import target_from_env
from seed.hannah import add_years

_COUNTS = """
MATCH (c:Child)
RETURN count(c) AS children, count(c.archivedOn) AS archived
"""


def _counts(driver: neo4j.Driver) -> tuple[int, int]:
    record = driver.execute_query(_COUNTS).records[0]
    return int(record["children"]), int(record["archived"])


def _run(as_of: date, dry_run: bool) -> tuple[float, str]:
    command = [
        str(Path(sys.executable).with_name("contactgraph")),
        "retention",
        "run",
        "--as-of",
        as_of.isoformat(),
    ]
    if dry_run:
        command.append("--dry-run")
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, env=os.environ.copy())
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(result.stderr)
    summary = [line for line in result.stdout.splitlines() if not line.startswith("retention:")]
    return elapsed, "\n".join(summary)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.retention_bench", description=__doc__)
    parser.add_argument("--years", default="0,3,10", help="offsets from today, in order")
    args = parser.parse_args(argv)
    target = target_from_env(os.environ.get("CONTACTGRAPH_NEO4J_INSTANCE", "dev"))
    today = date.today()
    with neo4j.GraphDatabase.driver(target.uri, auth=target.auth) as driver:
        children, archived = _counts(driver)
        print(f"population: {children:,} children, {archived:,} archived")
        elapsed, summary = _run(today, dry_run=True)
        print(f"\n== dry run as of {today} (scan and decide only): {elapsed:.1f}s wall\n{summary}")
        for years in (int(y) for y in args.years.split(",")):
            as_of = add_years(today, years)
            before = _counts(driver)
            elapsed, summary = _run(as_of, dry_run=False)
            after = _counts(driver)
            print(
                f"\n== retention run as of {as_of} (+{years}y): {elapsed:.1f}s wall; children "
                f"{before[0]:,} -> {after[0]:,}, archived {before[1]:,} -> {after[1]:,}\n{summary}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
