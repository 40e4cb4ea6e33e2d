"""`contactgraph webhooks run`: the webhook delivery worker (issue 20) as its own process.

contactgraph webhooks run [--once] [--batch N] [--concurrency N] [--name NAME]
    Fans practitioners' notifications out to their services' endpoints and delivers them
    (webhooks/worker.py). Run one or several, on any hosts: each claims deliveries with a
    lease, so they share the work, and one that dies has its claims taken over when the
    lease runs out (CONTACTGRAPH_WEBHOOK_LEASE). `--once` delivers what is due and stops
    (retries scheduled for later stay for the next run).

Settings: CONTACTGRAPH_WEBHOOK_* (README), the sealing key above all.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import sys
from typing import Any

from api.settings import Settings, load_settings

__all__ = ["build_worker", "register", "run_worker"]


def build_worker(
    graph: Any,
    settings: Settings,
    *,
    owner: str | None = None,
    pause_after_claim_s: float = 0.0,
    **changes: Any,
) -> Any:
    """A delivery worker with the core's re-check as its shaper. Raises SecretKeyError
    when no sealing key is configured."""
    from webhooks.core import recheck_for_webhooks
    from webhooks.secretbox import box_from
    from webhooks.worker import DeliveryWorker

    cfg = dataclasses.replace(settings.webhooks, **changes)
    box = box_from(cfg.key_b64, cfg.key_file, production=settings.production)
    return DeliveryWorker(
        graph,
        cfg,
        box,
        recheck_for_webhooks,
        production=settings.production,
        owner=owner,
        pause_after_claim_s=pause_after_claim_s,
    )


async def run_worker(graph: Any, settings: Settings, stop: asyncio.Event, **changes: Any) -> Any:
    """Run a delivery worker until `stop` (for `notify run` to start beside its
    dispatcher); returns the worker (its stats)."""
    worker = build_worker(graph, settings, **changes)
    await worker.run(stop)
    return worker


def cmd_run(args: argparse.Namespace) -> int:
    from api.cli import ensure_neo4j, stop_on_signals, with_graph
    from webhooks.secretbox import SecretKeyError

    settings = load_settings()
    changes = {k: v for k, v in (("batch", args.batch), ("concurrency", args.concurrency)) if v}
    try:
        build_worker(None, settings, **changes)  # the key is there before Neo4j is started
    except SecretKeyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    ensure_neo4j(quiet=True)

    async def work(graph: Any) -> int:
        worker = build_worker(
            graph,
            settings,
            owner=args.name,
            pause_after_claim_s=args.pause_after_claim,
            **changes,
        )
        print(json.dumps({"webhooks": worker.owner, "started": True}), flush=True)
        if args.once:
            async with worker.client() as client:
                await worker.drain(client)
        else:
            stop = stop_on_signals()
            await worker.run(stop)
        s = worker.stats
        print(
            json.dumps(
                {
                    "webhooks": worker.owner,
                    "delivered": s.delivered,
                    "failed": s.failed,
                    "dead": s.dead,
                    "withheld": s.withheld,
                    "cancelled": s.cancelled,
                    "lostLeases": s.lost_leases,
                }
            ),
            flush=True,
        )
        return 0

    return int(asyncio.run(with_graph(work)))


def register(subparsers: Any) -> None:
    hooks = subparsers.add_parser("webhooks", help="webhook deliveries (issue 20)")
    actions = hooks.add_subparsers(dest="webhooks_action", required=True)
    run = actions.add_parser("run", help="deliver notifications to registered webhooks")
    run.add_argument("--once", action="store_true", help="deliver what is due, then stop")
    run.add_argument("--batch", type=int, default=0, help="deliveries claimed at a time")
    run.add_argument("--concurrency", type=int, default=0, help="attempts in flight at most")
    run.add_argument("--name", help="this worker's name in leases (default: host-random)")
    run.add_argument(
        "--pause-after-claim",
        type=float,
        default=0.0,
        help=argparse.SUPPRESS,  # crash-safety tests: kill -9 between the claim and the send
    )
    run.set_defaults(func=cmd_run)
