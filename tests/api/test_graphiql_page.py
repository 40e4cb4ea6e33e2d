"""GraphiQL is served by the app, with nothing from another host (issue 18)."""

from __future__ import annotations

import dataclasses
import re

import httpx

from api import graphiql
from api.app import create_app


async def test_the_page_and_its_assets_come_from_the_app(client) -> None:
    graphiql.install(progress=None)
    page = await client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert page.headers["content-security-policy"] == graphiql.CSP
    assert "script-src 'self';" in graphiql.CSP and "unsafe-inline" not in graphiql.CSP
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources and all(s.startswith("/graphiql/assets/") for s in sources), sources
    assert "<script>" not in page.text  # no inline script: the CSP would refuse it
    for source in sources:
        asset = await client.get(source)
        assert asset.status_code == 200, source
        assert asset.headers["content-type"].split(";")[0] in {"text/javascript", "text/css"}
    assert (await client.get("/graphiql/assets/../settings.py")).status_code == 404
    assert (await client.get("/graphiql/assets/nothing.js")).status_code == 404


def test_the_assets_are_pinned_with_integrity() -> None:
    for asset in graphiql.ASSETS:
        assert re.fullmatch(r"\d+\.\d+\.\d+", asset.version)
        assert asset.integrity.startswith("sha512-")
    for name, path in graphiql._served().items():
        assert path.is_file(), name


async def test_no_graphiql_when_it_is_off(graph, settings) -> None:
    app = create_app(dataclasses.replace(settings, graphiql=False), graph=graph)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        page = await c.get("/graphql", headers={"Accept": "text/html"})
        assert page.status_code == 405
        assert (await c.get("/graphiql/assets/graphiql.min.js")).status_code == 404
