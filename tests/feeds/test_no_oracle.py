"""R4 no oracle, as a feed would attack it (finding 2): guessing a shielded child's postcode.

A FEED token holds Sam's names and date of birth (Sam, c-sam, is shielded) and wants to
know where he lives. It sends UPSERT_CHILD records with guessed postcodes and address
lines, and watches everything it can: the HTTP status and the whole GraphQL body (the
report's counts, errors, codes, messages and heldForReview), including what happens to a
second record in the same call that refers to the first (a carer, by child.ref). Each
guess comes from a source of its own, as a first record with the same sourceRef, so the
only difference between two probes is the guess. Right and wrong guesses must look
exactly alike, in every variant.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import neo4j
import pytest

from graph.keys import address_key, name_key, postcode_key
from policies.viewer import Role
from tests.feeds.conftest import CLEAN, INGEST, fresh_nhs_number, record

SAMS_LINE1, SAMS_POSTCODE = "3 Kestrel Way", "EV2 5HD"
WRONG_LINE1, WRONG_POSTCODE = "7 Heron Court", "EV7 1QA"


@pytest.fixture
def sam(cypher) -> dict[str, Any]:
    (row,) = cypher(
        "MATCH (c:Child {id: 'c-sam'}) RETURN c.givenName AS given, c.familyName AS family, "
        "toString(c.dateOfBirth) AS born, c.gender AS gender, c.nhsNumber AS nhs, "
        "c.addressLine1 AS line1, c.postcode AS postcode, c.shielded AS shielded"
    )
    assert row["shielded"] is True
    assert (row["line1"], row["postcode"]) == (SAMS_LINE1, SAMS_POSTCODE)
    return row


@pytest.fixture
def probe(client, settings, sync_driver: neo4j.Driver) -> Any:
    """Sends one probe from a fresh source; returns (HTTP status, body) exactly as seen.

    What the probe wrote is removed at once, so that every probe meets the same index
    (an earlier probe's new child would otherwise be a candidate for the next).
    """
    from api.devkeys import issue_token

    async def send(records: list[dict[str, Any]]) -> tuple[int, Any]:
        source = f"test-probe-{uuid.uuid4().hex[:10]}"
        token = issue_token(settings, [Role.FEED], source=source)
        try:
            response = await client.post(
                "/graphql",
                json={"query": INGEST, "variables": {"source": source, "records": records}},
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            )
        finally:
            for cypher in CLEAN:
                sync_driver.execute_query(cypher, source=source)
        return response.status_code, response.json()

    return send


def _child(sam: dict[str, Any], line1: str, postcode: str, **changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "givenName": sam["given"],
        "familyName": sam["family"],
        "dateOfBirth": sam["born"],
        "gender": sam["gender"],
        "address": {"line1": line1, "town": "Eastvale", "postcode": postcode},
        "localAuthority": "NBR",
    }
    payload.update(changes)
    return {k: v for k, v in payload.items() if v is not None}


def _records(payload: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        record("probe", "UPSERT_CHILD", payload),
        record(
            "probe-carer",
            "UPSERT_CARER",
            {"child": {"ref": "probe"}, "id": "probe-parent", "name": "A Parent",
             "relationship": "father"},
        ),
    ]  # fmt: skip


GUESSES = [
    ("right postcode, right line", SAMS_LINE1, SAMS_POSTCODE),
    ("right postcode, right line, other spelling", "3 KESTREL  way", "ev25hd"),
    ("right postcode, wrong line", WRONG_LINE1, SAMS_POSTCODE),
    ("wrong postcode, right line", SAMS_LINE1, WRONG_POSTCODE),
    ("wrong postcode, wrong line", WRONG_LINE1, WRONG_POSTCODE),
]

VARIANTS = [
    ("names and date of birth, no NHS number", {}),
    ("no given name", {"givenName": None}),
    ("another given name", {"givenName": "Samuel"}),
    ("another NHS number", {"nhsNumber": "fresh"}),
    ("his own NHS number", {"nhsNumber": "sam"}),
]


@pytest.mark.parametrize(("variant", "changes"), VARIANTS, ids=[v[0] for v in VARIANTS])
async def test_a_feed_cannot_tell_a_right_guess_of_sams_address_from_a_wrong_one(
    graph, sam, probe, cypher, variant, changes
) -> None:
    if changes.get("nhsNumber") == "fresh":
        changes = {**changes, "nhsNumber": fresh_nhs_number()}
    elif changes.get("nhsNumber") == "sam":
        changes = {**changes, "nhsNumber": sam["nhs"]}
    seen = {}
    for guess, line1, postcode in GUESSES:
        seen[guess] = await probe(_records(_child(sam, line1, postcode, **changes)))
    first = next(iter(seen.values()))
    for guess, observed in seen.items():
        assert observed == first, (variant, guess, observed, first)
    status, body = first
    assert status == 200 and "errors" not in body, body
    # Sam is never moved, and his protected address never copied (R4/R15).
    (row,) = cypher(
        "MATCH (c:Child {id: 'c-sam'}) RETURN c.addressLine1 AS line1, c.postcode AS pc, "
        "c.localAuthority AS la, c.givenName AS given, c.shielded AS shielded"
    )
    assert row == {"line1": SAMS_LINE1, "pc": SAMS_POSTCODE, "la": "NBR", "given": "Sam",
                   "shielded": True}  # fmt: skip


async def test_the_answers_per_variant(graph, sam, probe) -> None:
    """Names and date of birth go to review whatever the address; another given name is
    another child; Sam's own NHS number updates him (without his whereabouts)."""
    held = await probe(_records(_child(sam, SAMS_LINE1, SAMS_POSTCODE)))
    report = held[1]["data"]["ingest"]
    assert (report["pendingMatchReview"], report["heldForReview"]) == (1, ["probe"]), report
    assert [e["code"] for e in report["errors"]] == ["CHILD_PENDING_REVIEW"]

    nameless = await probe(_records(_child(sam, SAMS_LINE1, SAMS_POSTCODE, givenName=None)))
    errors = nameless[1]["data"]["ingest"]["errors"]
    assert [(e["sourceRef"], e["code"]) for e in errors] == [
        ("probe", "MISSING_FIELD"),
        ("probe-carer", "UNKNOWN_CHILD"),
    ]

    sibling = await probe(_records(_child(sam, SAMS_LINE1, SAMS_POSTCODE, givenName="Samuel")))
    assert sibling[1]["data"]["ingest"]["accepted"] == 2

    numbered = await probe(_records(_child(sam, WRONG_LINE1, WRONG_POSTCODE, nhsNumber=sam["nhs"])))
    assert numbered[1]["data"]["ingest"]["accepted"] == 2


@pytest.fixture
def unshielded_namesake(sync_driver: neo4j.Driver, sam) -> Iterator[str]:
    """An unshielded child with Sam's names and date of birth, elsewhere (dirty data)."""
    child_id = f"c-test-{uuid.uuid4().hex[:12]}"
    line1, postcode = "1 Other Road", "NB9 4LL"
    sync_driver.execute_query(
        "CREATE (c:Child) SET c = $props, c.dateOfBirth = date($born)",
        props={
            "id": child_id, "givenName": sam["given"], "familyName": sam["family"],
            "givenNameKey": name_key(sam["given"]), "familyNameKey": name_key(sam["family"]),
            "gender": "MALE", "addressLine1": line1, "postcode": postcode,
            "postcodeKey": postcode_key(postcode), "addressKey": address_key(line1, postcode),
            "localAuthority": "NBR", "shielded": False, "source": "index-team",
        },
        born=sam["born"],
    )  # fmt: skip
    yield child_id
    sync_driver.execute_query(
        "MATCH (c:Child {id: $id}) OPTIONAL MATCH (c)<-[:CARES_FOR]-(k:Carer) DETACH DELETE c",
        id=child_id,
    )


async def test_beside_an_unshielded_namesake_sams_postcode_is_no_better_than_any_other(
    graph, sam, probe, unshielded_namesake
) -> None:
    seen = [
        await probe(_records(_child(sam, line1, postcode)))
        for line1, postcode in ((SAMS_LINE1, SAMS_POSTCODE), (WRONG_LINE1, WRONG_POSTCODE))
    ]
    assert seen[0] == seen[1], seen
    assert seen[0][1]["data"]["ingest"]["pendingMatchReview"] == 1
