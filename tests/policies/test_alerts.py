"""Who reads and resolves access alerts (policies/alerts.py), table-driven, no database."""

from __future__ import annotations

import pytest

from policies.alerts import (
    MAX_OUTCOME,
    AlertKind,
    AlertState,
    check_outcome,
    may_read_alerts,
    may_resolve_alert,
)
from policies.viewer import Role, Viewer


def _viewer(role: Role, la: str | None = "NBR") -> Viewer:
    return Viewer("someone", frozenset({role}), None, la, None)


CASES = [
    ("index team of the alert's authority", _viewer(Role.INDEX_ADMIN, "NBR"), "NBR", True),
    ("index team of another authority", _viewer(Role.INDEX_ADMIN, "EVL"), "NBR", False),
    ("index admin without an authority", _viewer(Role.INDEX_ADMIN, None), "NBR", False),
    ("index admin, alert without an authority", _viewer(Role.INDEX_ADMIN, None), None, False),
    ("auditor", _viewer(Role.AUDITOR, None), "NBR", True),
    ("auditor, alert without an authority", _viewer(Role.AUDITOR, None), None, True),
    ("practitioner of that authority", _viewer(Role.PRACTITIONER, "NBR"), "NBR", False),
    ("safeguarding lead of that authority", _viewer(Role.SAFEGUARDING_LEAD, "NBR"), "NBR", False),
    ("analyst", _viewer(Role.ANALYST, "NBR"), "NBR", False),
    ("feed", _viewer(Role.FEED, None), "NBR", False),
]


@pytest.mark.parametrize(("case", "viewer", "la", "allowed"), CASES, ids=[c[0] for c in CASES])
def test_who_reads_and_resolves_alerts(case, viewer, la, allowed) -> None:
    read, resolve = may_read_alerts(viewer, la), may_resolve_alert(viewer, la)
    assert bool(read) is allowed and bool(resolve) is allowed
    assert read.reason.startswith(("R4", "R14")) and resolve.reason.startswith(("R4", "R14"))


def test_outcome_must_say_something_and_not_too_much() -> None:
    assert check_outcome("Called the school: a test record, removed.")
    assert not check_outcome("   ")
    assert not check_outcome("x" * (MAX_OUTCOME + 1))
    assert check_outcome("x" * MAX_OUTCOME)


def test_kinds_and_states() -> None:
    assert {k.value for k in AlertKind} >= {
        "HOUSEHOLD_RULE_TRIGGERED",
        "BUDGET_EXCEEDED",
        "SHIELDED_READ_OUT_OF_AREA",
        "SHIELD_LIFTED",
        "REPEATED_REFUSALS",
    }
    assert {s.value for s in AlertState} == {"OPEN", "RESOLVED"}


def test_the_graph_and_the_schema_spell_kinds_as_the_policy_does() -> None:
    from api.schema.alerts import AccessAlertKind, AccessAlertState
    from graph.alerts import HOUSEHOLD_BY_ADDRESS, HOUSEHOLD_BY_CARER

    assert {k.name for k in AccessAlertKind} == {k.value for k in AlertKind}
    assert {s.name for s in AccessAlertState} == {s.value for s in AlertState}
    for cypher in (HOUSEHOLD_BY_ADDRESS, HOUSEHOLD_BY_CARER):
        assert f"kind: '{AlertKind.HOUSEHOLD_RULE_TRIGGERED}'" in cypher
