"""R9 and CAF guide 4.24, table-driven: recording overrides, their lifetime, review, decisions."""

from __future__ import annotations

from datetime import timedelta

import pytest

from policies.overrides import (
    check_justification,
    check_sharing_decision,
    may_record_override,
    may_record_sharing_decision,
    may_review_overrides,
    override_terms,
    shield_lift,
)
from policies.shielding import may_set_shielded
from policies.viewer import Role
from tests.policies.conftest import NOW, override, viewer


@pytest.mark.parametrize(
    ("text", "allowed"),
    [
        ("", False),
        ("x" * 19, False),
        ("   " + "x" * 19 + "   ", False),  # whitespace does not count
        ("x" * 20, True),
        ("Disclosure of abuse at home by a visiting adult", True),
        ("x" * 2001, False),
    ],
)
def test_check_justification(text: str, allowed: bool) -> None:
    assert check_justification(text).allowed is allowed


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (Role.PRACTITIONER, True),
        (Role.SAFEGUARDING_LEAD, True),
        (Role.INDEX_ADMIN, False),
        (Role.ANALYST, False),
        (Role.AUDITOR, False),
        (Role.FEED, False),
    ],
)
def test_may_record_override(role: Role, allowed: bool) -> None:
    assert may_record_override(viewer(role=role)).allowed is allowed


def test_override_terms() -> None:
    practitioner = override_terms(viewer(), NOW)
    assert practitioner.expires_at == NOW + timedelta(hours=72)
    assert practitioner.lifts_shielding is False
    lead = override_terms(viewer(role=Role.SAFEGUARDING_LEAD), NOW)
    assert lead.expires_at == NOW + timedelta(hours=72) and lead.lifts_shielding is True


@pytest.mark.parametrize(
    ("minutes_ago", "lifts", "role", "lifted"),
    [
        (30, True, Role.SAFEGUARDING_LEAD, True),
        (59, True, Role.SAFEGUARDING_LEAD, True),
        (61, True, Role.SAFEGUARDING_LEAD, False),
        (30, False, Role.SAFEGUARDING_LEAD, False),
        (30, True, Role.PRACTITIONER, False),
    ],
)
def test_shield_lift_lasts_one_hour(
    minutes_ago: int, lifts: bool, role: Role, lifted: bool
) -> None:
    recorded = override(hours_ago=minutes_ago / 60, lifts=lifts)
    assert (shield_lift(viewer(role=role), [recorded], NOW) is not None) is lifted


@pytest.mark.parametrize(
    ("role", "la", "allowed"),
    [
        (Role.SAFEGUARDING_LEAD, "NBR", True),
        (Role.SAFEGUARDING_LEAD, None, False),
        (Role.PRACTITIONER, "NBR", False),
        (Role.INDEX_ADMIN, "NBR", False),
    ],
)
def test_may_review_overrides(role: Role, la: str | None, allowed: bool) -> None:
    assert may_review_overrides(viewer(role=role, la=la)).allowed is allowed


@pytest.mark.parametrize(
    ("who", "involved", "child_la", "overrides", "allowed"),
    [
        (viewer(), True, "NBR", (), True),
        (viewer(), False, "NBR", (), False),
        (viewer(), False, "NBR", (override(),), True),
        (viewer(), False, "NBR", (override(hours_ago=80),), False),
        (viewer(role=Role.SAFEGUARDING_LEAD), False, "NBR", (), True),
        (viewer(role=Role.SAFEGUARDING_LEAD), False, "EVL", (), False),
        (viewer(role=Role.INDEX_ADMIN), True, "NBR", (), False),
        (viewer(practitioner_id=None), True, "NBR", (), False),
    ],
)
def test_may_record_sharing_decision(who, involved, child_la, overrides, allowed) -> None:
    decision = may_record_sharing_decision(
        who, involved=involved, child_local_authority=child_la, overrides=overrides, now=NOW
    )
    assert decision.allowed is allowed


@pytest.mark.parametrize(
    ("shared", "with_consent", "reason", "allowed"),
    [
        (False, False, "not needed", True),
        (True, True, "agreed", True),
        (True, False, "risk", False),
        (True, False, "Evidence of significant harm at home", True),
        (False, False, "   ", False),
    ],
)
def test_check_sharing_decision(
    shared: bool, with_consent: bool, reason: str, allowed: bool
) -> None:
    decision = check_sharing_decision(shared=shared, with_consent=with_consent, reason=reason)
    assert decision.allowed is allowed


@pytest.mark.parametrize(
    ("role", "la", "child_la", "allowed"),
    [
        (Role.INDEX_ADMIN, "NBR", "NBR", True),
        (Role.INDEX_ADMIN, "EVL", "NBR", False),
        (Role.INDEX_ADMIN, None, None, False),
        (Role.SAFEGUARDING_LEAD, "NBR", "NBR", False),
        (Role.PRACTITIONER, "NBR", "NBR", False),
    ],
)
def test_may_set_shielded(role: Role, la: str | None, child_la: str | None, allowed: bool) -> None:
    assert may_set_shielded(viewer(role=role, la=la), child_la).allowed is allowed
