"""Webhooks (issue 20): commit-to-delivery latency to signed webhook endpoints at a steady
event rate, and the delivery worker's CPU per delivery.

    CONTACTGRAPH_NEO4J_INSTANCE=... CONTACTGRAPH_NEO4J_PORT=... \\
        .local/venv/bin/python -m bench.webhooks_bench [--practitioners 1000] \\
        [--services 20] [--rate 100] [--seconds 20] [--port 8283]

What it does, on loopback only, bounded in time (the load for `--seconds`, then at most
`--drain` seconds for stragglers):
1. writes a bench population into the configured Neo4j (ids `wb-...`, removed before and
   after): `--services` schools, each with a webhook endpoint registered on this
   harness's receiver (127.0.0.1:`--port`), and `--practitioners` practitioners spread over
   them, each actively involved with a child of their own;
2. starts `contactgraph notify run` (the core's dispatcher) and `contactgraph webhooks
   run` (the delivery worker) as their own processes;
3. writes `--rate` involvement starts a second (the feed's own statement, so each writes
   its outbox event in the same transaction), each for a random bench child, so each
   event becomes one notification and one signed delivery to that practitioner's school;
4. measures, for every delivery the receiver accepts (2xx), the time from the event's
   commit (`occurredAt`, stamped by Neo4j in the committing transaction) to its arrival,
   and separately from the notification's write to its arrival (the webhook stage
   alone); and the worker's CPU seconds (utime+stime, /proc) over deliveries made.

Everything shares the machine (Neo4j, dispatcher, worker, receiver, load generator).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import threading
import time
from datetime import UTC, datetime
from typing import Any

import neo4j
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from api.settings import load_settings
from bench.notify_load import quantiles, report, write_involvement_starts
from bench.procs import HOST, Servers, cpu_seconds, project_command
from graph import webhooks as store
from graph.connection import target_from_env
from graph.database import open_graph
from webhooks.secretbox import box_from
from webhooks.signing import new_secret

_CLEAN = """
MATCH (n) WHERE (n:Practitioner OR n:Service OR n:Child) AND n.id STARTS WITH 'wb-'
OPTIONAL MATCH (n)<-[:OF]-(i:Involvement)
DETACH DELETE i, n
"""
_CLEAN_NOTES = """
MATCH (e:OutboxEvent) WHERE e.childId STARTS WITH 'wb-'
OPTIONAL MATCH (n:Notification {eventId: e.id})
OPTIONAL MATCH (d:WebhookDelivery {notificationId: n.id})
DETACH DELETE d, n, e
"""
_CLEAN_ENDPOINTS = """
MATCH (e:WebhookEndpoint) WHERE e.serviceId STARTS WITH 'wb-'
OPTIONAL MATCH (d:WebhookDelivery {endpointId: e.id})
DETACH DELETE d, e
"""
_POPULATION = """
MERGE (y:Service {id: 'wb-youth'})
SET y.name = 'Bench Youth Service', y.kind = 'YOUTH_SERVICE', y.sensitive = false,
  y.localAuthority = 'NBR'
MERGE (mover:Practitioner {id: 'wb-mover'}) SET mover.name = 'Bench Mover'
MERGE (mover)-[:WORKS_FOR]->(y)
WITH 1 AS one
UNWIND range(0, $services - 1) AS k
CREATE (:Service {id: 'wb-s-' + k, name: 'Bench School ' + k, kind: 'SCHOOL',
  sensitive: false, localAuthority: 'NBR'})
WITH count(*) AS made
UNWIND range(0, $practitioners - 1) AS n
MATCH (s:Service {id: 'wb-s-' + (n % $services)})
CREATE (c:Child {id: 'wb-c-' + n, givenName: 'Bench', familyName: 'Child' + n,
  dateOfBirth: date($born), gender: 'FEMALE', localAuthority: 'NBR', shielded: false})
CREATE (p:Practitioner {id: 'wb-p-' + n, name: 'Bench Teacher ' + n})
CREATE (p)-[:WORKS_FOR]->(s)
CREATE (i:Involvement {id: 'wb-i-' + n, startedOn: date($born), source: 'bench',
  sourceRef: 'wb-' + n, isLeadProfessional: false})
CREATE (i)-[:OF]->(c), (i)-[:AT]->(s), (i)-[:BY]->(p)
"""


class Arrivals:
    """The harness's receiver: answers 204 at once and notes when each id arrived."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.lock = threading.Lock()
        self.arrived: dict[str, tuple[float, str]] = {}  # webhook-id -> (unix time, occurredAt)
        self.requests = 0
        self.server: uvicorn.Server | None = None

    async def hook(self, request: Request) -> Response:
        body = await request.body()
        at = time.time()
        data = json.loads(body)["data"]
        with self.lock:
            self.requests += 1
            self.arrived.setdefault(request.headers["webhook-id"], (at, data["occurredAt"]))
        return Response(status_code=204)

    def start(self) -> None:
        app = Starlette(routes=[Route("/hook/{k}", self.hook, methods=["POST"])])
        config = uvicorn.Config(
            app, host=HOST, port=self.port, log_level="warning", access_log=False
        )
        self.server = uvicorn.Server(config)
        threading.Thread(target=self.server.run, daemon=True).start()
        while not self.server.started:
            time.sleep(0.02)

    def stop(self) -> None:
        if self.server is not None:
            self.server.should_exit = True


