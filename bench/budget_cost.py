"""What R2's browsing budget costs a child read that has to spend it (issue 16).

    python bench/budget_cost.py [--rounds 5] [--reads 400]

A re-read of a child already counted today costs nothing (the process remembers it;
bench/profile_ab.py measures that whole-request path). This measures the other case, a
child new to the viewer today: the child read with its spend folded in (graph/children.py
`_FETCH_COUNTING`, one auto-commit write) against the same read without it (one
auto-commit read), in alternating rounds in one process, on Hannah's full record, each
spend under a subject of its own so every one is a first read. Prints per round the
median and p95 of both and their ratios. Against the instance the environment names;
Hannah's story must be loaded.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from datetime import UTC, date, datetime

from graph import children
from graph.browsing import BudgetRequest
from graph.connection import target_from_env
from graph.database import open_graph


async def _round(graph: object, reads: int, counted: bool) -> list[float]:
    timings = []
    today = date.today()
    for _ in range(reads):
        subject = f"bench-budget-{uuid.uuid4().hex}"
        budget = (
            BudgetRequest(
                subject, "PRACTITIONER", today, 60, "NBR", ("c-hannah",), datetime.now(UTC)
            )
            if counted
            else None
        )
        started = time.perf_counter()
        page = await children.fetch_children(
            graph,  # type: ignore[arg-type]
            ["c-hannah"],
            practitioner_id="p-melanie",
            subject=subject,
            horizon=today.replace(year=today.year - 1),
            budget=budget,
        )
        timings.append((time.perf_counter() - started) * 1000)
        assert page.children and page.within_budget
    return timings


async def _main(rounds: int, reads: int) -> None:
    import os

    graph = open_graph(target_from_env(os.environ.get("CONTACTGRAPH_NEO4J_INSTANCE", "dev")))
    try:
        await _round(graph, 100, True)  # warm-up: plans, pools, page cache
        await _round(graph, 100, False)
        for n in range(1, rounds + 1):
            plain = await _round(graph, reads, False)
            counted = await _round(graph, reads, True)
            p50 = (statistics.median(plain), statistics.median(counted))
            p95 = (statistics.quantiles(plain, n=20)[18], statistics.quantiles(counted, n=20)[18])
            print(
                f"round {n}: read p50 {p50[0]:.2f} ms p95 {p95[0]:.2f} ms; "
                f"read+spend p50 {p50[1]:.2f} ms p95 {p95[1]:.2f} ms; "
                f"ratio p50 {p50[1] / p50[0]:.2f} p95 {p95[1] / p95[0]:.2f}"
            )
        await graph.write(
            "MATCH (d:BrowsingDay) WHERE d.subject STARTS WITH 'bench-budget-' DELETE d"
        )
    finally:
        await graph.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--reads", type=int, default=400)
    args = parser.parse_args()
    asyncio.run(_main(args.rounds, args.reads))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
