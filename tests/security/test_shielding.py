"""R4 through GraphQL: a shielded child's whereabouts never leave, by any path."""

from __future__ import annotations

from datetime import date

from policies.viewer import Role
from tests.queries import CHILD_PROFILE, SEARCH
from tests.shielded import assert_nothing_of_where, assert_shielded_view


def _sam_dob(today: date) -> str:
    from seed import hannah

    return next(
        c["dateOfBirth"] for c in hannah.scenario(today).children if c["id"] == "c-sam"
    ).isoformat()


def _sam_address(today: date) -> dict:
    from seed import hannah

    sam = next(c for c in hannah.scenario(today).children if c["id"] == "c-sam")
    return {"line1": sam["addressLine1"], "postcode": sam["postcode"]}


async def test_shielded_child_found_by_visible_fields_without_whereabouts(as_viewer, today) -> None:
    body = await as_viewer(practitioner_id="p-eastvale").post(
        SEARCH,
        {"input": {"familyName": "whitlock", "dateOfBirth": _sam_dob(today), "givenName": "SAM"}},
    )
    assert "errors" not in body, body
    (sam,) = body["data"]["searchChildren"]["matches"]
    assert_shielded_view(sam)
    assert_nothing_of_where(body, today)


async def test_postcode_never_confirms_a_shielded_child(as_viewer, today) -> None:
    caller = as_viewer(practitioner_id="p-melanie")
    right = _sam_address(today)["postcode"]
    for postcode in (right, "ZZ9 9ZZ"):
        body = await caller.post(
            SEARCH,
            {
                "input": {
                    "familyName": "Whitlock",
                    "dateOfBirth": _sam_dob(today),
                    "postcode": postcode,
                }
            },
        )
        ids = [c["id"] for c in body["data"]["searchChildren"]["matches"]]
        assert ids == ["c-sam"], (postcode, ids)


ALIASED = """
query($id: ID!) {
  a: child(id: $id) { id home: address { postcode } c1: carers { id contact { phone } } }
  b: child(id: $id) { ...Where }
}
fragment Where on Child {
  address { line1 postcode }
  carers { name ... on Carer { contact { ...C } } }
  involvements { service { contact { ...C } } practitioner { contact { ...C } } }
}
fragment C on Contact { phone email address { line1 postcode } }
"""


async def test_aliases_and_fragments_do_not_open_the_shield(as_viewer, today) -> None:
    body = await as_viewer(practitioner_id="p-melanie").post(ALIASED, {"id": "c-sam"})
    assert "errors" not in body, body
    assert body["data"]["a"]["home"] is None and body["data"]["a"]["c1"] == []
    assert body["data"]["b"]["address"] is None and body["data"]["b"]["carers"] == []
    assert_nothing_of_where(body, today)


async def test_index_admin_of_own_authority_sees_all_other_does_not(as_viewer, today) -> None:
    own = await as_viewer(Role.INDEX_ADMIN, local_authority="NBR").post(
        CHILD_PROFILE, {"id": "c-sam"}
    )
    child = own["data"]["child"]
    assert child["address"]["postcode"] == _sam_address(today)["postcode"]
    assert {c["id"] for c in child["carers"]} == {"k-karen", "k-sam-father"}
    assert any(i["service"]["contact"] for i in child["involvements"])

    other = await as_viewer(Role.INDEX_ADMIN, local_authority="EVL").post(
        CHILD_PROFILE, {"id": "c-sam"}
    )
    assert other["data"]["child"]["address"] is None
    assert other["data"]["child"]["carers"] == []
    assert_nothing_of_where(other, today)


REFUGE = """
MERGE (a:Child {id: 'c-refuge-a'}) SET a.givenName = 'Rosa', a.familyName = 'Refugetest',
  a.givenNameKey = 'rosa', a.familyNameKey = 'refugetest', a.dateOfBirth = date('2016-02-02'),
  a.gender = 'FEMALE', a.shielded = true, a.localAuthority = 'NBR',
  a.addressLine1 = '1 Safe House Lane', a.postcode = 'NB7 7SH', a.postcodeKey = 'NB77SH',
  a.addressKey = '1safehouselane|NB77SH'
MERGE (b:Child {id: 'c-refuge-b'}) SET b.givenName = 'Ben', b.familyName = 'Refugetest',
  b.givenNameKey = 'ben', b.familyNameKey = 'refugetest', b.dateOfBirth = date('2014-03-03'),
  b.gender = 'MALE', b.shielded = false, b.localAuthority = 'NBR',
  b.addressLine1 = '1 Safe House Lane', b.postcode = 'NB7 7SH', b.postcodeKey = 'NB77SH',
  b.addressKey = '1safehouselane|NB77SH'
MERGE (k:Carer {id: 'k-refuge-mum'}) SET k.name = 'Mara Refugetest', k.phone = '07700 900999',
  k.addressLine1 = '1 Safe House Lane', k.postcode = 'NB7 7SH'
MERGE (k)-[r1:CARES_FOR]->(a) SET r1.relationship = 'mother', r1.parentalResponsibility = true, r1.livesWithChild = true
MERGE (k)-[r2:CARES_FOR]->(b) SET r2.relationship = 'mother', r2.parentalResponsibility = true, r2.livesWithChild = true
"""


async def test_an_unshielded_sibling_never_reveals_the_shielded_household(
    as_viewer, sync_driver
) -> None:
    """R4 for households: the sibling lives where the shielded child lives, so everything
    R4 withholds for her is withheld for him too (address, carers, involvements)."""
    sync_driver.execute_query(REFUGE)
    try:
        body = await as_viewer(practitioner_id="p-melanie").post(
            CHILD_PROFILE, {"id": "c-refuge-b"}
        )
        ben = body["data"]["child"]
        assert ben["shielded"] is False
        assert ben["address"] is None
        assert ben["carers"] == [] and ben["involvements"] == []
        assert "Safe House" not in str(body) and "900999" not in str(body)
        admin = await as_viewer(Role.INDEX_ADMIN, local_authority="NBR").post(
            CHILD_PROFILE, {"id": "c-refuge-b"}
        )
        assert admin["data"]["child"]["address"]["line1"] == "1 Safe House Lane"
        other = await as_viewer(Role.INDEX_ADMIN, local_authority="EVL").post(
            CHILD_PROFILE, {"id": "c-refuge-b"}
        )
        assert "Safe House" not in str(other)
    finally:
        sync_driver.execute_query(
            "MATCH (n) WHERE n.id IN ['c-refuge-a', 'c-refuge-b', 'k-refuge-mum'] DETACH DELETE n"
        )
