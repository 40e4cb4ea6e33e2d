"""Where the graph lives: an external Neo4j named by the environment, or the local one.

`NEO4J_URI`, `NEO4J_USER` and `NEO4J_PASSWORD` point ContactGraph at any Neo4j
(Desktop, Aura, a cluster through a `neo4j://` routing URI). Without them it uses
the local server that `contactgraph neo4j start` runs on loopback, whose generated
password sits in the ignored `.local/` folder, reached through a routing `neo4j://` URI
as a cluster would be.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

__all__ = ["Neo4jTarget", "target_from_env"]


@dataclass(frozen=True)
class Neo4jTarget:
    uri: str
    user: str
    password: str
    database: str | None
    external: bool

    @property
    def auth(self) -> tuple[str, str]:
        return (self.user, self.password)


def target_from_env(instance: str | None = None) -> Neo4jTarget:
    """The external Neo4j if `NEO4J_URI` is set, else the named local instance."""
    database = os.environ.get("NEO4J_DATABASE") or None
    uri = os.environ.get("NEO4J_URI")
    if uri:
        return Neo4jTarget(
            uri=uri,
            user=os.environ.get("NEO4J_USER", "neo4j"),
            password=os.environ.get("NEO4J_PASSWORD", ""),
            database=database,
            external=True,
        )
    import localneo4j

    local = localneo4j.instance(instance or os.environ.get("CONTACTGRAPH_NEO4J_INSTANCE", "dev"))
    return Neo4jTarget(
        # A routing URI even for the one local server: the same code path as a cluster,
        # where reads go to followers and writes to the leader.
        uri=localneo4j.uri(local, scheme="neo4j"),
        user="neo4j",
        password=localneo4j.password(local),
        database=database,
        external=False,
    )
