"""R2, R4, R5, R6, R9, R16 (finding), table-driven."""

from __future__ import annotations

from datetime import timedelta

import pytest

from policies import shielding, visibility
from policies.viewer import Role
from tests.policies.conftest import NOW, TODAY, child, grant, involvement, override, service, viewer


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (Role.PRACTITIONER, True),
        (Role.SAFEGUARDING_LEAD, True),
        (Role.INDEX_ADMIN, True),
        (Role.ANALYST, False),
        (Role.FEED, False),
        (Role.AUDITOR, False),
    ],
)
def test_r2_roles(role: Role, allowed: bool) -> None:
    assert visibility.may_read_children(viewer(role)).allowed is allowed


SCHOOL = service("s-school", "SCHOOL", False)

INVOLVEMENT_CASES = [
    ("ordinary, active", child(), involvement(SCHOOL), viewer(), True),
    ("ordinary, ended 364 days ago", child(), involvement(SCHOOL, 364), viewer(), True),
    ("ordinary, ended 365 days ago", child(), involvement(SCHOOL, 365), viewer(), True),
    ("ordinary, ended 366 days ago", child(), involvement(SCHOOL, 366), viewer(), False),
    ("sensitive, no consent", child(), involvement(), viewer(), False),
    (
        "sensitive, viewer works there",
        child(),
        involvement(),
        viewer(services=frozenset({"s-clinic"})),
        True,
    ),
    ("sensitive, consent to viewer", child(consents=(grant(),)), involvement(), viewer(), True),
    (
        "sensitive, consent to someone else",
        child(consents=(grant(to_practitioners=frozenset({"p-x"})),)),
        involvement(),
        viewer(),
        False,
    ),
    (
        "sensitive, withdrawn consent",
        child(consents=(grant(state="WITHDRAWN"),)),
        involvement(),
        viewer(),
        False,
    ),
    ("sensitive, own override", child(overrides=(override(),)), involvement(), viewer(), True),
    (
        "sensitive, someone else's override",
        child(overrides=(override(practitioner_id="p-x"),)),
        involvement(),
        viewer(subject="other"),
        False,
    ),
    (
        "sensitive, expired override",
        child(overrides=(override(hours_ago=73),)),
        involvement(),
        viewer(),
        False,
    ),
    (
        "flagged sensitive kind OTHER",
        child(),
        involvement(service("s-x", "OTHER", True)),
        viewer(),
        False,
    ),
    (
        "sensitive kind even if flag false",
        child(),
        involvement(service("s-x", "MENTAL_HEALTH", False)),
        viewer(),
        False,
    ),
    (
        "sensitive but old: R5 first",
        child(consents=(grant(),)),
        involvement(ended_days_ago=400),
        viewer(),
        False,
    ),
]


@pytest.mark.parametrize(
    ("d", "facts", "inv", "who", "allowed"),
    INVOLVEMENT_CASES,
    ids=[c[0] for c in INVOLVEMENT_CASES],
)
def test_involvement_visible(d: str, facts, inv, who, allowed: bool) -> None:
    decision = visibility.involvement_visible(who, facts, inv, TODAY, NOW)
    assert decision.allowed is allowed, decision.reason


SHIELD_CASES = [
    ("not shielded", child(), viewer(), True),
    ("shielded, practitioner", child(shielded=True), viewer(), False),
    ("shielded, admin of own LA", child(shielded=True), viewer(Role.INDEX_ADMIN, la="NBR"), True),
    (
        "shielded, admin of other LA",
        child(shielded=True),
        viewer(Role.INDEX_ADMIN, la="EVL"),
        False,
    ),
    ("shielded, admin without LA", child(shielded=True), viewer(Role.INDEX_ADMIN, la=None), False),
    (
        "shielded, lead override inside the hour",
        child(shielded=True, overrides=(override(0.5, lifts=True),)),
        viewer(Role.SAFEGUARDING_LEAD),
        True,
    ),
    (
        "shielded, lead override after the hour",
        child(shielded=True, overrides=(override(1.5, lifts=True),)),
        viewer(Role.SAFEGUARDING_LEAD),
        False,
    ),
    (
        "shielded, practitioner's override never lifts",
        child(shielded=True, overrides=(override(0.5, lifts=False),)),
        viewer(),
        False,
    ),
    (
        "shielded, lifting override by someone else",
        child(shielded=True, overrides=(override(0.5, lifts=True, practitioner_id="p-x"),)),
        viewer(Role.SAFEGUARDING_LEAD, subject="x"),
        False,
    ),
]


@pytest.mark.parametrize(
    ("d", "facts", "who", "allowed"), SHIELD_CASES, ids=[c[0] for c in SHIELD_CASES]
)
def test_r4_whereabouts(d: str, facts, who, allowed: bool) -> None:
    decision = shielding.whereabouts(who, facts, NOW)
    assert decision.allowed is allowed, decision.reason
    assert "R4" in decision.reason


@pytest.mark.parametrize(
    ("archived_days", "role", "by_search", "allowed"),
    [
        (None, Role.PRACTITIONER, True, True),
        (10, Role.PRACTITIONER, True, False),
        (10, Role.PRACTITIONER, False, False),
        (10, Role.INDEX_ADMIN, False, True),
        (10, Role.INDEX_ADMIN, True, False),
        (366, Role.INDEX_ADMIN, False, False),
    ],
)
def test_r16_archived_not_found(archived_days, role, by_search, allowed) -> None:
    archived = TODAY - timedelta(days=archived_days) if archived_days is not None else None
    decision = visibility.may_find(
        viewer(role), child(archived_on=archived), TODAY, by_search=by_search
    )
    assert decision.allowed is allowed


def test_r4_household_address_and_carer() -> None:
    import dataclasses

    from policies.facts import CarerFact

    sibling = dataclasses.replace(child(), address_shared_with_shielded=True)
    assert not shielding.home_address(viewer(), sibling, NOW).allowed
    assert shielding.home_address(viewer(Role.INDEX_ADMIN, la="NBR"), sibling, NOW).allowed
    assert not shielding.home_address(viewer(Role.INDEX_ADMIN, la="EVL"), sibling, NOW).allowed
    assert shielding.home_address(viewer(), child(), NOW).allowed
    carer = CarerFact("k", "K", "mother", True, True, None, lives_with_shielded_child=True)
    assert not shielding.carer_contact(viewer(), child(), carer, NOW).allowed
    assert shielding.carer_contact(
        viewer(), child(), dataclasses.replace(carer, lives_with_shielded_child=False), NOW
    ).allowed
    assert not shielding.carer_contact(
        viewer(),
        child(shielded=True),
        dataclasses.replace(carer, lives_with_shielded_child=False),
        NOW,
    ).allowed
