"""`contactgraph load --initial FILE...`: a first load of an empty index, in bulk (issue 21).

    contactgraph load --initial FILE... [--work-dir DIR] [--errors PATH] [--keep-files]

Each FILE is a feed file, as for `contactgraph ingest` (NDJSON, its source from its name,
`<source>.ndjson`), loaded in the order given. Every record is validated, matched and
planned exactly as `contactgraph ingest` would (bulk/plan.py), into an on-disk key store
instead of Neo4j; the result is written as CSV and put into the store by Neo4j's own
bulk importer (`neo4j-admin database import full`) with the local server stopped; the
server is started again, the migrations' constraints and indexes are created over what
was imported (not their data statements: the imported data is already in today's shape)
and the index's bookkeeping is put back, the statistics snapshot (R11) is computed, and
one audit event (R14) records the load. The graph it leaves is the graph `contactgraph
ingest` of the same files, one after another, would have left, up to the ids the index
generates.

Only into an empty index, and only on the project's local Neo4j (the import replaces
the store's files, so it needs the server on this machine, stopped): a database holding
anything but bookkeeping and local authorities is refused, by name. Local authorities,
set up before any feed, are carried over, as are the migrations' records.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import getpass
import json
import os
import shutil
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from graph.initial_load import KeptNode

__all__ = ["LoadRefused", "register", "run_load"]

ROOT = Path(__file__).resolve().parent.parent


class LoadRefused(RuntimeError):
    """The load was not started: nothing was changed."""


class _Phases:
    """Wall time of each phase, in order, for the report and the benchmark."""

    def __init__(self, say: Callable[[str], None]) -> None:
        self.times: dict[str, float] = {}
        self.say = say

    @contextlib.contextmanager
    def phase(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.times[name] = time.perf_counter() - started
            self.say(f"  {name:<26}{self.times[name]:>9.1f}s")


async def _with_graph(work: Any, instance: str) -> Any:
    from graph.connection import target_from_env
    from graph.database import open_graph

    # Index builds over millions of imported nodes outlast the CLI's usual timeout.
    graph = open_graph(target_from_env(instance), timeout_s=4 * 3600)
    try:
        return await work(graph)
    finally:
        await graph.close()


async def _check_empty(graph: Any, database: str) -> list[KeptNode]:
    from graph import initial_load, migrations

    await migrations.apply_all(graph, report=None)
    found = await initial_load.contents(graph)
    if found:
        what = ", ".join(f"{n:,} {label}" for label, n in found[:8])
        raise LoadRefused(
            f"database '{database}' is not empty ({what}): a first load goes only into an "
            "empty index, and the import would replace everything in it; send changes to a "
            "loaded index with `contactgraph ingest`"
        )
    return await initial_load.kept_nodes(graph)


def _start(inst: Any) -> None:
    """Start the server on its new store, waiting minutes: on this busy machine the first
    start after an import has taken over 30 s in its password step alone (the launcher
    bounds that step by what is left of the wait, and stops if it fails)."""
    import localneo4j

    localneo4j.start(inst, wait_seconds=600)


async def _restore(graph: Any, kept: list[KeptNode]) -> None:
    """After an import, or after one that failed: the store is new or left as it was."""
    from graph import initial_load

    await initial_load.put_back(graph, kept)


def run_load(
    files: list[tuple[str, Path]],
    *,
    instance: str,
    work_dir: Path,
    today: date,
    errors_out: IO[str] | None = None,
    keep_files: bool = False,
    say: Callable[[str], None] = print,
) -> dict[str, Any]:
    """The whole load; returns the per-file reports, the phase times and the counts."""
    import localneo4j
    from api.settings import load_settings
    from bulk.csv_files import write_csv
    from bulk.plan import FilePlan, plan_file
    from bulk.store import KeyStore
    from localneo4j import import_tool

    if os.environ.get("NEO4J_URI"):
        raise LoadRefused(
            "NEO4J_URI is set: a bulk load replaces the store's files, so it runs only on the "
            "project's local Neo4j (unset NEO4J_URI), stopped while it imports"
        )
    database = os.environ.get("NEO4J_DATABASE") or "neo4j"
    inst = localneo4j.instance(instance)
    phases = _Phases(say)
    now = datetime.now(UTC)
    run_id = f"load-{uuid.uuid4().hex[:12]}"
    started = time.perf_counter()

    with phases.phase("check empty"):
        localneo4j.install(progress=lambda _: None)
        import_tool.install_import_tool(progress=say)
        localneo4j.start(inst)
        carried = asyncio.run(_with_graph(lambda g: _check_empty(g, database), instance))

    work_dir.mkdir(parents=True, exist_ok=True)
    store = KeyStore(work_dir / "keys.sqlite")
    plans: list[FilePlan] = []
    try:
        store.add_local_authorities(
            n.props["code"] for n in carried if "LocalAuthority" in n.labels
        )
        with phases.phase("read, validate, plan"):
            gc.freeze()  # as ingest: chunks are many small acyclic objects
            gc.set_threshold(200_000, 50, 100)
            for source, path in files:

                def rejected(r: Any) -> None:
                    if errors_out is not None:
                        errors_out.write(
                            json.dumps(
                                {"sourceRef": r.source_ref, "code": r.code, "message": r.message}
                            )
                            + "\n"
                        )

                plans.append(
                    plan_file(
                        store,
                        source,
                        path,
                        today,
                        reference_sources=load_settings().reference_sources,
                        on_rejection=rejected,
                    )
                )
        with phases.phase("write CSV"):
            csv_files = write_csv(store, work_dir / "csv", now)
        authorities = store.local_authority_rows()
        counts = {
            "children": store.count("child"),
            "involvements": store.count("involvement"),
            "feedRecords": store.count("feed"),
        }
    finally:
        store.close()
        if not keep_files:
            (work_dir / "keys.sqlite").unlink(missing_ok=True)

    try:
        with phases.phase("stop Neo4j"):
            localneo4j.stop(inst)
        with phases.phase("neo4j-admin import"):
            summary = import_tool.import_full(
                inst, csv_files, database=database, log=work_dir / "import.log"
            )
    except BaseException:
        # The database is empty again (import_full removed what it half wrote): put back
        # what it held, so a failed load leaves the index as it found it.
        _start(inst)
        asyncio.run(_with_graph(lambda g: _restore(g, carried), instance))
        raise
    with phases.phase("start Neo4j"):
        _start(inst)
    if not keep_files:
        shutil.rmtree(work_dir / "csv", ignore_errors=True)

    async def after(graph: Any) -> None:
        from api.resolvers.statistics import refresh_snapshot
        from graph import initial_load
        from graph.alerts import Actor
        from graph.audit import AuditRecord, append_events

        with phases.phase("migrations, indexes"):
            await _restore(graph, carried)
            actor = Actor(f"cli:{getpass.getuser()}", "FEED", run_id)
            await initial_load.write_local_authorities(graph, authorities, now, actor)
            await initial_load.finish_imported(graph)
            await initial_load.await_indexes(graph)
        with phases.phase("statistics snapshot"):
            await refresh_snapshot(graph, today)
        with phases.phase("audit event"):
            accepted = sum(p.report.accepted for p in plans)
            names = ", ".join(f"{p.path.name} ({p.source})" for p in plans)
            await append_events(
                graph,
                [
                    AuditRecord(
                        id=str(uuid.uuid4()),
                        at=datetime.now(UTC),
                        subject=f"cli:{getpass.getuser()}",
                        role="FEED",
                        action="initial-load",
                        purpose=None,
                        # One event for the whole load: naming every child loaded would make
                        # one node of millions of ids; the files and counts say what came in.
                        child_ids=[],
                        disclosed=[],
                        denied=[],
                        request_id=run_id,
                        reason=(
                            f"first load in bulk of {names}: {accepted} records accepted, "
                            f"{counts['children']} children"
                        ),
                    )
                ],
            )

    asyncio.run(_with_graph(after, instance))
    elapsed = time.perf_counter() - started
    return {
        "plans": plans,
        "phases": phases.times,
        "counts": counts,
        "elapsed": elapsed,
        "records": sum(p.report.total for p in plans),
        "import": summary,
    }


def _print_report(result: dict[str, Any]) -> None:
    records, elapsed = result["records"], result["elapsed"]
    print(
        f"loaded {records:,} records in {elapsed:.1f}s ({records / max(elapsed, 1e-9):,.0f} "
        f"records/s end to end): {result['counts']['children']:,} children"
    )
    for plan in result["plans"]:
        report = plan.report
        print(f"  {plan.path.name} (source {plan.source})")
        print(f"    accepted            {report.accepted:>10,}")
        print(f"    unchanged           {report.unchanged:>10,}   (sent twice in the file)")
        print(f"    rejected            {report.rejected:>10,}")
        for code, count in report.rejected_by_code.most_common():
            print(f"        {code:<28}{count:>10,}")
        print(f"    held for review     {report.pending_match_review:>10,}   (R15)")
        for rejection in report.errors:
            print(f"    rejected {rejection.source_ref}: {rejection.code}: {rejection.message}")


def cmd_load(args: argparse.Namespace) -> int:
    from api.cli import _local_instance_name
    from localneo4j import NeoServerError

    if not args.initial:
        print("error: only --initial (a first load into an empty index) exists", file=sys.stderr)
        return 2
    files: list[tuple[str, Path]] = []
    for name in args.files:
        path = Path(name)
        if not path.is_file():
            print(f"error: no such file: {path}", file=sys.stderr)
            return 2
        source = path.name.split(".")[0]
        if not source or len(source) > 100:
            print(f"error: {path.name} does not name a source (<source>.ndjson)", file=sys.stderr)
            return 2
        files.append((source, path))
    work_dir = Path(args.work_dir) if args.work_dir else ROOT / ".local" / "load"
    with contextlib.ExitStack() as stack:
        errors_out = (
            stack.enter_context(Path(args.errors).open("w", encoding="utf-8"))
            if args.errors
            else None
        )
        try:
            result = run_load(
                files,
                instance=_local_instance_name(),
                work_dir=work_dir,
                today=date.today(),
                errors_out=errors_out,
                keep_files=args.keep_files,
            )
        except LoadRefused as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        except NeoServerError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
    _print_report(result)
    return 0


def register(subparsers: Any) -> None:
    load = subparsers.add_parser(
        "load", help="first load of an empty index in bulk (neo4j-admin import)"
    )
    load.add_argument("--initial", action="store_true", help="required: a first load")
    load.add_argument("files", nargs="+", help="feed files, <source>.ndjson, loaded in order")
    load.add_argument("--work-dir", help="key store and CSV files (default .local/load)")
    load.add_argument("--errors", help="write every rejection to this NDJSON file")
    load.add_argument("--keep-files", action="store_true", help="keep the key store and CSV")
    load.set_defaults(func=cmd_load)
