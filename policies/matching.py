"""R15: which child an incoming UPSERT_CHILD record is about, or that a person must decide.

A feed record about a child either updates a child already on the index, creates a
new one, or is held for review by the index team. The rule (R15, feeds.md):

1. A record whose (source, sourceRef) the index already knows updates the child that
   sourceRef was resolved to before: the source is correcting its own record (a new
   surname, a house move). The one exception is an NHS number that contradicts the
   index: a different NHS number on that child, or one that already belongs to
   another child. That is a conflict, and conflicts go to review.
2. Otherwise match on the NHS number. One child with that number and the same date
   of birth is a match. Two or more children with one number (dirty data), or one
   whose date of birth differs (a mistyped number that still passes the modulus 11
   check), go to review: an NHS number is strong evidence, not proof.
3. Otherwise match on the exact normalised family name, given name, date of birth
   and postcode (graph.keys: case, spaces, punctuation and accents ignored; nothing
   fuzzy). One candidate is a match. Two or more go to review. A candidate with the
   same four keys but a different NHS number is a conflict (twins do not share a
   given name), and goes to review.
4. Otherwise a new child.

Never merged by guess, and never duplicated by guess either: a child with the same
family name, given name and date of birth but another postcode is a *possible* match
(a family that moved, or a record from before a move), so it goes to review too,
unless both records carry NHS numbers and they differ (then they are two children).

Shielded children (R4). A shielded child has usually moved somewhere a person who
means them harm must not find. Source systems that are not in the secret still hold
the old address, so an exact four-key match would fail and rule 4 would quietly
create a second, *unshielded* record of the child at the old address: the worst
outcome there is. And R4's no-oracle rule: nothing a feed observes may change with
whether the postcode or address it sent is a shielded child's. Were rule 3 applied
to a shielded child as to any other, a feed holding the child's names and date of
birth could try postcodes until one came back `accepted` instead of
`pendingMatchReview`. So for a shielded child rule 3 is replaced by:

3s. A shielded child with the same family name, given name and date of birth is a
    candidate for review, *whatever the postcode* and whatever NHS number the record
    carries (a different one may be a mistyping that passed the check digit, and then
    rule 4 would create the unshielded duplicate). The shielded child's postcode is
    never compared at all, so no outcome can depend on it. Only rule 1 (this source's
    own record of the child) and rule 2 (its NHS number) place a record on a shielded
    child without a person: both decide on identifiers, never on where the child is.

Every variant then answers the same whether or not the address is the shielded
child's: names and date of birth alike, with or without an NHS number, goes to
review; a given name that differs is another child (rule 4, created, as beside any
child; put at a shielded child's address, that write alerts the index team under
R4's household rule, see graph/ingest.py); with an unshielded candidate as well, it
goes to review (ambiguous) whichever of them the postcode fits. The review's reason
and candidates, which an index team of another authority may see, do not depend on
the shielded child's postcode either. What the feed can still learn is what the
identifiers say: that a child with those names and date of birth exists whom a
person must place, which is also the answer for any child who has moved, and, with
an NHS number, whether it is that child's (rule 2, as for every child); never where
that child lives.

A record that matches a shielded child updates only what does not say where the
child is: names, date of birth, gender, NHS number and date of death. Address,
postcode and local authority stay as the index team set them, because an ordinary
source system may hold a stale address, and overwriting the protected one would
both lose it and let a routine feed move a shielded child's record to another local
authority's index team. The `shielded` flag itself is never set or cleared by a
feed. Nothing about the match (which child, whether shielded) is reported back to
the source: the ingest report holds counts and the source's own references only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from policies.decision import Decision, allow, deny
from policies.facts import ChildFacts
from policies.viewer import Role, Viewer

__all__ = [
    "Candidate",
    "Incoming",
    "MatchKind",
    "MatchOutcome",
    "ReviewReason",
    "ReviewStatus",
    "match_child",
    "may_create_new_child",
    "may_ingest",
    "may_match_to_child",
    "may_review_matches",
    "review_concerns_viewer",
]


class MatchKind(StrEnum):
    UPDATE = "UPDATE"
    CREATE = "CREATE"
    REVIEW = "REVIEW"


class ReviewReason(StrEnum):
    """Why a record is held for a person to decide; shown to INDEX_ADMIN only."""

    AMBIGUOUS = "AMBIGUOUS"  # two or more children fit equally well
    NHS_NUMBER_CONFLICT = "NHS_NUMBER_CONFLICT"  # the NHS number contradicts the index
    # Same names and birth date, and the address does not settle it: another postcode,
    # or a shielded child's, which is never compared (R4).
    POSSIBLE_MATCH = "POSSIBLE_MATCH"


class ReviewStatus(StrEnum):
    """Where a held record stands: PENDING until an index team resolves it, or SUPERSEDED
    when the source sends the record again and it is matched afresh."""

    PENDING = "PENDING"
    RESOLVED = "RESOLVED"
    SUPERSEDED = "SUPERSEDED"


@dataclass(frozen=True, slots=True)
class Incoming:
    """The keys of an incoming UPSERT_CHILD record, normalised by graph.keys."""

    nhs_number: str | None
    family_name_key: str
    given_name_key: str
    date_of_birth: date
    postcode_key: str


@dataclass(frozen=True, slots=True)
class Candidate:
    """A child already on the index, as far as matching needs to know it."""

    child_id: str
    nhs_number: str | None
    family_name_key: str
    given_name_key: str
    date_of_birth: date
    postcode_key: str
    shielded: bool


@dataclass(frozen=True, slots=True)
class MatchOutcome:
    kind: MatchKind
    reason: str
    child_id: str | None = None
    review_reason: ReviewReason | None = None
    candidate_ids: tuple[str, ...] = ()
    #: R4: the matched child is shielded; keep the index team's address and local authority.
    protect_whereabouts: bool = False


def _update(child: Candidate, reason: str) -> MatchOutcome:
    return MatchOutcome(
        MatchKind.UPDATE, reason, child_id=child.child_id, protect_whereabouts=child.shielded
    )


def _review(why: ReviewReason, reason: str, candidates: Sequence[Candidate]) -> MatchOutcome:
    ids = tuple(dict.fromkeys(c.child_id for c in candidates))
    return MatchOutcome(MatchKind.REVIEW, reason, review_reason=why, candidate_ids=ids)


def _same_person_keys(incoming: Incoming, child: Candidate) -> bool:
    return (
        child.family_name_key == incoming.family_name_key
        and child.given_name_key == incoming.given_name_key
        and child.date_of_birth == incoming.date_of_birth
    )


def _different_numbers(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and a != b


def match_child(
    incoming: Incoming,
    *,
    known: Candidate | None,
    by_nhs_number: Sequence[Candidate],
    by_name_and_birth: Sequence[Candidate],
) -> MatchOutcome:
    """Decide what an UPSERT_CHILD record does (R15).

    `known` is the child this source's sourceRef was resolved to earlier, if any.
    `by_nhs_number` are the children holding the incoming NHS number (empty when the
    record has none). `by_name_and_birth` are the children with the incoming family
    name key and date of birth (callers may pass only those with the same given name
    too), whatever their postcode: this function does the finer comparison, so that the
    possible-match rule sees every child at another postcode, and so that a shielded
    child's postcode is never compared at all (rule 3s).
    """
    if known is not None:
        others = [c for c in by_nhs_number if c.child_id != known.child_id]
        if _different_numbers(known.nhs_number, incoming.nhs_number):
            return _review(
                ReviewReason.NHS_NUMBER_CONFLICT,
                "R15: the NHS number differs from the one on the child this record updates",
                [known, *others],
            )
        if others:
            return _review(
                ReviewReason.NHS_NUMBER_CONFLICT,
                "R15: the NHS number already belongs to another child",
                [known, *others],
            )
        return _update(known, "R15: this source's own record of the child")

    if incoming.nhs_number is not None and by_nhs_number:
        if len(by_nhs_number) > 1:
            return _review(
                ReviewReason.AMBIGUOUS, "R15: several children hold this NHS number", by_nhs_number
            )
        (child,) = by_nhs_number
        if child.date_of_birth != incoming.date_of_birth:
            return _review(
                ReviewReason.NHS_NUMBER_CONFLICT,
                "R15: the NHS number belongs to a child with another date of birth",
                by_nhs_number,
            )
        return _update(child, "R15: same NHS number")

    same_names = [c for c in by_name_and_birth if _same_person_keys(incoming, c)]
    shielded = [c for c in same_names if c.shielded]
    open_ = [c for c in same_names if not c.shielded]
    exact = [c for c in open_ if c.postcode_key == incoming.postcode_key]
    # Another postcode: a possible match, unless both NHS numbers say two children.
    possible = [
        c
        for c in open_
        if c.postcode_key != incoming.postcode_key
        and not _different_numbers(c.nhs_number, incoming.nhs_number)
    ]
    if shielded:
        return _shielded_review(incoming, shielded, [*exact, *possible])
    conflicting = [c for c in exact if _different_numbers(c.nhs_number, incoming.nhs_number)]
    if conflicting:
        return _review(
            ReviewReason.NHS_NUMBER_CONFLICT,
            "R15: same names, date of birth and postcode but a different NHS number",
            exact,
        )
    if len(exact) == 1 and not possible:
        return _update(exact[0], "R15: same names, date of birth and postcode")
    if len(exact) > 1 or (exact and possible):
        return _review(
            ReviewReason.AMBIGUOUS,
            "R15: more than one child fits names and date of birth",
            [*exact, *possible],
        )
    if possible:
        return _review(
            ReviewReason.POSSIBLE_MATCH,
            "R15: same names and date of birth at another postcode",
            possible,
        )
    return MatchOutcome(MatchKind.CREATE, "R15: no child on the index matches")


def _shielded_review(
    incoming: Incoming, shielded: Sequence[Candidate], others: Sequence[Candidate]
) -> MatchOutcome:
    """Rule 3s: names and date of birth of a shielded child go to a person, always.

    Nothing here reads a shielded candidate's postcode, so neither the outcome nor the
    reason or candidates (which another authority's index team may see) can tell
    whether the record's address is the shielded child's (R4, no oracle). The
    unshielded `others` are compared as rule 3 compares any child.
    """
    if others or len(shielded) > 1:
        return _review(
            ReviewReason.AMBIGUOUS,
            "R4/R15: more than one child, one of them shielded, fits names and date of birth",
            [*shielded, *others],
        )
    (child,) = shielded
    if _different_numbers(child.nhs_number, incoming.nhs_number):
        return _review(
            ReviewReason.NHS_NUMBER_CONFLICT,
            "R4/R15: names and date of birth of a shielded child, another NHS number",
            shielded,
        )
    return _review(
        ReviewReason.POSSIBLE_MATCH,
        "R4/R15: names and date of birth of a shielded child, whose address is never compared",
        shielded,
    )


# --- Who may push, and who decides (R15, with R4 for shielded candidates) ----------------


def may_ingest(viewer: Viewer, source: str) -> Decision:
    """R15: a FEED token pushes records, and only for the source system its token names."""
    if not viewer.has(Role.FEED):
        return deny("R15: only FEED tokens push feed records")
    if not viewer.source or viewer.source != source:
        return deny("R15: a FEED token pushes only for the source named in it")
    return allow("R15: FEED token for this source")


def may_review_matches(viewer: Viewer) -> Decision:
    """Only an index team works the queue, and each team only for its own local authority."""
    if not viewer.has(Role.INDEX_ADMIN):
        return deny("R15: only INDEX_ADMIN resolves held feed records")
    if not viewer.local_authority:
        return deny("R15: an INDEX_ADMIN token must name its local authority")
    return allow("R15: INDEX_ADMIN of a local authority")


def review_concerns_viewer(
    viewer: Viewer, incoming_local_authority: str | None, candidates: Sequence[ChildFacts]
) -> bool:
    """A review is for the team of the incoming record's authority or a candidate's."""
    la = viewer.local_authority
    return la is not None and (
        incoming_local_authority == la or any(c.local_authority == la for c in candidates)
    )


def may_match_to_child(viewer: Viewer, child: ChildFacts) -> Decision:
    """Merging a record into a child changes that child: its own authority's team decides."""
    if viewer.local_authority is None or child.local_authority != viewer.local_authority:
        return deny("R15: only the index team of the child's local authority may match to it")
    return allow("R15: INDEX_ADMIN of the child's local authority")


def may_create_new_child(viewer: Viewer, candidates: Sequence[ChildFacts]) -> Decision:
    """R4/R15: a new, unshielded record beside a shielded candidate is the shielding team's call.

    Only they can see where the shielded child lives and so judge whether the incoming
    record is the same child at an old address: anyone else could create exactly the
    unshielded duplicate that R4 forbids.
    """
    for child in candidates:
        if child.shielded and child.local_authority != viewer.local_authority:
            return deny(
                "R4/R15: a candidate is shielded; only its own local authority's index team "
                "may decide that the record is another child"
            )
    return allow("R15: no shielded candidate of another local authority")
