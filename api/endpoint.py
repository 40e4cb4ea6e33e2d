"""POST /graphql: authenticate, prepare, execute, audit, answer.

Written directly on graphql-core's `execute` with strawberry's schema, so that each
step is explicit: the token is verified before anything is parsed (R1); the document
comes from a cache of parsed, validated and priced documents; errors leave only as
the contract's codes; and the audit event is durable before the response leaves
(R14), or the response carries no data.

GraphQL over HTTP: a client that accepts `application/graphql-response+json` is
answered in it, with the spec's status codes (400 for a request that never executed:
a parse, validation or variable-coercion failure, or a document refused as too
complex). A client that accepts only `application/json`, or says nothing, gets 200 for
those as it always has. GET is refused: it would put the query, its variables (a
child's name and date of birth) and the purpose into URLs that proxies and logs keep.
"""

from __future__ import annotations

import asyncio
import inspect
import sys
import time
import uuid
from typing import Any

import neo4j.exceptions
import orjson
from graphql import (
    DocumentNode,
    ExecutionResult,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    execute,
)
from starlette.requests import Request
from starlette.responses import Response

from api import graphiql as graphiql_page
from api.audit import GroupCommitter
from api.auth import AuthError, TokenVerifier
from api.browsing import BrowsingLedger
from api.context import RequestContext
from api.documents import TrustedDocuments
from api.errors import BadUserInput, ContactGraphError
from api.fastpath import FastPath
from api.limits import DocumentCache
from api.logs import get_logger, where
from api.metrics import Metrics
from api.ratelimit import RateLimiter, SharedRateLimiter
from api.settings import Settings
from graph import browsing as monitoring
from graph import suspensions
from graph.database import ChildrenRead, Graph, children_read, round_trips
from policies.browsing import REFUSALS_BEFORE_ALERT
from policies.viewer import Role

__all__ = ["GraphQLEndpoint"]

log = get_logger("contactgraph.request")

_DB_DOWN = (
    neo4j.exceptions.ServiceUnavailable,
    neo4j.exceptions.SessionExpired,
    neo4j.exceptions.TransientError,
    neo4j.exceptions.IncompleteCommit,
    neo4j.exceptions.DatabaseUnavailable,
    neo4j.exceptions.ConnectionPoolError,
    ConnectionError,
    OSError,
)
_MAX_BODY = 256 * 1024
# R15: an ingest call carries up to 1000 records, about 350 bytes each as JSON strings.
_MAX_FEED_BODY = 4 * 1024 * 1024
# Answers that refuse a read: counted per subject and day (REPEATED_REFUSALS).
_REFUSALS = frozenset({"NOT_FOUND", "FORBIDDEN", "BROWSING_BUDGET_EXCEEDED"})
JSON = "application/json"
GRAPHQL_RESPONSE = "application/graphql-response+json"


def _json(
    body: dict[str, Any],
    status: int = 200,
    headers: dict[str, str] | None = None,
    media_type: str = JSON,
) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type=media_type, headers=headers)


def negotiate(accept: str | None) -> str:
    """The media type to answer in: the spec's when the client accepts it, else JSON.

    Highest q wins; on a tie `application/graphql-response+json` is preferred. A client
    that accepts neither still gets JSON rather than 406, as older clients always have.
    """
    best, best_q = JSON, -1.0
    for part in (accept or "").split(","):
        media, _, params = part.strip().partition(";")
        media = media.strip().lower()
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if q <= 0:
            continue
        if media == GRAPHQL_RESPONSE and q >= best_q:
            best, best_q = GRAPHQL_RESPONSE, q
        elif media in (JSON, "application/*", "*/*") and q > best_q:
            best, best_q = JSON, q
    return best


def _error(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"message": message, "extensions": {"code": code, **extra}}


def _refuse(
    status: int,
    code: str,
    message: str,
    headers: dict[str, str] | None = None,
    media_type: str = JSON,
) -> Response:
    return _json({"errors": [_error(code, message)]}, status, headers, media_type)


