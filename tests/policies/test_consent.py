"""R10 and R6b, table-driven: who may consent, and when a grant counts."""

from __future__ import annotations

from datetime import timedelta

import pytest

from policies.consent import child_may_decide, consent_path, effective_state
from tests.policies.conftest import NOW, TODAY, child, grant, viewer, years_ago


@pytest.mark.parametrize(
    ("age", "competent", "allowed"),
    [
        (17, False, True),
        (16, False, True),
        (15, True, True),
        (15, False, False),
        (12, True, True),
        (11, True, False),
        (9, True, False),
        (0, False, False),
    ],
)
def test_child_may_decide(age: int, competent: bool, allowed: bool) -> None:
    decision = child_may_decide(years_ago(age), TODAY, competent)
    assert decision.allowed is allowed
    assert decision.reason.startswith("R10")


def test_sixteenth_birthday_is_the_day() -> None:
    assert child_may_decide(years_ago(16), TODAY, False).allowed
    assert not child_may_decide(years_ago(16) + timedelta(days=1), TODAY, False).allowed


CASES = [
    # (description, records, child age, allowed)
    ("competent child's grant to the viewer", [grant()], 15, True),
    (
        "grant to the viewer's service",
        [grant(to_practitioners=frozenset(), to_services=frozenset({"s-school"}))],
        15,
        True,
    ),
    ("grant to someone else", [grant(to_practitioners=frozenset({"p-other"}))], 15, False),
    ("grant covering another service", [grant(covers=frozenset({"s-other"}))], 15, False),
    ("wrong purpose", [grant(purpose="SHARE_ASSESSMENT")], 15, False),
    ("withdrawn", [grant(state="WITHDRAWN")], 15, False),
    ("expired yesterday", [grant(expires=TODAY - timedelta(days=1))], 15, False),
    ("expires today still counts", [grant(expires=TODAY)], 15, True),
    ("9-year-old's own consent", [grant()], 9, False),
    ("14 without competence assessed", [grant(competent=False)], 14, False),
    (
        "carer with parental responsibility for 9-year-old",
        [grant(by_child=False, carer_pr=True)],
        9,
        True,
    ),
    ("carer without parental responsibility", [grant(by_child=False, carer_pr=False)], 9, False),
    (
        "competent child's later refusal outweighs a carer's grant",
        [
            grant(by_child=False, carer_pr=True),
            grant(id="r", state="REFUSED", to_practitioners=frozenset()),
        ],
        15,
        False,
    ),
    (
        "competent child's earlier refusal still outweighs a carer's later grant",
        [
            grant(
                id="r",
                state="REFUSED",
                to_practitioners=frozenset(),
                recorded=NOW - timedelta(days=30),
            ),
            grant(by_child=False, carer_pr=True, recorded=NOW - timedelta(days=1)),
        ],
        15,
        False,
    ),
    (
        "child's own later grant supersedes the child's earlier refusal",
        [
            grant(
                id="r",
                state="REFUSED",
                to_practitioners=frozenset(),
                recorded=NOW - timedelta(days=30),
            ),
            grant(recorded=NOW - timedelta(days=1)),
        ],
        15,
        True,
    ),
    (
        "an incompetent child's refusal does not outweigh the carer",
        [
            grant(by_child=False, carer_pr=True),
            grant(id="r", state="REFUSED", competent=False, to_practitioners=frozenset()),
        ],
        14,
        True,
    ),
    (
        "a carer's refusal does not cancel the other carer's grant (one is enough)",
        [
            grant(by_child=False, carer_pr=True),
            grant(
                id="r", state="REFUSED", by_child=False, carer_pr=True, to_practitioners=frozenset()
            ),
        ],
        9,
        True,
    ),
]


@pytest.mark.parametrize(
    ("description", "records", "age", "allowed"), CASES, ids=[c[0] for c in CASES]
)
def test_consent_path(description: str, records: list, age: int, allowed: bool) -> None:
    decision = consent_path(
        viewer(),
        records,
        purpose="SHARE_CONTACT_DETAILS",
        date_of_birth=years_ago(age, days=30),
        today=TODAY,
        service_id="s-clinic",
    )
    assert decision.allowed is allowed, decision.reason
    assert "R" in decision.reason


