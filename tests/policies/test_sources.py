"""R15, R6, R6a, R7: a source changes only what it maintains (policies/sources.py)."""

from __future__ import annotations

from policies.decision import Rule
from policies.sources import may_involve, may_name_holder, may_staff, may_upsert


def test_a_source_writes_a_new_record_or_its_own_and_nobody_elses() -> None:
    assert may_upsert("mis", exists=False, maintainer=None)
    assert may_upsert("mis", exists=True, maintainer="mis")
    assert not may_upsert("mis", exists=True, maintainer="gp")
    assert not may_upsert("mis", exists=True, maintainer=None), "the index team's own"


def test_only_a_services_own_source_staffs_it() -> None:
    assert may_staff("mis", "mis")
    assert not may_staff("mis", "gp")
    assert not may_staff("mis", None)


def test_an_involvement_names_an_index_team_service_or_its_own_and_a_sensitive_one_only_its_own() -> (
    None
):
    assert may_involve("mis", None, sensitive=False)
    assert may_involve("mis", "mis", sensitive=True)
    other = may_involve("mis", "gp", sensitive=False)
    assert not other and other.rule is Rule.R15
    clinic = may_involve("mis", None, sensitive=True)
    assert not clinic and clinic.rule is Rule.R6


def test_a_cafs_holder_works_for_a_service_this_source_maintains() -> None:
    assert may_name_holder("ecaf", "ecaf")
    assert not may_name_holder("ecaf", "gp")
    assert not may_name_holder("ecaf", None), "unknown and the index team's alike"
