"""R7 and R8: who may read and change a common assessment, and what must exist first.

Everyone allowed R3 sees that a CAF exists, its status and holder (the index view).
The CAF itself is visible only to its holder, to team members covered by an ACTIVE
SHARE_ASSESSMENT consent, and under an access override (R9). Nothing is stored
without informed consent to undertake and to store it (R8, CAF guide 4.11, 4.17,
4.18), and that consent is asked afresh on every write: a withdrawal stops the next
one. The CAF's content is organised in the three domains of CAF guide Table 1.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from policies.consent import (
    competent_refusals,
    consent_path,
    grant_counts,
    outweighing_refusal,
)
from policies.decision import Decision, Rule, allow, deny
from policies.facts import ConsentFact, OverrideFact
from policies.overrides import active_override
from policies.viewer import Role, Viewer
from policies.vocabulary import (
    AssessmentDomain,
    AssessmentStatus,
    ClosureOutcome,
    ConsentPurpose,
    Outcome,
    ProgressRating,
)

__all__ = [
    "CAF_ELEMENTS",
    "CLOSING_STATUSES",
    "AssessmentAccessFacts",
    "canonical_element",
    "is_open",
    "may_appoint_lead",
    "may_be_lead",
    "may_change_assessment",
    "may_join_team",
    "may_read_assessment",
    "may_start_assessment",
    "may_store_assessment",
    "may_update_action",
    "store_consent",
]

#: CAF guide Table 1, "Elements within the three domains": each element's name as the
#: CAF form heads it, with Table 1's fuller wording. Either, or the name's first phrase
#: (before a comma), is accepted, in any case; the name is what is stored.
CAF_ELEMENTS: Mapping[AssessmentDomain, Mapping[str, str]] = {
    AssessmentDomain.DEVELOPMENT_OF_CHILD: {
        "Health": "Health: general health, physical development and speech, language and "
        "communications development",
        "Emotional and social development": "Emotional and social development",
        "Behavioural development": "Behavioural development",
        "Identity": "Identity, including self-esteem, self-image and social presentation",
        "Family and social relationships": "Family and social relationships",
        "Self-care skills and independence": "Self-care skills and independence",
        "Learning": "Learning: understanding, reasoning and problem solving, participation in "
        "learning, education and employment, progress and achievement, aspirations",
    },
    AssessmentDomain.PARENTS_AND_CARERS: {
        "Basic care, ensuring safety and protection": "Basic care, ensuring safety and protection",
        "Emotional warmth and stability": "Emotional warmth and stability",
        "Guidance, boundaries and stimulation": "Guidance, boundaries and stimulation",
    },
    AssessmentDomain.FAMILY_AND_ENVIRONMENT: {
        "Family history, functioning and well-being": "Family history, functioning and well-being",
        "Wider family": "Wider family",
        "Housing, employment and financial considerations": "Housing, employment and "
        "financial considerations",
        "Social and community elements and resources": "Social and community elements and "
        "resources, including education",
    },
}

#: closeAssessment ends a CAF as one of these; TRANSFERRED_TO_SOCIAL_CARE is "stepping
#: up" (ICS guidance note 4.2): the CAF supported a referral to children's social care.
CLOSING_STATUSES = frozenset({AssessmentStatus.CLOSED, AssessmentStatus.TRANSFERRED_TO_SOCIAL_CARE})

_STORE_PURPOSES = (ConsentPurpose.UNDERTAKE_ASSESSMENT, ConsentPurpose.STORE_ASSESSMENT)
_NOT_WORDS = re.compile(r"[^a-z]+")


def _key(text: str) -> str:
    return _NOT_WORDS.sub(" ", text.casefold()).strip()


def canonical_element(domain: AssessmentDomain, element: str) -> str | None:
    """The Table 1 element of `domain` that `element` names, or None when it is not one of
    that domain's elements (CAF guide 4.5-4.7)."""
    wanted = _key(element)
    if not wanted:
        return None
    for name, wording in CAF_ELEMENTS.get(domain, {}).items():
        if wanted in (_key(name), _key(wording), _key(name.split(",", 1)[0])):
            return name
    return None


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
        return allow("R7: the viewer holds this CAF", Rule.R7)
    if me is not None and me in facts.team_ids:
        path = consent_path(
            viewer,
            facts.consents,
            purpose="SHARE_ASSESSMENT",
            date_of_birth=facts.date_of_birth,
            today=now.date(),
            assessment_id=facts.assessment_id,
            now=now,
        )
        if path:
            return allow(f"R7: team member covered by consent ({path.reason})", Rule.R7)
    override = active_override(viewer, facts.overrides, now)
    if override is not None:
        return allow(f"R7/R9: access override {override.id}", Rule.R9, override.id)
    return deny("R7: not the holder, not a consented team member, no override", Rule.R7)


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


