"""R7 through consent records (red-team finding F3): a SHARE_ASSESSMENT record covering a
CAF held from a sensitive service R6 hides from the viewer would say that CAF exists, so
for that viewer the record is not there either, on every path that lists or acts on it.

The clinic's nurse holds a CAF for Hannah and records Hannah's consent to share it with
Steve. Lee, Libby and Steve have no standing with the clinic: the CAF is not in their
summaries, and no consent record may name it to them. The nurse still sees her record."""

from __future__ import annotations

import json

import pytest

from tests.api.consent_support import (
    CONSENTS,
    GRANT_FIELDS,
    WITHDRAW,
    codes,
    error,
    fresh_family,
    grant,
    ok,
    start_caf,
)

__all__ = ["fresh_family"]

pytestmark = pytest.mark.usefixtures("fresh_family")

CONNECTION = f"""
query($childId: ID!) {{ consentsConnection(childId: $childId, first: 100) {{
  edges {{ node {{ {GRANT_FIELDS} }} }} }} }}
"""
SUMMARIES = 'query { child(id: "c-hannah") { hasCommonAssessment commonAssessments { id } } }'


async def test_a_record_covering_a_hidden_caf_is_not_there(as_viewer) -> None:
    nurse = as_viewer(practitioner_id="p-nurse", purpose="Hannah's care")
    caf = await start_caf(nurse)
    record = await grant(
        nurse,
        purpose="SHARE_ASSESSMENT",
        coversAssessmentId=caf["id"],
        grantedToPractitionerIds=["p-steve"],
    )
    assert record["coversAssessmentId"] == caf["id"]

    for who in ("p-lee", "p-libby", "p-steve"):
        viewer = as_viewer(practitioner_id=who, purpose="Hannah's care")
        summaries = ok(await viewer.post(SUMMARIES), "child")
        assert caf["id"] not in json.dumps(summaries), who
        listed = await viewer.post(CONSENTS, {"childId": "c-hannah"})
        paged = await viewer.post(CONNECTION, {"childId": "c-hannah"})
        for body in (listed, paged):
            assert "errors" not in body, (who, body)
            assert caf["id"] not in json.dumps(body), who
            assert record["id"] not in json.dumps(body), who
        # Acting on it answers exactly as for a record that does not exist.
        hidden = await viewer.post(WITHDRAW, {"id": record["id"], "reason": "no longer"})
        missing = await viewer.post(WITHDRAW, {"id": "consent-nope", "reason": "no longer"})
        assert codes(hidden) == ["NOT_FOUND"], who
        assert error(hidden)["message"] == error(missing)["message"]
        assert json.dumps(error(hidden)["extensions"]) == json.dumps(error(missing)["extensions"])

    # The clinic's nurse, who holds the CAF, still sees the record she made.
    mine = ok(await nurse.post(CONSENTS, {"childId": "c-hannah"}), "consents")
    assert record["id"] in [r["id"] for r in mine]
