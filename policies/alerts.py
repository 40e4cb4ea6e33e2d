"""Access alerts: what the index team of a local authority is told, and who may act on it.

Some rules cannot stop a misuse without a person: R4's household rule must withhold an
unshielded child's address when a shielded child lives there, and so whoever can put a
child at an address can probe it; R2's daily budget stops browsing only after the
fact. Where a rule is brought into play like that, the index team of the local
authority that must act is alerted, and every alert stays open until someone of that
team (or an auditor) records what they did about it.

An alert belongs to one local authority: the one whose child it is about (R4: the
shielded child's), or whose viewer it is about (R2: the viewer's own). Only that
authority's INDEX_ADMIN, and AUDITOR for every authority, read and resolve alerts:
an alert names shielded children next to the child or address that brought the rule
into play, which is exactly what R4 keeps from everyone else.
"""

from __future__ import annotations

from enum import StrEnum

from policies.decision import Decision, allow, deny
from policies.facts import ChildFacts
from policies.viewer import Role, Viewer

__all__ = [
    "MAX_OUTCOME",
    "AlertKind",
    "AlertState",
    "check_outcome",
    "may_read_alerts",
    "may_resolve_alert",
    "shielded_read_out_of_area",
]

MAX_OUTCOME = 2000
"""Characters of the outcome a resolver records: a short account, not a case file."""


class AlertKind(StrEnum):
    """What brought an alert about; each names the rule it guards."""

    #: R4: a write left a child at a shielded child's address, or made a carer who lives
    #: with a shielded child the carer of another child (raised by graph/ingest.py).
    HOUSEHOLD_RULE_TRIGGERED = "HOUSEHOLD_RULE_TRIGGERED"
    #: R2: a subject went past their daily budget of distinct children.
    BUDGET_EXCEEDED = "BUDGET_EXCEEDED"
    #: R4: a shielded child was read by someone outside its own local authority.
    SHIELDED_READ_OUT_OF_AREA = "SHIELDED_READ_OUT_OF_AREA"
    #: R4/R9: a safeguarding lead's override lifted a shield.
    SHIELD_LIFTED = "SHIELD_LIFTED"
    #: R13/R14: one subject refused again and again, as when probing.
    REPEATED_REFUSALS = "REPEATED_REFUSALS"
    #: R4: a reference-data feed changed the index-team contact shielded children show
    #: (raised by graph/feed_writes/upsert_local_authority.py).
    INDEX_TEAM_CONTACT_CHANGED = "INDEX_TEAM_CONTACT_CHANGED"


class AlertState(StrEnum):
    OPEN = "OPEN"
    RESOLVED = "RESOLVED"


def _own_index_team(viewer: Viewer, local_authority: str | None) -> bool:
    return (
        viewer.has(Role.INDEX_ADMIN)
        and viewer.local_authority is not None
        and viewer.local_authority == local_authority
    )


def may_read_alerts(viewer: Viewer, local_authority: str | None) -> Decision:
    """R4/R14: a local authority's alerts are for its own index team, and for auditors."""
    if viewer.has(Role.AUDITOR):
        return allow("R14: AUDITOR reads every local authority's alerts")
    if _own_index_team(viewer, local_authority):
        return allow("R4: INDEX_ADMIN of the alert's own local authority")
    return deny("R4: only that local authority's INDEX_ADMIN, or an AUDITOR, reads its alerts")


def may_resolve_alert(viewer: Viewer, local_authority: str | None) -> Decision:
    """Who may read an alert may close it: the team that has to act on it, or an auditor."""
    decision = may_read_alerts(viewer, local_authority)
    if not decision:
        return deny(
            "R4: only that local authority's INDEX_ADMIN, or an AUDITOR, resolves its alerts"
        )
    return decision


def check_outcome(outcome: str) -> Decision:
    """What was done about an alert is part of the record: it must say something."""
    text = outcome.strip()
    if not text:
        return deny("outcome must say what was done about the alert")
    if len(text) > MAX_OUTCOME:
        return deny(f"outcome must be at most {MAX_OUTCOME} characters")
    return allow("outcome recorded")


def shielded_read_out_of_area(viewer: Viewer, child: ChildFacts) -> bool:
    """R4: a shielded child reached by anyone outside its own local authority is for its
    index team to look at (SHIELDED_READ_OUT_OF_AREA), whatever R4 let them see. A token
    that names no authority is outside every one."""
    return child.shielded and viewer.local_authority != child.local_authority
