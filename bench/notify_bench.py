"""Notifications (issue 20): commit-to-delivery latency over subscriptions, the dispatcher's
CPU per notification, and the API process's memory with 1,000 open sockets.

    CONTACTGRAPH_NEO4J_INSTANCE=... .local/venv/bin/python -m bench.notify_bench \
        [--practitioners 1000] [--rate 100] [--seconds 20] [--port 8270]

What it does, on loopback only, bounded in time:
1. writes a bench population into the configured Neo4j (ids `nb-...`, removed before and
   after): `--practitioners` practitioners of one service, each actively involved with one
   of `practitioners / per-child` children (`--per-child` practitioners per child);
2. starts `contactgraph serve` on `--port` (one process) and one `contactgraph notify run`;
3. opens one WebSocket per practitioner (graphql-transport-ws) and subscribes each to
   `notifications`; reads the API process's resident memory before and after;
4. writes `--rate` involvement starts a second for `--seconds` (the feed's own statement,
   so each writes its outbox event in the same transaction), each for a random bench
   child, so each event notifies `--per-child` subscribed practitioners;
5. measures, for every notification a socket receives, the time from the event's commit
   (its `occurredAt`, stamped by Neo4j in the committing transaction) to its arrival;
   and the dispatcher's CPU seconds (utime+stime, /proc) over notifications it wrote.

Everything runs on the same two cores (Neo4j, the API, the dispatcher and the 1,000
clients), so the figures are what one small machine does with all of it at once.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from datetime import UTC, datetime
from typing import Any

import neo4j
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from api.devkeys import issue_token
from api.settings import load_settings
from bench.notify_load import quantiles, report, write_involvement_starts
from bench.procs import HOST, Servers, cpu_seconds, peak_rss_mb, project_command, rss_mb
from graph.connection import target_from_env
from policies.viewer import Role

SUBSCRIBE = "subscription { notifications { id kind payload } }"

_CLEAN = """
MATCH (n) WHERE (n:Practitioner OR n:Service OR n:Child OR n:Involvement)
  AND n.id STARTS WITH 'nb-'
WITH n LIMIT 5000
DETACH DELETE n
RETURN count(*) AS n
"""
_CLEAN_NOTES = """
MATCH (n:Notification|OutboxEvent) WHERE n.childId STARTS WITH 'nb-'
WITH n LIMIT 5000
DETACH DELETE n
RETURN count(*) AS n
"""


def _clean(driver: neo4j.Driver) -> None:
    """In slices, so no one transaction outlives the server's timeout."""
    for cypher in (_CLEAN_NOTES, _CLEAN):
        while driver.execute_query(cypher).records[0]["n"]:
            pass


_POPULATION = """
MERGE (s:Service {id: 'nb-youth'})
SET s.name = 'Bench Youth Service', s.kind = 'YOUTH_SERVICE', s.sensitive = false,
  s.localAuthority = 'NBR'
MERGE (mover:Practitioner {id: 'nb-mover'}) SET mover.name = 'Bench Mover'
MERGE (mover)-[:WORKS_FOR]->(s)
WITH s
UNWIND range(0, $children - 1) AS k
CREATE (c:Child {id: 'nb-c-' + k, givenName: 'Bench', familyName: 'Child' + k,
  dateOfBirth: date($born), gender: 'FEMALE', localAuthority: 'NBR', shielded: false})
WITH s, c, k
UNWIND range(0, $perChild - 1) AS j
CREATE (p:Practitioner {id: 'nb-p-' + (k * $perChild + j), name: 'Bench Practitioner'})
CREATE (p)-[:WORKS_FOR]->(s)
CREATE (i:Involvement {id: 'nb-i-' + k + '-' + j, startedOn: date($born), source: 'bench',
  sourceRef: 'nb-' + k + '-' + j, isLeadProfessional: false})
CREATE (i)-[:OF]->(c), (i)-[:AT]->(s), (i)-[:BY]->(p)
"""


async def _subscribe(url: str, token: str) -> ClientConnection | None:
    """One subscribed socket, tried up to three times; None when it could not be opened."""
    for _ in range(3):
        try:
            socket = await connect(
                url,
                subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
                max_queue=None,
                open_timeout=60,
                ping_interval=None,
            )
            await socket.send(
                json.dumps(
                    {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
                )
            )
            ack = json.loads(await asyncio.wait_for(socket.recv(), 60))
            if ack.get("type") != "connection_ack":
                continue
            await socket.send(
                json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIBE}})
            )
            return socket
        except (OSError, TimeoutError, ConnectionClosed):
            await asyncio.sleep(0.5)
    return None


async def _listen(socket: ClientConnection, latencies: list[float]) -> None:
    """Records each notification's commit-to-arrival time until the socket closes or the
    task is cancelled (no polling: an idle socket costs the client nothing)."""
    try:
        async for raw in socket:
            arrived = datetime.now(UTC)
            message = json.loads(raw)
            if message.get("type") != "next":
                continue
            payload = json.loads(message["payload"]["data"]["notifications"]["payload"])
            occurred = datetime.fromisoformat(payload["occurredAt"])
            latencies.append((arrived - occurred).total_seconds() * 1000)
    except ConnectionClosed:
        return


