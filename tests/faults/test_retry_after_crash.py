"""A crash at commit time: Neo4j is killed (-9) while mutations are in flight.

Whatever each request saw (success, SERVICE_UNAVAILABLE, or the driver's
IncompleteCommit, which also maps to SERVICE_UNAVAILABLE), retrying it with the same
Idempotency-Key once Neo4j is back must leave exactly one record per key.
"""

from __future__ import annotations

import asyncio
import os
import signal
import uuid

import httpx

import localneo4j as server
from api.app import create_app
from api.devkeys import issue_token
from graph.connection import target_from_env
from graph.database import open_graph
from policies.viewer import Role

MUTATION = """
mutation($reason: String!) {
  recordSharingDecision(childId: "c-hannah", shared: true, withConsent: true,
                        recipient: "Northbridge Youth Service", reason: $reason) { id }
}
"""


async def test_kill_during_mutations_then_retry_creates_each_once(settings, sync_driver) -> None:
    assert not os.environ.get("NEO4J_URI"), "this test kills the project's own local Neo4j"
    inst = server.instance(os.environ["CONTACTGRAPH_NEO4J_INSTANCE"])
    own = open_graph(target_from_env(inst.name), timeout_s=5, acquire_timeout_s=1)
    app = create_app(settings, graph=own)
    token = issue_token(settings, [Role.PRACTITIONER], practitioner_id="p-melanie")
    marker = f"crash-test-{uuid.uuid4().hex[:8]}"
    keys = [f"{marker}-{i}" for i in range(24)]

    async def send(c: httpx.AsyncClient, key: str) -> dict:
        response = await c.post(
            "/graphql",
            json={"query": MUTATION, "variables": {"reason": f"{marker} shared for support {key}"}},
            headers={
                "Authorization": f"Bearer {token}",
                "X-Purpose": "crash test",
                "Idempotency-Key": key,
            },
        )
        assert response.status_code == 200
        return response.json()

    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t"
        ) as c:
            in_flight = [asyncio.create_task(send(c, key)) for key in keys]
            await asyncio.sleep(0.05)
            pid = int(inst.pid_file.read_text().strip())
            os.kill(pid, signal.SIGKILL)
            first = await asyncio.gather(*in_flight)
            codes = {e["extensions"]["code"] for b in first for e in b.get("errors", [])}
            assert codes <= {"SERVICE_UNAVAILABLE"}, codes
            for _ in range(100):
                if not server.status(inst).startswith("running"):
                    break
                await asyncio.sleep(0.1)
            server.start(inst)

            ids = {}
            for key in keys:
                for _ in range(30):
                    body = await send(c, key)
                    if body.get("data") and body["data"].get("recordSharingDecision"):
                        ids[key] = body["data"]["recordSharingDecision"]["id"]
                        break
                    await asyncio.sleep(1)
            assert set(ids) == set(keys)
            # Retrying a key that already succeeded returns the same record.
            again = await send(c, keys[0])
            assert again["data"]["recordSharingDecision"]["id"] == ids[keys[0]]
    finally:
        server.start(inst)
        await own.close()

    records, _, _ = sync_driver.execute_query(
        "MATCH (d:SharingDecision) WHERE d.reason STARTS WITH $marker RETURN d.reason AS reason",
        marker=marker,
    )
    reasons = [r["reason"] for r in records]
    assert len(reasons) == len(keys) == len(set(reasons))
