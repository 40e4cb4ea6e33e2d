"""The lead professional and a practitioner's own record on the index (issue 19).

CAF guide 2.15: a practitioner whose system does not feed the index records there that
they, or their team, work with a child, and that a CAF exists on paper. ICS guidance
note 3.1: the lead professional is recorded on the index ("Melanie ensures that this is
recorded"). CAF guide 3.8: "a young person, parent or carer may go on to be the lead
professional": R10 says which of them can act for the child.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from policies import disclosure
from policies.assessments import may_appoint_lead
from policies.consent import child_may_decide
from policies.decision import Decision, allow, deny
from policies.facts import ChildFacts, OverrideFact, PractitionerFact
from policies.viewer import Role, Viewer

__all__ = [
    "FAMILY_LEAD_KINDS",
    "lead_in_the_way",
    "may_lead_from_family",
    "may_record_own",
    "may_stand_down_lead",
]

#: Who else than a practitioner may lead (CAF guide 3.8).
FAMILY_LEAD_KINDS = ("CARER", "YOUNG_PERSON")


def may_record_own(viewer: Viewer) -> Decision:
    """Only a practitioner (their token names their practitioner record) records their own
    involvement or a paper CAF: the index says who they are and whom to contact."""
    if viewer.practitioner_id is None or not (
        viewer.has(Role.PRACTITIONER) or viewer.has(Role.SAFEGUARDING_LEAD)
    ):
        return deny("only a practitioner records their own involvement on the index")
    return allow("a practitioner records their own work with the child")


def may_stand_down_lead(
    viewer: Viewer,
    *,
    is_lead: bool,
    involved: bool,
    holds_open_caf: bool,
    overrides: Iterable[OverrideFact],
    now: datetime,
) -> Decision:
    """The lead may stand down; otherwise whoever may record a lead (a practitioner
    working with the child, the holder of its OPEN CAF, or one with an override, R9) may
    record that the lead stood down, as when the team around the child agrees another."""
    if is_lead and viewer.practitioner_id is not None:
        return allow("the lead professional stands down")
    return may_appoint_lead(
        viewer, involved=involved, holds_open_caf=holds_open_caf, overrides=overrides, now=now
    )


def may_lead_from_family(
    kind: str,
    *,
    carer_parental_responsibility: bool | None,
    date_of_birth: date,
    today: date,
    competence_assessed: bool,
) -> Decision:
    """CAF guide 3.8 with R10: a carer who holds parental responsibility for the child,
    or the young person when they can decide for themselves (16 and over, or 12 to 15
    with competence assessed)."""
    if kind == "CARER":
        if carer_parental_responsibility is None:
            return deny("carerId names no carer of this child")
        if not carer_parental_responsibility:
            return deny("R10: a carer leads only with parental responsibility for the child")
        return allow("R10: a carer with parental responsibility")
    if kind == "YOUNG_PERSON":
        return child_may_decide(date_of_birth, today, competence_assessed)
    return deny(f"{kind} is not a family lead")


def lead_in_the_way(
    viewer: Viewer,
    child: ChildFacts,
    *,
    lead_id: str | None,
    lead: PractitionerFact | None,
    now: datetime,
) -> bool:
    """Whether someone else leads for the child, as far as `viewer` may know: naming
    oneself lead on one's own involvement never takes the role from a lead one can see
    (they stand down first, or the team appoints). A practitioner lead that R6 hides
    from the viewer (a sensitive service's) is, for them, nobody: refusing because of
    them would tell the viewer that the child goes to such a service (the "no lead"
    they read beside "someone leads"), so the viewer is answered as where nobody leads,
    and the hidden lead is replaced and told, as an appointment by the team would.
    A carer or the young person leading is whereabouts only (R4), decided before this."""
    if lead_id is None or lead_id == viewer.practitioner_id:
        return False
    if lead is None:
        return True
    return bool(disclosure.decide(viewer, disclosure.LeadProfessional(lead), child, now))
