"""R7 and R8, table-driven: who reads and changes a CAF, and what consent must stand first."""

from __future__ import annotations

from datetime import timedelta

import pytest

from policies.assessments import (
    CAF_ELEMENTS,
    AssessmentAccessFacts,
    canonical_element,
    is_open,
    may_appoint_lead,
    may_be_lead,
    may_change_assessment,
    may_join_team,
    may_read_assessment,
    may_start_assessment,
    may_update_action,
    store_consent,
)
from policies.facts import ConsentFact
from policies.viewer import Role
from tests.policies.conftest import NOW, TODAY, grant, override, viewer, years_ago

CAF = "caf-1"


@pytest.mark.parametrize(
    ("domain", "element", "expected"),
    [
        ("DEVELOPMENT_OF_CHILD", "Health", "Health"),
        ("DEVELOPMENT_OF_CHILD", "  learning ", "Learning"),
        (
            "DEVELOPMENT_OF_CHILD",
            "Identity, including self-esteem, self-image and social presentation",
            "Identity",
        ),
        ("PARENTS_AND_CARERS", "basic care", "Basic care, ensuring safety and protection"),
        ("PARENTS_AND_CARERS", "Guidance", "Guidance, boundaries and stimulation"),
        ("FAMILY_AND_ENVIRONMENT", "HOUSING", "Housing, employment and financial considerations"),
        (
            "FAMILY_AND_ENVIRONMENT",
            "Social and community elements and resources, including education",
            "Social and community elements and resources",
        ),
        ("FAMILY_AND_ENVIRONMENT", "Health", None),  # an element of another domain
        ("PARENTS_AND_CARERS", "Housing", None),
        ("DEVELOPMENT_OF_CHILD", "", None),
        ("DEVELOPMENT_OF_CHILD", "Heal", None),  # no prefix matching
        ("NOT_A_DOMAIN", "Health", None),
    ],
)
def test_canonical_element(domain: str, element: str, expected: str | None) -> None:
    assert canonical_element(domain, element) == expected


def test_table_one_has_its_fourteen_elements() -> None:
    assert {d: len(e) for d, e in CAF_ELEMENTS.items()} == {
        "DEVELOPMENT_OF_CHILD": 7,
        "PARENTS_AND_CARERS": 3,
        "FAMILY_AND_ENVIRONMENT": 4,
    }


def store_grant(purpose: str, **kw: object) -> ConsentFact:
    defaults: dict[str, object] = {
        "id": f"g-{purpose}",
        "purpose": purpose,
        "covers": frozenset(),
        "to_practitioners": frozenset(),
    }
    defaults.update(kw)
    return grant(**defaults)  # type: ignore[arg-type]


def both(**kw: object) -> list[ConsentFact]:
    return [store_grant("UNDERTAKE_ASSESSMENT", **kw), store_grant("STORE_ASSESSMENT", **kw)]


STORE_CASES = [
    ("both active, the child's own at 15", both(), 15, True),
    ("only undertake", [store_grant("UNDERTAKE_ASSESSMENT")], 15, False),
    ("store withdrawn", [both()[0], store_grant("STORE_ASSESSMENT", state="WITHDRAWN")], 15, False),
    (
        "store expired",
        [both()[0], store_grant("STORE_ASSESSMENT", expires=TODAY - timedelta(days=1))],
        15,
        False,
    ),
    ("addressed to someone else", both(to_practitioners=frozenset({"p-other"})), 15, False),
    ("addressed to the viewer's service", both(to_services=frozenset({"s-school"})), 15, True),
    ("covering another CAF", both(covers_assessment="caf-other"), 15, False),
    ("9-year-old's own", both(), 9, False),
    (
        "carer with parental responsibility for a 9-year-old",
        both(by_child=False, carer_pr=True),
        9,
        True,
    ),
    ("carer without parental responsibility", both(by_child=False, carer_pr=False), 9, False),
    (
        "a competent child's refusal outweighs her mother's grant",
        [
            *both(by_child=False, carer_pr=True),
            store_grant("STORE_ASSESSMENT", id="r", state="REFUSED"),
        ],
        15,
        False,
    ),
    (
        "an untested 14-year-old's refusal does not",
        [
            *both(by_child=False, carer_pr=True),
            store_grant("STORE_ASSESSMENT", id="r", state="REFUSED", competent=False),
        ],
        14,
        True,
    ),
    (
        "a refusal about another CAF does not reach a new one",
        [
            *both(by_child=False, carer_pr=True),
            store_grant("STORE_ASSESSMENT", id="r", state="REFUSED", covers_assessment="caf-old"),
        ],
        15,
        True,
    ),
]


