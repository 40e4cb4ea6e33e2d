"""The CAF's course (policies.assessments) and CAF figures (policies.caf_figures): who may
hand over, step down, leave, read sharing decisions and list overdue reviews; review
dates; R11 suppression of CAF counts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from policies import assessments as a
from policies import caf_figures
from policies.assessments import AssessmentAccessFacts
from policies.facts import ConsentFact
from policies.viewer import Role, Viewer

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
TODAY = NOW.date()


def who(pid: str | None, role: Role = Role.PRACTITIONER, la: str | None = "NBR") -> Viewer:
    return Viewer(
        subject=pid or "s", roles=frozenset({role}), practitioner_id=pid, local_authority=la
    )


SHARE_WITH_LIBBY = ConsentFact(
    "g-1", "SHARE_ASSESSMENT", "ACTIVE", True, True, False, NOW - timedelta(days=1),
    covers_assessment_id="caf-1", granted_to_practitioner_ids=frozenset({"p-libby"}),
)  # fmt: skip
CAF = AssessmentAccessFacts(
    "caf-1", "p-lee", frozenset({"p-lee", "p-libby", "p-steve"}), date(2011, 1, 1),
    (SHARE_WITH_LIBBY,), (),
)  # fmt: skip


@pytest.mark.parametrize(
    ("viewer", "reachable", "allowed"),
    [
        (who("p-lee"), True, True),  # the holder
        (who("p-libby"), True, False),  # a team member, while the holder is there
        (who("p-libby"), False, True),  # R17: the holder left; a consented member takes it on
        (who("p-steve"), False, False),  # in the team without consent: cannot read, cannot take
        (who("p-john"), False, False),  # not in the team
    ],
)
def test_who_hands_over(viewer: Viewer, reachable: bool, allowed: bool) -> None:
    assert bool(a.may_hand_over(viewer, CAF, reachable, NOW)) is allowed


def test_review_dates() -> None:
    started = TODAY - timedelta(days=90)
    assert a.review_date(TODAY, started, TODAY)
    assert not a.review_date(TODAY + timedelta(days=1), started, TODAY)
    assert not a.review_date(started - timedelta(days=1), started, TODAY)


def test_step_down_and_leaving() -> None:
    assert a.may_step_down(who("p-lee"), CAF, "p-john")
    assert a.may_step_down(who("p-john"), CAF, "p-john")
    assert not a.may_step_down(who("p-libby"), CAF, "p-john")
    assert a.may_leave_team(who("p-libby"), CAF)
    assert not a.may_leave_team(who("p-lee"), CAF)  # the holder hands over first
    assert not a.may_leave_team(who("p-john"), CAF)


def test_who_reads_sharing_decisions() -> None:
    read = a.may_read_sharing_decisions
    lead = who("p-sgl", Role.SAFEGUARDING_LEAD, "NBR")
    assert read(lead, is_lead_professional=False, reads_a_caf=False, child_local_authority="NBR")
    assert not read(
        lead, is_lead_professional=False, reads_a_caf=False, child_local_authority="EVL"
    )
    assert read(
        who("p-x"), is_lead_professional=True, reads_a_caf=False, child_local_authority="NBR"
    )
    assert read(
        who("p-x"), is_lead_professional=False, reads_a_caf=True, child_local_authority="NBR"
    )
    assert not read(
        who("p-x"), is_lead_professional=False, reads_a_caf=False, child_local_authority="NBR"
    )
    assert not read(
        who(None, Role.ANALYST),
        is_lead_professional=False,
        reads_a_caf=False,
        child_local_authority="NBR",
    )


def test_who_lists_overdue_reviews() -> None:
    assert a.may_list_overdue(who(None, Role.INDEX_ADMIN, "NBR"), "NBR")
    assert not a.may_list_overdue(who(None, Role.INDEX_ADMIN, "EVL"), "NBR")
    assert a.may_list_overdue(who("p-lee"), "NBR")
    for role in (Role.ANALYST, Role.AUDITOR, Role.FEED):
        assert not a.may_list_overdue(who(None, role), "NBR")


@pytest.mark.parametrize(
    ("counts", "hidden"),
    [
        ({"a": 7, "b": 9}, set()),
        ({"a": 3, "b": 9, "c": 12}, {"a", "b"}),  # a lone hidden cell takes the smallest other
        ({"a": 3, "b": 2, "c": 12}, {"a", "b"}),  # two hidden already: neither can be derived
        ({"a": 3, "b": 0}, {"a"}),  # zero is shown; nothing else to hide
    ],
)
def test_a_line_of_caf_counts(counts: dict[str, int], hidden: set[str]) -> None:
    cells = caf_figures.line(counts)
    assert {k for k, c in cells.items() if c.suppressed} == hidden
    assert all(c.children is None for c in cells.values() if c.suppressed)


def test_counts_and_medians() -> None:
    assert caf_figures.cell(4).suppressed and caf_figures.cell(4).children is None
    assert caf_figures.cell(0) == caf_figures.cell(0) and not caf_figures.cell(5).suppressed
    assert caf_figures.median_days([10, 20, 30, 40]).suppressed
    assert caf_figures.median_days([10, 20, 30, 40, 50]).days == 30.0
    assert caf_figures.median_days([]).days is None