async def run(args: argparse.Namespace) -> dict[str, Any]:
    instance = os.environ.get("CONTACTGRAPH_NEO4J_INSTANCE", "bench")
    target = target_from_env(instance)
    children = max(1, args.practitioners // args.per_child)
    driver = neo4j.GraphDatabase.driver(target.uri, auth=target.auth)
    _clean(driver)
    driver.execute_query(_POPULATION, children=children, perChild=args.per_child, born="2014-03-01")
    # Nothing else pending: the figures are this run's own.
    driver.execute_query("MATCH (e:OutboxEvent {state: 'PENDING'}) SET e.state = 'DONE'")
    settings = load_settings()
    env = {
        **os.environ,
        "CONTACTGRAPH_NEO4J_INSTANCE": instance,
        "CONTACTGRAPH_RATE_LIMIT": "1000000000",
        "CONTACTGRAPH_NOTIFY_POLL": str(args.poll),
    }
    result: dict[str, Any] = {
        "practitioners": args.practitioners,
        "perChild": args.per_child,
        "children": children,
        "ratePerSecond": args.rate,
        "seconds": args.seconds,
    }
    with Servers() as servers:
        serve = ["serve", "--host", HOST, "--port", str(args.port)]
        api = servers.start(project_command("notify-api", serve, env, port=args.port))
        dispatcher = servers.start(
            project_command("notify-dispatcher", ["notify", "run", "--idle", "0.02"], env)
        )
        rss_before = rss_mb(api.pid)
        url = f"ws://{HOST}:{args.port}/graphql"
        sockets: list[ClientConnection] = []
        failed = 0
        for start in range(0, args.practitioners, 25):
            tokens = [
                issue_token(
                    settings,
                    [Role.PRACTITIONER],
                    practitioner_id=f"nb-p-{n}",
                    local_authority="NBR",
                    ttl_seconds=3600,
                )
                for n in range(start, min(args.practitioners, start + 25))
            ]
            opened = await asyncio.gather(*(_subscribe(url, t) for t in tokens))
            sockets += [s for s in opened if s is not None]
            failed += sum(1 for s in opened if s is None)
        await asyncio.sleep(2.0)
        rss_open = rss_mb(api.pid)
        latencies: list[float] = []
        listeners = [asyncio.create_task(_listen(s, latencies)) for s in sockets]

        cpu_start = cpu_seconds(dispatcher.pid) or 0.0
        written_before = driver.execute_query(
            "MATCH (n:Notification) WHERE n.recipient STARTS WITH 'nb-' RETURN count(n) AS n"
        ).records[0]["n"]
        events, load_seconds = await asyncio.to_thread(
            write_involvement_starts,
            driver,
            prefix="nb",
            children=children,
            rate=args.rate,
            seconds=args.seconds,
            seed=7,
        )
        expected = events * args.per_child
        drain_until = time.monotonic() + args.drain
        while len(latencies) < expected and time.monotonic() < drain_until:
            await asyncio.sleep(0.2)
        for listener in listeners:
            listener.cancel()
        await asyncio.gather(*listeners, return_exceptions=True)
        cpu_used = (cpu_seconds(dispatcher.pid) or 0.0) - cpu_start
        written = (
            driver.execute_query(
                "MATCH (n:Notification) WHERE n.recipient STARTS WITH 'nb-' RETURN count(n) AS n"
            ).records[0]["n"]
            - written_before
        )
        lags = [
            float(r["ms"])
            for r in driver.execute_query(
                "MATCH (n:Notification) WHERE n.recipient STARTS WITH 'nb-' "
                "MATCH (e:OutboxEvent {id: n.eventId}) "
                "RETURN n.createdAt.epochMillis - e.occurredAt.epochMillis AS ms"
            ).records
        ]
        api_peak = peak_rss_mb(api.pid)
        for socket in sockets:
            await socket.close()
    _clean(driver)
    driver.close()
    result.update(
        {
            "events": events,
            "eventsPerSecondAchieved": round(events / load_seconds, 1),
            "notificationsWritten": written,
            "notificationsExpected": expected,
            "delivered": len(latencies),
            "commitToDeliveryMs": quantiles(latencies),
            # Of which: commit to the dispatcher's write of the notification.
            "dispatchLagMs": quantiles(lags),
            "dispatcherCpuMsPerNotification": round(cpu_used * 1000 / written, 3)
            if written
            else None,
            "apiRssMbBeforeSockets": rss_before,
            "apiRssMbWithSockets": rss_open,
            "apiRssMbPeak": api_peak,
            "sockets": len(sockets),
            "socketsFailed": failed,
        }
    )
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--practitioners", type=int, default=1000, help="subscribed sockets")
    p.add_argument("--per-child", type=int, default=5, help="subscribers told of each event")
    p.add_argument("--rate", type=int, default=100, help="events a second")
    p.add_argument("--seconds", type=float, default=20.0, help="how long events are written")
    p.add_argument("--drain", type=float, default=60.0, help="seconds to wait for stragglers")
    p.add_argument("--poll", type=float, default=0.05, help="the API's poll interval")
    p.add_argument("--port", type=int, default=8270, help="the API's loopback port")
    args = p.parse_args(argv)
    load = os.getloadavg()
    report("notify", asyncio.run(run(args)), load)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
