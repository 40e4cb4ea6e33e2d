"""Suspension through GraphQL: who may, and that it bites on the very next request of the
subject, on every API process, whatever verified token each holds."""

from __future__ import annotations

from typing import Any

import httpx
import neo4j

from policies.viewer import Role
from tests.misuse.conftest import codes, melanie_as, post, token
from tests.misuse.servers import api_process

SUSPEND = """
mutation($s: String!, $r: String!) { suspendSubject(subject: $s, reason: $r) {
  subject suspended reason suspendedBy since } }
"""
REINSTATE = """
mutation($s: String!, $r: String!) { reinstateSubject(subject: $s, reason: $r) {
  subject suspended reinstatedBy } }
"""
LIST = "query { suspensions(includeReinstated: true) { subject suspended reason } }"
CHILD = 'query { child(id: "c-hannah") { id givenName } }'
WRITE = """
mutation { recordSharingDecision(childId: "c-hannah", shared: false, withConsent: false,
  recipient: "Northbridge Youth Service", reason: "suspended writer test") { id } }
"""
REASON = "browsed sixty children in an hour, see alert"


async def test_who_may_suspend(
    client: httpx.AsyncClient, settings: Any, subject: str, sync_driver: neo4j.Driver
) -> None:
    # The subject reads a child in NBR, so the index knows NBR as theirs.
    assert (await post(client, melanie_as(settings, subject), CHILD))["data"]["child"]
    practitioner = token(settings, Role.PRACTITIONER, practitioner_id="p-melanie")
    lead = token(settings, Role.SAFEGUARDING_LEAD, subject="lead-x", local_authority="NBR")
    analyst = token(settings, Role.ANALYST, subject="analyst-x")
    evl = token(settings, Role.INDEX_ADMIN, subject="ia-evl-x", local_authority="EVL")
    nbr = token(settings, Role.INDEX_ADMIN, subject="ia-nbr-x", local_authority="NBR")
    auditor = token(settings, Role.AUDITOR, subject="auditor-x")
    for who in (practitioner, lead, analyst, evl):
        refused = await post(client, who, SUSPEND, {"s": subject, "r": REASON})
        assert codes(refused) == ["FORBIDDEN"] and refused["data"] is None
    # Aliased twice in one document: refused, and nothing of it runs.
    twice = await post(
        client,
        evl,
        "mutation($s: String!, $r: String!) { a: suspendSubject(subject: $s, reason: $r) {"
        " subject } b: suspendSubject(subject: $s, reason: $r) { subject } }",
        {"s": subject, "r": REASON},
    )
    assert codes(twice) == ["FORBIDDEN"] and twice["data"] is None
    assert codes(await post(client, nbr, SUSPEND, {"s": "ia-nbr-x", "r": REASON})) == ["FORBIDDEN"]
    short = await post(client, nbr, SUSPEND, {"s": subject, "r": "\u200b" * 30})
    assert codes(short) == ["BAD_USER_INPUT"]
    done = await post(client, nbr, SUSPEND, {"s": subject, "r": REASON})
    assert done["data"]["suspendSubject"] == {
        "subject": subject,
        "suspended": True,
        "reason": REASON,
        "suspendedBy": "ia-nbr-x",
        "since": done["data"]["suspendSubject"]["since"],
    }
    listed = await post(client, auditor, LIST)
    assert {"subject": subject, "suspended": True, "reason": REASON} in listed["data"][
        "suspensions"
    ]
    assert codes(await post(client, practitioner, LIST)) == ["FORBIDDEN"]
    back = await post(client, auditor, REINSTATE, {"s": subject, "r": "spoke to them, cleared"})
    assert back["data"]["reinstateSubject"]["suspended"] is False
    again = await post(client, auditor, REINSTATE, {"s": subject, "r": "spoke to them, cleared"})
    assert codes(again) == ["NOT_FOUND"]
    # Every attempt is audited with its reason; the refused ones say why.
    records, _, _ = sync_driver.execute_query(
        "MATCH (a:AuditEvent) WHERE a.reason STARTS WITH 'suspendSubject ' + $s"
        " OR a.reason STARTS WITH 'reinstateSubject ' + $s"
        " RETURN a.subject AS by, any(d IN a.denied WHERE d STARTS WITH 'Subject:') AS refused",
        s=subject,
    )
    allowed = sorted(r["by"] for r in records if not r["refused"])
    refused = sorted(r["by"] for r in records if r["refused"])
    assert allowed == ["auditor-x", "auditor-x", "ia-nbr-x"]  # the second reinstate: NOT_FOUND
    assert refused == ["analyst-x", "ia-evl-x", "ia-evl-x", "lead-x", "p-melanie"]


async def test_suspension_bites_on_the_next_request_on_every_process(
    settings: Any, subject: str, sync_driver: neo4j.Driver
) -> None:
    viewer = melanie_as(settings, subject)
    auditor = token(settings, Role.AUDITOR, subject="auditor-y")
    with api_process() as one, api_process() as two:
        async with (
            httpx.AsyncClient(base_url=one.url, timeout=60) as a,
            httpx.AsyncClient(base_url=two.url, timeout=60) as b,
        ):
            # Both processes have verified (and cached) the subject's token.
            assert (await post(a, viewer, CHILD))["data"]["child"]
            assert (await post(b, viewer, CHILD))["data"]["child"]
            assert (await post(a, auditor, SUSPEND, {"s": subject, "r": REASON}))["data"]
            for api in (b, a):
                read = await post(api, viewer, CHILD)
                assert read["_status"] == 403 and codes(read) == ["ACCOUNT_SUSPENDED"]
                assert read["data"] is None and "Hannah" not in str(read)
                wrote = await post(api, viewer, WRITE)
                assert wrote["_status"] == 403 and codes(wrote) == ["ACCOUNT_SUSPENDED"]
            records, _, _ = sync_driver.execute_query(
                "MATCH (a:AuditEvent {subject: $s}) WHERE a.action CONTAINS 'refusedSuspended'"
                " RETURN count(a) AS n",
                s=subject,
            )
            assert records[0]["n"] == 4
            written, _, _ = sync_driver.execute_query(
                "MATCH (d:SharingDecision) WHERE d.reason = 'suspended writer test'"
                " RETURN count(d) AS n"
            )
            assert written[0]["n"] == 0
            assert (await post(b, auditor, REINSTATE, {"s": subject, "r": "cleared by the team"}))[
                "data"
            ]
            assert (await post(a, viewer, CHILD))["data"]["child"]["id"] == "c-hannah"
            assert (await post(b, viewer, CHILD))["data"]["child"]["id"] == "c-hannah"
