"""R10: who can consent, and whether a consent record counts today.

CAF guide 4.11-4.24: a competent child's decision stands over a parent's; one
parent's consent is enough; consent is for a stated purpose, may expire, and can be
withdrawn at any time. Nothing here is cached between requests: withdrawal takes
effect on the very next request because every request decides afresh.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from policies.ages import age_on
from policies.decision import Decision, allow, deny
from policies.facts import ConsentFact
from policies.viewer import Viewer

__all__ = [
    "PURPOSES",
    "child_may_decide",
    "consent_path",
    "effective_state",
    "entitled_giver",
    "grant_counts",
]

PURPOSES = frozenset(
    {"SHARE_CONTACT_DETAILS", "UNDERTAKE_ASSESSMENT", "STORE_ASSESSMENT", "SHARE_ASSESSMENT"}
)


def child_may_decide(date_of_birth: date, on: date, competence_assessed: bool) -> Decision:
    """R10: 16 and over always; 12 to 15 when competence was assessed; under 12 never."""
    age = age_on(date_of_birth, on)
    if age >= 16:
        return allow("R10: the child is 16 or over")
    if age >= 12 and competence_assessed:
        return allow("R10: the child is 12 to 15 and was assessed as competent")
    if age >= 12:
        return deny("R10: a child aged 12 to 15 needs competence assessed to consent")
    return deny("R10: a child under 12 cannot give or refuse consent alone")


def entitled_giver(record: ConsentFact, date_of_birth: date) -> Decision:
    """Was the person who gave (or refused) this consent entitled to? Judged when recorded."""
    if record.given_by_child:
        return child_may_decide(
            date_of_birth, record.recorded_on.date(), record.competence_assessed
        )
    if record.giver_has_parental_responsibility:
        return allow("R10: a carer with parental responsibility (one is enough)")
    return deny("R10: the carer does not hold parental responsibility for this child")


def effective_state(record: ConsentFact, today: date) -> str:
    """The state as of today: an ACTIVE grant past its expiry date is EXPIRED."""
    if record.state == "ACTIVE" and record.expires_on is not None and record.expires_on < today:
        return "EXPIRED"
    return record.state


def _covers(record: ConsentFact, service_id: str | None, assessment_id: str | None) -> bool:
    if service_id is not None and service_id in record.covers_service_ids:
        return True
    return assessment_id is not None and record.covers_assessment_id == assessment_id


def _refusal_covers(record: ConsentFact, service_id: str | None, assessment_id: str | None) -> bool:
    # A refusal that names no scope refuses the purpose outright: the safe reading.
    if not record.covers_service_ids and record.covers_assessment_id is None:
        return True
    return _covers(record, service_id, assessment_id)


def _granted_to(record: ConsentFact, viewer: Viewer, practitioner_id: str | None) -> bool:
    who = practitioner_id if practitioner_id is not None else viewer.practitioner_id
    if who is not None and who in record.granted_to_practitioner_ids:
        return True
    return bool(record.granted_to_service_ids & viewer.service_ids)


def grant_counts(record: ConsentFact, date_of_birth: date, today: date) -> Decision:
    state = effective_state(record, today)
    if state != "ACTIVE":
        return deny(f"R10: consent {record.id} is {state}")
    entitled = entitled_giver(record, date_of_birth)
    if not entitled:
        return entitled
    return allow(f"R10: consent {record.id} is active and was given by someone entitled")


def consent_path(
    viewer: Viewer,
    records: Iterable[ConsentFact],
    *,
    purpose: str,
    date_of_birth: date,
    today: date,
    service_id: str | None = None,
    assessment_id: str | None = None,
    practitioner_id: str | None = None,
) -> Decision:
    """Is there an ACTIVE, entitled grant of `purpose` covering the scope and naming the viewer
    (or their service), with no later refusal by the competent child for the same scope?

    `practitioner_id` asks on behalf of another practitioner (addTeamMember: "does a
    grant cover the new member?"); by default the viewer is asked about.
    """
    grants: list[ConsentFact] = []
    refusals: list[ConsentFact] = []
    for record in records:
        if record.purpose != purpose:
            continue
        if record.state == "REFUSED":
            # Only a competent child's refusal outweighs a grant (R10); a carer's refusal
            # does not cancel another carer's consent, because one is enough.
            if (
                record.given_by_child
                and _refusal_covers(record, service_id, assessment_id)
                and entitled_giver(record, date_of_birth)
            ):
                refusals.append(record)
        elif _covers(record, service_id, assessment_id) and _granted_to(
            record, viewer, practitioner_id
        ):
            grants.append(record)
    for grant in grants:
        decision = grant_counts(grant, date_of_birth, today)
        if not decision:
            continue
        outweighing = [
            r for r in refusals if not grant.given_by_child or r.recorded_on > grant.recorded_on
        ]
        if outweighing:
            continue
        return allow(f"R6b/R10: consent {grant.id} covers this")
    if refusals:
        return deny("R10: the competent child refused; a refusal outweighs a carer's grant")
    return deny(f"R10: no active {purpose} consent covers this viewer")
