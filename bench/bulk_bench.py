"""First load in bulk (issue 21): `contactgraph load --initial` of the feed generator's files.

    export CONTACTGRAPH_NEO4J_INSTANCE=bulkbench CONTACTGRAPH_NEO4J_PORT=7747
    .local/venv/bin/python -m bench.bulk_bench --records 1000000 --records 5000000
    .local/venv/bin/python -m bench.bulk_bench --python-only --records 1000000   # no Neo4j

For each size: the ingest benchmark's generator writes a mixed feed file (bench/
ingest_bench.py: services and staff, children, corrections, carers, involvements, ends,
CAFs, re-sent and broken records; no child known beforehand), the instance's database is
emptied (its store removed, the server started on a new one, migrations applied, the
four local authorities the generator names set up), and the load runs as its own
process. Reported: records per second end to end (process start to exit: the check,
reading, validating and planning, the CSV, stopping Neo4j, the import, starting Neo4j,
migrations and index builds, the statistics snapshot and the audit event), the peak
resident set size of the Python process (VmHWM; the import tool's JVM is not Python),
and the time of each phase as the command prints it, with the machine's load average at
the start and end of the load (a shared machine: the figures depend on it).
`--python-only` runs just the Python side (read, validate, plan into the key store, write
the CSV) in this process, with its CPU time a record and peak RSS, apart from the
server's stop, import and start.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from datetime import UTC, date, datetime
from pathlib import Path

import neo4j

from bench.ingest_bench import _peak_rss_kb, generate

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / ".local" / "bench"
LOCAL_AUTHORITIES = [
    {"code": code, "name": name, "indexTeamPhone": "01632 960000"}
    for code, name in (
        ("NBR", "Northbridge"), ("EVL", "Eastvale"), ("SMR", "Southmoor"), ("WFD", "Westfield"),
    )
]  # fmt: skip


def _feed(records: int, today: date) -> Path:
    path = OUT / f"bulk-{records}" / "bench-mis.ndjson"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        with path.open("wb", buffering=1 << 20) as out:
            out.writelines(generate(records, existing=0, seed=1, today=today))
        print(f"generated {path} in {time.perf_counter() - started:.0f}s", flush=True)
    return path


def _empty_database(instance: str) -> None:
    """A new, empty store: faster than deleting millions of nodes, and leaves no schema."""
    import localneo4j
    from graph.connection import target_from_env

    inst = localneo4j.instance(instance)
    localneo4j.stop(inst)
    for folder in ("databases", "transactions"):
        shutil.rmtree(inst.data_dir / folder / "neo4j", ignore_errors=True)
    localneo4j.start(inst, wait_seconds=600)
    subprocess.run([sys.executable, "-m", "api.cli", "migrate"], cwd=ROOT, check=True)
    target = target_from_env(instance)
    with neo4j.GraphDatabase.driver(target.uri, auth=target.auth) as driver:
        driver.execute_query(
            "UNWIND $rows AS row CREATE (la:LocalAuthority) SET la = row", rows=LOCAL_AUTHORITIES
        )


def _load(path: Path) -> tuple[float, int, str]:
    command = [
        sys.executable, "-m", "api.cli", "load", "--initial", str(path),
        "--work-dir", str(path.parent / "work"),
    ]  # fmt: skip
    peak = 0
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    done = threading.Event()

    def watch() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _peak_rss_kb(process.pid))
            done.wait(0.2)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    output, _ = process.communicate()
    done.set()
    elapsed = time.perf_counter() - started
    if process.returncode != 0:
        raise SystemExit(f"load failed (exit {process.returncode}):\n{output}")
    return elapsed, peak, output


def _python_side(path: Path, today: date) -> None:
    """Only what the Python process does (read, validate, plan, CSV), no Neo4j: the part
    of the load this project's code decides, measured apart from the server's restarts."""
    import resource

    from bulk.csv_files import write_csv
    from bulk.plan import plan_file
    from bulk.store import KeyStore

    work = path.parent / "work-python"
    work.mkdir(exist_ok=True)
    store = KeyStore(work / "keys.sqlite")
    store.add_local_authorities(la["code"] for la in LOCAL_AUTHORITIES)
    started = time.perf_counter()
    plan = plan_file(store, path.name.split(".")[0], path, today)
    planned = time.perf_counter()
    write_csv(store, work / "csv", datetime.now(UTC))
    written = time.perf_counter()
    store.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    cpu = time.process_time()
    total = plan.report.total
    print(
        f"bulk bench (Python side): {total:,} records; read, validate, plan "
        f"{planned - started:.1f}s = {total / (planned - started):,.0f} records/s; CSV "
        f"{written - planned:.1f}s; together {total / (written - started):,.0f} records/s; "
        f"CPU {cpu:.1f}s = {1e6 * cpu / total:.0f} µs a record; peak RSS {peak:,.0f} MB"
    )
    shutil.rmtree(work, ignore_errors=True)


def _load_text(load: tuple[float, float, float]) -> str:
    return " ".join(f"{x:.2f}" for x in load)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bulk_bench", description=__doc__)
    parser.add_argument("--records", type=int, action="append", help="file sizes (repeatable)")
    parser.add_argument(
        "--python-only", action="store_true", help="plan and write the CSV only (no Neo4j)"
    )
    args = parser.parse_args(argv)
    if args.python_only:
        for records in args.records or [1_000_000]:
            _python_side(_feed(records, date.today()), date.today())
        return 0
    instance = os.environ.get("CONTACTGRAPH_NEO4J_INSTANCE", "")
    if instance in ("", "dev", "test"):
        print("error: name an instance of its own (CONTACTGRAPH_NEO4J_INSTANCE and _PORT): "
              "its database is emptied", file=sys.stderr)  # fmt: skip
        return 2
    today = date.today()
    for records in args.records or [1_000_000]:
        path = _feed(records, today)
        _empty_database(instance)
        load_before = os.getloadavg()
        elapsed, peak_kb, output = _load(path)
        load_after = os.getloadavg()
        print(output, end="")
        lines = sum(1 for _ in path.open("rb"))
        phases = re.findall(r"^  (\S.*?)\s+([\d.]+)s$", output, re.M)
        print(
            f"\nbulk bench: {lines:,} records in {elapsed:.1f}s = {lines / elapsed:,.0f} "
            f"records/s end to end; Python peak RSS {peak_kb / 1024:,.0f} MB; load average "
            f"{_load_text(load_before)} at the start, {_load_text(load_after)} at the end "
            f"({os.cpu_count()} cores)"
        )
        for name, seconds in phases:
            print(f"bulk bench:   {name:<24}{float(seconds):>8.1f}s")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
