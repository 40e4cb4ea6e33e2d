"""Introspection works for the standard tools in development (issue 18).

GraphiQL, graphql-codegen, Apollo tooling and Postman all send the standard
introspection query, which nests `ofType` deeper than the depth limit allows a data
query. Documents that ask only about the schema are exempt from depth, alias and cost
limits while introspection is on, and refused when it is off (production).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import httpx
from graphql import build_client_schema, get_introspection_query

from api.app import create_app
from api.devkeys import issue_token
from policies.viewer import Role

# Extracted from graphiql@3.8.3's bundle (the version served at /graphql): its
# `getIntrospectionQuery` called with GraphiQL's default props, byte for byte.
GRAPHIQL_QUERY = (
    Path(__file__).parent / "documents" / "graphiql-3.8.3-introspection.graphql"
).read_text()


async def _post(client: httpx.AsyncClient, token: str, body: dict[str, Any]) -> httpx.Response:
    return await client.post(
        "/graphql",
        json=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )


def _token(settings: Any) -> str:
    return issue_token(
        settings, [Role.PRACTITIONER], practitioner_id="p-melanie", local_authority="NBR"
    )


async def test_graphql_core_introspection_query_answers_with_the_whole_schema(
    client, settings
) -> None:
    query = get_introspection_query(
        descriptions=True,
        specified_by_url=True,
        directive_is_repeatable=True,
        schema_description=True,
        input_value_deprecation=True,
    )
    response = await _post(client, _token(settings), {"query": query})
    assert response.status_code == 200
    body = response.json()
    assert "errors" not in body, body
    schema = build_client_schema(body["data"])
    assert schema.query_type is not None and "child" in schema.query_type.fields
    assert schema.mutation_type is not None


async def test_the_query_graphiql_sends_answers(client, settings) -> None:
    for query in (GRAPHIQL_QUERY, GRAPHIQL_QUERY.replace("subscriptionType { name }", "")):
        response = await _post(
            client, _token(settings), {"query": query, "operationName": "IntrospectionQuery"}
        )
        body = response.json()
        assert "errors" not in body, body
        assert {t["name"] for t in body["data"]["__schema"]["types"]} >= {"Child", "Involvement"}


async def test_the_exemption_is_only_for_schema_questions(client, settings) -> None:
    """A document mixing schema questions with data is priced like any data query."""
    token = _token(settings)
    deep = "involvements { " * 9 + "startedOn" + " }" * 9
    mixed = '{ __schema { types { name } } child(id: "c-hannah") { ' + deep + " } }"
    body = (await _post(client, token, {"query": mixed})).json()
    assert body["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    via_fragment = (
        '{ ...Meta } fragment Meta on Query { __typename child(id: "c-hannah") { ' + deep + " } }"
    )
    body = (await _post(client, token, {"query": via_fragment})).json()
    assert body["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    # Forty aliases of __typename is a schema question: answered.
    aliases = "{ " + " ".join(f"a{i}: __typename" for i in range(40)) + " }"
    assert "errors" not in (await _post(client, token, {"query": aliases})).json()


async def test_introspection_off_refuses_even_the_standard_query(graph, settings) -> None:
    app = create_app(dataclasses.replace(settings, introspection=False), graph=graph)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        for query in (get_introspection_query(), GRAPHIQL_QUERY):
            body = (await _post(c, _token(settings), {"query": query})).json()
            assert body.get("data") is None
            assert body["errors"][0]["extensions"]["code"] in {
                "QUERY_TOO_COMPLEX",
                "BAD_USER_INPUT",
            }