@pytest.mark.parametrize(
    ("description", "records", "age", "allowed"), STORE_CASES, ids=[c[0] for c in STORE_CASES]
)
def test_store_consent(description: str, records: list, age: int, allowed: bool) -> None:
    decision = store_consent(viewer(), records, years_ago(age, 30), TODAY)
    assert decision.allowed is allowed, decision.reason
    assert decision.reason.startswith("R8")


def test_start_counts_only_the_named_consents() -> None:
    records = both()
    ids = frozenset(r.id for r in records)
    dob = years_ago(15, 30)
    assert may_start_assessment(viewer(), ids, records, dob, TODAY)
    assert not may_start_assessment(viewer(), frozenset({records[0].id}), records, dob, TODAY)
    assert not may_start_assessment(viewer(), frozenset(), records, dob, TODAY)


def test_later_writes_accept_consent_covering_this_caf() -> None:
    records = both(covers_assessment=CAF)
    dob = years_ago(15, 30)
    assert store_consent(viewer(), records, dob, TODAY, assessment_id=CAF)
    assert not store_consent(viewer(), records, dob, TODAY, assessment_id="caf-2")


def share(**kw: object) -> ConsentFact:
    defaults: dict[str, object] = {
        "id": "g-share",
        "purpose": "SHARE_ASSESSMENT",
        "covers": frozenset(),
        "covers_assessment": CAF,
        "to_practitioners": frozenset({"p-lee"}),
    }
    defaults.update(kw)
    return grant(**defaults)  # type: ignore[arg-type]


JOIN_CASES = [
    ("granted to the member", [share()], frozenset(), True),
    (
        "granted to the member's service",
        [share(to_practitioners=frozenset(), to_services=frozenset({"s-youth"}))],
        frozenset({"s-youth"}),
        True,
    ),
    (
        "granted to another service",
        [share(to_practitioners=frozenset(), to_services=frozenset({"s-housing"}))],
        frozenset({"s-youth"}),
        False,
    ),
    (
        "granted to someone else",
        [share(to_practitioners=frozenset({"p-steve"}))],
        frozenset(),
        False,
    ),
    ("covering another CAF", [share(covers_assessment="caf-2")], frozenset(), False),
    ("withdrawn", [share(state="WITHDRAWN")], frozenset(), False),
    ("wrong purpose", [share(purpose="STORE_ASSESSMENT")], frozenset(), False),
    (
        "refused by the competent child afterwards",
        [
            share(by_child=False, carer_pr=True),
            share(id="r", state="REFUSED", to_practitioners=frozenset()),
        ],
        frozenset(),
        False,
    ),
]


@pytest.mark.parametrize(
    ("description", "records", "services", "allowed"), JOIN_CASES, ids=[c[0] for c in JOIN_CASES]
)
def test_may_join_team(description: str, records: list, services: frozenset, allowed: bool) -> None:
    decision = may_join_team("p-lee", services, records, years_ago(15, 30), TODAY, CAF)
    assert decision.allowed is allowed, decision.reason