# --- Storing (R8) ----------------------------------------------------------------------


def _addressed_to(record: ConsentFact, viewer: Viewer) -> bool:
    """A grant naming no recipient is consent to the CAF by whoever undertakes it; one that
    names recipients is consent for them only."""
    if not record.granted_to_practitioner_ids and not record.granted_to_service_ids:
        return True
    if viewer.practitioner_id in record.granted_to_practitioner_ids:
        return True
    return bool(record.granted_to_service_ids & viewer.service_ids)


def store_consent(
    viewer: Viewer,
    consents: Iterable[ConsentFact],
    date_of_birth: date,
    today: date,
    *,
    assessment_id: str | None = None,
    only_ids: frozenset[str] | None = None,
) -> Decision:
    """R8: is there an ACTIVE, entitled UNDERTAKE_ASSESSMENT and STORE_ASSESSMENT grant?

    A grant counts when it covers no assessment or this one, is addressed to the viewer
    (or to nobody in particular), and is not outweighed by a competent child's refusal
    (R10). `only_ids` limits the grants to those named (startAssessment's consentIds).
    """
    records = list(consents)
    missing = []
    for purpose in _STORE_PURPOSES:
        refusals = competent_refusals(
            records, purpose=purpose, date_of_birth=date_of_birth, assessment_id=assessment_id
        )
        found = False
        for record in records:
            if (
                record.purpose != purpose
                or record.state == "REFUSED"
                or (only_ids is not None and record.id not in only_ids)
                or record.covers_assessment_id not in (None, assessment_id)
                or not _addressed_to(record, viewer)
                or not grant_counts(record, date_of_birth, today)
                or outweighing_refusal(record, refusals) is not None
            ):
                continue
            found = True
            break
        if not found:
            missing.append(purpose)
    if missing:
        return deny("R8: no active consent to " + " and ".join(_verb(p) for p in missing))
    return allow("R8: consent to undertake and store the assessment is active")


def _verb(purpose: str) -> str:
    return {"UNDERTAKE_ASSESSMENT": "undertake", "STORE_ASSESSMENT": "store"}[purpose] + (
        " the assessment"
    )


def may_start_assessment(
    viewer: Viewer,
    consent_ids: frozenset[str],
    consents: Iterable[ConsentFact],
    date_of_birth: date,
    today: date,
) -> Decision:
    """R8, CAF guide 4.11 and 4.18: the named consents must include active grants to
    undertake and to store the CAF; without them nothing is stored."""
    return store_consent(viewer, consents, date_of_birth, today, only_ids=consent_ids)


def may_join_team(
    member_id: str,
    member_service_ids: frozenset[str],
    consents: Iterable[ConsentFact],
    date_of_birth: date,
    today: date,
    assessment_id: str,
) -> Decision:
    """R8: a new team member needs a SHARE_ASSESSMENT grant covering this CAF and naming
    them or their service (CAF guide 4.12: explicit consent for sharing)."""
    member = Viewer(
        subject=member_id,
        roles=frozenset({Role.PRACTITIONER}),
        practitioner_id=member_id,
        service_ids=member_service_ids,
    )
    decision = consent_path(
        member,
        consents,
        purpose="SHARE_ASSESSMENT",
        date_of_birth=date_of_birth,
        today=today,
        assessment_id=assessment_id,
    )
    if decision:
        return allow(f"R8: {decision.reason}")
    return deny(f"R8: no active consent to share this assessment with them ({decision.reason})")


