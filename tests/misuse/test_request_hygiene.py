"""Request hygiene (issue 16): the body limit enforced while streaming, the server's own
request id, a UTF-8 purpose, justifications counted in visible characters."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import neo4j

from policies.overrides import check_justification
from policies.viewer import Role
from tests.misuse.conftest import codes, post, token
from tests.misuse.servers import api_process

CHILD = 'query { child(id: "c-hannah") { id } }'
MB = 1024 * 1024


def _chunks(total: int, size: int = MB) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        yield b" " * min(size, total - sent)
        sent += size


def _send_huge(url: str, bearer: str, declare_length: bool) -> int | None:
    """POST 300 MB; the status, or None when the server closed before answering."""
    headers = {"Authorization": f"Bearer {bearer}", "Content-Type": "application/json"}
    if declare_length:
        headers["Content-Length"] = str(300 * MB)
    try:
        response = httpx.post(
            url + "/graphql", content=_chunks(300 * MB), headers=headers, timeout=120
        )
    except httpx.HTTPError:
        return None
    return response.status_code


def test_a_300_mb_body_is_refused_with_flat_memory(settings: Any) -> None:
    bearer = token(settings, Role.PRACTITIONER, practitioner_id="p-melanie")
    with api_process() as api:
        # Warm the process (imports, pools) so the peak measured is the request's own.
        httpx.post(
            api.url + "/graphql",
            json={"query": CHILD},
            headers={"Authorization": f"Bearer {bearer}", "X-Purpose": "warm up"},
            timeout=60,
        )
        before = api.rss_peak_kb()
        assert _send_huge(api.url, bearer, declare_length=True) == 413
        # Without a length (chunked): counted as it arrives, refused once past the limit;
        # the server may close the connection on a client still sending.
        assert _send_huge(api.url, bearer, declare_length=False) in {413, None}
        after = api.rss_peak_kb()
        assert after - before < 32 * 1024, (before, after)
        # Still serving.
        ok = httpx.post(
            api.url + "/graphql",
            json={"query": CHILD},
            headers={"Authorization": f"Bearer {bearer}", "X-Purpose": "after"},
            timeout=60,
        )
        assert ok.json()["data"]["child"]["id"] == "c-hannah"


async def test_a_lying_small_content_length_is_still_counted(
    client: httpx.AsyncClient, settings: Any
) -> None:
    bearer = token(settings, Role.PRACTITIONER, practitioner_id="p-melanie")
    response = await client.post(
        "/graphql",
        content=b'{"query": "' + b" " * (300 * 1024) + b'{ me { subject } }"}',
        headers={"Authorization": f"Bearer {bearer}", "Content-Type": "application/json"},
    )
    assert response.status_code == 413


async def test_the_clients_request_id_is_kept_beside_the_servers(
    client: httpx.AsyncClient, settings: Any, sync_driver: neo4j.Driver
) -> None:
    bearer = token(settings, Role.PRACTITIONER, practitioner_id="p-melanie")
    theirs = f"client-{uuid.uuid4().hex}"
    body = await post(client, bearer, CHILD, X_Request_Id=theirs)
    assert body["data"]["child"]
    records, _, _ = sync_driver.execute_query(
        "MATCH (a:AuditEvent {clientRequestId: $id}) RETURN a.requestId AS ours", id=theirs
    )
    (ours,) = [r["ours"] for r in records]
    assert ours != theirs and len(ours) == 32
    # Someone else's id sent as ours names no event of theirs.
    spoof = await post(client, bearer, CHILD, X_Request_Id=ours)
    assert spoof["data"]["child"]
    records, _, _ = sync_driver.execute_query(
        "MATCH (a:AuditEvent {requestId: $id}) RETURN count(a) AS n", id=ours
    )
    assert records[0]["n"] == 1


async def test_the_purpose_is_utf8(
    client: httpx.AsyncClient, settings: Any, sync_driver: neo4j.Driver
) -> None:
    bearer = token(settings, Role.PRACTITIONER, practitioner_id="p-melanie")
    purpose = "\u00dcberpr\u00fcfung \u2013 Schulbesuch Zo\u00eb"
    marker = f"utf8-{uuid.uuid4().hex}"
    headers = {
        "Authorization": f"Bearer {bearer}",
        "X-Purpose": purpose.encode("utf-8"),
        "X-Request-Id": marker,
    }
    response = await client.post("/graphql", json={"query": CHILD}, headers=headers)  # type: ignore[arg-type]
    assert response.json()["data"]["child"]
    records, _, _ = sync_driver.execute_query(
        "MATCH (a:AuditEvent {clientRequestId: $id}) RETURN a.purpose AS p", id=marker
    )
    assert records[0]["p"] == purpose
    for bad in (b"\xff\xfe not utf-8", b"tab\tand\x7fdelete"):
        headers["X-Purpose"] = bad
        refused = (
            await client.post("/graphql", json={"query": CHILD}, headers=headers)  # type: ignore[arg-type]
        ).json()
        assert codes(refused) == ["BAD_USER_INPUT"] and refused["data"] is None
        assert refused["errors"][0]["extensions"]["field"] == "X-Purpose"


async def test_a_justification_counts_visible_characters(
    client: httpx.AsyncClient, settings: Any
) -> None:
    invisible = "\u200b" * 25
    assert not check_justification(invisible)
    assert not check_justification("a\u200db\u2060c\u00ad" * 6)  # 18 visible of 42
    assert check_justification("a\u200db\u2060c\u00ad" * 7)  # 21 visible
    assert check_justification("Concern raised by school about bruising")
    assert not check_justification("ab" + "\u0301" * 30)  # combining marks draw nothing
    bearer = token(settings, Role.PRACTITIONER, practitioner_id="p-steve")
    body = await post(
        client,
        bearer,
        """mutation($i: RecordOverrideInput!) { recordAccessOverride(input: $i) { id } }""",
        {
            "i": {
                "childId": "c-hannah",
                "ground": "SIGNIFICANT_HARM_EVIDENCE",
                "justification": invisible,
            }
        },
    )
    assert codes(body) == ["BAD_USER_INPUT"]
