"""The `contactgraph` command: run the local stack, seed it, mint dev tokens, verify audit.

contactgraph up                      install, start Neo4j, migrate, seed demo data, serve
contactgraph neo4j start|stop|status
contactgraph migrate
contactgraph seed [--children N] [--seed S] [--no-scenario]
contactgraph token --role ROLE [--practitioner-id ID] [--local-authority LA] [--source S] [--ttl 1h]
contactgraph serve [--host 127.0.0.1] [--port 8000] [--workers N]
contactgraph audit verify
contactgraph schema print [--output schema.graphql]
contactgraph documents register FILE | documents list
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import sys
import time
from datetime import date
from typing import Any

from api.settings import SettingsError, load_settings
from policies.viewer import Role

__all__ = ["main"]


def _local_instance_name() -> str:
    return os.environ.get("CONTACTGRAPH_NEO4J_INSTANCE", "dev")


def ensure_neo4j(quiet: bool = False) -> None:
    """Start the local Neo4j unless NEO4J_URI points somewhere else."""
    if os.environ.get("NEO4J_URI"):
        return
    import localneo4j

    inst = localneo4j.instance(_local_instance_name())
    localneo4j.install(progress=(lambda _: None) if quiet else print)
    localneo4j.start(inst)


def cmd_neo4j(args: argparse.Namespace) -> int:
    import localneo4j

    if os.environ.get("NEO4J_URI"):
        print(f"NEO4J_URI is set ({os.environ['NEO4J_URI']}): the local server is not used.")
        return 0
    inst = localneo4j.instance(args.instance or _local_instance_name())
    try:
        if args.action == "start":
            localneo4j.install()
            localneo4j.start(inst)
            print(localneo4j.status(inst))
        elif args.action == "stop":
            print("stopped" if localneo4j.stop(inst) else "was not running")
        else:
            print(localneo4j.status(inst))
    except localneo4j.NeoServerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def stop_on_signals() -> asyncio.Event:
    """An event SIGINT and SIGTERM set: a long-running command (a dispatcher, a delivery
    worker) finishes what it holds and stops, instead of dying mid-batch."""
    import contextlib
    import signal

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    return stop


async def with_graph(work: Any) -> Any:
    from graph.connection import target_from_env
    from graph.database import open_graph

    settings = load_settings()
    graph = open_graph(target_from_env(settings.neo4j_instance), timeout_s=600)
    try:
        return await work(graph)
    finally:
        await graph.close()


def cmd_migrate(args: argparse.Namespace) -> int:
    from graph import migrations

    ensure_neo4j(quiet=True)
    ran = asyncio.run(with_graph(lambda g: migrations.apply_all(g)))
    print(f"migrations up to date ({len(ran)} applied now)")
    return 0


def cmd_seed(args: argparse.Namespace) -> int:
    import neo4j

    from graph.connection import target_from_env
    from seed import hannah, load

    ensure_neo4j(quiet=True)
    target = target_from_env(load_settings().neo4j_instance)
    today = date.fromisoformat(args.today) if args.today else date.today()
    started = time.perf_counter()
    with neo4j.GraphDatabase.driver(target.uri, auth=target.auth) as driver:
        if not args.no_scenario:
            load.load_scenario(driver, hannah.scenario(today), database=target.database)
            print("loaded Hannah's story (c-hannah and her family)")
        if args.children:
            load.load_synthetic(
                driver,
                args.children,
                args.seed,
                today,
                database=target.database,
                progress=True,
                id_key=_seed_id_key(),
            )
            print(f"loaded {args.children} synthetic children (seed {args.seed})")
    print(f"seeded in {time.perf_counter() - started:.1f}s")
    return 0


def cmd_token(args: argparse.Namespace) -> int:
    from api.devkeys import issue_token, parse_ttl

    settings = load_settings()
    if settings.production:
        print("error: dev tokens are not issued in production", file=sys.stderr)
        return 1
    try:
        roles = [Role(r.strip().upper()) for r in args.role.split(",")]
    except ValueError:
        print(f"error: --role must be one of {', '.join(r.value for r in Role)}", file=sys.stderr)
        return 2
    if Role.FEED in roles and not args.source:
        print("error: a FEED token needs --source", file=sys.stderr)
        return 2
    token = issue_token(
        settings,
        roles,
        subject=args.subject,
        practitioner_id=args.practitioner_id,
        local_authority=args.local_authority,
        source=args.source,
        ttl_seconds=parse_ttl(args.ttl),
    )
    print(token)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from api.app import create_app
    from api.devkeys import ensure_dev_keys

    settings = load_settings()
    try:
        settings.check()
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if settings.uses_dev_keys:
        ensure_dev_keys()
    workers = args.workers or int(os.environ.get("CONTACTGRAPH_WORKERS") or 1)
    options: dict[str, Any] = {
        "host": args.host,
        "port": args.port,
        "access_log": False,
        "log_level": "warning",
        "loop": "uvloop",
        "http": "httptools",
    }
    if workers > 1:
        # uvicorn's own supervisor: it binds the socket once and the kernel spreads
        # connections over N worker processes, each building its own app (and so its own
        # driver, audit chain and rate-limit leases); a worker that dies is replaced.
        uvicorn.run("api.app:create_app", factory=True, workers=workers, **options)
    else:
        uvicorn.run(create_app(settings), **options)
    return 0


def cmd_up(args: argparse.Namespace) -> int:
    from graph import migrations

    started = time.perf_counter()
    ensure_neo4j()
    asyncio.run(with_graph(lambda g: migrations.apply_all(g)))
    marker = _seed_marker()
    if not marker.exists():
        seed_args = argparse.Namespace(
            children=args.children, seed=args.seed, no_scenario=False, today=None
        )
        cmd_seed(seed_args)
        marker.write_text(f"{args.children} {args.seed}\n")
    else:
        print("demo data already loaded (delete .local/seeded to reload)")
    print(f"ready in {time.perf_counter() - started:.1f}s")
    print()
    print("GraphiQL: http://127.0.0.1:8000/graphql  (add the headers below in its Headers tab)")
    print("A token for Melanie, Hannah's learning mentor:")
    print(
        "  contactgraph token --role PRACTITIONER --practitioner-id p-melanie --local-authority NBR"
    )
    print(
        'Headers: {"Authorization": "Bearer <token>", "X-Purpose": "checking who supports Hannah"}'
    )
    print()
    return cmd_serve(args)


def _seed_id_key() -> bytes:
    """This install's key for synthetic children's ids (seed.synthetic): made once, kept in
    .local, so the demo's ids cannot be worked out from the code and walked."""
    import secrets

    from api.settings import LOCAL

    path = LOCAL / "seed-id-key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(secrets.token_bytes(32))
        path.chmod(0o600)
    return path.read_bytes()


