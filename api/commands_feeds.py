"""`contactgraph ingest FILE` and `contactgraph retention run` (feeds.md, R15, R16).

contactgraph ingest FILE [--source S] [--batch-size N] [--errors PATH]
    Streams an NDJSON file of feed records (one `{"sourceRef", "op", "payload"}` a
    line, any size) into the index through the same code as `Mutation.ingest`, with
    a progress bar and a final report. Memory stays flat whatever the file size: a
    reader thread parses and validates the next chunk while the current one is
    written, and at most two chunks wait between them. A file named `<source>.ndjson`
    needs no --source. Safe to re-run, also after a crash (kill -9): what was
    already written is reported as unchanged.

contactgraph retention run [--as-of DATE] [--dry-run] [--webhook-days N] [--read-days N]
        [--outbox-days N]
    Applies R16 (api/retention.py): archives at 18, deletes six years after archiving,
    applies the death rule; prunes notifications' records that have served (finished
    webhook deliveries, read notifications, fanned-out outbox events, each after its
    days); prints what it did and writes one audit event.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import getpass
import json
import os
import queue
import sys
import threading
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from feeds.report import ChunkOutcome
    from graph.audit import AuditRecord

__all__ = ["register"]

_DONE = object()
_SHOWN_ERRORS = 50


def _count_lines(path: Path) -> int:
    lines = 0
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            lines += block.count(b"\n")
    return lines


def _reader(
    path: Path, today: date, batch_size: int, handoff: queue.Queue[Any], stop: threading.Event
) -> None:
    """Runs on a thread: read, parse, validate, cut into chunks; never more than two ahead."""
    from feeds.ndjson import parsed_lines
    from feeds.pipeline import chunked

    def offer(item: object) -> bool:
        while not stop.is_set():
            try:
                handoff.put(item, timeout=0.5)
                return True
            except queue.Full:
                continue
        return False

    try:
        with path.open("rb") as handle:
            for chunk in chunked(parsed_lines(handle, today), batch_size):
                if not offer(chunk):
                    return
    except BaseException as exc:  # handed to the writer, which re-raises it
        offer(exc)
        return
    offer(_DONE)


async def _ingest_file(args: argparse.Namespace, source: str, path: Path) -> int:
    # Chunks allocate hundreds of thousands of small acyclic objects that reference
    # counting frees; the cyclic collector would otherwise rescan them over and over
    # (it tripled the cost of parsing). Imported modules are frozen out of its way.
    gc.freeze()
    gc.set_threshold(200_000, 50, 100)
    from tqdm import tqdm

    from api.cli import with_graph
    from api.settings import load_settings
    from feeds.pipeline import Chunk, Ingestor, chunk_event
    from graph.alerts import Actor
    from graph.database import Graph

    today = date.today()
    run_id = f"ingest-{uuid.uuid4().hex[:12]}"
    subject = f"cli:{getpass.getuser()}"
    total_lines = _count_lines(path)

    async def work(graph: Graph) -> Any:
        with contextlib.ExitStack() as stack:
            errors_out = (
                stack.enter_context(Path(args.errors).open("w", encoding="utf-8"))
                if args.errors
                else None
            )
            return await _stream(graph, errors_out)

    async def _stream(graph: Graph, errors_out: IO[str] | None) -> Any:
        ingestor = Ingestor(
            graph,
            source,
            today=today,
            now=datetime.now(UTC),
            max_errors=_SHOWN_ERRORS,
            actor=Actor(subject, "FEED", run_id),
            reference_sources=load_settings().reference_sources,
        )
        handoff: queue.Queue[Any] = queue.Queue(maxsize=2)
        stop = threading.Event()
        reader = threading.Thread(
            target=_reader,
            args=(path, today, args.batch_size, handoff, stop),
            name="ingest-reader",
            daemon=True,
        )
        reader.start()
        bar = tqdm(total=total_lines, unit="rec", desc=f"ingest {source}", disable=args.quiet)

        async def chunks() -> AsyncIterator[Chunk]:
            while True:
                item = await asyncio.to_thread(handoff.get)
                if item is _DONE:
                    return
                if isinstance(item, BaseException):
                    raise item
                assert isinstance(item, Chunk)
                ingestor.now = datetime.now(UTC)  # its FeedRecords' receivedAt
                yield item

        def audit(outcome: ChunkOutcome) -> list[AuditRecord]:
            # R14: each chunk that changed children or reference data commits with its
            # own event.
            if not outcome.child_ids and not outcome.changed:
                return []
            return [chunk_event(outcome, subject, "FEED", run_id, source)]

        started = time.perf_counter()
        try:
            async for chunk, outcome in ingestor.ingest_chunks(chunks(), audit):
                if errors_out is not None:
                    for rejection in outcome.rejections:
                        errors_out.write(
                            json.dumps(
                                {
                                    "sourceRef": rejection.source_ref,
                                    "code": rejection.code,
                                    "message": rejection.message,
                                }
                            )
                            + "\n"
                        )
                bar.update(chunk.lines)
        finally:
            stop.set()
            bar.close()
        return ingestor.report, time.perf_counter() - started

    report, elapsed = await with_graph(work)
    rate = report.total / elapsed if elapsed > 0 else 0.0
    print(f"ingested {path.name} for source {source} in {elapsed:.1f}s ({rate:,.0f} records/s)")
    print(f"  accepted            {report.accepted:>10,}")
    print(f"  unchanged           {report.unchanged:>10,}   (already in the index)")
    print(f"  rejected            {report.rejected:>10,}")
    for code, count in report.rejected_by_code.most_common():
        print(f"      {code:<28}{count:>10,}")
    print(
        f"  held for review     {report.pending_match_review:>10,}   (R15: the index team decides)"
    )
    for source_ref in report.held:
        print(f"  held for review: {source_ref}")
    for rejection in report.errors:
        print(f"  rejected {rejection.source_ref}: {rejection.code}: {rejection.message}")
    if report.rejected > len(report.errors):
        more = report.rejected - len(report.errors)
        where = f" (all in {args.errors})" if args.errors else " (use --errors PATH for all)"
        print(f"  ... and {more:,} more rejections{where}")
    return 0


def cmd_ingest(args: argparse.Namespace) -> int:
    from api.cli import ensure_neo4j

    path = Path(args.file)
    if not path.is_file():
        print(f"error: no such file: {path}", file=sys.stderr)
        return 2
    source = args.source or path.name.split(".")[0]
    if not source or len(source) > 100:
        print("error: name the source system with --source", file=sys.stderr)
        return 2
    if not 1 <= args.batch_size <= 10_000:
        print("error: --batch-size must be between 1 and 10000", file=sys.stderr)
        return 2
    ensure_neo4j(quiet=True)
    return asyncio.run(_ingest_file(args, source, path))


def cmd_retention(args: argparse.Namespace) -> int:
    from api.cli import ensure_neo4j, with_graph
    from api.retention import run_retention
    from policies.retention import NotificationRetention

    try:
        as_of = date.fromisoformat(args.as_of) if args.as_of else date.today()
    except ValueError:
        print("error: --as-of must be an ISO date (YYYY-MM-DD)", file=sys.stderr)
        return 2
    try:
        kept = NotificationRetention(args.webhook_days, args.read_days, args.outbox_days)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    ensure_neo4j(quiet=True)
    summary = asyncio.run(
        with_graph(
            lambda graph: run_retention(
                graph,
                as_of=as_of,
                dry_run=args.dry_run,
                batch_size=args.batch_size,
                progress=print,
                subject=f"cli:{getpass.getuser()}",
                notifications=kept,
            )
        )
    )
    for line in summary.lines():
        print(line)
    return 0


def register(subparsers: Any) -> None:
    ingest = subparsers.add_parser(
        "ingest", help="stream an NDJSON file of feed records into the index (R15)"
    )
    ingest.add_argument("file", help="NDJSON: one {sourceRef, op, payload} record a line")
    ingest.add_argument("--source", help="the source system (default: the file name's stem)")
    ingest.add_argument(  # feeds.pipeline.CHUNK_RECORDS, not imported here to keep start-up fast
        "--batch-size", type=int, default=5000, help="records per transaction"
    )
    ingest.add_argument("--errors", help="write every rejection to this NDJSON file")
    ingest.add_argument("--quiet", action="store_true", help="no progress bar")
    ingest.set_defaults(func=cmd_ingest)

    retention = subparsers.add_parser("retention", help="R16: archive and delete records")
    retention.add_argument("action", choices=["run"])
    retention.add_argument("--as-of", help="the date to apply the rules for (default: today)")
    retention.add_argument("--dry-run", action="store_true", help="report, change nothing")
    retention.add_argument("--batch-size", type=int, default=2000, help="children per batch")
    kept = (  # policies.retention.NotificationRetention's defaults, not imported here
        (
            "--webhook-days",
            "CONTACTGRAPH_RETENTION_WEBHOOK_DAYS",
            30,
            "finished webhook deliveries",
        ),
        ("--read-days", "CONTACTGRAPH_RETENTION_READ_DAYS", 90, "read notifications"),
        ("--outbox-days", "CONTACTGRAPH_RETENTION_OUTBOX_DAYS", 30, "fanned-out outbox events"),
    )
    for flag, env, default, what in kept:
        retention.add_argument(
            flag,
            type=int,
            default=int(os.environ.get(env) or default),
            help=f"days {what} are kept (default {default}, or ${env})",
        )
    retention.set_defaults(func=cmd_retention)
