"""Cluster-ready (issue 17): a routing driver, and bookmarks ordering reads after writes.

The local server is reached through `neo4j://` like a cluster, so the code path that
sends reads to followers and writes to the leader is the one every test runs.
"""

from __future__ import annotations

import os
import uuid

import neo4j

from graph.database import Graph


async def test_reads_follow_writes_through_a_routing_driver(graph: Graph) -> None:
    if not os.environ.get("NEO4J_URI"):
        assert isinstance(graph.driver, neo4j.AsyncNeo4jDriver)  # neo4j://, not bolt://
    probe = uuid.uuid4().hex
    await graph.write_autocommit("CREATE (:RoutingProbe {id: $id})", id=probe)
    try:
        # A read routed to a follower waits for the write's bookmark before it runs.
        bookmarks = await graph.driver.execute_query_bookmark_manager.get_bookmarks()
        assert bookmarks
        rows = await graph.read("MATCH (p:RoutingProbe {id: $id}) RETURN count(p) AS n", id=probe)
        assert rows[0]["n"] == 1
    finally:
        await graph.write("MATCH (p:RoutingProbe {id: $id}) DELETE p", id=probe)
