"""The pure rules of issue 16: budgets, visible length, suspension, the report's ranking,
subject access shaping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from policies.browsing import DEFAULT_BUDGETS, daily_budget, parse_budgets
from policies.facts import ServiceFact
from policies.monitoring import SubjectFigures, rank
from policies.subject_access import AccessEvent, ChildAccessFacts, report
from policies.suspension import check_reason, may_suspend
from policies.text import visible_length
from policies.viewer import Role, Viewer


def _viewer(*roles: Role, la: str | None = "NBR", subject: str = "v") -> Viewer:
    return Viewer(subject=subject, roles=frozenset(roles), local_authority=la)


@pytest.mark.parametrize(
    ("roles", "budget"),
    [
        ((Role.PRACTITIONER,), 60),
        ((Role.SAFEGUARDING_LEAD,), 200),
        ((Role.INDEX_ADMIN,), 400),
        ((Role.PRACTITIONER, Role.SAFEGUARDING_LEAD), 200),
        ((Role.ANALYST,), 0),
        ((Role.FEED,), 0),
        ((Role.AUDITOR,), 0),
    ],
)
def test_the_daily_budget_is_the_most_generous_of_the_roles_that_read(roles, budget) -> None:
    assert daily_budget(_viewer(*roles), parse_budgets(None)) == budget


def test_budgets_are_configurable_and_checked() -> None:
    budgets = parse_budgets(" practitioner=5 , INDEX_ADMIN=9")
    assert budgets.get(Role.PRACTITIONER) == 5 and budgets.get(Role.INDEX_ADMIN) == 9
    assert budgets.get(Role.SAFEGUARDING_LEAD) == DEFAULT_BUDGETS[Role.SAFEGUARDING_LEAD]
    for bad in ("ANALYST=5", "PRACTITIONER=0", "PRACTITIONER", "NOBODY=3", "PRACTITIONER=x"):
        with pytest.raises(ValueError):
            parse_budgets(bad)


@pytest.mark.parametrize(
    ("text", "length"),
    [
        ("\u200b" * 20, 0),
        ("  a   b  ", 3),
        ("e\u0301t\u00e9", 3),  # NFKC composes e + acute; a lone combining mark counts nothing
        ("\ufb01x", 3),  # the ligature fi is two letters
        ("a\u2066b\u2069", 2),  # direction isolates draw nothing
    ],
)
def test_visible_length(text: str, length: int) -> None:
    assert visible_length(text) == length


def test_who_may_suspend_whom() -> None:
    auditor = _viewer(Role.AUDITOR, la=None, subject="aud")
    nbr = _viewer(Role.INDEX_ADMIN, la="NBR", subject="ia")
    assert may_suspend(auditor, "p-1", frozenset())
    assert may_suspend(nbr, "p-1", frozenset({"NBR"}))
    assert not may_suspend(nbr, "p-1", frozenset({"EVL"}))
    assert not may_suspend(nbr, "p-1", frozenset())
    assert not may_suspend(nbr, "ia", frozenset({"NBR"}))
    assert not may_suspend(auditor, "aud", frozenset())
    assert not may_suspend(_viewer(Role.SAFEGUARDING_LEAD), "p-1", frozenset({"NBR"}))
    assert not check_reason("\u200b" * 40) and check_reason("browsing, see alert 12")


def _figures(subject: str, role: str = "PRACTITIONER", **figures: int) -> SubjectFigures:
    base = dict(
        requests=10,
        distinct_children=5,
        shielded_reads=0,
        out_of_area_reads=0,
        overrides=0,
        refused_reads=1,
    )
    base.update(figures)
    return SubjectFigures(subject=subject, role=role, local_authority="NBR", **base)


def test_the_report_ranks_against_the_roles_own_norm() -> None:
    people = [_figures(f"p{n}", distinct_children=5 + n % 2) for n in range(8)]
    browser = _figures("browser", distinct_children=60, requests=64)
    leads = [_figures(f"l{n}", "SAFEGUARDING_LEAD", distinct_children=60) for n in range(4)]
    ranked = rank([*people, browser, *leads])
    assert ranked[0].figures.subject == "browser"
    assert "distinct_children" in ranked[0].reasons
    # A lead reading 60 children is their role's norm, not unusual.
    assert all(r.unusualness == 0 for r in ranked if r.figures.role == "SAFEGUARDING_LEAD")


def test_a_role_too_small_for_a_norm_is_measured_against_its_budget() -> None:
    (alone,) = rank([_figures("a", "INDEX_ADMIN", distinct_children=400)], {"INDEX_ADMIN": 400})
    assert alone.unusualness == 3.0 and alone.reasons == ("distinct_children",)


_CLINIC = ServiceFact(
    "s-clinic", "Northbridge Sexual Health Clinic", "SEXUAL_HEALTH", True, "NBR", None
)
_SCHOOL = ServiceFact("s-school", "Oakfield Academy", "SCHOOL", False, "NBR", None)
_T = datetime(2026, 12, 1, 9, tzinfo=UTC)


def _child(shielded: bool) -> ChildAccessFacts:
    return ChildAccessFacts(
        "c-1",
        "Ann",
        "Lee",
        shielded,
        "Northbridge",
        "01632 960100",
        frozenset({"i-clinic"}),
        frozenset({"i-clinic", "k-mum"}),
    )


def _event(
    services: tuple[ServiceFact, ...], minutes: int, role: str = "PRACTITIONER"
) -> AccessEvent:
    return AccessEvent(
        _T + timedelta(minutes=minutes),
        role,
        "child",
        "because",
        ("Involvement:i-clinic",),
        services,
    )


def test_subject_access_names_a_sensitive_service_by_type_only() -> None:
    made = report(_child(False), [_event((_CLINIC,), 2), _event((_SCHOOL,), 1)])
    school, clinic = made.lines
    assert school.organisation == "Oakfield Academy" and school.purpose == "because"
    assert clinic.organisation == "a health service" and clinic.purpose.startswith("not shown")
    assert "Sexual" not in repr(made) and made.deliver_by_post


def test_a_shielded_childs_report_names_no_organisation_and_goes_to_the_index_team() -> None:
    made = report(
        _child(True), [_event((_SCHOOL,), 1), _event((), 2, "INDEX_ADMIN"), _event((), 3, "FEED")]
    )
    assert not made.deliver_by_post and "index team" in made.deliver_to
    assert "01632 960100" in made.deliver_to
    assert [line.organisation for line in made.lines] == [
        "a service working with the child",
        "Northbridge children's index team",
        "a records system of a service working with the child",
    ]
    assert all(line.purpose.startswith("not shown") for line in made.lines)


def test_subject_access_reports_only_this_childs_part_of_a_joint_read() -> None:
    """Found by red-teaming: one request read two children, and the second child's
    report said his address and carers were shown because the first child's were."""
    joint = AccessEvent(
        _T,
        "PRACTITIONER",
        "child",
        "because",
        ("Child:c-2.address", "Child:c-2.carers", "Carer:k-other.contact", "Involvement:i-2"),
        (_SCHOOL,),
    )
    (line,) = report(_child(False), [joint]).lines
    assert line.what_was_shown == "the basic record (name, date of birth, gender)"
    own = AccessEvent(
        _T, "PRACTITIONER", "child", "because", ("Child:c-1.address", "Carer:k-mum.contact"), ()
    )
    (line,) = report(_child(False), [own]).lines
    assert "the home address" in line.what_was_shown
    assert "a parent's or carer's contact details" in line.what_was_shown


