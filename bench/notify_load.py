"""What the notification benches share (bench/notify_bench.py, bench/webhooks_bench.py):
the load (the feed's own involvement starts at a steady rate, so each writes its outbox
event in the committing transaction) and one reporter (latency quantiles, the machine's
load, the results file).
"""

from __future__ import annotations

import json
import os
import random
import statistics
import time
from datetime import date
from pathlib import Path
from typing import Any

import neo4j

from graph.feed_writes.start_involvement import INVOLVEMENTS_NEW

__all__ = ["quantiles", "report", "write_involvement_starts"]

RESULTS = Path(__file__).resolve().parent / "results"


def write_involvement_starts(
    driver: neo4j.Driver,
    *,
    prefix: str,
    children: int,
    rate: int,
    seconds: float,
    seed: int,
) -> tuple[int, float]:
    """`rate` involvement starts a second for `seconds` (ticks of 100 ms), each by the
    bench's mover (`<prefix>-mover` of `<prefix>-youth`) for a random `<prefix>-c-<k>`
    child. Returns (events written, seconds taken)."""
    rng = random.Random(seed)
    tick = 0.1
    per_tick = max(1, round(rate * tick))
    events = 0
    began = time.monotonic()
    while time.monotonic() - began < seconds:
        rows = [
            {
                "childId": f"{prefix}-c-{rng.randrange(children)}",
                "serviceId": f"{prefix}-youth",
                "practitionerId": f"{prefix}-mover",
                "lead": False,
                "props": {
                    "id": f"{prefix}-ev-{events + n}-{rng.random()}",
                    "startedOn": date.today(),
                    "source": "bench",
                    "sourceRef": f"{prefix}-ev-{events + n}",
                },
            }
            for n in range(per_tick)
        ]
        driver.execute_query(INVOLVEMENTS_NEW, rows=rows)
        events += per_tick
        time.sleep(max(0.0, began + (events / per_tick) * tick - time.monotonic()))
    return events, time.monotonic() - began


def quantiles(values: list[float]) -> dict[str, float | None]:
    """p50, p95 and mean of milliseconds (None with fewer than two)."""
    if len(values) < 2:
        return {"p50": None, "p95": None, "mean": None}
    q = statistics.quantiles(values, n=100)
    return {
        "p50": round(q[49], 1),
        "p95": round(q[94], 1),
        "mean": round(statistics.fmean(values), 1),
    }


def report(name: str, result: dict[str, Any], load_at_start: tuple[float, ...]) -> None:
    """Adds the machine's load (1/5/15-minute averages at the start and the end: other
    workloads share these cores) and writes bench/results/<name>.json; prints it."""
    result["loadAverage"] = {
        "atStart": [round(x, 2) for x in load_at_start],
        "atEnd": [round(x, 2) for x in os.getloadavg()],
        "cores": os.cpu_count(),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    text = json.dumps(result, indent=2) + "\n"
    (RESULTS / f"{name}.json").write_text(text)
    print(text, end="")
