"""Query.accessReport and `contactgraph audit report`: per-subject figures, the browser
ranked first against their role's norm; AUDITOR only."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from policies.viewer import Role
from tests.misuse.conftest import codes, melanie_as, post, token
from tests.misuse.servers import ROOT

REPORT = """
query($la: String!, $from: DateTime!, $to: DateTime!) {
  accessReport(localAuthority: $la, from: $from, to: $to) {
    localAuthority subjects { subject role requests distinctChildren shieldedChildReads
      outOfAreaReads overrides refusedReads unusualness reasons } } }
"""
CHILD = "query($id: ID!) { child(id: $id) { id } }"


async def test_the_browser_stands_out_against_their_roles_norm(
    client: httpx.AsyncClient, settings: Any
) -> None:
    start = datetime.now(UTC) - timedelta(seconds=1)
    tag = uuid.uuid4().hex[:8]
    ordinary = [f"p-ordinary-{tag}-{n}" for n in range(4)]
    for subject in ordinary:
        assert (await post(client, melanie_as(settings, subject), CHILD, {"id": "c-hannah"}))[
            "data"
        ]["child"]
    browser = f"p-browser-{tag}"
    viewer = melanie_as(settings, browser)
    for child in ("c-hannah", "c-jack", "c-ellie", "c-sam"):
        await post(client, viewer, CHILD, {"id": child})
    for n in range(12):
        await post(client, viewer, CHILD, {"id": f"c-guess-{tag}-{n}"})
    end = datetime.now(UTC) + timedelta(seconds=1)
    window = {"la": "NBR", "from": start.isoformat(), "to": end.isoformat()}

    auditor = token(settings, Role.AUDITOR, subject=f"auditor-{tag}")
    body = await post(client, auditor, REPORT, window)
    subjects = body["data"]["accessReport"]["subjects"]
    mine = [s for s in subjects if tag in s["subject"]]
    assert mine[0]["subject"] == browser
    top = mine[0]
    assert top["requests"] == 16 and top["distinctChildren"] == 4
    assert top["shieldedChildReads"] == 1 and top["refusedReads"] == 12
    assert top["unusualness"] >= 3 and "refused_reads" in top["reasons"]
    assert all(s["unusualness"] < 3 and s["distinctChildren"] == 1 for s in mine[1:])

    for role, la in ((Role.INDEX_ADMIN, "NBR"), (Role.PRACTITIONER, "NBR"), (Role.ANALYST, None)):
        who = token(settings, role, subject=f"x-{role.value}-{tag}", local_authority=la)
        refused = await post(client, who, REPORT, window)
        assert codes(refused) == ["FORBIDDEN"] and refused["data"] is None
    backwards = await post(client, auditor, REPORT, {**window, "to": start.isoformat()})
    assert codes(backwards) == ["BAD_USER_INPUT"]

    # The command line gives the same figures.
    as_json = _report(start, end, "--format", "json")
    assert as_json.returncode == 0, as_json.stderr
    rows = [r for r in json.loads(as_json.stdout)["subjects"] if tag in r["subject"]]
    assert rows[0]["subject"] == browser and rows[0]["refused_reads"] == 12
    as_csv = _report(start, end)
    assert as_csv.stdout.splitlines()[0].startswith("subject,role,local_authority,requests")
    assert browser in as_csv.stdout


def _report(start: datetime, end: datetime, *more: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "api.cli",
            "audit",
            "report",
            "--from",
            start.isoformat(),
            "--to",
            end.isoformat(),
            "--local-authority",
            "NBR",
            *more,
        ],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        cwd=ROOT,
        timeout=300,
    )
