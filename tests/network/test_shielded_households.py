"""R4 inside R12: a shielded child in a refuge is never placed by a network link.

Ruby is shielded and lives in a refuge with her mother. Her mother also cares for Anna,
who lives with her father and is not shielded; Otto lives at the refuge address too
(another family, not shielded: the kind of record feeds produce). Anna's record shows
her mother's contact details, so a link saying "Ruby shares a carer with Anna" through
the mother Ruby lives with would point at Ruby's home; so would any shared-address link.
A safeguarding lead whose override lifts Ruby's shield (R9) sees her as anyone would.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import neo4j
import pytest

from graph.keys import address_key, name_key, postcode_key
from policies.viewer import Role
from tests.network.conftest import CARER_NETWORK, NETWORK, REASON, audit_events

REFUGE = ("9 Refuge Row", "NB9 9RR")
ANNAS_HOME = ("1 Test Lane", "NB9 1AA")


def _child(id: str, given: str, home: tuple[str, str], shielded: bool) -> dict[str, Any]:
    line1, postcode = home
    return {
        "id": id,
        "givenName": given,
        "familyName": "Netherby",
        "givenNameKey": name_key(given),
        "familyNameKey": name_key("Netherby"),
        "dateOfBirth": "2016-04-04",
        "gender": "FEMALE",
        "addressLine1": line1,
        "town": "Northbridge",
        "postcode": postcode,
        "postcodeKey": postcode_key(postcode),
        "addressKey": address_key(line1, postcode),
        "localAuthority": "NBR",
        "shielded": shielded,
    }


@pytest.fixture(scope="module")
def refuge(graph: Any, sync_driver: neo4j.Driver) -> Iterator[None]:
    children = [
        _child("c-net-anna", "Anna", ANNAS_HOME, False),
        _child("c-net-ruby", "Ruby", REFUGE, True),
        _child("c-net-otto", "Otto", REFUGE, False),
    ]
    carers = [
        {"id": "k-net-mum", "name": "Mara Netherby", "line1": REFUGE[0], "postcode": REFUGE[1]},
        {
            "id": "k-net-dad",
            "name": "Dev Netherby",
            "line1": ANNAS_HOME[0],
            "postcode": ANNAS_HOME[1],
        },
    ]
    ties = [
        ("k-net-mum", "c-net-anna", False),
        ("k-net-mum", "c-net-ruby", True),
        ("k-net-dad", "c-net-anna", True),
    ]
    sync_driver.execute_query(
        """
        UNWIND $children AS row
        MERGE (c:Child {id: row.id})
        SET c += row, c.dateOfBirth = date(row.dateOfBirth)
        WITH count(*) AS done
        UNWIND $carers AS k
        MERGE (carer:Carer {id: k.id})
        SET carer.name = k.name, carer.addressLine1 = k.line1, carer.postcode = k.postcode,
            carer.phone = '07700 900999'
        WITH count(*) AS done
        UNWIND $ties AS t
        MATCH (k:Carer {id: t[0]}), (c:Child {id: t[1]})
        MERGE (k)-[r:CARES_FOR]->(c)
        SET r.relationship = CASE t[0] WHEN 'k-net-mum' THEN 'mother' ELSE 'father' END,
            r.parentalResponsibility = true, r.livesWithChild = t[2]
        """,
        children=children,
        carers=carers,
        ties=[list(t) for t in ties],
    )
    yield
    sync_driver.execute_query(
        """
        MATCH (n) WHERE (n:Child OR n:Carer OR n:AccessOverride)
          AND any(prefix IN ['c-net-', 'k-net-', 'o-net-'] WHERE n.id STARTS WITH prefix)
        DETACH DELETE n
        """
    )


def _lead(as_viewer: Any, subject: str = "lead-refuge") -> Any:
    return as_viewer(Role.SAFEGUARDING_LEAD, subject=subject, purpose="strategy discussion")


def _nothing_of_ruby(body: dict[str, Any]) -> None:
    """Ruby is not in the answer, and no child in it is placed at the refuge. (Anna's
    record shows her mother's own contact details, as a direct lookup does: R4 guards
    Ruby's record, and nothing in the answer ties Ruby to her mother.)"""
    text = json.dumps(body)
    assert "c-net-ruby" not in text and "Ruby" not in text
    net = body["data"].get("involvementNetwork") or body["data"].get("carerNetwork")
    for child in net["children"]:
        assert (child["address"] or {}).get("postcode") != REFUGE[1], child["id"]


async def test_a_carer_who_lives_with_a_shielded_child_links_nobody_to_her(
    refuge: None, as_viewer: Any, sync_driver: neo4j.Driver
) -> None:
    request_id = uuid.uuid4().hex
    body = await _lead(as_viewer).post(
        NETWORK, {"id": "c-net-anna", "depth": 3, "reason": REASON}, X_Request_Id=request_id
    )
    assert "errors" not in body, body
    net = body["data"]["involvementNetwork"]
    assert [c["id"] for c in net["children"]] == ["c-net-anna"]
    # Anna's own record still shows her mother and her mother's details (R4 is Ruby's).
    assert {k["id"] for k in net["children"][0]["carers"]} == {"k-net-mum", "k-net-dad"}
    assert "c-net-ruby" not in json.dumps(net)
    (event,) = audit_events(sync_driver, request_id)
    assert event["childIds"] == ["c-net-anna"]
    assert "NetworkLink:c-net-anna-SHARES_CARER-c-net-ruby" in event["denied"]


async def test_no_shared_address_link_to_a_shielded_child(refuge: None, as_viewer: Any) -> None:
    body = await _lead(as_viewer).post(NETWORK, {"id": "c-net-otto", "depth": 3, "reason": REASON})
    assert "errors" not in body, body
    assert [c["id"] for c in body["data"]["involvementNetwork"]["children"]] == ["c-net-otto"]
    assert "c-net-ruby" not in json.dumps(body)


async def test_the_shielded_child_as_root_reaches_nobody_through_her_home(
    refuge: None, as_viewer: Any
) -> None:
    body = await _lead(as_viewer).post(NETWORK, {"id": "c-net-ruby", "depth": 3, "reason": REASON})
    assert "errors" not in body, body
    net = body["data"]["involvementNetwork"]
    assert [c["id"] for c in net["children"]] == ["c-net-ruby"]
    assert net["children"][0]["address"] is None and net["children"][0]["carers"] == []
    assert net["links"] == []


async def test_carer_network_of_the_mother_leaves_out_the_refuge(
    refuge: None, as_viewer: Any, sync_driver: neo4j.Driver
) -> None:
    request_id = uuid.uuid4().hex
    body = await _lead(as_viewer).post(
        CARER_NETWORK, {"id": "k-net-mum", "reason": REASON}, X_Request_Id=request_id
    )
    assert "errors" not in body, body
    net = body["data"]["carerNetwork"]
    assert [c["id"] for c in net["children"]] == ["c-net-anna"]
    _nothing_of_ruby(body)
    (event,) = audit_events(sync_driver, request_id)
    assert "NetworkLink:k-net-mum-CARES_FOR-c-net-ruby" in event["denied"]
    assert "c-net-otto" not in event["childIds"]


async def test_a_lead_whose_override_lifts_the_shield_sees_her(
    refuge: None, as_viewer: Any, sync_driver: neo4j.Driver
) -> None:
    now = datetime.now(UTC)
    sync_driver.execute_query(
        """
        MATCH (c:Child {id: 'c-net-ruby'})
        MERGE (o:AccessOverride {id: 'o-net-lift'})
        SET o.ground = 'SIGNIFICANT_HARM_SUSPECTED',
            o.justification = 'Strategy discussion needs the household composition now',
            o.recordedAt = $at, o.expiresAt = $until, o.liftsShielding = true,
            o.recordedBySubject = 'lead-lifted'
        MERGE (o)-[:FOR]->(c)
        """,
        at=now - timedelta(minutes=5),
        until=now + timedelta(hours=72),
    )
    body = await _lead(as_viewer, subject="lead-lifted").post(
        NETWORK, {"id": "c-net-anna", "depth": 2, "reason": REASON}
    )
    assert "errors" not in body, body
    children = {c["id"]: c for c in body["data"]["involvementNetwork"]["children"]}
    # Otto lives at Ruby's address: everything R4 withholds for her is withheld for him
    # (policies.shielding), and the lift is Ruby's, not his, so the network stops at her.
    assert set(children) == {"c-net-anna", "c-net-ruby"}
    assert children["c-net-ruby"]["address"]["postcode"] == REFUGE[1]
    links = {(x["from"], x["to"], x["kind"]) for x in body["data"]["involvementNetwork"]["links"]}
    assert ("c-net-anna", "c-net-ruby", "SHARES_CARER") in links
    assert not any("c-net-otto" in link for link in links)
    # Another lead, without the override, still sees nothing of her.
    other = await _lead(as_viewer, subject="lead-other").post(
        NETWORK, {"id": "c-net-anna", "depth": 2, "reason": REASON}
    )
    _nothing_of_ruby(other)
