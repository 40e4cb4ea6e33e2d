"""Subject access (UK GDPR art. 15) through the command line, for Hannah and for Sam
(shielded): every access listed, the clinic never named, Sam's report for his index
team and naming nothing that says where he is."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import neo4j

from policies.viewer import Role
from tests.misuse.conftest import post, token
from tests.misuse.servers import ROOT

CHILD = "query($id: ID!) { child(id: $id) { id givenName involvements { id } } }"


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "api.cli", "audit", "subject-access", *args],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        cwd=ROOT,
        timeout=300,
    )


async def test_hannahs_report_names_the_clinic_only_as_a_health_service(
    client: httpx.AsyncClient, settings: Any, sync_driver: neo4j.Driver, tmp_path: Path
) -> None:
    melanie = token(settings, Role.PRACTITIONER, practitioner_id="p-melanie", local_authority="NBR")
    nurse = token(settings, Role.PRACTITIONER, practitioner_id="p-nurse", local_authority="NBR")
    team = token(settings, Role.INDEX_ADMIN, subject="ia-sar", local_authority="NBR")
    assert (await post(client, melanie, CHILD, {"id": "c-hannah"}, purpose="Hannah missed school"))[
        "data"
    ]["child"]
    nursed = await post(
        client, nurse, CHILD, {"id": "c-hannah"}, purpose="clinic follow-up for Hannah"
    )
    assert "i-hannah-clinic" in str(nursed)  # the nurse sees her own service's involvement
    assert (await post(client, team, CHILD, {"id": "c-hannah"}, purpose="index check"))["data"]

    done = _cli("c-hannah", "--format", "json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    text = done.stdout
    assert report["child_name"] == "Hannah Whitlock" and report["deliver_by_post"] is True
    # The clinic, its involvement and the nurse's purpose never appear.
    for secret in ("Sexual Health", "Northbridge Sexual", "i-hannah-clinic", "clinic follow-up"):
        assert secret not in text, secret
    lines = report["lines"]
    by_school = [x for x in lines if x["organisation"] == "Oakfield Academy"]
    assert any(x["purpose"] == "Hannah missed school" for x in by_school)
    assert all(x["role"] == "practitioner" for x in by_school)
    by_nurse = [x for x in lines if x["organisation"] == "a health service"]
    assert by_nurse and all(x["purpose"].startswith("not shown") for x in by_nurse)
    assert any(
        "that a health service works with the child" in x["what_was_shown"] for x in by_nurse
    )
    assert any(x["organisation"] == "Northbridge children's index team" for x in lines)
    assert [x["at"] for x in lines] == sorted(x["at"] for x in lines)

    # CSV and PDF carry the same report; the PDF is a real PDF with a header and table.
    as_csv = _cli("c-hannah", "--format", "csv")
    assert as_csv.returncode == 0 and "Sexual Health" not in as_csv.stdout
    assert as_csv.stdout.splitlines()[0].startswith("when,organisation,role")
    pdf = tmp_path / "hannah.pdf"
    as_pdf = _cli("c-hannah", "--format", "pdf", "--output", str(pdf))
    assert as_pdf.returncode == 0, as_pdf.stderr
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-") and b"/Type /Page" in data

    # Producing it read Hannah's record: audited (R14).
    records, _, _ = sync_driver.execute_query(
        "MATCH (a:AuditEvent {action: 'subjectAccess'}), (m:AuditMention)"
        " WHERE m.key STARTS WITH 'c-hannah ' AND m.key ENDS WITH ' ' + a.id"
        " RETURN count(a) AS n"
    )
    assert records[0]["n"] >= 3


async def test_a_shielded_childs_report_goes_to_the_index_team_and_names_nothing(
    client: httpx.AsyncClient, settings: Any
) -> None:
    teacher = token(
        settings, Role.PRACTITIONER, practitioner_id="p-eastvale", local_authority="EVL"
    )
    melanie = token(settings, Role.PRACTITIONER, practitioner_id="p-melanie", local_authority="NBR")
    await post(client, teacher, CHILD, {"id": "c-sam"}, purpose="Sam at Eastvale High today")
    await post(client, melanie, CHILD, {"id": "c-sam"}, purpose="Sam's sister's mentor")
    done = _cli("c-sam", "--format", "json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["deliver_by_post"] is False
    assert report["deliver_to"].startswith("Northbridge children's index team")
    assert "never post" in " ".join(report["notes"])
    assert "never by post" in done.stderr
    for place in ("Eastvale", "Oakfield", "Riverside", "EV2", "Kestrel"):
        assert place not in done.stdout, place
    # Not even by type (R4): "a school" is where a child learns, "a housing service" what
    # help a child was moved to.
    organisations = {x["organisation"] for x in report["lines"] if x["role"] == "practitioner"}
    assert organisations == {"a service working with the child"}, organisations
    assert all(
        x["purpose"].startswith("not shown") for x in report["lines"] if x["role"] != "index team"
    )


def test_an_unknown_child_has_no_report() -> None:
    done = _cli("c-nobody-at-all")
    assert done.returncode == 1 and "no child" in done.stderr
