"""Registering, listing, rotating and disabling endpoints: who may, which URLs, the secret
shown once, and no oracle about other authorities' services, endpoints or deliveries."""

from __future__ import annotations

import base64
from typing import Any

import neo4j
import pytest

from policies.viewer import Role
from tests.webhooks.conftest import REGISTER

LIST = """
query L($all: Boolean!) {
  webhookEndpoints(includeDisabled: $all) { id serviceId url description active createdBy }
}
"""


def code(body: dict[str, Any]) -> str:
    return str(body["errors"][0]["extensions"]["code"])


async def test_an_index_admin_registers_and_the_secret_is_shown_once(
    register: Any, admin: Any, sync_driver: neo4j.Driver
) -> None:
    endpoint, secret = await register("s-oakfield-school", "http://127.0.0.1:8281/hook")
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) >= 24
    listed = (await admin.post(LIST, {"all": False}))["data"]["webhookEndpoints"]
    mine = [e for e in listed if e["id"] == endpoint]
    assert mine == [
        {
            "id": endpoint,
            "serviceId": "s-oakfield-school",
            "url": "http://127.0.0.1:8281/hook",
            "description": "school MIS webhook",
            "active": True,
            "createdBy": "admin-nbr",
        }
    ]
    # Stored sealed, not in clear: a database copy alone cannot sign.
    rows, _, _ = sync_driver.execute_query(
        "MATCH (e:WebhookEndpoint {id: $id}) RETURN properties(e) AS p", id=endpoint
    )
    stored = str(rows[0]["p"])
    assert secret not in stored and secret.removeprefix("whsec_") not in stored
    # Audited, with who did it.
    rows, _, _ = sync_driver.execute_query(
        "MATCH (a:AuditEvent) WHERE a.action = 'registerWebhookEndpoint' AND $item IN a.disclosed "
        "RETURN a.subject AS s",
        item=f"WebhookEndpoint:{endpoint}.registered",
    )
    assert [r["s"] for r in rows] == ["admin-nbr"]


@pytest.mark.parametrize(
    ("role", "la"),
    [
        (Role.PRACTITIONER, "NBR"),
        (Role.SAFEGUARDING_LEAD, "NBR"),
        (Role.ANALYST, None),
        (Role.AUDITOR, None),
        (Role.FEED, None),
    ],
)
async def test_other_roles_may_not_register(as_viewer: Any, role: Role, la: str | None) -> None:
    caller = as_viewer(role, practitioner_id="p-melanie" if la else None, local_authority=la)
    body = await caller.post(
        REGISTER,
        {"service": "s-oakfield-school", "url": "http://127.0.0.1:8281/h", "description": "x y z"},
    )
    assert code(body) == "FORBIDDEN"
    assert body["data"] is None


async def test_another_authoritys_service_looks_like_an_unknown_one(as_viewer: Any) -> None:
    evl = as_viewer(Role.INDEX_ADMIN, local_authority="EVL")
    answers = []
    for service in ("s-oakfield-school", "s-no-such-service"):
        body = await evl.post(
            REGISTER,
            {"service": service, "url": "http://127.0.0.1:8281/h", "description": "a system"},
        )
        answers.append((code(body), body["errors"][0]["message"]))
    assert answers[0] == answers[1] == ("NOT_FOUND", answers[0][1])


async def test_another_authoritys_endpoints_are_not_listed_or_changed(
    register: Any, as_viewer: Any
) -> None:
    endpoint, _ = await register("s-oakfield-school", "http://127.0.0.1:8281/hook")
    evl = as_viewer(Role.INDEX_ADMIN, local_authority="EVL")
    listed = (await evl.post(LIST, {"all": True}))["data"]["webhookEndpoints"]
    assert endpoint not in [e["id"] for e in listed]
    for mutation in ("disableWebhookEndpoint", "rotateWebhookSecret"):
        answers = []
        for target in (endpoint, "wh-unknown"):
            body = await evl.post(
                f"mutation M($id: ID!) {{ {mutation}(endpointId: $id) {{ __typename }} }}",
                {"id": target},
            )
            answers.append((code(body), body["errors"][0]["message"]))
        assert answers[0] == answers[1]
        assert answers[0][0] == "NOT_FOUND"
    body = await evl.post('mutation { replayWebhookDelivery(deliveryId: "x@y") { id } }')
    assert code(body) == "NOT_FOUND"
    # Asking for another authority's endpoint's deliveries answers like an unknown one.
    for target in (endpoint, "wh-unknown"):
        body = await evl.post(
            "query D($e: ID) { webhookDeliveries(endpointId: $e) { id } }", {"e": target}
        )
        assert body["data"]["webhookDeliveries"] == []
    # An auditor sees every authority's, but changes none.
    auditor = as_viewer(Role.AUDITOR, local_authority=None)
    listed = (await auditor.post(LIST, {"all": True}))["data"]["webhookEndpoints"]
    assert endpoint in [e["id"] for e in listed]
    body = await auditor.post(
        "mutation M($id: ID!) { disableWebhookEndpoint(endpointId: $id) { id } }", {"id": endpoint}
    )
    assert code(body) == "FORBIDDEN"


