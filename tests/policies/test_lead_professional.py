"""policies.lead_professional and policies.record_errors: table tests, no database."""

from __future__ import annotations

from datetime import timedelta

import pytest

from policies.lead_professional import may_lead_from_family, may_record_own, may_stand_down_lead
from policies.record_errors import may_report_record_error, may_work_record_errors
from policies.viewer import Role
from tests.policies.conftest import NOW, TODAY, viewer, years_ago


@pytest.mark.parametrize(
    ("role", "practitioner_id", "allowed"),
    [
        (Role.PRACTITIONER, "p-me", True),
        (Role.SAFEGUARDING_LEAD, "p-me", True),
        (Role.PRACTITIONER, None, False),  # a token naming no practitioner record
        (Role.INDEX_ADMIN, "p-me", False),
        (Role.ANALYST, None, False),
        (Role.FEED, None, False),
    ],
)
def test_who_records_their_own_involvement(role, practitioner_id, allowed) -> None:
    assert bool(may_record_own(viewer(role, practitioner_id))) is allowed


@pytest.mark.parametrize(
    ("is_lead", "involved", "holds", "allowed"),
    [
        (True, False, False, True),  # the lead stands down, involved or not
        (False, True, False, True),
        (False, False, True, True),
        (False, False, False, False),
    ],
)
def test_who_stands_a_lead_down(is_lead, involved, holds, allowed) -> None:
    decision = may_stand_down_lead(
        viewer(), is_lead=is_lead, involved=involved, holds_open_caf=holds, overrides=(), now=NOW
    )
    assert bool(decision) is allowed


def test_an_analyst_never_stands_a_lead_down() -> None:
    analyst = viewer(Role.ANALYST, None)
    decision = may_stand_down_lead(
        analyst, is_lead=True, involved=True, holds_open_caf=True, overrides=(), now=NOW
    )
    assert not decision


@pytest.mark.parametrize(
    ("kind", "carer_pr", "age", "competent", "allowed"),
    [
        ("CARER", True, 8, False, True),
        ("CARER", False, 8, False, False),  # R10: no parental responsibility
        ("CARER", None, 8, False, False),  # not this child's carer
        ("YOUNG_PERSON", None, 16, False, True),
        ("YOUNG_PERSON", None, 14, True, True),
        ("YOUNG_PERSON", None, 14, False, False),
        ("YOUNG_PERSON", None, 11, True, False),
        ("PRACTITIONER", None, 16, True, False),
    ],
)
def test_who_of_the_family_may_lead(kind, carer_pr, age, competent, allowed) -> None:
    decision = may_lead_from_family(
        kind,
        carer_parental_responsibility=carer_pr,
        date_of_birth=years_ago(age) - timedelta(days=1),
        today=TODAY,
        competence_assessed=competent,
    )
    assert bool(decision) is allowed


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (Role.PRACTITIONER, True),
        (Role.SAFEGUARDING_LEAD, True),
        (Role.INDEX_ADMIN, True),
        (Role.ANALYST, False),
        (Role.AUDITOR, False),
        (Role.FEED, False),
    ],
)
def test_who_reports_a_record_error(role, allowed) -> None:
    assert bool(may_report_record_error(viewer(role))) is allowed


@pytest.mark.parametrize(
    ("role", "la", "asked", "allowed"),
    [
        (Role.INDEX_ADMIN, "NBR", None, True),
        (Role.INDEX_ADMIN, "NBR", "NBR", True),
        (Role.INDEX_ADMIN, "NBR", "EVL", False),
        (Role.INDEX_ADMIN, None, None, False),
        (Role.PRACTITIONER, "NBR", "NBR", False),
        (Role.SAFEGUARDING_LEAD, "NBR", None, False),
    ],
)
def test_who_works_the_record_error_queue(role, la, asked, allowed) -> None:
    assert bool(may_work_record_errors(viewer(role, la=la), asked)) is allowed