def test_effective_state_derives_expiry() -> None:
    assert effective_state(grant(expires=TODAY - timedelta(days=1)), TODAY) == "EXPIRED"
    assert effective_state(grant(state="WITHDRAWN"), TODAY) == "WITHDRAWN"
    assert effective_state(grant(), TODAY) == "ACTIVE"
    assert child().consents == ()


# --- Recording consent ------------------------------------------------------------------


def test_who_records_consent() -> None:
    from policies.consent import may_record_consent
    from policies.viewer import Role
    from tests.policies.conftest import override

    assert may_record_consent(viewer(), involved=True, overrides=(), now=NOW)
    assert may_record_consent(viewer(), involved=False, overrides=(override(),), now=NOW)
    assert not may_record_consent(viewer(), involved=False, overrides=(), now=NOW)
    assert not may_record_consent(
        viewer(), involved=False, overrides=(override(hours_ago=73),), now=NOW
    )
    for role in (Role.INDEX_ADMIN, Role.ANALYST, Role.FEED, Role.AUDITOR):
        assert not may_record_consent(viewer(role=role), involved=True, overrides=(), now=NOW)
    assert not may_record_consent(
        viewer(practitioner_id=None), involved=True, overrides=(), now=NOW
    )


@pytest.mark.parametrize(
    ("cares", "pr", "reason"),
    [
        (True, True, None),
        (True, False, "no parental responsibility for this child"),
        (False, False, "not a carer of this child"),
        (False, True, "not a carer of this child"),
    ],
)
def test_carer_may_consent(cares: bool, pr: bool, reason: str | None) -> None:
    from policies.consent import carer_may_consent

    decision = carer_may_consent(cares_for_child=cares, parental_responsibility=pr)
    assert decision.allowed is (reason is None)
    if reason is not None:
        assert decision.reason == reason


@pytest.mark.parametrize(
    ("purpose", "services", "assessment", "granted", "refusal", "field"),
    [
        ("SHARE_CONTACT_DETAILS", frozenset(), None, 1, False, "coversServiceIds"),
        ("SHARE_CONTACT_DETAILS", frozenset({"s"}), None, 0, False, "grantedToPractitionerIds"),
        ("SHARE_CONTACT_DETAILS", frozenset({"s"}), None, 1, False, ""),
        ("SHARE_CONTACT_DETAILS", frozenset(), None, 0, True, ""),  # refuses outright
        ("SHARE_ASSESSMENT", frozenset(), None, 1, False, "coversAssessmentId"),
        ("SHARE_ASSESSMENT", frozenset(), "caf", 0, False, "grantedToPractitionerIds"),
        ("SHARE_ASSESSMENT", frozenset(), "caf", 1, False, ""),
        ("UNDERTAKE_ASSESSMENT", frozenset(), None, 0, False, ""),
        ("STORE_ASSESSMENT", frozenset(), None, 0, False, ""),
    ],
)
def test_check_scope(purpose, services, assessment, granted, refusal, field) -> None:
    from policies.consent import check_scope

    decision, at_fault = check_scope(
        purpose,
        covers_service_ids=services,
        covers_assessment_id=assessment,
        granted_to=granted,
        refusal=refusal,
    )
    assert decision.allowed is (field == "")
    assert at_fault == field


def test_may_withdraw_once() -> None:
    from policies.consent import may_withdraw

    assert may_withdraw(grant(), TODAY)
    assert may_withdraw(grant(expires=TODAY - timedelta(days=3)), TODAY)
    assert "already been withdrawn" in may_withdraw(grant(state="WITHDRAWN"), TODAY).reason
    assert not may_withdraw(grant(state="REFUSED"), TODAY)


def test_record_visible_follows_r6_for_every_named_service() -> None:
    from policies.consent import record_visible
    from policies.facts import ServiceFact

    clinic = ServiceFact("s-clinic", "Clinic", "SEXUAL_HEALTH", True, "NBR", None)
    school = ServiceFact("s-school", "School", "SCHOOL", False, "NBR", None)
    plain = child()
    assert record_visible(viewer(), plain, [school], TODAY, NOW)
    assert not record_visible(viewer(), plain, [school, clinic], TODAY, NOW)
    assert record_visible(viewer(services=frozenset({"s-clinic"})), plain, [clinic], TODAY, NOW)
    consented = child(consents=(grant(),))
    assert record_visible(viewer(), consented, [clinic], TODAY, NOW)
