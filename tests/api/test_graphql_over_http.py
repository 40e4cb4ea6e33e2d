"""GraphQL over HTTP: `application/graphql-response+json` with the spec's status codes,
`application/json` as before, and GET refused (issue 18).

The full graphql-http audit runs in test_http_conformance.py; these pin each behaviour.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from api.devkeys import issue_token
from api.endpoint import GRAPHQL_RESPONSE, negotiate
from policies.viewer import Role


@pytest.fixture
def post(client: httpx.AsyncClient, settings: Any) -> Any:
    token = issue_token(
        settings, [Role.PRACTITIONER], practitioner_id="p-melanie", local_authority="NBR"
    )

    async def send(body: Any, accept: str | None = None) -> httpx.Response:
        headers = {
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "X-Purpose": "checking who supports Hannah",
        }
        if accept is not None:
            headers["Accept"] = accept
        return await client.post("/graphql", json=body, headers=headers)

    return send


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, "application/json"),
        ("application/json", "application/json"),
        ("*/*", "application/json"),
        (GRAPHQL_RESPONSE, GRAPHQL_RESPONSE),
        (f"application/json, {GRAPHQL_RESPONSE}", GRAPHQL_RESPONSE),
        (f"{GRAPHQL_RESPONSE};q=0.5, application/json", "application/json"),
        (f"{GRAPHQL_RESPONSE};q=0, application/json", "application/json"),
        ("text/html", "application/json"),
    ],
)
def test_negotiation(accept: str | None, expected: str) -> None:
    assert negotiate(accept) == expected


BAD_DOCUMENTS = {
    "parse": {"query": "{ child(id: "},
    "validation": {"query": "{ noSuchField }"},
    "coercion": {"query": "query Q($id: ID!) { child(id: $id) { id } }", "variables": {"id": None}},
    "too complex": {
        "query": '{ child(id: "c-hannah") { '
        + "involvements { " * 9
        + "startedOn"
        + " }" * 9
        + " } }"
    },
}


@pytest.mark.parametrize("kind", sorted(BAD_DOCUMENTS))
async def test_request_errors_are_400_in_the_spec_media_type(post, kind: str) -> None:
    response = await post(BAD_DOCUMENTS[kind], accept=GRAPHQL_RESPONSE)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    body = response.json()
    assert "data" not in body
    assert body["errors"][0]["extensions"]["code"] in {"BAD_USER_INPUT", "QUERY_TOO_COMPLEX"}


@pytest.mark.parametrize("kind", sorted(BAD_DOCUMENTS))
async def test_request_errors_stay_200_for_plain_json_clients(post, kind: str) -> None:
    response = await post(BAD_DOCUMENTS[kind], accept="application/json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["errors"]


async def test_a_field_error_is_200_with_data(post) -> None:
    response = await post({"query": '{ child(id: "c-nobody") { id } }'}, accept=GRAPHQL_RESPONSE)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    body = response.json()
    assert "data" in body and body["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_success_answers_in_the_accepted_media_type(post) -> None:
    for accept, media in ((GRAPHQL_RESPONSE, GRAPHQL_RESPONSE), (None, "application/json")):
        response = await post({"query": '{ child(id: "c-hannah") { givenName } }'}, accept=accept)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith(media)
        assert response.json()["data"]["child"]["givenName"] == "Hannah"


@pytest.mark.parametrize("field", ["variables", "extensions"])
@pytest.mark.parametrize("value", ["string", 0, False, ["array"]])
async def test_wrong_typed_variables_and_extensions_are_400(post, field: str, value: Any) -> None:
    for accept in (None, GRAPHQL_RESPONSE):
        response = await post({"query": "{ __typename }", field: value}, accept=accept)
        assert response.status_code == 400
        assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_null_variables_and_extensions_are_fine(post) -> None:
    response = await post({"query": "{ __typename }", "variables": None, "extensions": None})
    assert response.status_code == 200 and "errors" not in response.json()


async def test_get_is_refused(client: httpx.AsyncClient, settings: Any) -> None:
    token = issue_token(settings, [Role.PRACTITIONER], practitioner_id="p-melanie")
    for accept in ("application/json", GRAPHQL_RESPONSE):
        response = await client.get(
            "/graphql",
            params={"query": "{ __typename }"},
            headers={"Authorization": f"Bearer {token}", "Accept": accept},
        )
        assert response.status_code == 405
        assert response.headers["content-type"].startswith(accept)
