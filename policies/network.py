"""R12 network tracing, and the R4 line it must not cross.

A SAFEGUARDING_LEAD may ask for a child's involvement network: the children linked
to them by a shared carer or a shared address, to depth 3 at most, with a mandatory
reason, and who is working with each of them. Every child in the answer is shown
under R4 to R7 exactly as if looked up directly (api/shaping.py, policies.disclosure),
and every one is named in the request's audit event with the reason (R14).

R13 says no type leads from a carer to other children. `carerNetwork` ("which other
children does this adult care for or live with, and who is working with them?") is a
deliberate exception, made a root query of its own so that it is as narrow, as
visible and as audited as `involvementNetwork`: SAFEGUARDING_LEAD only, a reason, the
X-Purpose header, every child named in the audit event. No field of any type leads
there; Carer has no `children` field and never will.

Links are undirected and typed:

- SHARES_CARER: both children are cared for by one carer (CARES_FOR). `via` names the
  carer when both children's whereabouts are visible to the viewer, and is null
  otherwise.
- SHARES_ADDRESS: both children's records carry the same address key (graph/model.md).
- INVOLVED_WITH: from a child to the practitioner working with them, or to the service
  for a team-level involvement; `via` is the involvement's id. Only involvements the
  child's own record shows (R5, R6) make a link, because the links are drawn from the
  shaped record, never from the graph.
- CARES_FOR and LIVES_WITH (carerNetwork only): from the carer to a child they care for,
  or to a child in the household of a child they live with.

The R4 decision: where a shielded child may appear
    A shielded child's whereabouts (address, carers, contacts) are withheld (R4). In a
    network, a link can carry whereabouts too, because the other end's record shows
    its own address and carers:

    - SHARES_ADDRESS to or from a child whose whereabouts are withheld is never
      followed or shown: "lives at the same address as Hannah" is Hannah's address.
      The address of a shielded root is not used to find anybody either.
    - SHARES_CARER and CARES_FOR never reach such a child either. R4 withholds who a
      shielded child's carers are on every path, networks included: "Karen cares for
      Sam" names one of his carers as plainly as his own `carers` field would, whether
      or not she lives with him. LIVES_WITH never reaches him. So a safeguarding lead
      tracing Hannah's family does not meet Sam through Karen; they meet him, if at
      all, by looking him up, as his shieldingContact asks them to.
    - A carer whose every tie is withheld is answered like a carer that does not exist,
      so carerNetwork cannot test whether an id is a shielded child's carer.
    - A SAFEGUARDING_LEAD whose override lifts the shield (R4, R9: one hour) sees
      the child's whereabouts, so for them these links are followed as for any child.

    A link that is not followed is recorded as withheld in the audit event.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from policies.decision import Decision, allow, deny
from policies.viewer import Role, Viewer

__all__ = [
    "CARES_FOR",
    "INVOLVED_WITH",
    "LIVES_WITH",
    "MAX_DEPTH",
    "MAX_NETWORK",
    "MAX_REASON",
    "MIN_DEPTH",
    "SHARES_ADDRESS",
    "SHARES_CARER",
    "CarerTie",
    "Link",
    "RawLink",
    "Trace",
    "carer_tie_allowed",
    "check_depth",
    "check_reason",
    "link_allowed",
    "may_trace",
    "trace",
]

MIN_DEPTH = 1
MAX_DEPTH = 3
MAX_REASON = 1000
MAX_NETWORK = 200
"""At most this many children in one answer: a hostel or a children's home can share an
address with hundreds of records over the years, and R2's "no bulk export" applies to
safeguarding leads too. `truncated` says when the cap was reached."""

SHARES_CARER = "SHARES_CARER"
SHARES_ADDRESS = "SHARES_ADDRESS"
INVOLVED_WITH = "INVOLVED_WITH"
CARES_FOR = "CARES_FOR"
LIVES_WITH = "LIVES_WITH"


def may_trace(viewer: Viewer) -> Decision:
    """R12: network tracing is for SAFEGUARDING_LEAD only."""
    if viewer.has(Role.SAFEGUARDING_LEAD):
        return allow("R12: SAFEGUARDING_LEAD may trace a network")
    return deny("R12: only a SAFEGUARDING_LEAD may trace a network")


def check_depth(depth: int) -> Decision:
    if MIN_DEPTH <= depth <= MAX_DEPTH:
        return allow("R12: depth within 1 to 3")
    return deny(f"R12: depth must be between {MIN_DEPTH} and {MAX_DEPTH}")


def check_reason(reason: str) -> Decision:
    text = reason.strip()
    if not text:
        return deny("R12: a reason is mandatory")
    if len(text) > MAX_REASON:
        return deny(f"R12: the reason must be at most {MAX_REASON} characters")
    return allow("R12: reason given")


@dataclass(frozen=True, slots=True)
class RawLink:
    """A link as the graph holds it, before policy: one per (child, child, carer)."""

    a: str
    b: str
    kind: str  # SHARES_CARER or SHARES_ADDRESS
    carer_id: str | None = None
    carer_lives_with_a: bool | None = None
    carer_lives_with_b: bool | None = None


def link_allowed(link: RawLink, whereabouts_withheld: frozenset[str]) -> Decision:
    """May this link be followed and shown, given whose whereabouts are withheld (R4)?"""
    a_hidden = link.a in whereabouts_withheld
    b_hidden = link.b in whereabouts_withheld
    if link.kind == SHARES_ADDRESS:
        if a_hidden or b_hidden:
            return deny("R4: a shared address would say where a shielded child lives")
        return allow("R12: shared address")
    if link.kind == SHARES_CARER:
        # R4: who a shielded child's carers are is withheld on every path, networks
        # included, whether or not the carer lives with them.
        if a_hidden or b_hidden:
            return deny("R4: a shared carer would say who cares for a shielded child")
        return allow("R12: shared carer")
    return deny(f"R12: unknown link kind {link.kind}")


@dataclass(frozen=True, slots=True)
class Link:
    source: str
    target: str
    kind: str
    via: str | None


@dataclass(frozen=True)
class Trace:
    """The children reached (id -> distance from the root) and the links among them."""

    distance: dict[str, int]
    links: tuple[Link, ...]
    withheld: tuple[RawLink, ...]
    truncated: bool


def trace(
    root: str,
    depth: int,
    raw_links: Iterable[RawLink],
    whereabouts_withheld: frozenset[str],
    limit: int = MAX_NETWORK,
) -> Trace:
    """Breadth-first from `root` over the links policy allows, to `depth` steps.

    Links are returned between every pair of reached children they join (not only the
    tree the search walked), oriented from the end nearer the root, de-duplicated.
    """
    allowed: list[RawLink] = []
    withheld: list[RawLink] = []
    for link in raw_links:
        if link.a == link.b:
            continue
        (allowed if link_allowed(link, whereabouts_withheld) else withheld).append(link)
    neighbours: dict[str, set[str]] = {}
    for link in allowed:
        neighbours.setdefault(link.a, set()).add(link.b)
        neighbours.setdefault(link.b, set()).add(link.a)

    distance = {root: 0}
    frontier = [root]
    truncated = False
    for step in range(1, depth + 1):
        found: list[str] = []
        for child in frontier:
            for other in sorted(neighbours.get(child, ())):
                if other in distance:
                    continue
                if len(distance) >= limit:
                    truncated = True
                    break
                distance[other] = step
                found.append(other)
        frontier = found

    shown: dict[tuple[str, str, str, str | None], Link] = {}
    for link in allowed:
        if link.a not in distance or link.b not in distance:
            continue
        a, b = sorted((link.a, link.b), key=lambda c: (distance[c], c))
        via = link.carer_id
        if a in whereabouts_withheld or b in whereabouts_withheld:
            via = None  # R4: name no carer of a shielded child
        shown.setdefault((a, b, link.kind, via), Link(a, b, link.kind, via))
    ordered = sorted(shown.values(), key=lambda x: (distance[x.source], x.source, x.target, x.kind))
    refused = tuple(link for link in withheld if link.a in distance or link.b in distance)
    return Trace(distance, tuple(ordered), refused, truncated)


@dataclass(frozen=True, slots=True)
class CarerTie:
    """How a child is tied to the carer at the root of a carerNetwork question.

    CARES_FOR: the carer cares for the child; `lives_with_child` as recorded.
    LIVES_WITH: the child's address is that of `via`, a child the carer lives with.
    """

    child_id: str
    kind: str
    lives_with_child: bool | None = None
    via: str | None = None


def carer_tie_allowed(tie: CarerTie, whereabouts_withheld: frozenset[str]) -> Decision:
    """R4 for carerNetwork: a child whose whereabouts are withheld appears only as cared
    for by a carer who does not live with them, and a shielded child's address is
    never used to find the rest of a household."""
    if tie.kind == CARES_FOR:
        if tie.child_id not in whereabouts_withheld:
            return allow("R12: a child the carer cares for")
        return deny("R4: who cares for a shielded child is withheld")
    if tie.kind == LIVES_WITH:
        if tie.via is None or tie.via in whereabouts_withheld:
            return deny("R4: a shielded child's address is not used to find a household")
        if tie.child_id in whereabouts_withheld:
            return deny("R4: the carer's home would say where a shielded child lives")
        return allow("R12: a child in the carer's household")
    return deny(f"R12: unknown tie kind {tie.kind}")