def access(
    team: frozenset[str] = frozenset({"p-holder", "p-me"}),
    consents: tuple[ConsentFact, ...] = (),
    overrides: tuple = (),
) -> AssessmentAccessFacts:
    return AssessmentAccessFacts(CAF, "p-holder", team, years_ago(15, 30), consents, overrides)


READ_CASES = [
    ("the holder", viewer(practitioner_id="p-holder"), access(), True),
    (
        "a team member with consent",
        viewer(),
        access(consents=(share(to_practitioners=frozenset({"p-me"})),)),
        True,
    ),
    ("a team member without consent", viewer(), access(), False),
    (
        "consent but not in the team",
        viewer(),
        access(
            team=frozenset({"p-holder"}), consents=(share(to_practitioners=frozenset({"p-me"})),)
        ),
        False,
    ),
    (
        "a team member whose consent was withdrawn",
        viewer(),
        access(consents=(share(to_practitioners=frozenset({"p-me"}), state="WITHDRAWN"),)),
        False,
    ),
    ("under an override", viewer(), access(team=frozenset(), overrides=(override(),)), True),
    (
        "under an expired override",
        viewer(),
        access(team=frozenset(), overrides=(override(hours_ago=73),)),
        False,
    ),
]


@pytest.mark.parametrize(
    ("description", "who", "facts", "allowed"), READ_CASES, ids=[c[0] for c in READ_CASES]
)
def test_may_read_assessment(description: str, who, facts, allowed: bool) -> None:
    assert may_read_assessment(who, facts, NOW).allowed is allowed


def test_an_override_opens_the_caf_only_to_its_recorder() -> None:
    facts = access(team=frozenset(), overrides=(override(practitioner_id="p-x"),))
    # The override's subject is "me": it is this viewer's even under another practitioner id.
    assert may_read_assessment(viewer(), facts, NOW)
    assert not may_read_assessment(viewer(subject="someone-else"), facts, NOW)


def test_only_the_holder_changes_an_open_caf() -> None:
    assert may_change_assessment(viewer(practitioner_id="p-holder"), access())
    assert not may_change_assessment(viewer(), access())
    assert not may_change_assessment(viewer(practitioner_id=None), access())
    assert is_open("OPEN")
    assert not is_open("CLOSED") and not is_open("TRANSFERRED_TO_SOCIAL_CARE")


def test_who_updates_an_action() -> None:
    consented = access(consents=(share(to_practitioners=frozenset({"p-me"})),))
    assert may_update_action(viewer(practitioner_id="p-holder"), access(), "p-anyone", NOW)
    assert may_update_action(viewer(), consented, "p-me", NOW)
    assert not may_update_action(viewer(), consented, "p-holder", NOW)  # not their action
    assert not may_update_action(viewer(), consented, None, NOW)
    assert not may_update_action(viewer(), access(), "p-me", NOW)  # consent gone
    left = access(team=frozenset({"p-holder"}), consents=consented.consents)
    assert not may_update_action(viewer(), left, "p-me", NOW)  # no longer in the team


def test_who_appoints_a_lead_professional_and_who_may_be_one() -> None:
    me = viewer()
    assert may_appoint_lead(me, involved=True, holds_open_caf=False, overrides=(), now=NOW)
    assert may_appoint_lead(me, involved=False, holds_open_caf=True, overrides=(), now=NOW)
    assert may_appoint_lead(
        me, involved=False, holds_open_caf=False, overrides=(override(),), now=NOW
    )
    assert not may_appoint_lead(me, involved=False, holds_open_caf=False, overrides=(), now=NOW)
    admin = viewer(role=Role.INDEX_ADMIN, practitioner_id=None)
    assert not may_appoint_lead(admin, involved=True, holds_open_caf=True, overrides=(), now=NOW)
    assert may_be_lead(involvement_visible=True, in_open_team=False)
    assert may_be_lead(involvement_visible=False, in_open_team=True)
    assert not may_be_lead(involvement_visible=False, in_open_team=False)
