"""R10 and R6b, table-driven: who may consent, and when a grant counts."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

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


# --- R6b: only the sensitive service the child confided in passes on consent ------------

R6B_CASES = [
    # (description, records, sensitive, allowed)
    ("recorded by the clinic it covers", [grant(recorded_by=frozenset({"s-clinic"}))], True, True),
    (
        "recorded by the viewer's own school: opens nothing (finding 4)",
        [grant(recorded_by=frozenset({"s-school"}))],
        True,
        False,
    ),
    ("legacy grant with no recorder service", [grant(recorded_by=frozenset())], True, False),
    (
        "recorder worked for the clinic and another service",
        [grant(recorded_by=frozenset({"s-school", "s-clinic"}))],
        True,
        True,
    ),
    (
        "recorded by another sensitive service",
        [grant(recorded_by=frozenset({"s-camhs"}))],
        True,
        False,
    ),
    (
        "a service that is not sensitive needs no recorder of its own",
        [grant(recorded_by=frozenset({"s-school"}))],
        False,
        True,
    ),
    (
        "one good grant is enough beside a smuggled one",
        [
            grant(id="smuggled", recorded_by=frozenset({"s-school"})),
            grant(id="good", recorded_by=frozenset({"s-clinic"})),
        ],
        True,
        True,
    ),
    (
        "the clinic's grant is still outweighed by the competent child's refusal",
        [
            grant(by_child=False, carer_pr=True, recorded_by=frozenset({"s-clinic"})),
            grant(id="r", state="REFUSED", to_practitioners=frozenset(), recorded_by=frozenset()),
        ],
        True,
        False,
    ),
]


@pytest.mark.parametrize(
    ("description", "records", "sensitive", "allowed"), R6B_CASES, ids=[c[0] for c in R6B_CASES]
)
def test_consent_path_needs_the_covered_service_to_have_recorded_it(
    description: str, records: list, sensitive: bool, allowed: bool
) -> None:
    decision = consent_path(
        viewer(),
        records,
        purpose="SHARE_CONTACT_DETAILS",
        date_of_birth=years_ago(15, days=30),
        today=TODAY,
        service_id="s-clinic",
        sensitive=sensitive,
    )
    assert decision.allowed is allowed, decision.reason


def test_consent_path_is_sensitive_by_default_and_says_r6b() -> None:
    """R6 only asks about sensitive services, so forgetting `sensitive` fails closed."""
    decision = consent_path(
        viewer(),
        [grant(recorded_by=frozenset({"s-school"}))],
        purpose="SHARE_CONTACT_DETAILS",
        date_of_birth=years_ago(15),
        today=TODAY,
        service_id="s-clinic",
    )
    assert not decision and decision.reason.startswith("R6b")


def test_r6b_does_not_touch_assessment_scopes() -> None:
    """SHARE_ASSESSMENT covers a CAF, not a service: the recorder's service is irrelevant."""
    record = grant(
        purpose="SHARE_ASSESSMENT",
        covers=frozenset(),
        covers_assessment="caf-1",
        recorded_by=frozenset({"s-school"}),
    )
    assert consent_path(
        viewer(),
        [record],
        purpose="SHARE_ASSESSMENT",
        date_of_birth=years_ago(15),
        today=TODAY,
        assessment_id="caf-1",
    )


def test_sensitive_service_visible_keeps_its_signature_and_applies_r6b() -> None:
    from policies.visibility import sensitive_service_visible
    from tests.policies.conftest import service

    clinic = service()
    smuggled = child(consents=(grant(recorded_by=frozenset({"s-school"})),))
    passed_on = child(consents=(grant(recorded_by=frozenset({"s-clinic"})),))
    assert not sensitive_service_visible(viewer(), smuggled, clinic, TODAY, NOW)
    assert sensitive_service_visible(viewer(), passed_on, clinic, TODAY, NOW)


# --- R10: a consent recorded on an override's strength lasts no longer than it ---------


def test_a_grant_recorded_under_an_override_stops_when_the_override_ends() -> None:
    ends = NOW + timedelta(hours=2)
    record = grant(standing_until=ends, expires=ends.date())
    ask: dict[str, Any] = {
        "purpose": "SHARE_CONTACT_DETAILS",
        "date_of_birth": years_ago(15),
        "today": TODAY,
        "service_id": "s-clinic",
    }
    assert consent_path(viewer(), [record], now=NOW, **ask)
    assert consent_path(viewer(), [record], now=ends - timedelta(seconds=1), **ask)
    assert not consent_path(viewer(), [record], now=ends, **ask)
    assert effective_state(record, TODAY, ends) == "EXPIRED"
    assert effective_state(record, TODAY, NOW) == "ACTIVE"
    # Without `now` the clamped expiry date bounds it: it counts through that day only.
    assert consent_path(viewer(), [record], **ask)
    later = {**ask, "today": ends.date() + timedelta(days=1)}
    assert not consent_path(viewer(), [record], **later)


def test_a_refusal_or_withdrawal_is_not_revived_or_changed_by_standing() -> None:
    gone = NOW - timedelta(hours=1)
    assert effective_state(grant(state="WITHDRAWN", standing_until=gone), TODAY, NOW) == "WITHDRAWN"
    assert effective_state(grant(state="REFUSED", standing_until=gone), TODAY, NOW) == "REFUSED"


def _terms(**kw: object):  # type: ignore[no-untyped-def]
    from policies.consent import recording_terms
    from tests.policies.conftest import override

    args: dict = {
        "involved": False,
        "overrides": (override(hours_ago=1),),
        "now": NOW,
        "expires_on": None,
        "refusal": False,
    }
    args.update(kw)
    return recording_terms(viewer(), **args)


