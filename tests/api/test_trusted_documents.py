"""Trusted documents (issue 18): front ends send `documentId` instead of `query`, and
CONTACTGRAPH_TRUSTED_DOCUMENTS=required refuses everything else."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.app import create_app
from api.cli import main
from api.devkeys import issue_token
from api.documents import document_id
from api.settings import SettingsError
from policies.viewer import Role

PROFILE = (
    'query HannahProfile { child(id: "c-hannah") { givenName involvements { service { name } } } }'
)
OTHER = '{ child(id: "c-hannah") { familyName } }'


@pytest.fixture
def manifest(tmp_path: Path) -> Path:
    path = tmp_path / "trusted-documents.json"
    path.write_text(json.dumps({document_id(PROFILE): PROFILE}))
    return path


async def _client(graph: Any, settings: Any, manifest: Path, mode: str) -> tuple[Any, Any]:
    app = create_app(
        dataclasses.replace(settings, trusted_documents=mode, trusted_documents_file=manifest),
        graph=graph,
    )
    token = issue_token(
        settings, [Role.PRACTITIONER], practitioner_id="p-melanie", local_authority="NBR"
    )
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")

    async def post(body: dict[str, Any]) -> httpx.Response:
        return await client.post(
            "/graphql",
            json=body,
            headers={
                "Authorization": f"Bearer {token}",
                "X-Purpose": "checking who supports Hannah",
            },
        )

    return app, (client, post)


async def test_required_mode_runs_registered_documents_only(graph, settings, manifest) -> None:
    _, (client, post) = await _client(graph, settings, manifest, "required")
    async with client:
        by_id = await post({"documentId": f"sha256:{document_id(PROFILE)}"})
        assert by_id.status_code == 200 and by_id.json()["data"]["child"]["givenName"] == "Hannah"
        apq = await post(
            {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": document_id(PROFILE)}}}
        )
        assert apq.json()["data"] == by_id.json()["data"]
        assert (await post({"query": PROFILE})).json()["data"] == by_id.json()["data"]

        for body in (
            {"query": OTHER},
            {"documentId": document_id(OTHER)},
            {"documentId": document_id(PROFILE), "query": OTHER},
        ):
            refused = await post(body)
            assert refused.status_code == 400
            assert refused.json() == {"errors": [refused.json()["errors"][0]]}
            assert refused.json()["errors"][0]["extensions"] == {
                "code": "BAD_USER_INPUT",
                "field": "documentId",
            }


async def test_allowed_mode_takes_both(graph, settings, manifest) -> None:
    _, (client, post) = await _client(graph, settings, manifest, "allowed")
    async with client:
        assert (await post({"documentId": document_id(PROFILE)})).json()["data"]["child"]
        assert (await post({"query": OTHER})).json()["data"]["child"]["familyName"] == "Whitlock"


async def test_registered_documents_are_prepared_and_compiled_at_start(
    graph, settings, manifest
) -> None:
    app, (client, _) = await _client(graph, settings, manifest, "required")
    await client.aclose()
    endpoint = app.state.components["endpoint"]
    prepared = endpoint.documents._pinned[PROFILE]
    assert prepared.document is not None and prepared.cost > 1
    assert endpoint.fast_path.plan(prepared.document, "HannahProfile") is not None
    assert any(entry[0] is prepared.document for entry in endpoint.fast_path._plans.values())


def test_an_invalid_registered_document_stops_the_start(graph, settings, tmp_path) -> None:
    broken = '{ child(id: "c-hannah") { noSuchField } }'
    path = tmp_path / "m.json"
    path.write_text(json.dumps({document_id(broken): broken}))
    with pytest.raises(SettingsError):
        create_app(dataclasses.replace(settings, trusted_documents_file=path), graph=graph)
    path.write_text(json.dumps({"0" * 64: PROFILE}))  # a hash that is not the document's
    with pytest.raises(ValueError):
        create_app(dataclasses.replace(settings, trusted_documents_file=path), graph=graph)


def test_register_and_list(tmp_path, monkeypatch, capsys) -> None:
    target = tmp_path / "trusted-documents.json"
    monkeypatch.setenv("CONTACTGRAPH_TRUSTED_DOCUMENTS_FILE", str(target))
    doc = tmp_path / "profile.graphql"
    doc.write_text(PROFILE)
    codegen = tmp_path / "persisted-documents.json"
    codegen.write_text(json.dumps({document_id(OTHER): OTHER}))
    assert main(["documents", "register", str(doc)]) == 0
    assert main(["documents", "register", str(codegen)]) == 0
    assert json.loads(target.read_text()) == {
        document_id(PROFILE): PROFILE,
        document_id(OTHER): OTHER,
    }
    bad = tmp_path / "bad.graphql"
    bad.write_text('{ child(id: "x") { noSuchField } }')
    assert main(["documents", "register", str(bad)]) == 1
    capsys.readouterr()
    assert main(["documents", "list"]) == 0
    listing = capsys.readouterr().out
    assert f"sha256:{document_id(PROFILE)}  HannahProfile" in listing
    assert "2 documents" in listing
