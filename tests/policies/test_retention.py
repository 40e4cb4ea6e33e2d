"""R16 retention decisions, table-driven, no database."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from policies.retention import (
    RetentionStep,
    admissible_new_child,
    adults_born_on_or_before,
    archive_due,
    retention_step,
)

TODAY = date(2026, 11, 23)
D = timedelta(days=1)

# (case, born, archived on, died, today, step, archive date)
CASES = [
    ("turns 18 today", date(2008, 11, 23), None, None, TODAY, RetentionStep.ARCHIVE, TODAY),
    (
        "turned 18 yesterday",
        date(2008, 11, 22),
        None,
        None,
        TODAY,
        RetentionStep.ARCHIVE,
        TODAY - D,
    ),
    ("turns 18 tomorrow", date(2008, 11, 24), None, None, TODAY, RetentionStep.KEEP, None),
    ("a baby", date(2026, 11, 1), None, None, TODAY, RetentionStep.KEEP, None),
    (
        "born 29 Feb, 28 Feb of a common year",
        date(2008, 2, 29),
        None,
        None,
        date(2026, 2, 28),
        RetentionStep.KEEP,
        None,
    ),
    (
        "born 29 Feb, 1 Mar of a common year",
        date(2008, 2, 29),
        None,
        None,
        date(2026, 3, 1),
        RetentionStep.ARCHIVE,
        date(2026, 3, 1),
    ),
    (
        "born 29 Feb, 28 Feb 18 years on",
        date(2012, 2, 29),
        None,
        None,
        date(2030, 2, 28),
        RetentionStep.KEEP,
        None,
    ),
    (
        "born 1 Mar, on 29 Feb of a leap year",
        date(2010, 3, 1),
        None,
        None,
        date(2028, 2, 29),
        RetentionStep.KEEP,
        None,
    ),
    (
        "born 28 Feb, on 29 Feb of a leap year",
        date(2010, 2, 28),
        None,
        None,
        date(2028, 2, 29),
        RetentionStep.ARCHIVE,
        date(2028, 2, 28),
    ),
    (
        "archived six years ago today",
        date(2000, 1, 1),
        date(2020, 11, 23),
        None,
        TODAY,
        RetentionStep.DELETE,
        None,
    ),
    (
        "archived six years less a day",
        date(2000, 1, 1),
        date(2020, 11, 24),
        None,
        TODAY,
        RetentionStep.KEEP,
        None,
    ),
    ("archived yesterday", date(2008, 11, 22), TODAY - D, None, TODAY, RetentionStep.KEEP, None),
    (
        "never archived, due over six years ago",
        date(1990, 5, 5),
        None,
        None,
        TODAY,
        RetentionStep.DELETE,
        None,
    ),
    (
        "died a year ago today",
        date(2016, 1, 1),
        None,
        date(2025, 11, 23),
        TODAY,
        RetentionStep.ARCHIVE,
        TODAY,
    ),
    (
        "died a year ago tomorrow",
        date(2016, 1, 1),
        None,
        date(2025, 11, 24),
        TODAY,
        RetentionStep.KEEP,
        None,
    ),
    (
        "died at 17, turned 18 since: the year still holds",
        date(2008, 10, 1),
        None,
        date(2026, 6, 1),
        TODAY,
        RetentionStep.KEEP,
        None,
    ),
    (
        "died at 17, a year has passed",
        date(2008, 1, 1),
        None,
        date(2025, 6, 1),
        TODAY,
        RetentionStep.ARCHIVE,
        date(2026, 6, 1),
    ),
    (
        "died after archiving: nothing new",
        date(2007, 1, 1),
        date(2025, 1, 1),
        date(2026, 1, 1),
        TODAY,
        RetentionStep.KEEP,
        None,
    ),
    (
        "died long ago, past deletion",
        date(2010, 1, 1),
        None,
        date(2012, 1, 1),
        TODAY,
        RetentionStep.DELETE,
        None,
    ),
]


@pytest.mark.parametrize(
    ("case", "born", "archived", "died", "today", "step", "archive_on"),
    CASES,
    ids=[c[0] for c in CASES],
)
def test_retention_step(case, born, archived, died, today, step, archive_on) -> None:
    decision = retention_step(born, archived, died, today)
    assert decision.step is step, decision
    assert decision.archive_on == archive_on
    assert decision.reason.startswith("R16")


def test_the_decision_is_stable_so_a_rerun_does_nothing_new() -> None:
    """After applying ARCHIVE with its date, the same day's decision is KEEP."""
    for _, born, _archived, died, today, step, archive_on in CASES:
        if step is RetentionStep.ARCHIVE:
            assert retention_step(born, archive_on, died, today).step is RetentionStep.KEEP


def test_death_rule_is_reported_as_such() -> None:
    assert retention_step(date(2016, 1, 1), None, date(2025, 11, 23), TODAY).after_death
    assert not retention_step(date(2008, 11, 23), None, None, TODAY).after_death


def test_scan_bound_covers_exactly_the_adults() -> None:
    day = date(2000, 1, 1)
    while day < date(2031, 1, 1):
        bound = adults_born_on_or_before(day)
        assert archive_due(bound, None) <= day < archive_due(bound + timedelta(days=1), None)
        day += timedelta(days=29)
    leap = date(2028, 2, 29)
    bound = adults_born_on_or_before(leap)
    assert archive_due(bound, None) <= leap < archive_due(bound + timedelta(days=1), None)


@pytest.mark.parametrize(
    ("born", "died", "allowed"),
    [
        (date(2009, 1, 1), None, True),
        (date(2008, 11, 24), None, True),
        (date(2008, 11, 23), None, False),
        (date(1990, 1, 1), None, False),
        (date(2016, 1, 1), date(2026, 1, 1), True),
        (date(2016, 1, 1), date(2025, 11, 1), False),
    ],
)
def test_admissible_new_child(born, died, allowed) -> None:
    assert bool(admissible_new_child(born, died, TODAY)) is allowed


def test_browsing_days_outlive_the_longest_access_report() -> None:
    """accessReport looks back at most 366 days; the ledger's days must still be there
    so a subject's authority is known for the whole period."""
    from api.resolvers.monitoring import MAX_PERIOD
    from policies.retention import BROWSING_DAYS_KEPT, browsing_days_forgotten_before

    today = date(2026, 12, 2)
    assert MAX_PERIOD.days < BROWSING_DAYS_KEPT
    assert browsing_days_forgotten_before(today) == today - timedelta(days=BROWSING_DAYS_KEPT)