# --- Changing a CAF --------------------------------------------------------------------


def is_open(status: str) -> Decision:
    if status == "OPEN":
        return allow("the CAF is OPEN")
    return deny(f"the assessment is {status}; a closed CAF is not changed")


def may_change_assessment(viewer: Viewer, facts: AssessmentAccessFacts) -> Decision:
    """The holder (the practitioner who undertook the CAF) keeps it: needs, strengths,
    actions, the team and the review date are theirs to record (CAF guide 4.9-4.10)."""
    if viewer.practitioner_id is not None and viewer.practitioner_id == facts.holder_id:
        return allow("the viewer holds this CAF")
    return deny("only the holder of this CAF may change it")


def may_update_action(
    viewer: Viewer, facts: AssessmentAccessFacts, owner_id: str | None, now: datetime
) -> Decision:
    """ICS guidance note, Hannah's story: a team member given access "so that he can update
    his actions". The holder updates any action; a team member who may read the CAF
    (R7) updates the actions they own."""
    if may_change_assessment(viewer, facts):
        return allow("the viewer holds this CAF")
    if owner_id is None or owner_id != viewer.practitioner_id:
        return deny("only the holder, or the team member who owns an action, may update it")
    if viewer.practitioner_id not in facts.team_ids:
        return deny("only the holder, or the team member who owns an action, may update it")
    read = may_read_assessment(viewer, facts, now)
    if not read:
        return deny(f"the owner may no longer read this CAF ({read.reason})")
    return allow(f"the owner of the action, who may read the CAF ({read.reason})")


# --- Lead professional -----------------------------------------------------------------


def may_appoint_lead(
    viewer: Viewer,
    *,
    involved: bool,
    holds_open_caf: bool,
    overrides: Iterable[OverrideFact],
    now: datetime,
) -> Decision:
    """Who records the lead professional on the index: a practitioner working with the
    child (ICS guidance note 3.1: "Melanie ensures that this is recorded"), the holder of
    an OPEN CAF, or one holding an override (R9)."""
    if viewer.practitioner_id is None or not (
        viewer.has(Role.PRACTITIONER) or viewer.has(Role.SAFEGUARDING_LEAD)
    ):
        return deny("only a practitioner working with the child records a lead professional")
    if involved:
        return allow("the practitioner is involved with the child")
    if holds_open_caf:
        return allow("the practitioner holds the child's OPEN CAF")
    override = active_override(viewer, overrides, now)
    if override is not None:
        return allow(f"R9: access override {override.id}", Rule.R9, override.id)
    return deny("not involved with this child, no OPEN CAF held and no access override (R9)")


def may_be_lead(*, involvement_visible: bool, in_open_team: bool) -> Decision:
    """The lead professional comes from the practitioners working with the child: an
    active involvement the appointer may see (R6: a hidden sensitive involvement must not
    be confirmed by accepting it), or a place in the team around the child."""
    if involvement_visible or in_open_team:
        return allow("the practitioner works with the child")
    return deny(
        "the lead professional must be working with the child: an active involvement or a "
        "member of the team around the child"
    )


# --- The CAF's course: reviews, hand-over, stepping up and down --------------------------

#: How a review rates progress against one need (the delivery plan and review form).
PROGRESS_RATINGS = tuple(ProgressRating)

#: The five Every Child Matters outcomes the pre-assessment checklist goes through (4.8).
OUTCOMES = tuple(Outcome)

#: Why a CAF ended, for management information (R11 counts them by this, never by the
#: free-text reason). closeAssessment derives one from the status when none is given.
CLOSURE_OUTCOMES = tuple(ClosureOutcome)


def default_closure_outcome(status: str) -> str:
    return "TRANSFERRED_TO_SOCIAL_CARE" if status == "TRANSFERRED_TO_SOCIAL_CARE" else "NEEDS_MET"


