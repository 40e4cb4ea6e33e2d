"""Issue 6's safeguarding figure: involvementNetwork at depth 2 and 3, median and p95.

    export CONTACTGRAPH_NEO4J_INSTANCE=netbench CONTACTGRAPH_NEO4J_PORT=7757
    .local/venv/bin/python -m bench.network_bench [--sample 200] [--seed 6]

On the seeded dataset (`contactgraph seed --children 1000000`, see analytics_bench), a
reproducible sample of live children is traced by a
SAFEGUARDING_LEAD through the real GraphQL stack in this process (token, limits,
execution, policy, audit group commit into Neo4j; no HTTP socket), asking for every
field of the index view of every child in the answer (tests/queries.py CHILD_FIELDS)
plus the links, as a front end would. Each child is asked once per depth, after a
warm-up on other children and one untimed pass over the sample (so that no depth pays
for a cold page cache); the carers of the sample are then asked with carerNetwork.

Also timed: the traversal query alone (graph.network.neighbourhood), to show what is
Cypher and what is shaping. The synthetic households are not linked to each other (no
two share a carer or an address), so depth 3 reaches no more children than depth 1
there; --dense adds, for the run only, one foster carer with 100 placements of four
records each and traces it at depth 2 and 3, where the answer reaches the 200-child cap.
Writes bench/results/network.md and .json, with the load
average: the machine is shared.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import time
from typing import Any

import httpx

from bench.inprocess import Ask, asker
from bench.report import publish
from tests.queries import CHILD_FIELDS

OUTPUT = "network"

NETWORK = f"""
query($id: ID!, $depth: Int!, $reason: String!) {{
  involvementNetwork(childId: $id, depth: $depth, reason: $reason) {{
    truncated children {{ {CHILD_FIELDS} }} links {{ from to kind via }}
  }}
}}
"""
CARER_NETWORK = f"""
query($id: ID!, $reason: String!) {{
  carerNetwork(carerId: $id, reason: $reason) {{
    children {{ {CHILD_FIELDS} }} links {{ from to kind via }}
  }}
}}
"""
REASON = "benchmark: tracing the household of a sampled child"


def _summary(times: list[float], sizes: list[int], trips: list[int]) -> dict[str, Any]:
    times = sorted(times)
    return {
        "requests": len(times),
        "median_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[min(len(times) - 1, int(0.95 * len(times)))], 1),
        "max_ms": round(times[-1], 1),
        "mean_children": round(statistics.mean(sizes), 2) if sizes else 0,
        "max_children": max(sizes) if sizes else 0,
        "cypher_round_trips": sorted(set(trips)),
    }


DENSE_CREATE = """
MATCH (la:LocalAuthority {code: 'NBR'})
MERGE (hub:Carer {id: 'k-bench-hub'}) SET hub.name = 'Bench Hub Carer'
WITH hub
UNWIND range(0, 99) AS i
UNWIND range(0, 3) AS j
CREATE (c:Child {id: 'c-bench-dense-' + i + '-' + j, givenName: 'Dense', familyName: 'Bench',
                 givenNameKey: 'dense', familyNameKey: 'bench', gender: 'NOT_KNOWN',
                 dateOfBirth: date() - duration('P9Y'), shielded: j = 3,
                 localAuthority: 'NBR', addressLine1: i + ' Bench Row', postcode: 'NB9 9BB',
                 addressKey: 'benchdense' + i + '|NB99BB'})
FOREACH (_ IN CASE WHEN j = 0 THEN [1] ELSE [] END |
  CREATE (hub)-[:CARES_FOR {relationship: 'foster carer', parentalResponsibility: false,
                            livesWithChild: false}]->(c))