@pytest.mark.parametrize(
    "url",
    [
        "http://example.org/hook",  # plain http off loopback
        "http://10.0.0.5/hook",
        "https://10.0.0.5/hook",  # private address
        "https://169.254.169.254/latest/meta-data",  # cloud metadata
        "https://user:pw@example.org/hook",  # credentials in the URL
        "ftp://example.org/hook",
        "https://example.org/hook#frag",
        "https://intranet/hook",
        "https://exa mple.org/hook",
        "https://[::ffff:10.0.0.1]/hook",
        "",
    ],
)
async def test_bad_urls_are_refused(admin: Any, url: str) -> None:
    body = await admin.post(
        REGISTER, {"service": "s-oakfield-school", "url": url, "description": "a system"}
    )
    assert code(body) == "BAD_USER_INPUT"
    assert body["errors"][0]["extensions"].get("field") == "url"


async def test_the_purpose_header_is_needed(as_viewer: Any) -> None:
    caller = as_viewer(Role.INDEX_ADMIN, local_authority="NBR", purpose=None)
    body = await caller.post(LIST, {"all": False})
    assert code(body) == "BAD_USER_INPUT"


async def test_practitioners_cannot_list_endpoints_or_deliveries(as_viewer: Any) -> None:
    melanie = as_viewer(Role.PRACTITIONER, practitioner_id="p-melanie")
    assert code(await melanie.post(LIST, {"all": False})) == "FORBIDDEN"
    body = await melanie.post("{ webhookDeliveries(state: DEAD) { id } }")
    assert code(body) == "FORBIDDEN"


async def attempt(admin: Any, service: str, url: str) -> dict[str, Any]:
    body: dict[str, Any] = await admin.post(
        REGISTER, {"service": service, "url": url, "description": "a service's system"}
    )
    return body


async def test_a_sensitive_service_gets_no_endpoint(admin: Any, sync_driver: neo4j.Driver) -> None:
    """R6: the clinic's notifications name the children it works with; an endpoint the
    index admin registers would tell them Hannah uses it."""
    body = await attempt(admin, "s-nbr-sexual-health", "http://127.0.0.1:8281/clinic")
    assert code(body) == "FORBIDDEN"
    assert "sensitive service" in body["errors"][0]["message"]
    rows, _, _ = sync_driver.execute_query(
        "MATCH (e:WebhookEndpoint {serviceId: 's-nbr-sexual-health'}) RETURN count(e) AS n"
    )
    assert rows[0]["n"] == 0


async def test_a_url_with_credentials_is_not_copied_into_the_audit(
    admin: Any, sync_driver: neo4j.Driver
) -> None:
    body = await attempt(
        admin, "s-oakfield-school", "http://someone:hunter2secret@127.0.0.1:8281/h"
    )
    assert code(body) == "BAD_USER_INPUT"
    assert "hunter2secret" not in str(body)
    rows, _, _ = sync_driver.execute_query(
        "MATCH (a:AuditEvent {action: 'registerWebhookEndpoint'}) "
        "WHERE a.reason CONTAINS '127.0.0.1:8281/h' RETURN properties(a) AS p"
    )
    assert rows
    for row in rows:
        assert "hunter2secret" not in str(row["p"]) and "someone:" not in str(row["p"])


async def test_the_ipv6_loopback_is_refused_in_development(admin: Any) -> None:
    body = await attempt(admin, "s-oakfield-school", "http://[::1]:8281/h")
    assert code(body) == "BAD_USER_INPUT"
