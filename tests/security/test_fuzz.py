"""Fuzzing: queries generated from the schema, valid and invalid, as every role.

Never a 5xx, never INTERNAL, and never a guarded value outside what policy allows:
the oracle is Hannah's story itself, whose secrets (a shielded child's whereabouts,
a sexual-health involvement without consent) are known strings. Bounded here; the
longer run is `CONTACTGRAPH_FUZZ_EXAMPLES=2000 ./run test tests/security/test_fuzz.py`.
"""

from __future__ import annotations

import os
from datetime import date

import hypothesis_graphql
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from api.root import build_schema
from policies.viewer import Role

EXAMPLES = int(os.environ.get("CONTACTGRAPH_FUZZ_EXAMPLES", "25"))
SCHEMA = build_schema()._schema

# Ids from Hannah's story, so generated queries hit real records.
IDS = st.sampled_from(["c-hannah", "c-sam", "c-jack", "p-melanie", "s-nbr-sexual-health", "x"])
CUSTOM = {
    "ID": IDS.map(lambda v: __import__("graphql").language.StringValueNode(value=v)),
    # accessReport's period (and the trail's filters): valid and invalid times alike.
    "DateTime": st.sampled_from(
        ["2026-01-01T00:00:00+00:00", "2030-06-01T12:00:00Z", "not a time", ""]
    ).map(lambda v: __import__("graphql").language.StringValueNode(value=v)),
}


def _secrets(today: date) -> dict[str, list[str]]:
    from seed import hannah

    scenario = hannah.scenario(today)
    sam = next(c for c in scenario.children if c["id"] == "c-sam")
    clinic = next(s for s in scenario.services if s["id"] == "s-nbr-sexual-health")
    nurse = next(p for p in scenario.practitioners if p["id"] == "p-nurse")
    shielded = [sam["addressLine1"], sam["postcode"], "k-sam-father", "Daniel Price"]
    sensitive = [clinic["name"], clinic["phone"], nurse["name"], nurse["phone"]]
    # The audit trail names what was withheld (R14), so the involvement's opaque id may
    # reach AUDITOR and INDEX_ADMIN there; no other role may ever see it.
    return {"shielded": shielded, "sensitive": sensitive, "sensitive-id": ["i-hannah-clinic"]}


VIEWERS = [
    (Role.PRACTITIONER, "p-melanie", ("shielded", "sensitive", "sensitive-id")),
    (Role.PRACTITIONER, "p-lee", ("shielded", "sensitive", "sensitive-id")),
    (Role.SAFEGUARDING_LEAD, "p-john", ("shielded", "sensitive", "sensitive-id")),
    (Role.INDEX_ADMIN, None, ("sensitive",)),  # of NBR: sees Sam's whereabouts (R4), not R6
    (Role.ANALYST, None, ("shielded", "sensitive", "sensitive-id")),
    (Role.AUDITOR, None, ("shielded", "sensitive")),
    (Role.FEED, None, ("shielded", "sensitive", "sensitive-id")),
]


@pytest.mark.parametrize(
    "mode", [hypothesis_graphql.Mode.POSITIVE, hypothesis_graphql.Mode.NEGATIVE]
)
@pytest.mark.parametrize(
    "role,practitioner,guarded", VIEWERS, ids=[f"{v[0].value}-{v[1]}" for v in VIEWERS]
)
async def test_fuzzed_queries_never_fail_or_leak(
    as_viewer, today, role, practitioner, guarded, mode
) -> None:
    caller = as_viewer(
        role, practitioner_id=practitioner, source="fuzz" if role is Role.FEED else None
    )
    secrets = [s for group in guarded for s in _secrets(today)[group]]
    # Queries only: generated mutations would change the shared scenario under other tests.
    strategy = hypothesis_graphql.queries(SCHEMA, mode=mode, custom_scalars=CUSTOM)
    examples: list[str] = []

    @hsettings(
        max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    @given(strategy)
    def collect(query: str) -> None:
        examples.append(query)

    collect()
    for query in examples:
        response = await caller.client.post(
            "/graphql",
            json={"query": query},
            headers={"Authorization": f"Bearer {caller.token}", "X-Purpose": "fuzzing"},
        )
        assert response.status_code < 500, (query, response.text)
        body = response.json()
        codes = [e.get("extensions", {}).get("code") for e in body.get("errors", [])]
        assert "INTERNAL" not in codes, (query, body)
        assert all(codes), (query, body)
        for secret in secrets:
            assert secret not in response.text, (role, practitioner, query, secret)
