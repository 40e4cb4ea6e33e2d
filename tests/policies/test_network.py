"""R12 network tracing and its R4 line, table-driven, no database."""

from __future__ import annotations

import pytest

from policies import network
from policies.network import (
    CARES_FOR,
    LIVES_WITH,
    SHARES_ADDRESS,
    SHARES_CARER,
    CarerTie,
    RawLink,
)
from policies.viewer import Role
from tests.policies.conftest import viewer


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (Role.SAFEGUARDING_LEAD, True),
        (Role.PRACTITIONER, False),
        (Role.ANALYST, False),
        (Role.INDEX_ADMIN, False),
        (Role.FEED, False),
        (Role.AUDITOR, False),
    ],
)
def test_only_safeguarding_leads_trace(role: Role, allowed: bool) -> None:
    assert network.may_trace(viewer(role)).allowed is allowed


@pytest.mark.parametrize(
    ("depth", "allowed"), [(-1, False), (0, False), (1, True), (2, True), (3, True), (4, False)]
)
def test_depth(depth: int, allowed: bool) -> None:
    assert network.check_depth(depth).allowed is allowed


@pytest.mark.parametrize(
    ("reason", "allowed"),
    [
        ("", False),
        ("   \n\t", False),
        ("Section 47 enquiry for Hannah", True),
        ("x" * network.MAX_REASON, True),
        ("x" * (network.MAX_REASON + 1), False),
    ],
)
def test_reason(reason: str, allowed: bool) -> None:
    assert network.check_reason(reason).allowed is allowed


SHIELDED = frozenset({"c-sam"})

LINK_CASES = [
    ("address between visible children", RawLink("c-a", "c-b", SHARES_ADDRESS), True),
    ("address to a shielded child", RawLink("c-a", "c-sam", SHARES_ADDRESS), False),
    ("address from a shielded child", RawLink("c-sam", "c-a", SHARES_ADDRESS), False),
    ("carer between visible children", RawLink("c-a", "c-b", SHARES_CARER, "k", True, True), True),
    # R4: who cares for a shielded child is withheld on every path, wherever they live.
    ("carer not living with the shielded child",
     RawLink("c-a", "c-sam", SHARES_CARER, "k-karen", True, False), False),
    ("carer living with the shielded child",
     RawLink("c-a", "c-sam", SHARES_CARER, "k-father", False, True), False),
    ("shielded child first, carer lives with them",
     RawLink("c-sam", "c-a", SHARES_CARER, "k-father", True, False), False),
    ("residence unknown counts as living together",
     RawLink("c-a", "c-sam", SHARES_CARER, "k", True, None), False),
    ("unknown kind", RawLink("c-a", "c-b", "SHARES_SCHOOL"), False),
]  # fmt: skip


@pytest.mark.parametrize(("name", "link", "allowed"), LINK_CASES)
def test_links_and_shielding(name: str, link: RawLink, allowed: bool) -> None:
    assert network.link_allowed(link, SHIELDED).allowed is allowed, name


# Hannah's family as the graph holds it: Karen cares for all four and lives with three;
# Sam lives with his father, who also has a daughter at his address (c-nina).
HANNAH = [
    RawLink("c-hannah", "c-jack", SHARES_CARER, "k-karen", True, True),
    RawLink("c-hannah", "c-ellie", SHARES_CARER, "k-karen", True, True),
    RawLink("c-ellie", "c-jack", SHARES_CARER, "k-karen", True, True),
    RawLink("c-hannah", "c-sam", SHARES_CARER, "k-karen", True, False),
    RawLink("c-ellie", "c-sam", SHARES_CARER, "k-karen", True, False),
    RawLink("c-jack", "c-sam", SHARES_CARER, "k-karen", True, False),
    RawLink("c-hannah", "c-jack", SHARES_ADDRESS),
    RawLink("c-hannah", "c-ellie", SHARES_ADDRESS),
    RawLink("c-ellie", "c-jack", SHARES_ADDRESS),
    RawLink("c-nina", "c-sam", SHARES_CARER, "k-father", True, True),
    RawLink("c-nina", "c-sam", SHARES_ADDRESS),
    RawLink("c-nina", "c-omar", SHARES_ADDRESS),
]


