"""The raw-Cypher peer: the floor every other system is measured against.

The same two logical reads as ContactGraph's index view, on the same Neo4j and data,
each answered by ONE Cypher query whose map projection already has the shape of the
GraphQL answer (nested address and contact objects, dates as ISO strings), so the
server only has to serialise what the driver hands it. No GraphQL, no token, no policy
(R4 shielding, R6 sensitive involvements are NOT applied), no audit: only the R5
365-day window, because it is part of which rows the read fetches at all.

    POST /profile {"id": "c-..."}                              -> {"data": {"child": {...}}}
    POST /search  {"familyName": "...", "dateOfBirth": "..."}  -> {"data": {"searchChildren": ...}}

Every answer carries extensions.cypherRoundTrips (always 1), like ContactGraph in
development. Binds 127.0.0.1 only; stops by itself after --max-lifetime seconds.

Run: python -m bench.raw_server [--port 8101] [--instance bench] [--max-lifetime 3600]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any, LiteralString

import orjson
import uvicorn
from neo4j import AsyncDriver, AsyncGraphDatabase, Query, RoutingControl
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from graph.connection import target_from_env
from graph.keys import name_key

HOST = "127.0.0.1"
QUERY_TIMEOUT_S = 10.0
SEARCH_LIMIT = 20  # R2, as ContactGraph: at most 20 matches, one more fetched for `truncated`
INVOLVEMENT_WINDOW = timedelta(days=365)  # R5


def _address(var: LiteralString) -> LiteralString:
    return (
        "CASE WHEN " + var + ".addressLine1 IS NULL AND " + var + ".postcode IS NULL THEN null"
        " ELSE {line1: coalesce(" + var + ".addressLine1, ''), line2: " + var + ".addressLine2,"
        " town: " + var + ".town, postcode: coalesce(" + var + ".postcode, '')} END"
    )


def _contact(var: LiteralString) -> LiteralString:
    return "{phone: " + var + ".phone, email: " + var + ".email, address: " + _address(var) + "}"


def _service(var: LiteralString) -> LiteralString:
    return (
        "{id: " + var + ".id, name: " + var + ".name, kind: " + var + ".kind,"
        " sensitive: " + var + ".sensitive, localAuthority: " + var + ".localAuthority,"
        " contact: " + _contact(var) + "}"
    )


def _practitioner(var: LiteralString) -> LiteralString:
    return (
        "{id: " + var + ".id, name: " + var + ".name, jobTitle: " + var + ".jobTitle,"
        " contact: " + _contact(var) + ","
        " service: [("
        + var
        + ")-[:WORKS_FOR]->("
        + var
        + "s:Service) | "
        + _service(var + "s")
        + "][0]}"
    )


# The index view of child `c`, exactly the fields of tests/queries.py CHILD_FIELDS.
_CHILD: LiteralString = (
    """
OPTIONAL MATCH (la:LocalAuthority {code: c.localAuthority})
RETURN {
  id: c.id, givenName: c.givenName, familyName: c.familyName,
  dateOfBirth: toString(c.dateOfBirth), gender: c.gender, shielded: c.shielded,
  address: """
    + _address("c")
    + """,
  shieldingContact: CASE WHEN c.shielded THEN {phone: la.indexTeamPhone,
    email: la.indexTeamEmail, address: {line1: la.addressLine1, postcode: la.postcode}} END,
  carers: [(k:Carer)-[r:CARES_FOR]->(c) | {id: k.id, name: k.name,
    relationship: r.relationship, parentalResponsibility: r.parentalResponsibility,
    livesWithChild: r.livesWithChild, contact: """
    + _contact("k")
    + """}],
  involvements: COLLECT {
    MATCH (i:Involvement)-[:OF]->(c) WHERE i.endedOn IS NULL OR i.endedOn >= $horizon
    WITH i ORDER BY i.startedOn, i.id
    RETURN {id: i.id, startedOn: toString(i.startedOn), endedOn: toString(i.endedOn),
      active: i.endedOn IS NULL OR i.endedOn > date(),
      isLeadProfessional: (i.endedOn IS NULL OR i.endedOn > date())
        AND EXISTS { (i)-[:BY]->(:Practitioner)-[:LEAD_PROFESSIONAL_FOR]->(c) },
      source: i.source,
      service: [(i)-[:AT]->(s:Service) | """
    + _service("s")
    + """][0],
      practitioner: [(i)-[:BY]->(ip:Practitioner) | """
    + _practitioner("ip")
    + """][0]}
  },
  leadProfessional: [(lp:Practitioner)-[:LEAD_PROFESSIONAL_FOR]->(c) | """
    + _practitioner("lp")
    + """][0],
  hasCommonAssessment: EXISTS { (:Assessment)-[:ABOUT]->(c) },
  commonAssessments: [(a:Assessment)-[:ABOUT]->(c) | {id: a.id, status: a.status,
    startedOn: toString(a.startedOn),
    holder: [(ah:Practitioner)-[:HOLDS]->(a) | """
    + _practitioner("ah")
    + """][0]}]
} AS child
"""
)

PROFILE: LiteralString = "MATCH (c:Child {id: $id})" + _CHILD

SEARCH: LiteralString = (
    """
