"""R4 through GraphQL: a shielded child's whereabouts never leave, by any path."""

from __future__ import annotations

import json
from datetime import date

from policies.viewer import Role
from tests.queries import CHILD_PROFILE, SEARCH

SAM_SECRETS = ("Daniel", "k-sam-father")


def _sam_dob(today: date) -> str:
    from seed import hannah

    return next(
        c["dateOfBirth"] for c in hannah.scenario(today).children if c["id"] == "c-sam"
    ).isoformat()


def _sam_address(today: date) -> dict:
    from seed import hannah

    sam = next(c for c in hannah.scenario(today).children if c["id"] == "c-sam")
    return {"line1": sam["addressLine1"], "postcode": sam["postcode"]}


def _assert_nothing_of_where(body: dict, today: date) -> None:
    text = json.dumps(body)
    address = _sam_address(today)
    assert address["line1"] not in text
    assert address["postcode"] not in text
    for secret in SAM_SECRETS:
        assert secret not in text


async def test_shielded_child_found_by_visible_fields_without_whereabouts(as_viewer, today) -> None:
    body = await as_viewer(practitioner_id="p-eastvale").post(
        SEARCH,
        {"input": {"familyName": "whitlock", "dateOfBirth": _sam_dob(today), "givenName": "SAM"}},
    )
    assert "errors" not in body, body
    (sam,) = body["data"]["searchChildren"]["matches"]
    assert sam["shielded"] is True
    assert sam["address"] is None
    assert sam["carers"] == []
    assert sam["shieldingContact"]["phone"]
    for involvement in sam["involvements"]:
        assert involvement["service"]["contact"] is None
        assert (involvement["practitioner"] or {}).get("contact") is None
    _assert_nothing_of_where(body, today)


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
    _assert_nothing_of_where(body, today)


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
    _assert_nothing_of_where(other, today)
