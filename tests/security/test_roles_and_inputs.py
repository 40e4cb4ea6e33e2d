"""R2, R6, R13 and adversarial inputs through GraphQL."""

from __future__ import annotations

import pytest

from policies.viewer import Role
from tests.queries import CHILD_PROFILE, SEARCH


@pytest.mark.parametrize("role", [Role.ANALYST, Role.FEED, Role.AUDITOR])
async def test_non_reading_roles_are_forbidden(as_viewer, role) -> None:
    caller = as_viewer(role, source="school-mis" if role is Role.FEED else None)
    body = await caller.post(CHILD_PROFILE, {"id": "c-hannah"})
    assert body["data"]["child"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
    search = await caller.post(SEARCH, {"input": {"childId": "c-hannah"}})
    assert search["data"] is None or search["data"]["searchChildren"] is None
    assert search["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert "Hannah" not in str(body) + str(search)


async def test_missing_or_blank_purpose_gives_no_data(as_viewer) -> None:
    for purpose in (None, "   "):
        body = await as_viewer(practitioner_id="p-melanie", purpose=purpose).post(
            CHILD_PROFILE, {"id": "c-hannah"}
        )
        assert body["data"] is None
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        assert "X-Purpose" in body["errors"][0]["message"]


async def test_other_local_authority_finds_child_but_r6_holds(as_viewer) -> None:
    body = await as_viewer(practitioner_id="p-eastvale", local_authority="EVL").post(
        CHILD_PROFILE, {"id": "c-hannah"}
    )
    child = body["data"]["child"]
    assert child["id"] == "c-hannah"
    ids = {i["id"] for i in child["involvements"]}
    assert "i-hannah-school" in ids
    assert "i-hannah-clinic" not in ids


async def test_not_found_looks_like_not_visible(as_viewer, sync_driver) -> None:
    sync_driver.execute_query(
        "MERGE (c:Child {id: 'c-archived-test'}) SET c.givenName = 'Old', c.familyName = 'Record',"
        " c.dateOfBirth = date('2000-01-01'), c.gender = 'MALE', c.shielded = false,"
        " c.archivedOn = date() - duration('P30D')"
    )
    try:
        caller = as_viewer(practitioner_id="p-melanie")
        missing = await caller.post(CHILD_PROFILE, {"id": "c-does-not-exist"})
        archived = await caller.post(CHILD_PROFILE, {"id": "c-archived-test"})
        assert missing["errors"][0]["message"] == archived["errors"][0]["message"]
        assert missing["errors"][0]["extensions"] == archived["errors"][0]["extensions"]
        assert missing["data"] == archived["data"] == {"child": None}
        admin = await as_viewer(Role.INDEX_ADMIN).post(CHILD_PROFILE, {"id": "c-archived-test"})
        assert admin["data"]["child"]["id"] == "c-archived-test"
        search = await caller.post(
            SEARCH, {"input": {"familyName": "Record", "dateOfBirth": "2000-01-01"}}
        )
        assert search["data"]["searchChildren"]["matches"] == []
    finally:
        sync_driver.execute_query("MATCH (c:Child {id: 'c-archived-test'}) DETACH DELETE c")


async def test_same_child_twice_and_duplicate_aliases(as_viewer) -> None:
    query = """query { a: child(id: "c-hannah") { id involvements { id } }
                       b: child(id: "c-hannah") { id i2: involvements { id } i3: involvements { id } } }"""
    body = await as_viewer(practitioner_id="p-melanie").post(query)
    assert "errors" not in body
    a = {i["id"] for i in body["data"]["a"]["involvements"]}
    assert (
        a
        == {i["id"] for i in body["data"]["b"]["i2"]}
        == {i["id"] for i in body["data"]["b"]["i3"]}
    )
    assert "i-hannah-clinic" not in a


INJECTIONS = [
    "c-hannah' OR 1=1 //",
    '") MATCH (n) DETACH DELETE n //',
    "c-hannah\u0000",
    '{"$ne": null}',
    "*",
    "%",
    ".*",
]


@pytest.mark.parametrize("evil", INJECTIONS)
async def test_injection_in_every_string_argument(as_viewer, evil, today) -> None:
    caller = as_viewer(practitioner_id="p-melanie")
    body = await caller.post(CHILD_PROFILE, {"id": evil})
    assert body["data"]["child"] is None
    assert body["errors"][0]["extensions"]["code"] in {"NOT_FOUND", "BAD_USER_INPUT"}
    for field in ("familyName", "givenName", "postcode"):
        variables = {"input": {"familyName": "Whitlock", "dateOfBirth": "2010-01-01", field: evil}}
        result = await caller.post(SEARCH, variables)
        assert result.get("data") is None or result["data"]["searchChildren"]["matches"] == []
    nhs = await caller.post(SEARCH, {"input": {"nhsNumber": evil}})
    assert nhs["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    # Still there: nothing was deleted.
    again = await caller.post(CHILD_PROFILE, {"id": "c-hannah"})
    assert again["data"]["child"]["id"] == "c-hannah"


async def test_no_side_doors_in_the_schema(as_viewer) -> None:
    """R13: no field leads from a practitioner, service or carer back to children."""
    query = """{ __schema { types { name fields { name type { name kind ofType { name kind ofType { name ofType { name } } } } } } } }"""
    body = await as_viewer(practitioner_id="p-melanie").post(query)
    types = {t["name"]: t for t in body["data"]["__schema"]["types"]}

    def named(t: dict) -> str | None:
        while t.get("ofType"):
            t = t["ofType"]
        return t.get("name")

    for type_name in (
        "Practitioner",
        "Service",
        "Carer",
        "Contact",
        "Involvement",
        "AssessmentSummary",
    ):
        for field in types[type_name]["fields"]:
            assert named(field["type"]) not in {
                "Child",
                "ChildSearchResult",
                "InvolvementNetwork",
            }, (
                type_name,
                field["name"],
            )
    # And no filter or sort argument on any guarded field.
    args_query = """{ __type(name: "Child") { fields { name args { name } } } }"""
    child_type = (await as_viewer(practitioner_id="p-melanie").post(args_query))["data"]["__type"]
    for field in child_type["fields"]:
        if field["name"] != "assessment":
            assert field["args"] == [], field