async def _register_endpoints(args: argparse.Namespace, instance: str) -> None:
    settings = load_settings()
    cfg = settings.webhooks
    box = box_from(cfg.key_b64, cfg.key_file, production=False)
    graph = open_graph(target_from_env(instance), timeout_s=60)
    try:
        for k in range(args.services):
            endpoint_id = f"wh-bench-{k}"
            await store.create_endpoint(
                graph,
                endpoint_id=endpoint_id,
                service_id=f"wb-s-{k}",
                url=f"http://{HOST}:{args.port}/hook/{k}",
                description="bench receiver",
                sealed=box.seal(endpoint_id, new_secret()),
                by="bench",
                now=datetime.now(UTC),
            )
    finally:
        await graph.close()


def run(args: argparse.Namespace) -> dict[str, Any]:
    instance = os.environ.get("CONTACTGRAPH_NEO4J_INSTANCE", "bench")
    driver = neo4j.GraphDatabase.driver(
        target_from_env(instance).uri, auth=target_from_env(instance).auth
    )
    for clean in (_CLEAN_NOTES, _CLEAN_ENDPOINTS, _CLEAN):
        driver.execute_query(clean)
    driver.execute_query(
        _POPULATION, services=args.services, practitioners=args.practitioners, born="2014-03-01"
    )
    # Nothing else pending: the figures are this run's own.
    driver.execute_query("MATCH (e:OutboxEvent {state: 'PENDING'}) SET e.state = 'DONE'")
    driver.execute_query("MATCH (n:WebhookPending) REMOVE n:WebhookPending")
    asyncio.run(_register_endpoints(args, instance))
    receiver = Arrivals(args.port)
    receiver.start()
    env = {
        **os.environ,
        "CONTACTGRAPH_NEO4J_INSTANCE": instance,
        "CONTACTGRAPH_WEBHOOK_POLL": str(args.poll),
    }
    result: dict[str, Any] = {
        "practitioners": args.practitioners,
        "services": args.services,
        "ratePerSecond": args.rate,
        "seconds": args.seconds,
    }
    try:
        with Servers() as servers:
            procs = {
                name: servers.start(project_command(f"webhooks-bench-{name}", argv, env))
                for name, argv in (
                    ("dispatcher", ["notify", "run", "--idle", str(args.poll)]),
                    ("webhooks", ["webhooks", "run"]),
                )
            }
            time.sleep(2.0)  # both polling
            cpu_start = {n: cpu_seconds(p.pid) or 0.0 for n, p in procs.items()}
            events, load_seconds = write_involvement_starts(
                driver,
                prefix="wb",
                children=args.practitioners,
                rate=args.rate,
                seconds=args.seconds,
                seed=11,
            )
            drain_until = time.monotonic() + args.drain
            while len(receiver.arrived) < events and time.monotonic() < drain_until:
                time.sleep(0.2)
            cpu_used = {n: (cpu_seconds(p.pid) or 0.0) - cpu_start[n] for n, p in procs.items()}
        rows, _, _ = driver.execute_query(
            "MATCH (d:WebhookDelivery) WHERE d.endpointId STARTS WITH 'wh-bench-' "
            "RETURN d.notificationId AS id, d.notifiedAt AS at, d.state AS state"
        )
    finally:
        receiver.stop()
    with receiver.lock:
        arrived = dict(receiver.arrived)
        requests = receiver.requests
    commit_ms = [
        (at - datetime.fromisoformat(occurred).timestamp()) * 1000
        for at, occurred in arrived.values()
    ]
    stage_ms = [
        (arrived[r["id"]][0] - r["at"].to_native().timestamp()) * 1000
        for r in rows
        if r["id"] in arrived and r["at"] is not None
    ]
    delivered = sum(1 for r in rows if r["state"] == "DELIVERED")
    for clean in (_CLEAN_NOTES, _CLEAN_ENDPOINTS, _CLEAN):
        driver.execute_query(clean)
    driver.close()
    result.update(
        {
            "events": events,
            "eventsPerSecondAchieved": round(events / load_seconds, 1),
            "deliveries": len(rows),
            "delivered": delivered,
            "received": len(arrived),
            "requests": requests,
            "commitToDeliveryMs": quantiles(commit_ms),
            "notificationToDeliveryMs": quantiles(stage_ms),
            "workerCpuMsPerDelivery": round(cpu_used["webhooks"] * 1000 / delivered, 3)
            if delivered
            else None,
            "dispatcherCpuMsPerEvent": round(cpu_used["dispatcher"] * 1000 / events, 3)
            if events
            else None,
        }
    )
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--practitioners", type=int, default=1000, help="one child each")
    p.add_argument("--services", type=int, default=20, help="schools, one endpoint each")
    p.add_argument("--rate", type=int, default=100, help="events a second")
    p.add_argument("--seconds", type=float, default=20.0, help="how long events are written")
    p.add_argument("--drain", type=float, default=60.0, help="seconds to wait for stragglers")
    p.add_argument("--poll", type=float, default=0.02, help="dispatcher and worker idle poll")
    p.add_argument("--port", type=int, default=8283, help="the receiver's loopback port")
    args = p.parse_args(argv)
    load = os.getloadavg()
    report("webhooks", run(args), load)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
