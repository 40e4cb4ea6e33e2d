"""Build the Starlette application: /graphql, /healthz, /readyz, /metrics (development).

The lifespan opens the driver and the audit group committer once per process; the
endpoint itself is in `endpoint.py`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator

from graphql import OperationDefinitionNode
from prometheus_client import start_http_server
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

from api import graphiql as graphiql_page
from api.audit import Checkpointer, GroupCommitter
from api.auth import TokenVerifier
from api.documents import TrustedDocuments, load_manifest
from api.endpoint import GraphQLEndpoint
from api.fastpath import FastPath
from api.limits import DocumentCache, Limits
from api.metrics import CONTENT_TYPE_LATEST, Metrics, pool_in_use
from api.ratelimit import RateLimiter, SharedRateLimiter
from api.root import build_schema
from api.settings import Settings, SettingsError, load_settings
from api.subscription_frames import SubscriptionFrames
from api.subscriptions import NotificationHub, serve_socket
from graph import audit as audit_store
from graph import migrations
from graph.connection import target_from_env
from graph.database import Graph, open_graph
from notify.dispatcher import Dispatcher

__all__ = ["create_app"]

log = logging.getLogger("contactgraph")


def warm_up(
    trusted: TrustedDocuments, documents: DocumentCache, fast_path: FastPath | None
) -> None:
    """Parse, validate, price and compile every registered document once, at start-up.

    A registered document that no longer validates against this schema stops the start:
    a front end that ships it would fail on every request.
    """
    for document_hash, text in trusted.manifest.items():
        prepared = documents.pin(text)
        if prepared.document is None:
            problem = "too complex" if prepared.too_complex else "; ".join(prepared.errors)
            raise SettingsError(f"trusted document {document_hash[:12]} is invalid: {problem}")
        if fast_path is not None:
            for definition in prepared.document.definitions:
                if isinstance(definition, OperationDefinitionNode) and definition.name:
                    fast_path.plan(prepared.document, definition.name.value)
            fast_path.plan(prepared.document, None)


def create_app(settings: Settings | None = None, graph: Graph | None = None) -> Starlette:
    settings = settings or load_settings()
    settings.check()
    schema = build_schema()
    limits = Limits(
        max_depth=settings.max_depth,
        max_aliases=settings.max_aliases,
        max_tokens=settings.max_tokens,
        max_cost=settings.max_cost,
        introspection=settings.introspection,
        suggestions=not settings.production,
    )
    state: dict[str, object] = {}
    metrics = Metrics()
    trusted = TrustedDocuments(
        load_manifest(settings.trusted_documents_file),
        required=settings.trusted_documents == "required",
    )
    documents = DocumentCache(schema._schema, limits)
    fast_path = (
        FastPath(schema._schema, schema.config.name_converter) if settings.fast_path else None
    )
    warm_up(trusted, documents, fast_path)
    # Issue 20: subscription documents compiled once, each message rendered without the executor.
    frames = SubscriptionFrames(schema) if settings.fast_path else None

    def build(db: Graph) -> None:
        writer = audit_store.AuditChainWriter(db)
        committer = GroupCommitter(writer.append, settings.audit_batch_max)
        state["graph"] = db
        state["hub"] = NotificationHub(db, poll_s=settings.notify_poll_s)
        state["verifier"] = verifier = TokenVerifier(settings)
        state["audit_writer"] = writer
        state["checkpointer"] = Checkpointer(writer, settings.audit_checkpoint_s)
        state["endpoint"] = GraphQLEndpoint(
            schema=schema._schema,
            settings=settings,
            verifier=verifier,
            documents=documents,
            graph=db,
            audit=committer,
            graphiql=settings.graphiql,
            fast_path=fast_path,
            rate_limiter=(
                SharedRateLimiter(settings.rate_limit_cost_per_minute, db)
                if settings.rate_limit_store == "neo4j"
                else RateLimiter(settings.rate_limit_cost_per_minute)
            ),
            metrics=metrics,
            trusted=trusted,
        )
        metrics.watch(
            audit_queue=lambda: float(committer.queued),
            pool=lambda: pool_in_use(db.driver),
        )

    if graph is not None:
        # The caller owns the driver (tests): no lifespan needed to serve requests.
        build(graph)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if graph is not None:
            yield
            return
        db = open_graph(
            target_from_env(settings.neo4j_instance),
            timeout_s=settings.query_timeout_s,
            pool_size=settings.pool_size,
            acquire_timeout_s=settings.pool_acquire_timeout_s,
        )
        build(db)
        checkpointer = state["checkpointer"]
        assert isinstance(checkpointer, Checkpointer)
        checkpointer.start()
        dispatching = None
        if settings.notify_dispatch:
            stop_dispatch = asyncio.Event()
            dispatching = asyncio.create_task(Dispatcher(db).run(stop_dispatch))
        if settings.metrics_port:
            # Production's way to scrape: a port of its own, never the API's.
            start_http_server(
                settings.metrics_port, settings.metrics_host, registry=metrics.registry
            )
        try:
            yield
        finally:
            if dispatching is not None:
                stop_dispatch.set()
                await dispatching
            await checkpointer.close()  # the closing checkpoint: this chain ends here
            await db.close()

    async def graphql(request: Request) -> Response:
        endpoint = state["endpoint"]
        assert isinstance(endpoint, GraphQLEndpoint)
        started = time.perf_counter()
        response = await endpoint(request)
        # Requests refused before they were read (401, 405, 413, 415, 429) have no outcome
        # code from the endpoint: count them by their HTTP status.
        operation, code = getattr(request.state, "outcome", (None, f"HTTP_{response.status_code}"))
        metrics.observe(operation, code, time.perf_counter() - started)
        return response

    async def subscriptions(websocket: WebSocket) -> None:
        hub, verifier, db = state["hub"], state["verifier"], state["graph"]
        assert isinstance(hub, NotificationHub) and isinstance(verifier, TokenVerifier)
        assert isinstance(db, Graph)
        await serve_socket(
            websocket, schema=schema, verifier=verifier, hub=hub, graph=db, frames=frames
        )

    async def metrics_endpoint(request: Request) -> Response:
        # R1: health and metrics are the only endpoints without the bearer token. Labels
        # are operation names and codes only: nothing here names a child.
        return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        db = state.get("graph")
        if not isinstance(db, Graph):
            return JSONResponse({"status": "starting"}, status_code=503)
        try:
            waiting = await migrations.pending(db)
        except Exception:
            return JSONResponse({"status": "unavailable", "neo4j": "unreachable"}, status_code=503)
        if waiting:
            return JSONResponse(
                {"status": "unavailable", "migrations": [m.id for m in waiting]}, status_code=503
            )
        return JSONResponse({"status": "ready", "neo4j": "reachable"})

    app = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST", "PUT", "DELETE", "PATCH"]),
            WebSocketRoute("/graphql", subscriptions),
            *(
                [Route("/graphiql/assets/{name}", graphiql_page.asset_response)]
                if settings.graphiql
                else []
            ),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            *(
                [Route("/metrics", metrics_endpoint)]
                if settings.metrics and not settings.production
                else []
            ),
        ],
        lifespan=lifespan,
    )
    app.state.components = state  # the endpoint and graph, for operational tooling and tests
    return app