def _seed_marker() -> Any:
    from api.settings import LOCAL

    name = "seeded" if not os.environ.get("NEO4J_URI") else "seeded-external"
    return LOCAL / f"{name}-{_local_instance_name()}"


def cmd_audit(args: argparse.Namespace) -> int:
    from graph.audit import verify_audit

    ensure_neo4j(quiet=True)
    report = asyncio.run(with_graph(verify_audit))
    closed = sum(1 for c in report.chains if c.closed)
    summary = (
        f"{len(report.chains)} chains ({closed} closed, {len(report.chains) - closed} open: "
        f"running or stopped without closing), {report.events} events, "
        f"{report.checkpoints} checkpoints"
    )
    if report.ok:
        print(f"audit chains intact: {summary}")
        return 0
    for chain in report.broken:
        print(
            f"audit chain {chain.writer} BROKEN at seq {chain.broken_at_seq}"
            + (f" (id {chain.broken_link_id})" if chain.broken_link_id else "")
            + f": {chain.problem}",
            file=sys.stderr,
        )
    print(f"audit BROKEN: {len(report.broken)} of {summary}", file=sys.stderr)
    return 1


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="contactgraph", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)

    neo = sub.add_parser("neo4j", help="manage the local Neo4j server")
    neo.add_argument("action", choices=["start", "stop", "status"])
    neo.add_argument("--instance", default=None, help="dev (default) or test")
    neo.set_defaults(func=cmd_neo4j)

    sub.add_parser("migrate", help="apply graph migrations").set_defaults(func=cmd_migrate)

    seed = sub.add_parser("seed", help="load Hannah's story and synthetic children")
    seed.add_argument("--children", type=int, default=10_000)
    seed.add_argument("--seed", type=int, default=1)
    seed.add_argument("--no-scenario", action="store_true")
    seed.add_argument("--today", default=None, help="ISO date the data is built around")
    seed.set_defaults(func=cmd_seed)

    token = sub.add_parser("token", help="print a development token (last line of stdout)")
    token.add_argument("--role", required=True, help="Role, or several separated by commas")
    token.add_argument("--practitioner-id")
    token.add_argument("--local-authority")
    token.add_argument("--source")
    token.add_argument("--subject")
    token.add_argument("--ttl", default="1h")
    token.set_defaults(func=cmd_token)

    for name, func, text in (
        ("serve", cmd_serve, "serve the API"),
        ("up", cmd_up, "install and start everything, then serve"),
    ):
        s = sub.add_parser(name, help=text)
        s.add_argument("--host", default="127.0.0.1")
        s.add_argument("--port", type=int, default=8000)
        s.add_argument(
            "--workers",
            type=int,
            default=None,
            help="API processes on this port (default CONTACTGRAPH_WORKERS or 1)",
        )
        if name == "up":
            s.add_argument("--children", type=int, default=10_000)
            s.add_argument("--seed", type=int, default=1)
        s.set_defaults(func=func)

    for module_name in _COMMAND_MODULES:
        module = importlib.import_module(module_name)
        module.register(sub)
    return p


# Domain commands (ingest, retention, export ...) live beside their domain; each module
# has `register(subparsers)` adding its own subcommands.
_COMMAND_MODULES: tuple[str, ...] = (
    "api.commands_feeds",
    "api.commands_load",
    "api.commands_export",
    "api.commands_schema",
    "api.commands_documents",
    "api.commands_caf",
    "api.commands_audit",
    "api.commands_notify",
    "api.commands_webhooks",
)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    raise SystemExit(main())