MATCH (c:Child) WHERE c.familyNameKey = $familyNameKey AND c.dateOfBirth = $dateOfBirth
  AND c.archivedOn IS NULL
WITH c ORDER BY c.id LIMIT $limit
"""
    + _CHILD
)


def _json(body: dict[str, Any], status: int = 200) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


def _bad(message: str, status: int = 400) -> Response:
    return _json(
        {"errors": [{"message": message, "extensions": {"code": "BAD_USER_INPUT"}}]}, status
    )


class RawPeer:
    def __init__(self, driver: AsyncDriver, database: str | None) -> None:
        self.driver = driver
        self.database = database

    async def _read(self, cypher: LiteralString, **params: Any) -> list[Any]:
        result = await self.driver.execute_query(
            Query(cypher, timeout=QUERY_TIMEOUT_S),
            params,
            routing_=RoutingControl.READ,
            database_=self.database,
        )
        return [record["child"] for record in result.records]

    async def profile(self, request: Request) -> Response:
        try:
            payload = orjson.loads(await request.body())
            child_id = str(payload["id"])
        except (orjson.JSONDecodeError, KeyError, TypeError):
            return _bad('the body must be {"id": "..."}')
        horizon = date.today() - INVOLVEMENT_WINDOW
        found = await self._read(PROFILE, id=child_id, horizon=horizon)
        if not found:
            return _json(
                {
                    "data": {"child": None},
                    "errors": [{"message": "not found", "extensions": {"code": "NOT_FOUND"}}],
                    "extensions": {"cypherRoundTrips": 1},
                }
            )
        return _json({"data": {"child": found[0]}, "extensions": {"cypherRoundTrips": 1}})

    async def search(self, request: Request) -> Response:
        try:
            payload = orjson.loads(await request.body())
            family = name_key(str(payload["familyName"]))
            born = date.fromisoformat(str(payload["dateOfBirth"]))
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            return _bad('the body must be {"familyName": "...", "dateOfBirth": "YYYY-MM-DD"}')
        horizon = date.today() - INVOLVEMENT_WINDOW
        found = await self._read(
            SEARCH,
            familyNameKey=family,
            dateOfBirth=born,
            limit=SEARCH_LIMIT + 1,
            horizon=horizon,
        )
        return _json(
            {
                "data": {
                    "searchChildren": {
                        "truncated": len(found) > SEARCH_LIMIT,
                        "matches": found[:SEARCH_LIMIT],
                    }
                },
                "extensions": {"cypherRoundTrips": 1},
            }
        )


def create_app(instance: str) -> Starlette:
    state: dict[str, RawPeer] = {}

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        target = target_from_env(instance)
        driver = AsyncGraphDatabase.driver(
            target.uri,
            auth=target.auth,
            max_connection_pool_size=50,
            connection_acquisition_timeout=2.0,
            connection_timeout=5.0,
            notifications_min_severity="OFF",
        )
        await driver.verify_connectivity()
        state["peer"] = RawPeer(driver, target.database)
        try:
            yield
        finally:
            await driver.close()

    async def profile(request: Request) -> Response:
        return await state["peer"].profile(request)

    async def search(request: Request) -> Response:
        return await state["peer"].search(request)

    async def healthz(request: Request) -> Response:
        return _json({"status": "ok"})

    return Starlette(
        routes=[
            Route("/profile", profile, methods=["POST"]),
            Route("/search", search, methods=["POST"]),
            Route("/healthz", healthz),
        ],
        lifespan=lifespan,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.raw_server", description=__doc__)
    parser.add_argument("--port", type=int, default=8101)
    parser.add_argument(
        "--instance", default=os.environ.get("CONTACTGRAPH_NEO4J_INSTANCE", "bench")
    )
    parser.add_argument("--max-lifetime", type=float, default=3600.0)
    args = parser.parse_args(argv)

    config = uvicorn.Config(
        create_app(args.instance),
        host=HOST,
        port=args.port,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_level="warning",
    )
    server = uvicorn.Server(config)

    async def serve() -> None:
        loop = asyncio.get_running_loop()
        # Stop by itself, so a harness that died can never leave the peer running for long.
        loop.call_later(args.max_lifetime, lambda: setattr(server, "should_exit", True))
        await server.serve()

    asyncio.run(serve())  # uvicorn handles SIGTERM and SIGINT: a clean shutdown
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
