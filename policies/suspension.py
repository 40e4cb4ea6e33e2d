"""Suspending a subject: the index's answer to misuse once someone has looked (R2, R14).

An alert (policies/alerts.py) tells an index team that someone browsed, probed or read
a shielded child out of area; suspension is what they can do about it at once. A
suspended subject's every request is refused, whatever token they hold, until they are
reinstated; both are audited with their reason.

Who: an AUDITOR suspends anyone. An INDEX_ADMIN suspends the subjects of their own
local authority: a practitioner of one of its services, or a subject the index already
knows as theirs (the authority named in their token when they read a child, which is
what the authority's alerts about them record). One authority does not lock out another's
staff. Nobody suspends or reinstates themselves: a suspended subject could not ask, and
an admin locking themselves out helps nobody.
"""

from __future__ import annotations

from collections.abc import Set

from policies.decision import Decision, Rule, allow, deny
from policies.text import visible_length
from policies.viewer import Role, Viewer

__all__ = ["MAX_REASON", "MAX_SUBJECT", "MIN_REASON", "check_reason", "may_suspend"]

MIN_REASON = 10
MAX_REASON = 2000
MAX_SUBJECT = 200


def may_suspend(viewer: Viewer, subject: str, subject_authorities: Set[str]) -> Decision:
    """Suspend or reinstate `subject`, whose local authorities the index knows are given."""
    if subject == viewer.subject:
        return deny("R14: nobody suspends or reinstates themselves", Rule.R14)
    if viewer.has(Role.AUDITOR):
        return allow("R14: AUDITOR suspends and reinstates any subject", Rule.R14)
    if (
        viewer.has(Role.INDEX_ADMIN)
        and viewer.local_authority is not None
        and viewer.local_authority in subject_authorities
    ):
        return allow("R2: INDEX_ADMIN of the subject's own local authority", Rule.R2)
    return deny(
        "R2: only an AUDITOR, or INDEX_ADMIN of the subject's local authority, suspends",
        Rule.R2,
    )


def check_reason(reason: str) -> Decision:
    """A suspension is a decision about a person's work: it says why, in words."""
    if visible_length(reason) < MIN_REASON:
        return deny(f"the reason must be at least {MIN_REASON} visible characters")
    if len(reason) > MAX_REASON:
        return deny(f"the reason must be at most {MAX_REASON} characters")
    return allow("reason recorded")
