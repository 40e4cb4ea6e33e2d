"""`contactgraph notify run`: the notification dispatcher (issue 20) as its own process.

Run one or several (on any hosts): each claims outbox events with a lease, so they share
the work, and one that dies has its events taken over when its lease runs out.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any

from api.cli import stop_on_signals, with_graph
from api.commands_webhooks import build_worker
from api.settings import load_settings
from graph.database import Graph
from graph.notifications import pending_events
from notify.dispatcher import Dispatcher

__all__ = ["register"]


def cmd_run(args: argparse.Namespace) -> int:
    async def work(graph: Graph) -> int:
        dispatcher = Dispatcher(
            graph,
            batch=args.batch,
            lease_ms=args.lease_ms,
            idle_s=args.idle,
            pause_after_claim_s=args.pause_after_claim,
            name=args.name,
        )
        print(json.dumps({"dispatcher": dispatcher.me, "started": True}), flush=True)
        hooks = build_worker(graph, load_settings()) if args.webhooks else None
        if args.once:
            await dispatcher.drain()
            if hooks is not None:
                async with hooks.client() as client:
                    await hooks.drain(client)
        else:
            stop = stop_on_signals()
            # The webhook worker beside the dispatcher, in the same loop (issue 20).
            await asyncio.gather(
                dispatcher.run(stop), *([hooks.run(stop)] if hooks is not None else [])
            )
        stats = dispatcher.stats
        print(
            json.dumps(
                {
                    "dispatcher": dispatcher.me,
                    "events": stats.events,
                    "notifications": stats.notifications,
                    "batches": stats.batches,
                    "pending": await pending_events(graph),
                }
            ),
            flush=True,
        )
        return 0

    return int(asyncio.run(with_graph(work)))


def register(subparsers: Any) -> None:
    notify = subparsers.add_parser("notify", help="notifications (issue 20)")
    actions = notify.add_subparsers(dest="notify_action", required=True)
    run = actions.add_parser("run", help="dispatch outbox events to their recipients")
    run.add_argument("--once", action="store_true", help="dispatch what is pending, then stop")
    run.add_argument("--batch", type=int, default=200, help="events claimed at a time")
    run.add_argument(
        "--lease-ms", type=int, default=30_000, help="how long a claim holds (then taken over)"
    )
    run.add_argument("--idle", type=float, default=0.1, help="seconds between polls when idle")
    run.add_argument("--name", help="this dispatcher's name (default: host-pid-random)")
    run.add_argument(
        "--webhooks",
        action="store_true",
        help="also deliver to registered webhooks (as `contactgraph webhooks run` does)",
    )
    run.add_argument(
        "--pause-after-claim",
        type=float,
        default=0.0,
        help=argparse.SUPPRESS,  # crash-safety tests: kill -9 between the claim and the write
    )
    run.set_defaults(func=cmd_run)
