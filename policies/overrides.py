"""R9: sharing without consent, under an access override.

An override lets the practitioner who recorded it see, for that one child, what R6
and R7 would withhold, for 72 hours. Only a SAFEGUARDING_LEAD's override lifts
shielding (R4), and only for its first hour.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from policies.decision import Decision, allow, deny
from policies.facts import OverrideFact
from policies.viewer import Role, Viewer

__all__ = [
    "GROUNDS",
    "MIN_JUSTIFICATION",
    "OVERRIDE_LIFETIME",
    "SHIELD_LIFT_LIFETIME",
    "active_override",
    "check_justification",
    "may_record_override",
    "shield_lift",
]

OVERRIDE_LIFETIME = timedelta(hours=72)
SHIELD_LIFT_LIFETIME = timedelta(hours=1)
MIN_JUSTIFICATION = 20
GROUNDS = frozenset(
    {"SIGNIFICANT_HARM_EVIDENCE", "SIGNIFICANT_HARM_SUSPECTED", "PREVENT_SERIOUS_HARM_OR_CRIME"}
)


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
        if _is_viewers(viewer, override) and override.recorded_at <= now < override.expires_at:
            if best is None or override.expires_at > best.expires_at:
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
    if len(text.strip()) < MIN_JUSTIFICATION:
        return deny(f"R9: the justification must be at least {MIN_JUSTIFICATION} characters")
    return allow("R9: justification recorded")