def review_date(held_on: date, started_on: date, today: date) -> Decision:
    """A review is recorded after it is held: not in the future, not before the CAF."""
    if held_on > today:
        return deny("a review is recorded once it has been held: heldOn cannot be in the future")
    if held_on < started_on:
        return deny("heldOn cannot be before the CAF was started")
    return allow("the review date is within the CAF's life")


def may_hand_over(
    viewer: Viewer, facts: AssessmentAccessFacts, holder_reachable: bool, now: datetime
) -> Decision:
    """The holder hands the CAF on. When the holder has left or is unavailable (R17) and so
    cannot, a team member who may read the CAF (R7) takes it on for the child's sake."""
    if may_change_assessment(viewer, facts):
        return allow("the viewer holds this CAF")
    if holder_reachable:
        return deny("only the holder of this CAF may hand it over")
    if viewer.practitioner_id not in facts.team_ids:
        return deny("only the holder, or a team member when the holder has left, may hand over")
    read = may_read_assessment(viewer, facts, now)
    if not read or read.override_id is not None:
        return deny("only the holder, or a team member when the holder has left, may hand over")
    return allow(f"R17: the holder has left; a team member takes it on ({read.reason})", Rule.R17)


def may_step_down(
    viewer: Viewer, facts: AssessmentAccessFacts, social_worker_id: str | None
) -> Decision:
    """ICS guidance note 4.2: whether and when the CAF comes back from social care is
    decided between the lead professional and the social worker: either records it."""
    if may_change_assessment(viewer, facts):
        return allow("the viewer holds this CAF")
    if social_worker_id is not None and viewer.practitioner_id == social_worker_id:
        return allow("the social worker who took the case")
    return deny("only the holder or the social worker may step the CAF down")


def may_leave_team(viewer: Viewer, facts: AssessmentAccessFacts) -> Decision:
    if viewer.practitioner_id is None or viewer.practitioner_id not in facts.team_ids:
        return deny("you are not in the team around this child")
    if viewer.practitioner_id == facts.holder_id:
        return deny("the holder hands the CAF over before leaving its team")
    return allow("a team member may leave the team")


def may_read_sharing_decisions(
    viewer: Viewer,
    *,
    is_lead_professional: bool,
    reads_a_caf: bool,
    child_local_authority: str | None,
) -> Decision:
    """CAF guide 4.24: decisions to share or not are recorded so that those working with
    the child can see what was decided: the lead professional, the CAF team (those R7 lets
    read one of the child's CAFs) and the SAFEGUARDING_LEAD of the child's area."""
    if viewer.has(Role.SAFEGUARDING_LEAD) and (
        viewer.local_authority is not None and viewer.local_authority == child_local_authority
    ):
        return allow("SAFEGUARDING_LEAD of the child's local authority")
    if viewer.practitioner_id is None:
        return deny("only the lead professional, the CAF team or the area's safeguarding lead")
    if is_lead_professional:
        return allow("the child's lead professional")
    if reads_a_caf:
        return allow("in the team around the child, reading its CAF (R7)")
    return deny("only the lead professional, the CAF team or the area's safeguarding lead")


def may_list_overdue(viewer: Viewer, local_authority: str) -> Decision:
    """INDEX_ADMIN of the area sees every overdue review there; a practitioner sees those
    of the CAFs they hold and of the children they are lead professional for."""
    if viewer.has(Role.INDEX_ADMIN):
        if viewer.local_authority == local_authority:
            return allow("INDEX_ADMIN of this local authority")
        return deny("INDEX_ADMIN sees the overdue reviews of their own local authority only")
    if viewer.practitioner_id is not None and (
        viewer.has(Role.PRACTITIONER) or viewer.has(Role.SAFEGUARDING_LEAD)
    ):
        return allow("the holder's or lead professional's own CAFs")
    return deny("only lead professionals, CAF holders and INDEX_ADMIN list overdue reviews")
