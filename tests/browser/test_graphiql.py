"""GraphiQL in a real browser (issue 18): Debian's headless Chromium opens the page the
app serves, sets the headers, runs the README's first query and sees Hannah's
involvements. Saves a screenshot in .local/screenshots/; with CONTACTGRAPH_UPDATE_SCREENSHOT=1
it also replaces docs/graphiql.png, which the README shows (so a test run leaves the tree
as it found it).

Needs `chromium` and `chromium-driver` (Debian), which `./run test` installs when
missing; without them this test fails, it is not skipped. Select it alone with
`-m browser`.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from typing import Any

import httpx
import pytest

from api import graphiql
from api.devkeys import issue_token
from api.graphiql import CSP
from api.settings import ROOT
from bench.http_audit import serve
from policies.viewer import Role

pytestmark = pytest.mark.browser

PORT = 8064
SCREENSHOT = ROOT / ".local" / "screenshots" / "graphiql.png"
README_SCREENSHOT = ROOT / "docs" / "graphiql.png"


def _browser() -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium = shutil.which("chromium")
    driver = shutil.which("chromedriver")
    assert chromium and driver, (
        "the browser test needs Debian's chromium and chromium-driver: "
        "apt-get install -y chromium chromium-driver (./run test does it as root)"
    )
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    # --no-sandbox: CI runs as root; --disable-dev-shm-usage: containers have a small /dev/shm.
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1400,1000",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(executable_path=driver), options=options)


def _wait(predicate: Any, what: str, seconds: float = 30) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


_EDITORS = (
    "return Array.from(document.querySelectorAll('.CodeMirror')).map(e => e.CodeMirror.getValue());"
)


def test_graphiql_runs_the_first_query_about_hannah(graph, settings) -> None:
    token = issue_token(
        settings, [Role.PRACTITIONER], practitioner_id="p-melanie", local_authority="NBR"
    )
    graphiql.install(progress=None)  # idempotent: ./run test has fetched them already
    server = serve(PORT)
    browser = None
    try:
        page = httpx.get(f"http://127.0.0.1:{PORT}/graphql", headers={"Accept": "text/html"})
        assert page.headers["content-security-policy"] == CSP
        assert "https://" not in page.text and "http://" not in page.text

        browser = _browser()
        browser.get(f"http://127.0.0.1:{PORT}/graphql")
        _wait(lambda: browser.find_elements("css selector", ".graphiql-execute-button"), "GraphiQL")
        editors = _wait(lambda: browser.execute_script(_EDITORS), "the editors")
        (query,) = [e for e in editors if "searchChildren" in e]
        assert 'childId: "c-hannah"' in query and "involvements" in query
        (headers,) = [e for e in editors if "X-Purpose" in e]
        assert "Bearer <paste" in headers

        # Set the headers as a developer would: the token pasted into the Headers tab.
        filled = json.dumps(
            {"Authorization": f"Bearer {token}", "X-Purpose": "checking who supports Hannah"},
            indent=2,
        )
        browser.execute_script(
            "const e = Array.from(document.querySelectorAll('.CodeMirror'))"
            ".find(e => e.CodeMirror.getValue().includes('X-Purpose'));"
            "e.CodeMirror.setValue(arguments[0]);",
            filled,
        )
        browser.find_element("css selector", ".graphiql-execute-button").click()

        def answer() -> dict[str, Any] | None:
            for text in browser.execute_script(_EDITORS):
                if text.startswith("{") and '"data"' in text:
                    return json.loads(text)
            return None

        body = _wait(answer, "the answer")
        assert "errors" not in body, body
        (hannah,) = body["data"]["searchChildren"]["matches"]
        assert hannah["givenName"] == "Hannah"
        names = {i["practitioner"]["name"] for i in hannah["involvements"] if i["practitioner"]}
        assert any("Melanie" in name for name in names), names

        # With the token in place the schema loads: the documentation explorer lists it.
        browser.find_element("css selector", 'button[aria-label="Re-fetch GraphQL schema"]').click()
        browser.find_element(
            "css selector", 'button[aria-label="Show Documentation Explorer"]'
        ).click()
        _wait(
            lambda: (
                "Mutation"
                in " ".join(
                    e.text for e in browser.find_elements("css selector", ".graphiql-doc-explorer")
                )
            ),
            "the documentation explorer",
        )
        browser.find_element(
            "css selector", 'button[aria-label="Hide Documentation Explorer"]'
        ).click()

        logs = browser.get_log("browser")
        assert not [entry for entry in logs if "Content Security Policy" in entry["message"]], logs
        # Only the app itself was asked for anything (no CDN): every resource came from it.
        hosts = browser.execute_script(
            "return performance.getEntriesByType('resource').map(e => new URL(e.name).host);"
        )
        assert set(hosts) <= {f"127.0.0.1:{PORT}"}, hosts
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(SCREENSHOT))
        if os.environ.get("CONTACTGRAPH_UPDATE_SCREENSHOT") == "1":
            README_SCREENSHOT.write_bytes(SCREENSHOT.read_bytes())
    finally:
        if browser is not None:
            browser.quit()
        server.terminate()
        server.wait(timeout=30)
