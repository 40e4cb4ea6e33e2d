"""Issue 6's analyst figure: each statistics query over the 1,000,000-child dataset.

    # a dataset of its own (or reuse one):
    export CONTACTGRAPH_NEO4J_INSTANCE=netbench CONTACTGRAPH_NEO4J_PORT=7757 \\
           CONTACTGRAPH_NEO4J_HEAP=3g CONTACTGRAPH_NEO4J_PAGECACHE=4g
    .local/venv/bin/contactgraph migrate
    .local/venv/bin/contactgraph seed --children 1000000
    # then:
    .local/venv/bin/python -m bench.analytics_bench [--refresh] [--repeat 20]

Two things are timed, because R11 answers come from a snapshot (graph/statistics.py):

1. the aggregation pass: the one Cypher statement that walks every live child and
   their involvements and returns grouped counts, plus writing the snapshot
   (`contactgraph statistics refresh`, which the API also starts in the background
   once the snapshot is an hour old). With --refresh, or when there is no snapshot.
2. every analyst question through the real GraphQL stack in this process (token check,
   limits, graphql-core execution, policy, JSON; no HTTP socket): the first request
   after a new snapshot (which loads the counts and suppresses the cubes once per
   process) and then `--repeat` requests of each question, median, p95 and max.

Prints a markdown table and writes bench/results/analytics.md and .json, with the
machine's load average: the machine is shared, and the figures move with it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from datetime import date
from typing import Any

import httpx

from bench.inprocess import asker
from bench.report import publish

OUTPUT = "analytics"

QUESTIONS: list[tuple[str, str, dict[str, Any]]] = []
_STATS = "query($g: [StatisticDimension!]!, $la: String) { involvementStatistics(groupBy: $g, localAuthority: $la) { key children suppressed } }"  # noqa: E501
for group_by in (
    ["SERVICE_KIND"],
    ["LOCAL_AUTHORITY"],
    ["AGE_BAND"],
    ["GENDER"],
    ["HAS_COMMON_ASSESSMENT"],
    ["SERVICE_KIND", "LOCAL_AUTHORITY"],
    ["AGE_BAND", "GENDER"],
    ["SERVICE_KIND", "AGE_BAND", "GENDER"],
    ["SERVICE_KIND", "LOCAL_AUTHORITY", "AGE_BAND", "GENDER", "HAS_COMMON_ASSESSMENT"],
):
    QUESTIONS.append((f"involvementStatistics {group_by}", _STATS, {"g": group_by, "la": None}))
QUESTIONS += [
    ("involvementStatistics [SERVICE_KIND, AGE_BAND] NBR", _STATS,
     {"g": ["SERVICE_KIND", "AGE_BAND"], "la": "NBR"}),
    ("involvementStatistics [GENDER, HAS_COMMON_ASSESSMENT] WFD", _STATS,
     {"g": ["GENDER", "HAS_COMMON_ASSESSMENT"], "la": "WFD"}),
    ("coInvolvement", "query { coInvolvement { kindA kindB children suppressed } }", {}),
    ("coInvolvement NBR",
     'query { coInvolvement(localAuthority: "NBR") { kindA kindB children suppressed } }', {}),
    ("serviceNetwork NBR",
     'query { serviceNetwork(localAuthority: "NBR") { nodes { id name kind sensitive '
     "localAuthority } edges { from to children } } }", {}),
    ("serviceNetwork WFD minSharedChildren 20",
     'query { serviceNetwork(localAuthority: "WFD", minSharedChildren: 20) { nodes { id } '
     "edges { from to children } } }", {}),
    ("statisticsSnapshot", "query { statisticsSnapshot { asOf computedAt } }", {}),
]  # fmt: skip


def _size(body: dict[str, Any]) -> int:
    data = next(iter((body.get("data") or {}).values()), None)
    if isinstance(data, list):
        return len(data)
    if isinstance(data, dict) and "edges" in data:
        return len(data["edges"])
    return 1


async def _measure(repeat: int, refresh: bool) -> dict[str, Any]:
    from api.app import create_app
    from api.devkeys import issue_token
    from api.resolvers.statistics import refresh_snapshot
    from api.settings import load_settings
    from graph.connection import target_from_env
    from graph.database import open_graph
    from graph.statistics import snapshot_stamp
    from policies.viewer import Role

    settings = load_settings()
    graph = open_graph(target_from_env(settings.neo4j_instance), timeout_s=600)
    out: dict[str, Any] = {"questions": []}
    try:
        children = (await graph.read("MATCH (c:Child) RETURN count(c) AS n"))[0]["n"]
        out["dataset_children"] = children
        if refresh or await snapshot_stamp(graph) is None:
            started = time.perf_counter()
            counts = await refresh_snapshot(graph, date.today())
            out["aggregation_pass_s"] = round(time.perf_counter() - started, 2)
            out["snapshot_rows"] = {
                "person": len(counts.person),
                "kinds": len(counts.kinds),
                "pairs": len(counts.pairs),
                "edges": len(counts.edges),
            }
        stamp = await snapshot_stamp(graph)
        assert stamp is not None
        out["snapshot_computed_at"] = stamp[1].isoformat()

        app = create_app(settings, graph=graph)
        token = issue_token(settings, [Role.ANALYST], subject="bench-analyst")
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            ask = asker(client, headers)

            first_ms, _ = await ask(QUESTIONS[0][1], QUESTIONS[0][2])
            out["first_request_ms"] = round(first_ms, 1)
            for name, query, variables in QUESTIONS:
                await ask(query, variables)  # warm: document cache and JIT of this shape
                times = []
                body: dict[str, Any] = {}
                for _ in range(repeat):
                    elapsed, body = await ask(query, variables)
                    times.append(elapsed)
                times.sort()
                out["questions"].append(
                    {
                        "question": name,
                        "median_ms": round(statistics.median(times), 1),
                        "p95_ms": round(times[min(len(times) - 1, int(0.95 * len(times)))], 1),
                        "max_ms": round(times[-1], 1),
                        "rows": _size(body),
                        "cypher_round_trips": body.get("extensions", {}).get("cypherRoundTrips"),
                    }
                )
    finally:
        await graph.close()
    return out


def _markdown(result: dict[str, Any]) -> str:
    lines = [
        f"# Analyst statistics over {result['dataset_children']:,} children",
        "",
        f"Measured {result['date']} on {result['machine']['summary']}; load average "
        f"{result['machine']['load_average_at_start']} at start, "
        f"{result['machine']['load_average_at_end']} at end (a shared machine: other "
        "engineers' Neo4j instances and test runs were using the same two cores).",
        "",
    ]
    if "aggregation_pass_s" in result:
        lines += [
            f"Aggregation pass (one Cypher statement over every live child, plus writing the "
            f"snapshot): **{result['aggregation_pass_s']} s** "
            f"({result['snapshot_rows']}).",
            "",
        ]
    lines += [
        f"First request after a new snapshot (loads and suppresses the counts once per "
        f"process): {result['first_request_ms']} ms.",
        "",
        "| question | median ms | p95 ms | max ms | rows | Cypher round trips |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for q in result["questions"]:
        lines.append(
            f"| {q['question']} | {q['median_ms']} | {q['p95_ms']} | {q['max_ms']} | "
            f"{q['rows']} | {q['cypher_round_trips']} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.analytics_bench", description=__doc__)
    parser.add_argument("--refresh", action="store_true", help="time the aggregation pass too")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--output", default=OUTPUT)
    args = parser.parse_args(argv)
    os.environ.setdefault("CONTACTGRAPH_RATE_LIMIT", str(10**12))
    os.environ.setdefault("CONTACTGRAPH_DIAGNOSTICS", "1")
    os.environ.setdefault("CONTACTGRAPH_STATISTICS_MAX_AGE", str(10**9))
    load = os.getloadavg()[0]
    result = asyncio.run(_measure(args.repeat, args.refresh))
    publish(args.output, result, load, _markdown)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
