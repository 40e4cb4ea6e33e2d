"""The three systems under test as servers to start: ContactGraph, the raw-Cypher peer and
the @neo4j/graphql peer, each on its own loopback port."""

from __future__ import annotations

import argparse

from bench.procs import HOST, Server
from bench.run.options import BENCH_BUDGET, BENCH_RATE_LIMIT, LOCAL, NPM_PEER, PORTS, REPO, VENV_BIN


def define_servers(
    args: argparse.Namespace,
    env: dict[str, str],
    lifetime_s: float,
    ports: dict[str, int] | None = None,
    workers: int = 1,
) -> dict[str, Server]:
    """The servers of `args.systems`, on `ports` (default PORTS); ContactGraph with
    `workers` processes (`serve --workers`), named contactgraph-Nw when N > 1."""
    ports = {**PORTS, **(ports or {})}
    from api.settings import load_settings
    from graph.connection import target_from_env

    logs = LOCAL / "logs"
    servers: dict[str, Server] = {}
    if "contactgraph" in args.systems:
        cg_env = dict(
            env,
            CONTACTGRAPH_GRAPHIQL="0",
            CONTACTGRAPH_DIAGNOSTICS="1",
            CONTACTGRAPH_RATE_LIMIT=BENCH_RATE_LIMIT,
            CONTACTGRAPH_BROWSING_BUDGET=BENCH_BUDGET,
        )
        cg_env.update(dict(item.split("=", 1) for item in args.env))
        name = "contactgraph" if workers == 1 else f"contactgraph-{workers}w"
        servers["contactgraph"] = Server(
            name=name,
            argv=[
                # The module from this checkout, not the venv's script (bench/dataset.py).
                str(VENV_BIN / "python"),
                "-m",
                "api.cli",
                "serve",
                "--host",
                HOST,
                "--port",
                str(ports["contactgraph"]),
                "--workers",
                str(workers),
            ],
            port=ports["contactgraph"],
            ready_path="/readyz",
            env=cg_env,
            cwd=REPO,
            log_path=logs / f"{name}.log",
        )
    if "raw" in args.systems:
        servers["raw"] = Server(
            name="raw",
            argv=[
                str(VENV_BIN / "python"),
                "-m",
                "bench.raw_server",
                "--port",
                str(ports["raw"]),
                "--instance",
                args.instance,
                "--max-lifetime",
                str(int(lifetime_s)),
            ],
            port=ports["raw"],
            ready_path="/healthz",
            env=env,
            cwd=REPO,
            log_path=logs / "raw.log",
        )
    if "neo4j-graphql" in args.systems:
        target = target_from_env(args.instance)
        settings = load_settings()
        node_env = dict(
            env,
            NEO4J_URI=target.uri,
            NEO4J_USER=target.user,
            NEO4J_PASSWORD=target.password,
            JWKS_FILE=str(settings.jwks_path),
            JWT_ISSUER=settings.issuer,
            JWT_AUDIENCE=settings.audience,
            PORT=str(ports["neo4j-graphql"]),
            BENCH_MAX_LIFETIME_S=str(int(lifetime_s)),
            NODE_ENV="production",
        )
        servers["neo4j-graphql"] = Server(
            name="neo4j-graphql",
            argv=["node", "server.mjs"],
            port=ports["neo4j-graphql"],
            ready_path="/healthz",
            env=node_env,
            cwd=NPM_PEER,
            log_path=logs / "neo4j-graphql.log",
        )
    return servers
