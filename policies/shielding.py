"""R4: shielded children.

Someone could cause a shielded child (or a parent) significant harm if their
whereabouts became known: a refuge, a risk from a former partner, an adoptive
placement at risk. Address, carers and every contact detail of every involvement are
withheld, except from INDEX_ADMIN of the child's own local authority, or a
SAFEGUARDING_LEAD inside the first hour of their override (R9).
"""

from __future__ import annotations

from datetime import datetime

from policies.decision import Decision, Rule, allow, deny
from policies.facts import CarerFact, ChildFacts
from policies.overrides import shield_lift
from policies.viewer import Role, Viewer

__all__ = ["carer_contact", "home_address", "may_set_shielded", "whereabouts"]


def _index_team(viewer: Viewer, local_authority: str | None) -> bool:
    """INDEX_ADMIN of this local authority: the team that holds its shielded records."""
    return (
        viewer.has(Role.INDEX_ADMIN)
        and viewer.local_authority is not None
        and viewer.local_authority == local_authority
    )


def whereabouts(viewer: Viewer, child: ChildFacts, now: datetime) -> Decision:
    """May this viewer see where the child can be found: address, carers, involvements?

    A child who lives at a shielded child's address (a sibling in the same refuge, a
    record a source keeps under another name) is where that child is: their carers'
    contacts carry the address, their school and GP are his, so everything R4 withholds
    for him is withheld for them too, not only their own address line.
    """
    if not child.shielded and not child.address_shared_with_shielded:
        return allow("R4: the child is not shielded", Rule.R4)
    if _index_team(viewer, child.local_authority):
        return allow("R4: INDEX_ADMIN of the child's own local authority", Rule.R4)
    lift = shield_lift(viewer, child.overrides, now)
    if lift is not None:
        return allow(f"R4/R9: shield lifted by safeguarding override {lift.id}", Rule.R9, lift.id)
    if not child.shielded:
        return deny("R4: a shielded child lives at this address", Rule.R4)
    return deny("R4: the child is shielded", Rule.R4)


def may_set_shielded(viewer: Viewer, child_local_authority: str | None) -> Decision:
    """R4: the index team of the child's own local authority decides who is shielded."""
    if _index_team(viewer, child_local_authority):
        return allow("R4: INDEX_ADMIN of the child's own local authority")
    return deny("R4: only INDEX_ADMIN of the child's own local authority sets shielding")


def _household(
    viewer: Viewer, child: ChildFacts, now: datetime, *, exposes_shielded: bool, why: str
) -> Decision:
    """R4 beyond the child's own flag: what would show where a shielded child lives
    (a shared address, a carer they live with) is withheld like their own whereabouts,
    except from INDEX_ADMIN of the child's own local authority."""
    own = whereabouts(viewer, child, now)
    if not own or not exposes_shielded:
        return own
    if _index_team(viewer, child.local_authority):
        return allow("R4: INDEX_ADMIN of the child's own local authority", Rule.R4)
    return deny(f"R4: {why}", Rule.R4)


def home_address(viewer: Viewer, child: ChildFacts, now: datetime) -> Decision:
    """R4 for the household: an unshielded child's address is withheld when a shielded
    child lives at the same address, because showing it would show theirs."""
    return _household(
        viewer,
        child,
        now,
        exposes_shielded=child.address_shared_with_shielded,
        why="a shielded child lives at this address",
    )


def carer_contact(viewer: Viewer, child: ChildFacts, carer: CarerFact, now: datetime) -> Decision:
    """R4 for carers: a carer who lives with a shielded child is reached through the
    index team, not directly, on every other child's record too."""
    return _household(
        viewer,
        child,
        now,
        exposes_shielded=carer.lives_with_shielded_child,
        why="this carer lives with a shielded child",
    )
