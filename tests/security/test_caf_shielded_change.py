"""R4 against a change to a shielded child's CAF (red-team finding F5): the CAF is not on
a shielded child's list, even for its holder, so a change to it is refused before it is
written and answered as the read is, as for an id that does not exist; never written and
then answered INTERNAL. Lifting the shield gives the holder her CAF back."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date

import neo4j
import pytest

from policies.viewer import Role
from tests.api.consent_support import (
    ADD_STRENGTH,
    CLOSE,
    UPDATE_ACTION,
    fresh_family,
    join_team,
    ok,
    same_as_missing,
    start_caf,
)
from tests.api.test_consent_overrides import SET_SHIELDED

__all__ = ["fresh_family"]

pytestmark = pytest.mark.usefixtures("fresh_family")

ADD_ACTION = """
mutation($id: ID!, $ownerId: ID) {
  addDeliveryAction(assessmentId: $id, description: "Walk to school", ownerId: $ownerId) {
    actions { id } } }
"""


@pytest.fixture
def unshielded_after(sync_driver: neo4j.Driver) -> Iterator[None]:
    before = sync_driver.execute_query(
        "MATCH (c:Child {id: 'c-hannah'}) RETURN c.shielded AS s"
    ).records[0]["s"]
    yield
    sync_driver.execute_query("MATCH (c:Child {id: 'c-hannah'}) SET c.shielded = $s", s=before)


def _status(driver: neo4j.Driver, caf_id: str) -> str:
    return str(
        driver.execute_query(
            "MATCH (a:Assessment {id: $id}) RETURN a.status AS s", id=caf_id
        ).records[0]["s"]
    )


async def test_a_change_to_a_shielded_childs_caf_is_refused_before_it_is_written(
    as_viewer, sync_driver: neo4j.Driver, unshielded_after: None, today: date
) -> None:
    melanie = as_viewer(practitioner_id="p-melanie", purpose="Hannah's CAF")
    lee = as_viewer(practitioner_id="p-lee", purpose="Hannah's CAF")
    admin = as_viewer(Role.INDEX_ADMIN, local_authority="NBR")
    caf = await start_caf(melanie)
    await join_team(melanie, caf["id"], "p-lee")
    actions = ok(
        await melanie.post(ADD_ACTION, {"id": caf["id"], "ownerId": "p-lee"}), "addDeliveryAction"
    )["actions"]
    shield = {"childId": "c-hannah", "shielded": True, "reason": "Court order: risk from father"}
    ok(await admin.post(SET_SHIELDED, shield), "setShielded")

    for document, variables in (
        (CLOSE, {"status": "CLOSED", "reason": "Needs met"}),
        (ADD_STRENGTH, {"strength": "Kind"}),
    ):
        hidden = await melanie.post(document, {"id": caf["id"], **variables})
        missing = await melanie.post(document, {"id": "caf-nope", **variables})
        assert "INTERNAL" not in json.dumps(hidden)
        same_as_missing(hidden, missing, document)
    done = {"doneOn": today.isoformat()}
    hidden = await lee.post(UPDATE_ACTION, {"id": actions[0]["id"], **done})
    missing = await lee.post(UPDATE_ACTION, {"id": "action-nope", **done})
    same_as_missing(hidden, missing, "updateDeliveryAction")
    # Nothing was written: the CAF is still OPEN.
    assert _status(sync_driver, caf["id"]) == "OPEN"

    unshield = {**shield, "shielded": False, "reason": "Order discharged by the court"}
    ok(await admin.post(SET_SHIELDED, unshield), "setShielded")
    closed = ok(
        await melanie.post(CLOSE, {"id": caf["id"], "status": "CLOSED", "reason": "Needs met"}),
        "closeAssessment",
    )
    assert closed["status"] == "CLOSED" and closed["holder"]["id"] == "p-melanie"
