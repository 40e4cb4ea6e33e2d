"""Application logs carry request ids and timings, never tokens or a child's personal data."""

from __future__ import annotations

import io
import json

from api.logs import configure_logging
from tests.queries import CHILD_PROFILE, SEARCH


async def test_logs_hold_no_token_and_no_personal_data(as_viewer, sync_driver) -> None:
    stream = io.StringIO()
    configure_logging(stream=stream)
    try:
        caller = as_viewer(practitioner_id="p-melanie", purpose="Hannah Whitlock is not eating")
        await caller.post(CHILD_PROFILE, {"id": "c-hannah"}, X_Request_Id="log-test-1")
        await caller.post(
            SEARCH, {"input": {"familyName": "Whitlock", "dateOfBirth": "2011-01-01"}}
        )
        await caller.post('{ child(id: "c-hannah") { nope } }')
        await caller.post(CHILD_PROFILE, {"id": "c-sam"})
    finally:
        configure_logging()
    text = stream.getvalue()
    lines = [json.loads(line) for line in text.splitlines() if line.strip()]
    assert any(line.get("client_request_id") == "log-test-1" for line in lines)
    assert all("timestamp" in line and "level" in line for line in lines)
    records, _, _ = sync_driver.execute_query(
        "MATCH (c:Child) WHERE c.id IN ['c-hannah', 'c-sam'] RETURN c { .* } AS c"
    )
    personal = {caller.token, caller.token.split(".")[1], "Whitlock", "Hannah", "not eating"}
    for record in records:
        child = record["c"]
        personal |= {
            child["givenName"],
            child["familyName"],
            child["addressLine1"],
            child["postcode"],
        }
        personal.add(str(child["dateOfBirth"]))
    for value in personal:
        assert value not in text, value
