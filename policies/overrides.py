"""R9: sharing without consent, under an access override.

An override lets the practitioner who recorded it see, for that one child, what R6
and R7 would withhold, for 72 hours. Only a SAFEGUARDING_LEAD's override lifts
shielding (R4), and only for its first hour.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from policies.decision import Decision, Rule, allow, deny
from policies.facts import OverrideFact
from policies.text import visible_length
from policies.viewer import Role, Viewer

__all__ = [
    "MAX_JUSTIFICATION",
    "MAX_REVIEW",
    "MIN_JUSTIFICATION",
    "OVERRIDE_LIFETIME",
    "SHIELD_LIFT_LIFETIME",
    "OverrideTerms",
    "active_override",
    "check_justification",
    "check_sharing_decision",
    "may_record_override",
    "may_record_sharing_decision",
    "may_review_overrides",
    "override_terms",
    "shield_lift",
]

OVERRIDE_LIFETIME = timedelta(hours=72)
SHIELD_LIFT_LIFETIME = timedelta(hours=1)
MIN_JUSTIFICATION = 20
MAX_JUSTIFICATION = 2000
#: overridesForReview returns at most this many overrides.
MAX_REVIEW = 500


def _is_viewers(viewer: Viewer, override: OverrideFact) -> bool:
    if viewer.practitioner_id and override.practitioner_id == viewer.practitioner_id:
        return True
    return override.subject == viewer.subject


def active_override(
    viewer: Viewer, overrides: Iterable[OverrideFact], now: datetime
) -> OverrideFact | None:
    """The viewer's own unexpired override for this child, if any (R9: 72 hours)."""
    best: OverrideFact | None = None
    for override in overrides:
        if (
            _is_viewers(viewer, override)
            and override.recorded_at <= now < override.expires_at
            and (best is None or override.expires_at > best.expires_at)
        ):
            best = override
    return best


def shield_lift(
    viewer: Viewer, overrides: Iterable[OverrideFact], now: datetime
) -> OverrideFact | None:
    """A SAFEGUARDING_LEAD's override still inside its one-hour shield lift (R4, R9)."""
    if not viewer.has(Role.SAFEGUARDING_LEAD):
        return None
    for override in overrides:
        if (
            override.lifts_shielding
            and _is_viewers(viewer, override)
            and override.recorded_at <= now < override.recorded_at + SHIELD_LIFT_LIFETIME
        ):
            return override
    return None


def may_record_override(viewer: Viewer) -> Decision:
    if viewer.has(Role.SAFEGUARDING_LEAD) or viewer.has(Role.PRACTITIONER):
        return allow("R9: practitioners and safeguarding leads may record an override")
    return deny("R9: only a PRACTITIONER or SAFEGUARDING_LEAD may record an override")


def check_justification(text: str) -> Decision:
    """CAF guide 4.24: the reasons for sharing without consent are recorded, in words."""
    if visible_length(text) < MIN_JUSTIFICATION:
        return deny(
            f"R9: the justification must be at least {MIN_JUSTIFICATION} characters, "
            "counting only visible ones"
        )
    if len(text) > MAX_JUSTIFICATION:
        return deny(f"R9: the justification must be at most {MAX_JUSTIFICATION} characters")
    return allow("R9: justification recorded")


@dataclass(frozen=True, slots=True)
class OverrideTerms:
    expires_at: datetime
    lifts_shielding: bool


def override_terms(viewer: Viewer, now: datetime) -> OverrideTerms:
    """R9: 72 hours of access; only a SAFEGUARDING_LEAD's override also lifts shielding (R4),
    and `shield_lift` honours that for its first hour only."""
    return OverrideTerms(
        expires_at=now + OVERRIDE_LIFETIME,
        lifts_shielding=viewer.has(Role.SAFEGUARDING_LEAD),
    )


def may_review_overrides(viewer: Viewer) -> Decision:
    """R9: overrides are listed for SAFEGUARDING_LEAD review, within their own local authority.

    A lead reviews the practice of their own area: the overrides recorded for children
    whose record belongs to the lead's local authority. A lead whose token names no local
    authority reviews nothing.
    """
    if not viewer.has(Role.SAFEGUARDING_LEAD):
        return deny("R9: only a SAFEGUARDING_LEAD reviews access overrides")
    if viewer.local_authority is None:
        return deny("R9: the token names no local authority to review")
    return allow(f"R9: review of overrides for children of {viewer.local_authority}")


def may_record_sharing_decision(
    viewer: Viewer,
    *,
    involved: bool,
    child_local_authority: str | None,
    overrides: Iterable[OverrideFact],
    now: datetime,
) -> Decision:
    """CAF guide 4.24: who records a decision to share or not to share about a child.

    A practitioner working with the child, one holding an override for them (R9), or a
    SAFEGUARDING_LEAD of the child's own local authority (the nominated individual of
    CAF guide 4.25 who advises on such decisions).
    """
    if viewer.practitioner_id is None or not (
        viewer.has(Role.PRACTITIONER) or viewer.has(Role.SAFEGUARDING_LEAD)
    ):
        return deny("CAF 4.24: only a practitioner records information-sharing decisions")
    if involved:
        return allow("CAF 4.24: the practitioner works with the child")
    if (
        viewer.has(Role.SAFEGUARDING_LEAD)
        and viewer.local_authority is not None
        and viewer.local_authority == child_local_authority
    ):
        return allow("CAF 4.24: safeguarding lead of the child's local authority")
    override = active_override(viewer, overrides, now)
    if override is not None:
        return allow(f"R9: access override {override.id}", Rule.R9, override.id)
    return deny("CAF 4.24: not involved with this child and no access override (R9)")


def check_sharing_decision(*, shared: bool, with_consent: bool, reason: str) -> Decision:
    """CAF guide 4.24: every decision is recorded with its reason; sharing without consent
    needs a reason as full as an override's justification (R9)."""
    text = reason.strip()
    if not visible_length(text):
        return deny("give the reason for the decision")
    if len(reason) > MAX_JUSTIFICATION:
        return deny(f"the reason must be at most {MAX_JUSTIFICATION} characters")
    if shared and not with_consent and visible_length(text) < MIN_JUSTIFICATION:
        return deny(
            f"sharing without consent needs a reason of at least {MIN_JUSTIFICATION} characters "
            "(R9, CAF guide 4.24)"
        )
    return allow("CAF 4.24: decision and reason recorded")