OVERRIDE_END = NOW - timedelta(hours=1) + timedelta(hours=72)

TERMS_CASES = [
    # (description, arguments, expires_on, standing_until)
    ("no expiry asked: the override's last day", {}, OVERRIDE_END.date(), OVERRIDE_END),
    (
        "a later expiry is clamped",
        {"expires_on": TODAY + timedelta(days=30)},
        OVERRIDE_END.date(),
        OVERRIDE_END,
    ),
    (
        "an earlier expiry stands",
        {"expires_on": TODAY + timedelta(days=1)},
        TODAY + timedelta(days=1),
        OVERRIDE_END,
    ),
    ("an involved recorder's choice stands", {"involved": True}, None, None),
    (
        "involved and holding an override: involvement is the standing",
        {"involved": True, "expires_on": TODAY + timedelta(days=30)},
        TODAY + timedelta(days=30),
        None,
    ),
    ("a refusal is never clamped", {"refusal": True}, None, None),
    ("an expired override gives nothing to clamp to", {"overrides": ()}, None, None),
]


@pytest.mark.parametrize(
    ("description", "kw", "expires_on", "standing_until"),
    TERMS_CASES,
    ids=[c[0] for c in TERMS_CASES],
)
def test_recording_terms(description: str, kw: dict, expires_on, standing_until) -> None:  # type: ignore[no-untyped-def]
    terms = _terms(**kw)
    assert terms.expires_on == expires_on
    assert terms.standing_until == standing_until
    assert (terms.override_id is not None) is (standing_until is not None)


def test_recording_terms_take_the_longest_running_override() -> None:
    from tests.policies.conftest import override

    older, newer = override(hours_ago=70, id="o-old"), override(hours_ago=1, id="o-new")
    terms = _terms(overrides=(older, newer))
    assert terms.override_id == "o-new"


def test_recording_terms_use_the_utc_date() -> None:
    """An override ending at 00:30 in UTC+2 ends on the previous UTC day."""
    from datetime import timezone

    from policies.facts import OverrideFact

    plus_two = timezone(timedelta(hours=2))
    ends = datetime(2026, 11, 26, 0, 30, tzinfo=plus_two)
    odd = OverrideFact("o-tz", "p-me", "me", ends - timedelta(hours=72), ends, False)
    assert _terms(overrides=(odd,)).expires_on == date(2026, 11, 25)


# --- Naming services in a consent being recorded (R6, R6b: no fishing) -----------------


def _naming(service_fact, *, covered: bool, who=None, facts=None):  # type: ignore[no-untyped-def]
    from policies.consent import service_naming

    return service_naming(
        who or viewer(),
        facts or child(),
        service_fact,
        covered=covered,
        today=TODAY,
        now=NOW,
    )[0].name


def _clinic_consent_for_me():  # type: ignore[no-untyped-def]
    return child(consents=(grant(recorded_by=frozenset({"s-clinic"})),))


def _with_override():  # type: ignore[no-untyped-def]
    from tests.policies.conftest import override

    return child(overrides=(override(),))


NAMING_CASES = [
    # (description, service, covered, viewer services, child facts, outcome)
    ("unknown id, covered", None, True, None, None, "NOT_FOUND"),
    ("unknown id, granted to", None, False, None, None, "NOT_FOUND"),
    ("a school, covered", "school", True, None, None, "ALLOWED"),
    ("a school, granted to", "school", False, None, None, "ALLOWED"),
    ("hidden clinic, covered: as if unknown", "clinic", True, None, None, "NOT_FOUND"),
    ("hidden clinic, granted to: as if unknown", "clinic", False, None, None, "NOT_FOUND"),
    ("own clinic, covered", "clinic", True, {"s-clinic"}, None, "ALLOWED"),
    ("own clinic, granted to", "clinic", False, {"s-clinic"}, None, "ALLOWED"),
    (
        "clinic seen through consent, covered: R6b",
        "clinic",
        True,
        None,
        "consent",
        "NOT_THE_RECORDERS_SERVICE",
    ),
    ("clinic seen through consent, granted to", "clinic", False, None, "consent", "ALLOWED"),
    (
        "clinic seen under an override, covered: R6b",
        "clinic",
        True,
        None,
        "override",
        "NOT_THE_RECORDERS_SERVICE",
    ),
    ("clinic seen under an override, granted to", "clinic", False, None, "override", "ALLOWED"),
    (
        "a sensitive service the child has nothing to do with: still hidden",
        "camhs",
        True,
        None,
        "consent",
        "NOT_FOUND",
    ),
]


@pytest.mark.parametrize(
    ("description", "which", "covered", "services", "facts", "outcome"),
    NAMING_CASES,
    ids=[c[0] for c in NAMING_CASES],
)
def test_service_naming(description, which, covered, services, facts, outcome) -> None:  # type: ignore[no-untyped-def]
    from tests.policies.conftest import service

    fact = {
        None: None,
        "school": service("s-school", "SCHOOL", False),
        "clinic": service(),
        "camhs": service("s-camhs", "MENTAL_HEALTH", True),
    }[which]
    who = viewer(services=frozenset(services)) if services else viewer()
    child_facts = {None: None, "consent": _clinic_consent_for_me(), "override": _with_override()}[
        facts
    ]
    assert _naming(fact, covered=covered, who=who, facts=child_facts) == outcome
