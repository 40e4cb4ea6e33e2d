"""R15 matching and the review queue's permissions, table-driven, no database."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from policies.facts import ChildFacts
from policies.matching import (
    Candidate,
    Incoming,
    MatchKind,
    ReviewReason,
    match_child,
    may_create_new_child,
    may_ingest,
    may_match_to_child,
    may_review_matches,
    review_concerns_viewer,
)
from policies.viewer import Role, Viewer

BORN = date(2015, 3, 14)
IN = Incoming("9990001014", "whitlock", "hannah", BORN, "NB47QT")


def child(
    id: str = "c-1",
    nhs: str | None = None,
    family: str = "whitlock",
    given: str = "hannah",
    born: date = BORN,
    postcode: str = "NB47QT",
    shielded: bool = False,
) -> Candidate:
    return Candidate(id, nhs, family, given, born, postcode, shielded)


SAME = child()
SAME_WITH_NHS = child(nhs="9990001014")
OTHER_NHS = child(nhs="9990001022")
MOVED = child(postcode="EV25HD")
SHIELDED_MOVED = child(postcode="EV25HD", shielded=True)

# (case, incoming, known, by NHS number, by family name and birth, kind, child, reason)
CASES = [
    (
        "known ref updates its child",
        IN,
        SAME_WITH_NHS,
        [SAME_WITH_NHS],
        [],
        MatchKind.UPDATE,
        "c-1",
        None,
    ),
    ("known ref, number added", IN, SAME, [], [], MatchKind.UPDATE, "c-1", None),
    (
        "known ref, new name and address",
        replace(IN, family_name_key="smith", postcode_key="SW1A1AA"),
        SAME,
        [],
        [],
        MatchKind.UPDATE,
        "c-1",
        None,
    ),
    (
        "known ref, number contradicts",
        IN,
        OTHER_NHS,
        [],
        [],
        MatchKind.REVIEW,
        None,
        ReviewReason.NHS_NUMBER_CONFLICT,
    ),
    (
        "known ref, number belongs to another child",
        IN,
        SAME,
        [child("c-2", nhs="9990001014")],
        [],
        MatchKind.REVIEW,
        None,
        ReviewReason.NHS_NUMBER_CONFLICT,
    ),
    ("same NHS number", IN, None, [SAME_WITH_NHS], [], MatchKind.UPDATE, "c-1", None),
    (
        "same NHS number, other names and address",
        IN,
        None,
        [child(nhs="9990001014", family="price", given="sam", postcode="EV25HD")],
        [],
        MatchKind.UPDATE,
        "c-1",
        None,
    ),
    (
        "same NHS number, other date of birth",
        IN,
        None,
        [child(nhs="9990001014", born=date(2016, 1, 1))],
        [],
        MatchKind.REVIEW,
        None,
        ReviewReason.NHS_NUMBER_CONFLICT,
    ),
    (
        "NHS number held twice",
        IN,
        None,
        [SAME_WITH_NHS, child("c-2", nhs="9990001014")],
        [],
        MatchKind.REVIEW,
        None,
        ReviewReason.AMBIGUOUS,
    ),
    ("four keys, candidate has no number", IN, None, [], [SAME], MatchKind.UPDATE, "c-1", None),
    (
        "four keys, no number either side",
        replace(IN, nhs_number=None),
        None,
        [],
        [SAME_WITH_NHS],
        MatchKind.UPDATE,
        "c-1",
        None,
    ),
    (
        "four keys, different NHS number",
        IN,
        None,
        [],
        [OTHER_NHS],
        MatchKind.REVIEW,
        None,
        ReviewReason.NHS_NUMBER_CONFLICT,
    ),
    (
        "four keys twice",
        replace(IN, nhs_number=None),
        None,
        [],
        [SAME, child("c-2")],
        MatchKind.REVIEW,
        None,
        ReviewReason.AMBIGUOUS,
    ),
    (
        "four keys and a possible match",
        replace(IN, nhs_number=None),
        None,
        [],
        [SAME, replace(MOVED, child_id="c-2")],
        MatchKind.REVIEW,
        None,
        ReviewReason.AMBIGUOUS,
    ),
    (
        "another postcode: possible match",
        replace(IN, nhs_number=None),
        None,
        [],
        [MOVED],
        MatchKind.REVIEW,
        None,
        ReviewReason.POSSIBLE_MATCH,
    ),
    (
        "another postcode, shielded: same answer",
        replace(IN, nhs_number=None),
        None,
        [],
        [SHIELDED_MOVED],
        MatchKind.REVIEW,
        None,
        ReviewReason.POSSIBLE_MATCH,
    ),
    (
        "shielded, same postcode: still review, never an update (R4 no oracle)",
        replace(IN, nhs_number=None),
        None,
        [],
        [child(shielded=True)],
        MatchKind.REVIEW,
        None,
        ReviewReason.POSSIBLE_MATCH,
    ),
    (
        "shielded without a number, record with one, same postcode",
        IN,
        None,
        [],
        [child(shielded=True)],
        MatchKind.REVIEW,
        None,
        ReviewReason.POSSIBLE_MATCH,
    ),
    (
        "shielded without a number, record with one, another postcode",
        IN,
        None,
        [],
        [SHIELDED_MOVED],
        MatchKind.REVIEW,
        None,
        ReviewReason.POSSIBLE_MATCH,
    ),
    (
        "shielded, another NHS number, same postcode",
        IN,
        None,
        [],
        [child(nhs="9990001022", shielded=True)],
        MatchKind.REVIEW,
        None,
        ReviewReason.NHS_NUMBER_CONFLICT,
    ),
    (
        "shielded, another NHS number, another postcode: review, never a duplicate",
        IN,
        None,
        [],
        [replace(SHIELDED_MOVED, nhs_number="9990001022")],
        MatchKind.REVIEW,
        None,
        ReviewReason.NHS_NUMBER_CONFLICT,
    ),
    (
        "shielded and unshielded, the postcode fits the unshielded one",
        replace(IN, nhs_number=None),
        None,
        [],
        [SHIELDED_MOVED, child("c-2")],
        MatchKind.REVIEW,
        None,
        ReviewReason.AMBIGUOUS,
    ),
    (
        "shielded and unshielded, the postcode fits the shielded one",
        replace(IN, nhs_number=None, postcode_key="EV25HD"),
        None,
        [],
        [SHIELDED_MOVED, child("c-2")],
        MatchKind.REVIEW,
        None,
        ReviewReason.AMBIGUOUS,
    ),
    (
        "two shielded",
        replace(IN, nhs_number=None),
        None,
        [],
        [SHIELDED_MOVED, child("c-2", shielded=True)],
        MatchKind.REVIEW,
        None,
        ReviewReason.AMBIGUOUS,
    ),
    (
        "shielded, known ref: this source's own record updates it",
        replace(IN, postcode_key="SW1A1AA"),
        SHIELDED_MOVED,
        [],
        [SHIELDED_MOVED],
        MatchKind.UPDATE,
        "c-1",
        None,
    ),
    (
        "shielded, same NHS number: updates it, whatever the postcode",
        replace(IN, postcode_key="SW1A1AA"),
        None,
        [replace(SHIELDED_MOVED, nhs_number="9990001014")],
        [replace(SHIELDED_MOVED, nhs_number="9990001014")],
        MatchKind.UPDATE,
        "c-1",
        None,
    ),
    (
        "shielded, another given name: a sibling, created as beside anyone",
        IN,
        None,
        [],
        [child(given="sam", shielded=True)],
        MatchKind.CREATE,
        None,
        None,
    ),
    (
        "another postcode, different numbers: two children",
        IN,
        None,
        [],
        [replace(MOVED, nhs_number="9990001022")],
        MatchKind.CREATE,
        None,
        None,
    ),
    (
        "another given name: a sibling",
        IN,
        None,
        [],
        [child(given="jack")],
        MatchKind.CREATE,
        None,
        None,
    ),
    ("nothing alike", IN, None, [], [], MatchKind.CREATE, None, None),
]


@pytest.mark.parametrize(
    ("case", "incoming", "known", "by_nhs", "by_name", "kind", "child_id", "reason"),
    CASES,
    ids=[c[0] for c in CASES],
)
def test_match_child(case, incoming, known, by_nhs, by_name, kind, child_id, reason) -> None:
    outcome = match_child(incoming, known=known, by_nhs_number=by_nhs, by_name_and_birth=by_name)
    assert outcome.kind is kind, outcome
    assert outcome.child_id == child_id
    assert outcome.review_reason == reason
    assert "R15" in outcome.reason.partition(":")[0]
    if kind is MatchKind.REVIEW:
        assert outcome.candidate_ids, "a review always names whom it might be"


def test_a_match_to_a_shielded_child_protects_its_whereabouts() -> None:
    shielded = child(nhs="9990001014", shielded=True, postcode="EV25HD")
    outcome = match_child(IN, known=None, by_nhs_number=[shielded], by_name_and_birth=[])
    assert outcome.kind is MatchKind.UPDATE and outcome.protect_whereabouts
    plain = match_child(IN, known=None, by_nhs_number=[SAME_WITH_NHS], by_name_and_birth=[])
    assert not plain.protect_whereabouts
    known = match_child(IN, known=shielded, by_nhs_number=[shielded], by_name_and_birth=[])
    assert known.kind is MatchKind.UPDATE and known.protect_whereabouts


def test_a_shielded_child_is_never_answered_with_create() -> None:
    """Whatever postcode or spelling of the address a source holds (R4/R15)."""
    shielded = child(shielded=True, postcode="EV25HD")
    for postcode in ("NB47QT", "EV25HD", "SW1A1AA"):
        for nhs in (None, "9990001014"):
            incoming = replace(IN, postcode_key=postcode, nhs_number=nhs)
            outcome = match_child(
                incoming, known=None, by_nhs_number=[], by_name_and_birth=[shielded]
            )
            assert outcome.kind is not MatchKind.CREATE, (postcode, nhs)


# R4 no oracle, exhaustively: every mix of candidates and record, answered once with the
# shielded candidates at the record's postcode and once elsewhere. Nothing may differ.
_NUMBERS = (None, "9990001014", "9990001022")
_RECORDS = [
    replace(IN, nhs_number=nhs, given_name_key=given, postcode_key=postcode)
    for nhs in _NUMBERS
    for given in ("hannah", "sam")
    for postcode in ("NB47QT", "SW1A1AA")
]
_MIXES = [
    [("s-1", None, True)],
    [("s-1", "9990001014", True)],
    [("s-1", "9990001022", True)],
    [("s-1", None, True), ("u-1", None, False)],
    [("s-1", None, True), ("u-1", "9990001022", False)],
    [("s-1", "9990001022", True), ("u-1", "9990001014", False)],
    [("s-1", None, True), ("s-2", None, True)],
    [("s-1", None, True), ("u-1", None, False), ("u-2", None, False)],
]


def _outcome(incoming: Incoming, mix, shielded_postcode: str, known: bool) -> tuple:
    people = [
        child(
            id,
            nhs=nhs,
            postcode=(shielded_postcode if shielded else "NB47QT"),
            shielded=shielded,
        )
        for id, nhs, shielded in mix
    ]
    by_nhs = [c for c in people if incoming.nhs_number and c.nhs_number == incoming.nhs_number]
    outcome = match_child(
        incoming,
        known=people[0] if known else None,
        by_nhs_number=by_nhs,
        by_name_and_birth=people,
    )
    return (
        outcome.kind,
        outcome.child_id,
        outcome.review_reason,
        outcome.candidate_ids,
        outcome.reason,
        outcome.protect_whereabouts,
    )


@pytest.mark.parametrize("mix", _MIXES, ids=lambda m: "+".join(i for i, _, _ in m))
@pytest.mark.parametrize("known", [False, True], ids=["new ref", "known ref"])
def test_no_outcome_depends_on_a_shielded_childs_postcode(mix, known) -> None:
    for incoming in _RECORDS:
        at_theirs = _outcome(incoming, mix, incoming.postcode_key, known)
        elsewhere = _outcome(incoming, mix, "EV25HD", known)
        assert at_theirs == elsewhere, incoming
        if not known and any(s for _, _, s in mix if s):
            same_names = incoming.given_name_key == "hannah"
            numbered = {n for _, n, _ in mix}
            if same_names and (incoming.nhs_number is None or incoming.nhs_number not in numbered):
                assert at_theirs[0] is MatchKind.REVIEW, (incoming, mix)


def _viewer(role: Role, la: str | None = "NBR", source: str | None = None) -> Viewer:
    return Viewer("someone", frozenset({role}), None, la, source)


@pytest.mark.parametrize(
    ("viewer", "source", "allowed"),
    [
        (_viewer(Role.FEED, None, "school-mis"), "school-mis", True),
        (_viewer(Role.FEED, None, "school-mis"), "gp-system", False),
        (_viewer(Role.FEED, None, None), "school-mis", False),
        (_viewer(Role.FEED, None, ""), "", False),
        (_viewer(Role.INDEX_ADMIN, "NBR", "school-mis"), "school-mis", False),
        (_viewer(Role.PRACTITIONER), "school-mis", False),
    ],
)
def test_may_ingest(viewer, source, allowed) -> None:
    assert bool(may_ingest(viewer, source)) is allowed


def _facts(la: str, shielded: bool = False) -> ChildFacts:
    return ChildFacts("c", "A", "B", BORN, "MALE", shielded, la, None)


def test_review_queue_permissions() -> None:
    nbr = _viewer(Role.INDEX_ADMIN, "NBR")
    assert may_review_matches(nbr)
    assert not may_review_matches(_viewer(Role.INDEX_ADMIN, None))
    assert not may_review_matches(_viewer(Role.SAFEGUARDING_LEAD))
    assert review_concerns_viewer(nbr, "NBR", [])
    assert review_concerns_viewer(nbr, "EVL", [_facts("NBR")])
    assert not review_concerns_viewer(nbr, "EVL", [_facts("EVL")])
    assert may_match_to_child(nbr, _facts("NBR"))
    assert not may_match_to_child(nbr, _facts("EVL"))
    assert may_create_new_child(nbr, [_facts("EVL"), _facts("NBR", shielded=True)])
    assert not may_create_new_child(nbr, [_facts("EVL", shielded=True)])
