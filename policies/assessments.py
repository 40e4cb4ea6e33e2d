"""R7 and R8: who may read a common assessment, and what must exist before one is stored.

Everyone allowed R3 sees that a CAF exists, its status and holder (the index view).
The CAF itself is visible only to its holder, to team members covered by an ACTIVE
SHARE_ASSESSMENT consent, and under an access override (R9).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from policies.consent import consent_path, grant_counts
from policies.decision import Decision, allow, deny
from policies.facts import ConsentFact, OverrideFact
from policies.overrides import active_override
from policies.viewer import Viewer

__all__ = ["AssessmentAccessFacts", "may_read_assessment", "may_store_assessment"]


@dataclass(frozen=True, slots=True)
class AssessmentAccessFacts:
    assessment_id: str
    holder_id: str
    team_ids: frozenset[str]
    date_of_birth: date
    consents: tuple[ConsentFact, ...]
    overrides: tuple[OverrideFact, ...]


def may_read_assessment(viewer: Viewer, facts: AssessmentAccessFacts, now: datetime) -> Decision:
    me = viewer.practitioner_id
    if me is not None and me == facts.holder_id:
        return allow("R7: the viewer holds this CAF")
    if me is not None and me in facts.team_ids:
        path = consent_path(
            viewer,
            facts.consents,
            purpose="SHARE_ASSESSMENT",
            date_of_birth=facts.date_of_birth,
            today=now.date(),
            assessment_id=facts.assessment_id,
        )
        if path:
            return allow(f"R7: team member covered by consent ({path.reason})")
    override = active_override(viewer, facts.overrides, now)
    if override is not None:
        return allow(f"R7/R9: access override {override.id}")
    return deny("R7: not the holder, not a consented team member, no override")


def may_store_assessment(
    consents: Iterable[ConsentFact], date_of_birth: date, today: date
) -> Decision:
    """R8: ACTIVE UNDERTAKE_ASSESSMENT and STORE_ASSESSMENT grants must both exist."""
    have = set()
    for record in consents:
        if record.purpose in {"UNDERTAKE_ASSESSMENT", "STORE_ASSESSMENT"} and grant_counts(
            record, date_of_birth, today
        ):
            have.add(record.purpose)
    missing = {"UNDERTAKE_ASSESSMENT", "STORE_ASSESSMENT"} - have
    if missing:
        return deny("R8: missing active consent: " + ", ".join(sorted(missing)))
    return allow("R8: consent to undertake and store the assessment is active")
