"""Faults for real: the local Neo4j is stopped and started under the running app.

Requests fail fast with SERVICE_UNAVAILABLE and no data, /readyz says so, and service
resumes by itself when Neo4j is back. A pool with no free connection refuses at once
instead of queueing until the client gives up.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os

import httpx

import localneo4j as server
from api.app import create_app
from api.devkeys import issue_token
from graph.connection import target_from_env
from graph.database import open_graph
from policies.viewer import Role
from tests.queries import CHILD_PROFILE

# Not a performance figure: only how long a refused request may take before the test
# calls it hung, far beyond any loaded machine's scheduling delay.
_HANG_GUARD_S = 120


def _local_instance() -> server.LocalNeo4j:
    assert not os.environ.get("NEO4J_URI"), "fault tests stop the project's own local Neo4j"
    return server.instance(os.environ["CONTACTGRAPH_NEO4J_INSTANCE"])


async def _profile(client: httpx.AsyncClient, token: str) -> tuple[int, dict]:
    response = await client.post(
        "/graphql",
        json={"query": CHILD_PROFILE, "variables": {"id": "c-hannah"}},
        headers={"Authorization": f"Bearer {token}", "X-Purpose": "fault test"},
    )
    return response.status_code, response.json()


async def test_neo4j_stopped_and_started_under_the_app(graph, settings) -> None:
    inst = _local_instance()
    own_graph = open_graph(target_from_env(inst.name), timeout_s=5, acquire_timeout_s=1)
    # With a request timeout no test could outlast, an answer at all means the stopped
    # server refused the request; a hang would trip the guard below instead.
    patient = dataclasses.replace(settings, request_timeout_s=3600)
    app = create_app(patient, graph=own_graph)
    token = issue_token(settings, [Role.PRACTITIONER], practitioner_id="p-melanie")
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t"
        ) as c:
            status, body = await _profile(c, token)
            assert status == 200
            assert body["data"]["child"]["id"] == "c-hannah"
            assert (await c.get("/readyz")).status_code == 200

            assert server.stop(inst)
            _status, body = await asyncio.wait_for(_profile(c, token), timeout=_HANG_GUARD_S)
            assert body["data"] is None
            assert body["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
            assert "Hannah" not in str(body) and "bolt" not in str(body).lower()
            ready = await c.get("/readyz")
            assert ready.status_code == 503

            server.start(inst)
            for _ in range(60):
                _status, body = await _profile(c, token)
                if body.get("data") and body["data"].get("child"):
                    break
                await asyncio.sleep(1)
            assert body["data"]["child"]["id"] == "c-hannah"
            assert (await c.get("/readyz")).status_code == 200
    finally:
        server.start(inst)
        await own_graph.close()


async def test_pool_exhaustion_fails_fast(settings) -> None:
    inst = _local_instance()
    tiny = open_graph(target_from_env(inst.name), timeout_s=20, pool_size=1, acquire_timeout_s=0.5)
    app = create_app(dataclasses.replace(settings, pool_size=1), graph=tiny)
    token = issue_token(settings, [Role.PRACTITIONER], practitioner_id="p-melanie")
    try:
        # Hold the only connection with a slow query.
        async def hog() -> None:
            async with tiny.driver.session() as session:
                result = await session.run("UNWIND range(1, 400000000) AS x RETURN sum(x) AS s")
                await result.consume()

        hog_task = asyncio.create_task(hog())
        await asyncio.sleep(0.5)
        assert not hog_task.done()  # the only connection is busy
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t"
        ) as c:
            _, body = await _profile(c, token)
        assert body["data"] is None
        assert body["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
        assert not hog_task.done()  # refused while the hog still held the pool, not queued
        hog_task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await hog_task
    finally:
        await tiny.close()