def _operation_name(document: DocumentNode) -> str | None:
    """The name of a document's only operation, for metrics when the client sent none."""
    names = [d.name for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    return names[0].value if len(names) == 1 and names[0] is not None else None


def _never_executed(result: ExecutionResult) -> bool:
    """Variable coercion failed: no data, and no error belongs to a field."""
    errors = result.errors or []
    return result.data is None and bool(errors) and all(not e.path for e in errors)


SUSPENDED = (
    "ACCOUNT_SUSPENDED",
    "this account is suspended; contact your local authority's index team",
)
UNAVAILABLE = ("SERVICE_UNAVAILABLE", "the index is temporarily unavailable; try again")


def _suspended(ctx: RequestContext, reason: str) -> None:
    ctx.audit.touch("refusedSuspended")
    ctx.audit.deny(f"Subject:{ctx.viewer.subject}: suspended: {reason}")


async def read_body(request: Request, limit: int) -> bytes | None:
    """The body, or None as soon as it is known to be over `limit` bytes.

    Content-Length is believed when it already says too much; otherwise the stream is
    counted as it arrives, so a large or lying body is never held in memory whole.
    """
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            if int(declared) > limit:
                return None
        except ValueError:
            return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def utf8_header(value: str | None) -> tuple[str | None, str | None]:
    """A header's text as UTF-8 (HTTP hands it over as latin-1), or why it is not."""
    if value is None:
        return None, None
    try:
        return value.encode("latin-1").decode("utf-8"), None
    except (UnicodeEncodeError, UnicodeDecodeError):
        return None, "the X-Purpose header must be UTF-8 text"


def client_request_id(value: str | None) -> str | None:
    """The caller's own request id, kept for them beside ours (R14), if it is sensible."""
    if value is None:
        return None
    value = value.strip()
    if not value or len(value) > 100 or not value.isprintable() or not value.isascii():
        return None
    return value


def _operation_is(document: DocumentNode, operation: str | None, kind: OperationType) -> bool:
    return any(
        isinstance(d, OperationDefinitionNode)
        and d.operation is kind
        and (operation is None or (d.name is not None and d.name.value == operation))
        for d in document.definitions
    )


def _writes(document: DocumentNode, operation: str | None) -> bool:
    """Whether the operation to run is a mutation (it must not run for a suspended subject)."""
    return _operation_is(document, operation, OperationType.MUTATION)


#: Issue 20: a subscription is served over WebSocket only (api/subscriptions.py).
SUBSCRIBE_OVER_WEBSOCKET = (
    "subscriptions are served over WebSocket at /graphql (graphql-transport-ws), not over HTTP"
)


def _timed_out(exc: BaseException) -> bool:
    """A transaction the database gave up on (its timeout): the index is overloaded."""
    code = getattr(exc, "code", None) or ""
    # LockClientStopped: the transaction timed out while waiting for a lock.
    return isinstance(exc, neo4j.exceptions.Neo4jError) and (
        "TransactionTimedOut" in code
        or code == "Neo.ClientError.Transaction.LockClientStopped"
        or code.startswith("Neo.TransientError")
    )


class GraphQLEndpoint:
    def __init__(
        self,
        schema: GraphQLSchema,
        settings: Settings,
        verifier: TokenVerifier,
        documents: DocumentCache,
        graph: Graph,
        audit: GroupCommitter,
        graphiql: bool,
        fast_path: FastPath | None = None,
        rate_limiter: RateLimiter | SharedRateLimiter | None = None,
        metrics: Metrics | None = None,
        trusted: TrustedDocuments | None = None,
    ) -> None:
        self.metrics = metrics
        self.trusted = trusted or TrustedDocuments({})
        self.fast_path = fast_path
        self.rate_limiter = rate_limiter
        self.schema = schema
        self.settings = settings
        self.verifier = verifier
        self.documents = documents
        self.graph = graph
        self.audit = audit
        self.graphiql = graphiql
        self.ledger = BrowsingLedger()

    async def _refuse_suspended(self, ctx: RequestContext, reason: str, media: str) -> Response:
        """A suspended subject's write: refused before it runs, and the attempt audited."""
        _suspended(ctx, reason)
        record = ctx.audit.record(
            subject=ctx.viewer.subject,
            role=ctx.viewer.primary_role.value,
            purpose=(ctx.purpose_header or "").strip() or None,
            request_id=ctx.request_id,
            practitioner_id=ctx.viewer.practitioner_id,
            client_request_id=ctx.client_request_id,
        )
        try:
            await self.audit.commit(record)
        except Exception:
            log.error("audit_write_failed", request_id=ctx.request_id, **where(sys.exc_info()[1]))
            return _refuse(200, *UNAVAILABLE, None, media)
        return _refuse(403, *SUSPENDED, {"X-Request-Id": ctx.request_id}, media)

    async def _watch(self, ctx: RequestContext, body: dict[str, Any]) -> None:
        """What the index teams watch (R2, R4): refused reads counted, shielded children
        read out of their area alerted. Nothing to write, nothing written."""
        refused = sum(1 for e in body.get("errors", ()) if e["extensions"]["code"] in _REFUSALS)
        if not refused and not ctx.watch.out_of_area:
            return
        viewer = ctx.viewer
        await monitoring.record_monitoring(
            self.graph,
            monitoring.Monitoring(
                subject=viewer.subject,
                role=viewer.primary_role.value,
                day=ctx.today,
                local_authority=viewer.local_authority,
                request_id=ctx.request_id,
                refusals=refused,
                threshold=REFUSALS_BEFORE_ALERT,
                out_of_area=tuple(
                    monitoring.OutOfArea(child_id, la)
                    for child_id, la in ctx.watch.out_of_area.items()
                ),
                now=ctx.now,
            ),
        )

    async def __call__(self, request: Request) -> Response:
        media = negotiate(request.headers.get("accept"))
        # A request that never executed: 400 in the spec's media type, 200 in plain JSON.
        not_executed = 400 if media == GRAPHQL_RESPONSE else 200
        if request.method == "GET":
            if self.graphiql and "text/html" in request.headers.get("accept", ""):
                return graphiql_page.page()
            return _refuse(
                405, "BAD_USER_INPUT", "send queries as POST application/json", None, media
            )
        if request.method != "POST":
            return _refuse(
                405, "BAD_USER_INPUT", "send queries as POST application/json", None, media
            )
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/json":
            return _refuse(415, "BAD_USER_INPUT", "the body must be application/json", None, media)
        try:
            viewer = await self.verifier.verify(request.headers.get("authorization"))
        except AuthError as exc:
            return _refuse(401, "UNAUTHENTICATED", str(exc), {"WWW-Authenticate": "Bearer"}, media)

        body = await read_body(request, _MAX_FEED_BODY if viewer.has(Role.FEED) else _MAX_BODY)
        if body is None:
            return _refuse(413, "QUERY_TOO_COMPLEX", "the request is too large", None, media)
        try:
            payload = orjson.loads(body)
        except orjson.JSONDecodeError:
            return _refuse(400, "BAD_USER_INPUT", "the body is not valid JSON", None, media)
        if isinstance(payload, list):
            return _refuse(400, "BAD_USER_INPUT", "batched requests are not supported", None, media)
        if not isinstance(payload, dict):
            return _refuse(
                400,
                "BAD_USER_INPUT",
                "the body must be an object with a 'query' string",
                None,
                media,
            )
        variables = payload.get("variables")
        variables = {} if variables is None else variables
        operation = payload.get("operationName")
        extensions = payload.get("extensions")
        if (
            not isinstance(variables, dict)
            or (operation is not None and not isinstance(operation, str))
            or (extensions is not None and not isinstance(extensions, dict))
        ):
            return _refuse(
                400,
                "BAD_USER_INPUT",
                "variables and extensions must be objects, operationName a string",
                None,
                media,
            )

        try:
            query = self.trusted.query_for(payload)
        except BadUserInput as exc:
            refusal = _error(exc.code, exc.message, **({"field": exc.field} if exc.field else {}))
            return _json({"errors": [refusal]}, 400, None, media)
        prepared = self.documents.prepare(query)
        if prepared.too_complex:
            return _json(
                {"errors": [_error("QUERY_TOO_COMPLEX", "the query is too complex")]},
                not_executed,
                None,
                media,
            )
        if prepared.document is None:
            return _json(
                {"errors": [_error("BAD_USER_INPUT", m) for m in prepared.errors]},
                not_executed,
                None,
                media,
            )
        if _operation_is(prepared.document, operation, OperationType.SUBSCRIPTION):
            return _json(
                {"errors": [_error("BAD_USER_INPUT", SUBSCRIBE_OVER_WEBSOCKET)]},
                not_executed,
                None,
                media,
            )
        wait = (
            await self.rate_limiter.check(viewer.subject, prepared.cost)
            if self.rate_limiter
            else 0.0
        )
        if wait:
            return _refuse(
                429,
                "RATE_LIMITED",
                "too many requests; slow down and retry later",
                {"Retry-After": str(max(1, round(wait)))},
                media,
            )

        # R14: the server's own id names the request; the client's is kept beside it.
        request_id = uuid.uuid4().hex
        purpose, purpose_problem = utf8_header(request.headers.get("x-purpose"))
        ctx = RequestContext(
            viewer=viewer,
            graph=self.graph,
            settings=self.settings,
            request_id=request_id,
            client_request_id=client_request_id(request.headers.get("x-request-id")),
            purpose_header=purpose,
            purpose_problem=purpose_problem,
            idempotency_key=request.headers.get("idempotency-key"),
            ledger=self.ledger,
        )
        # Suspension is shared state, asked on every request (suspended on one process,
        # refused on the next request to any). A write asks before it runs. A read asks
        # after: a read of children has already asked in its own query (graph/children.py),
        # any other read asks now; either way nothing it read leaves if the answer is yes.
        if _writes(prepared.document, operation):
            try:
                reason = await suspensions.active_suspension(self.graph, viewer.subject)
            except Exception:
                log.error("suspension_check_failed", request_id=request_id)
                return _refuse(200, *UNAVAILABLE, None, media)
            if reason is not None:
                return await self._refuse_suspended(ctx, reason, media)
            ctx.suspension.saw(None)
        token = round_trips.set(ctx.round_trips)
        read = ChildrenRead(set())
        read_token = children_read.set(read)
        started = time.perf_counter()
        status = 200
        timed_out = False
        try:
            result = await asyncio.wait_for(
                self._execute(prepared.document, ctx, variables, operation),
                self.settings.request_timeout_s,
            )
            body_out = self._shape(result)
            if _never_executed(result):
                status = not_executed
                if media == GRAPHQL_RESPONSE:
                    body_out.pop("data", None)  # the spec: a request error has no data entry
        except TimeoutError:
            timed_out = True
            body_out = {
                "data": None,
                "errors": [_error("SERVICE_UNAVAILABLE", "the request timed out")],
            }
        finally:
            round_trips.reset(token)
            children_read.reset(read_token)

        try:
            suspension = (
                ctx.suspension.reason
                if ctx.suspension.checked
                else await suspensions.active_suspension(self.graph, viewer.subject)
            )
        except Exception:
            log.error("suspension_check_failed", request_id=request_id)
            body_out, suspension = {"data": None, "errors": [_error(*UNAVAILABLE)]}, None
        if suspension is not None:
            # Whatever the request read stays here; the event says it was refused, and
            # that nothing it read was disclosed.
            _suspended(ctx, suspension)
            ctx.audit.withhold_all("not sent: the subject is suspended")
            body_out, status = {"data": None, "errors": [_error(*SUSPENDED)]}, 403

        unaudited = ctx.audit.unaudited(read.ids)
        if unaudited and timed_out:
            # Cut short before it could audit what it read: nothing left, but the event
            # still names every child read (R14).
            ctx.audit.touch("timedOut")
            for child_id in unaudited:
                ctx.audit.child(child_id)
        elif unaudited:
            # R14: a path read a child and recorded nothing of it. Nothing it built may
            # leave; the event names the children so the trail shows the attempt.
            log.error("child_read_without_audit", request_id=request_id, children=len(unaudited))
            ctx.audit.touch("unaudited")
            for child_id in unaudited:
                ctx.audit.child(child_id)
            body_out = {"data": None, "errors": [_error("INTERNAL", "internal error")]}

        if ctx.audit.touched:
            record = ctx.audit.record(
                subject=viewer.subject,
                role=viewer.primary_role.value,
                purpose=(ctx.purpose_header or "").strip() or None,
                request_id=request_id,
                practitioner_id=viewer.practitioner_id,
                client_request_id=ctx.client_request_id,
            )
            committing = time.perf_counter()
            try:
                await asyncio.gather(self.audit.commit(record), self._watch(ctx, body_out))
                if self.metrics is not None:
                    self.metrics.audit_commit.observe(time.perf_counter() - committing)
            except Exception:
                log.error("audit_write_failed", request_id=request_id, **where(sys.exc_info()[1]))
                # R14: fail closed. Nothing read may leave without its audit event.
                body_out = {
                    "data": None,
                    "errors": [
                        _error("SERVICE_UNAVAILABLE", "the audit trail is unavailable; try again")
                    ],
                }
        if self.settings.diagnostics and not self.settings.production:
            body_out.setdefault("extensions", {})["cypherRoundTrips"] = ctx.round_trips.count
        codes = [e["extensions"]["code"] for e in body_out.get("errors", ())]
        request.state.outcome = (
            operation or _operation_name(prepared.document),
            codes[0] if codes else "OK",
        )
        log.info(
            "graphql",
            request_id=request_id,
            client_request_id=ctx.client_request_id,
            subject=viewer.subject,
            ms=round((time.perf_counter() - started) * 1000, 2),
            round_trips=ctx.round_trips.count,
            codes=codes,
        )
        return _json(body_out, status, {"X-Request-Id": request_id}, media)

    async def _execute(
        self, document: Any, ctx: RequestContext, variables: dict[str, Any], operation: str | None
    ) -> ExecutionResult:
        if self.fast_path is not None:
            compiled = self.fast_path.plan(document, operation)
            if compiled is not None:
                if self.metrics is not None:
                    self.metrics.fast_path.inc()
                return await compiled.run(self.schema, ctx, variables)
        result = execute(
            self.schema,
            document,
            context_value=ctx,
            variable_values=variables,
            operation_name=operation,
        )
        if inspect.isawaitable(result):
            result = await result
        assert isinstance(result, ExecutionResult)
        return result

    def _shape(self, result: ExecutionResult) -> dict[str, Any]:
        if not result.errors:
            return {"data": result.data}
        errors = []
        fatal = False
        for error in result.errors:
            shaped, is_fatal = self._error(error)
            errors.append(shaped)
            fatal = fatal or is_fatal
        return {"data": None if fatal else result.data, "errors": errors}

    def _error(self, error: GraphQLError) -> tuple[dict[str, Any], bool]:
        original = error.original_error
        path = list(error.path) if error.path else None
        extra: dict[str, Any] = {}
        if isinstance(original, ContactGraphError):
            if original.field:
                extra["field"] = original.field
            shaped = _error(original.code, original.message, **extra)
            fatal = original.fatal
        elif original is None or isinstance(original, GraphQLError):
            # Variable coercion and similar request errors from graphql-core itself (an
            # enum's parse_value raises a GraphQLError for a value it does not know).
            shaped = _error("BAD_USER_INPUT", error.message)
            fatal = True
        elif isinstance(original, _DB_DOWN) or _timed_out(original):
            log.warning("database_unavailable", error=type(original).__name__)
            shaped = _error(
                "SERVICE_UNAVAILABLE", "the index is temporarily unavailable; try again"
            )
            fatal = True
        else:
            # A Neo4j status code is a fixed string (never data): it says which fault.
            log.error("internal_error", code=getattr(original, "code", None), **where(original))
            shaped = _error("INTERNAL", "internal error")
            fatal = True
        if path:
            shaped["path"] = path
        return shaped, fatal