def test_subject_access_leaves_out_what_read_the_child_only_to_decide() -> None:
    """Found by red-teaming: the index team's listing of record errors that read the
    child only to ask R6 about a clinic's report was listed to the family as the team
    "using the record", beside "a health service": the report had reached the team."""
    listing = AccessEvent(
        _T, "INDEX_ADMIN", "recordErrors", "queue", (), (), ("Child:c-1.readToDecide",)
    )
    old_listing = AccessEvent(_T, "INDEX_ADMIN", "recordErrors", "queue", (), (), ())
    shown = AccessEvent(_T, "INDEX_ADMIN", "recordErrors", "queue", ("RecordError:re-1",), (), ())
    lines = report(_child(False), [listing, old_listing, shown, _event((_CLINIC,), 1)]).lines
    assert [line.role for line in lines] == ["index team", "practitioner"], "oldest first"


def test_a_shielded_childs_report_for_the_index_team_lists_no_sensitive_service() -> None:
    """Found by red-teaming: the report of a shielded child goes to the index team, and
    listed the clinic's reads of him ("a health service", with their times) that R6
    keeps out of the team's own trail of the child. The family's report of a child who
    is not shielded still lists them by type (R6)."""
    events = [_event((_CLINIC,), 1), _event((_SCHOOL,), 2)]
    shielded = report(_child(True), events)
    assert [line.organisation for line in shielded.lines] == ["a service working with the child"]
    assert any("confidential health services" in note for note in shielded.notes)
    assert not any("type only" in note for note in shielded.notes), "none is named by type"
    family = report(_child(False), events)
    assert [line.organisation for line in family.lines] == ["a health service", "Oakfield Academy"]
