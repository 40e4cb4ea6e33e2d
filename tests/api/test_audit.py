"""R14: one event per request, with what was disclosed and withheld; a verifiable chain."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid

import pytest

from graph.audit import verify_audit
from policies.viewer import Role
from tests.queries import CHILD_PROFILE, SEARCH


def _events(sync_driver, request_id: str) -> list[dict]:
    records, _, _ = sync_driver.execute_query(
        "MATCH (a:AuditEvent {clientRequestId: $rid}) RETURN a { .* } AS a", rid=request_id
    )
    return [r["a"] for r in records]


async def _audited(caller, query, variables, sync_driver) -> tuple[dict, dict]:
    request_id = uuid.uuid4().hex
    body = await caller.post(query, variables, X_Request_Id=request_id)
    events = _events(sync_driver, request_id)
    assert len(events) == 1, events
    return body, events[0]


async def test_profile_read_leaves_one_event_with_disclosures_and_denials(
    as_viewer, sync_driver
) -> None:
    caller = as_viewer(practitioner_id="p-melanie", purpose="planning a CAF for Hannah")
    body, event = await _audited(caller, CHILD_PROFILE, {"id": "c-hannah"}, sync_driver)
    assert body["data"]["child"]["id"] == "c-hannah"
    assert event["childIds"] == ["c-hannah"]
    assert event["purpose"] == "planning a CAF for Hannah"
    assert event["subject"] == "p-melanie"
    assert event["role"] == "PRACTITIONER"
    assert "Child:c-hannah.address" in event["disclosed"]
    assert "Child:c-hannah.carers" in event["disclosed"]
    assert "Involvement:i-hannah-youth.contact" in event["disclosed"]
    assert "Involvement:i-hannah-clinic" in event["denied"]
    assert "Involvement:i-hannah-clinic" not in event["disclosed"]
    assert len(event["hash"]) == 64 and event["prevHash"]


async def test_shielded_read_records_withheld_items(as_viewer, sync_driver) -> None:
    caller = as_viewer(practitioner_id="p-melanie")
    body, event = await _audited(caller, CHILD_PROFILE, {"id": "c-sam"}, sync_driver)
    assert body["data"]["child"]["shielded"] is True
    assert "Child:c-sam.address" in event["denied"]
    assert "Child:c-sam.carers" in event["denied"]
    assert not any(d.startswith("Child:c-sam") for d in event["disclosed"])


async def test_only_selected_fields_are_recorded(as_viewer, sync_driver) -> None:
    caller = as_viewer(practitioner_id="p-melanie")
    _, event = await _audited(
        caller, '{ child(id: "c-hannah") { id givenName } }', None, sync_driver
    )
    assert event["disclosed"] == []
    assert event["childIds"] == ["c-hannah"]


async def test_search_names_every_child_returned(as_viewer, sync_driver, today) -> None:
    from seed import hannah

    dob = next(c for c in hannah.scenario(today).children if c["id"] == "c-hannah")["dateOfBirth"]
    caller = as_viewer(practitioner_id="p-melanie")
    body, event = await _audited(
        caller,
        SEARCH,
        {"input": {"familyName": "Whitlock", "dateOfBirth": dob.isoformat()}},
        sync_driver,
    )
    assert sorted(event["childIds"]) == sorted(
        c["id"] for c in body["data"]["searchChildren"]["matches"]
    )
    assert event["action"] == "searchChildren"


@pytest.mark.parametrize("role", [Role.ANALYST, Role.AUDITOR])
async def test_refused_reads_are_audited_too(as_viewer, sync_driver, role) -> None:
    _, event = await _audited(as_viewer(role), CHILD_PROFILE, {"id": "c-hannah"}, sync_driver)
    assert event["childIds"] == []
    assert any("FORBIDDEN" in d or "R2" in d for d in event["denied"])


async def test_concurrent_requests_share_group_commits_and_chain_stays_intact(
    as_viewer, graph, sync_driver
) -> None:
    caller = as_viewer(practitioner_id="p-lee")
    ids = [uuid.uuid4().hex for _ in range(30)]
    await asyncio.gather(
        *(caller.post(CHILD_PROFILE, {"id": "c-hannah"}, X_Request_Id=i) for i in ids)
    )
    seqs = []
    for request_id in ids:
        (event,) = _events(sync_driver, request_id)
        seqs.append(event["seq"])
    assert len(set(seqs)) == 30
    report = await verify_audit(graph)
    assert report.ok, report


async def test_audit_trail_query_for_auditor_only(as_viewer) -> None:
    await as_viewer(practitioner_id="p-melanie").post(CHILD_PROFILE, {"id": "c-ellie"})
    query = '{ auditTrail(childId: "c-ellie", first: 5) { id subject role action childIds disclosed denied hash purpose } }'
    trail = await as_viewer(Role.AUDITOR).post(query)
    assert trail["data"]["auditTrail"][0]["childIds"] == ["c-ellie"]
    assert trail["data"]["auditTrail"][0]["subject"] == "p-melanie"
    refused = await as_viewer(practitioner_id="p-melanie").post(query)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_audit_verify_command_detects_an_edited_event(as_viewer, sync_driver, graph) -> None:
    request_id = uuid.uuid4().hex
    await as_viewer(practitioner_id="p-melanie").post(
        CHILD_PROFILE, {"id": "c-jack"}, X_Request_Id=request_id
    )
    env = dict(os.environ)  # the same Neo4j instance as this test session
    cli = [sys.executable, "-m", "api.cli", "audit", "verify"]
    ok = subprocess.run(cli, capture_output=True, text=True, env=env, timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert "intact" in ok.stdout
    (event,) = _events(sync_driver, request_id)
    sync_driver.execute_query(
        "MATCH (a:AuditEvent {clientRequestId: $rid}) SET a.disclosed = []", rid=request_id
    )
    try:
        broken = subprocess.run(cli, capture_output=True, text=True, env=env, timeout=120)
        assert broken.returncode == 1
        assert f"seq {event['seq']}" in broken.stderr
        assert event["id"] in broken.stderr
    finally:
        sync_driver.execute_query(
            "MATCH (a:AuditEvent {clientRequestId: $rid}) SET a.disclosed = $d",
            rid=request_id,
            d=event["disclosed"],
        )
    assert (await verify_audit(graph)).ok


async def test_audit_failure_fails_closed(app, as_viewer) -> None:
    """If the event cannot be written, the response carries no data (R14)."""
    committer = app.state.components["endpoint"].audit
    calls = {}

    async def failing_write(records):
        calls["n"] = len(records)
        raise RuntimeError("audit store down")

    saved, committer._write = committer._write, failing_write
    try:
        body = await as_viewer(practitioner_id="p-melanie").post(CHILD_PROFILE, {"id": "c-hannah"})
    finally:
        committer._write = saved
    assert calls["n"] == 1
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
    assert "Hannah" not in str(body)