def test_hannahs_family_via_her_mother_with_sam_still_shielded() -> None:
    traced = network.trace("c-hannah", 3, HANNAH, SHIELDED)
    # R4: Karen is one of Sam's carers; that is withheld on every path, so no link of
    # hers reaches him.
    assert traced.distance == {"c-hannah": 0, "c-ellie": 1, "c-jack": 1}
    kinds = {(link.source, link.target, link.kind, link.via) for link in traced.links}
    assert not any("c-sam" in (link.source, link.target) for link in traced.links)
    assert ("c-hannah", "c-jack", SHARES_CARER, "k-karen") in kinds
    assert ("c-hannah", "c-jack", SHARES_ADDRESS, None) in kinds
    assert not any(link.kind == SHARES_ADDRESS and "c-sam" in (link.source, link.target)
                   for link in traced.links)  # fmt: skip
    # Sam's father lives with him: nobody is reached through the father, or Sam's address.
    assert "c-nina" not in traced.distance and "c-omar" not in traced.distance
    refused = {(r.a, r.b, r.kind) for r in traced.withheld}
    assert ("c-hannah", "c-sam", SHARES_CARER) in refused


def test_shield_lifted_for_this_lead_follows_every_link() -> None:
    traced = network.trace("c-hannah", 3, HANNAH, frozenset())
    assert traced.distance["c-nina"] == 2
    assert traced.distance["c-omar"] == 3
    assert ("c-sam", "c-nina", SHARES_CARER, "k-father") in {
        (x.source, x.target, x.kind, x.via) for x in traced.links
    }


def test_shielded_root_uses_neither_its_address_nor_a_resident_carer() -> None:
    traced = network.trace("c-sam", 3, HANNAH, SHIELDED)
    assert set(traced.distance) == {"c-sam"}


@pytest.mark.parametrize(("depth", "reached"), [(1, {"c-a", "c-b"}), (2, {"c-a", "c-b", "c-c"})])
def test_depth_limits_the_walk(depth: int, reached: set[str]) -> None:
    chain = [RawLink("c-a", "c-b", SHARES_ADDRESS), RawLink("c-b", "c-c", SHARES_ADDRESS),
             RawLink("c-c", "c-d", SHARES_ADDRESS)]  # fmt: skip
    assert set(network.trace("c-a", depth, chain, frozenset()).distance) == reached


def test_links_only_between_reached_children_oriented_from_the_root() -> None:
    chain = [RawLink("c-c", "c-b", SHARES_ADDRESS), RawLink("c-c", "c-d", SHARES_ADDRESS),
             RawLink("c-a", "c-b", SHARES_ADDRESS)]  # fmt: skip
    traced = network.trace("c-a", 2, chain, frozenset())
    assert [(x.source, x.target) for x in traced.links] == [("c-a", "c-b"), ("c-b", "c-c")]


def test_the_answer_is_capped() -> None:
    star = [RawLink("c-root", f"c-{i:03d}", SHARES_ADDRESS) for i in range(50)]
    traced = network.trace("c-root", 1, star, frozenset(), limit=10)
    assert len(traced.distance) == 10
    assert traced.truncated


TIE_CASES = [
    ("cares for a visible child", CarerTie("c-a", CARES_FOR, lives_with_child=True), True),
    ("cares for a shielded child, lives elsewhere", CarerTie("c-sam", CARES_FOR, False), False),
    ("cares for a shielded child, lives with him", CarerTie("c-sam", CARES_FOR, True), False),
    ("cares for a shielded child, residence unknown", CarerTie("c-sam", CARES_FOR, None), False),
    ("household of a visible child", CarerTie("c-b", LIVES_WITH, via="c-a"), True),
    ("household found through a shielded child's address",
     CarerTie("c-b", LIVES_WITH, via="c-sam"), False),
    ("a shielded child in the carer's household", CarerTie("c-sam", LIVES_WITH, via="c-a"), False),
    ("unknown tie", CarerTie("c-a", "KNOWS"), False),
]  # fmt: skip


@pytest.mark.parametrize(("name", "tie", "allowed"), TIE_CASES)
def test_carer_ties(name: str, tie: CarerTie, allowed: bool) -> None:
    assert network.carer_tie_allowed(tie, SHIELDED).allowed is allowed, name