"""
DENSE_DELETE = """
MATCH (n)
WHERE (n:Child AND n.id STARTS WITH 'c-bench-dense-') OR (n:Carer AND n.id = 'k-bench-hub')
DETACH DELETE n
"""


async def _dense(graph: Any, ask: Ask, repeat: int) -> dict[str, Any]:
    """One foster carer over 100 placements, each at an address with three other
    records (one of them shielded): depth 2 reaches 400 records, so the 200 cap holds."""
    await graph.write(DENSE_DELETE)
    await graph.write(DENSE_CREATE)
    out: dict[str, Any] = {}
    try:
        for depth in (2, 3):
            await ask(NETWORK, {"id": "c-bench-dense-0-0", "depth": depth, "reason": REASON})
            times, sizes, trips = [], [], []
            for _ in range(repeat):
                elapsed, body = await ask(
                    NETWORK, {"id": "c-bench-dense-0-0", "depth": depth, "reason": REASON}
                )
                times.append(elapsed)
                sizes.append(len(body["data"]["involvementNetwork"]["children"]))
                trips.append(body["extensions"]["cypherRoundTrips"])
            out[f"dense_depth_{depth}"] = _summary(times, sizes, trips)
    finally:
        await graph.write(DENSE_DELETE)
    return out


async def _measure(sample: int, seed: int, warmup: int, dense: int) -> dict[str, Any]:
    from api.app import create_app
    from api.devkeys import issue_token
    from api.settings import load_settings
    from graph import network as network_graph
    from graph.connection import target_from_env
    from graph.database import open_graph
    from policies.network import MAX_NETWORK
    from policies.viewer import Role

    settings = load_settings()
    graph = open_graph(target_from_env(settings.neo4j_instance), timeout_s=600)
    out: dict[str, Any] = {}
    try:
        total = (await graph.read("MATCH (c:Child) RETURN count(c) AS n"))[0]["n"]
        out["dataset_children"] = total
        rng = random.Random(seed)
        # Synthetic ids are not a sequence (seed.synthetic): draw from the ids themselves.
        every = [r["id"] for r in await graph.read("MATCH (c:Child) RETURN c.id AS id ORDER BY id")]
        wanted = rng.sample(every, min(len(every), (sample + warmup) * 2))
        records = await graph.read(
            "MATCH (c:Child) WHERE c.id IN $ids AND c.archivedOn IS NULL "
            "OPTIONAL MATCH (k:Carer)-[:CARES_FOR]->(c) "
            "RETURN c.id AS id, collect(k.id)[0] AS carer",
            ids=wanted,
        )
        found = {r["id"]: r["carer"] for r in records}
        ids = [i for i in dict.fromkeys(wanted) if i in found][: sample + warmup]
        warm, measured = ids[:warmup], ids[warmup:]
        carers = [found[i] for i in measured if found[i]]
        out["sample"] = len(measured)

        app = create_app(settings, graph=graph)
        token = issue_token(settings, [Role.SAFEGUARDING_LEAD], subject="bench-lead")
        headers = {
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "X-Purpose": "network tracing benchmark",
        }
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            ask = asker(client, headers)

            # Warm the code paths on other children, then read every sampled household
            # once (untimed), so no depth pays for a cold page cache the other did not.
            for child in warm:
                await ask(NETWORK, {"id": child, "depth": 3, "reason": REASON})
            for child in measured:
                await ask(NETWORK, {"id": child, "depth": 3, "reason": REASON})
            for carer in carers:
                await ask(CARER_NETWORK, {"id": carer, "reason": REASON})
            for depth in (2, 3):
                times, sizes, trips = [], [], []
                for child in measured:
                    elapsed, body = await ask(
                        NETWORK, {"id": child, "depth": depth, "reason": REASON}
                    )
                    times.append(elapsed)
                    sizes.append(len(body["data"]["involvementNetwork"]["children"]))
                    trips.append(body["extensions"]["cypherRoundTrips"])
                out[f"depth_{depth}"] = _summary(times, sizes, trips)
            times, sizes, trips = [], [], []
            for carer in carers:
                elapsed, body = await ask(CARER_NETWORK, {"id": carer, "reason": REASON})
                times.append(elapsed)
                sizes.append(len(body["data"]["carerNetwork"]["children"]))
                trips.append(body["extensions"]["cypherRoundTrips"])
            out["carer_network"] = _summary(times, sizes, trips)
            if dense:
                out.update(await _dense(graph, ask, dense))

        times = []
        for child in measured:
            started = time.perf_counter()
            await network_graph.neighbourhood(graph, child, 3, MAX_NETWORK)
            times.append((time.perf_counter() - started) * 1000)
        out["traversal_only_depth_3"] = _summary(times, [], [])
    finally:
        await graph.close()
    return out


def _markdown(result: dict[str, Any]) -> str:
    rows = [
        ("involvementNetwork depth 2", result["depth_2"]),
        ("involvementNetwork depth 3", result["depth_3"]),
        ("carerNetwork", result["carer_network"]),
        ("traversal query alone, depth 3", result["traversal_only_depth_3"]),
    ]
    for depth in (2, 3):
        if f"dense_depth_{depth}" in result:
            rows.append(
                (
                    f"dense: a foster carer's 100 placements, depth {depth} (200 cap)",
                    result[f"dense_depth_{depth}"],
                )
            )
    lines = [
        f"# Network tracing over {result['dataset_children']:,} children",
        "",
        f"Measured {result['date']} on {result['machine']['summary']}; load average "
        f"{result['machine']['load_average_at_start']} at start, "
        f"{result['machine']['load_average_at_end']} at end (a shared machine: other "
        "engineers' Neo4j instances and test runs were using the same two cores). "
        f"{result['sample']} sampled children, one request at a time, every index-view field "
        "of every child in the answer, audit written for each request.",
        "",
        "| request | n | median ms | p95 ms | max ms | children per answer (mean / max) "
        "| Cypher round trips |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, r in rows:
        lines.append(
            f"| {name} | {r['requests']} | {r['median_ms']} | {r['p95_ms']} | {r['max_ms']} | "
            f"{r['mean_children']} / {r['max_children']} | {r['cypher_round_trips']} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.network_bench", description=__doc__)
    parser.add_argument("--sample", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument(
        "--dense", type=int, default=10, help="requests on a dense, capped network (0: skip)"
    )
    parser.add_argument("--output", default=OUTPUT)
    args = parser.parse_args(argv)
    os.environ.setdefault("CONTACTGRAPH_RATE_LIMIT", str(10**12))
    # One benchmark lead reads thousands of children: past any real browsing budget (R2).
    os.environ.setdefault(
        "CONTACTGRAPH_BROWSING_BUDGET",
        "PRACTITIONER=1000000000,SAFEGUARDING_LEAD=1000000000,INDEX_ADMIN=1000000000",
    )
    os.environ.setdefault("CONTACTGRAPH_DIAGNOSTICS", "1")
    load = os.getloadavg()[0]
    result = asyncio.run(_measure(args.sample, args.seed, args.warmup, args.dense))
    publish(args.output, result, load, _markdown)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
