"""R10: who can consent, and whether a consent record counts today.

CAF guide 4.11-4.24: a competent child's decision stands over a parent's; one
parent's consent is enough; consent is for a stated purpose, may expire, and can be
withdrawn at any time. Nothing here is cached between requests: withdrawal takes
effect on the very next request because every request decides afresh.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from policies.ages import age_on
from policies.decision import Decision, allow, deny
from policies.facts import ChildFacts, ConsentFact, OverrideFact, ServiceFact
from policies.overrides import active_override
from policies.viewer import Role, Viewer

__all__ = [
    "MAX_SCOPE",
    "PURPOSES",
    "carer_may_consent",
    "check_scope",
    "child_may_decide",
    "competent_refusals",
    "consent_path",
    "effective_state",
    "entitled_giver",
    "grant_counts",
    "may_record_consent",
    "may_withdraw",
    "outweighing_refusal",
    "record_visible",
]

#: At most this many services, practitioners or services granted to, in one record.
MAX_SCOPE = 20

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


def competent_refusals(
    records: Iterable[ConsentFact],
    *,
    purpose: str,
    date_of_birth: date,
    service_id: str | None = None,
    assessment_id: str | None = None,
) -> list[ConsentFact]:
    """Refusals of `purpose` by the child, entitled when recorded, that reach this scope.

    Only a competent child's refusal outweighs a grant (R10); a carer's refusal does not
    cancel another carer's consent, because one is enough (CAF guide 4.15).
    """
    return [
        record
        for record in records
        if record.purpose == purpose
        and record.state == "REFUSED"
        and record.given_by_child
        and _refusal_covers(record, service_id, assessment_id)
        and entitled_giver(record, date_of_birth)
    ]


def outweighing_refusal(grant: ConsentFact, refusals: Iterable[ConsentFact]) -> ConsentFact | None:
    """The refusal that outweighs this grant, if any (R10, CAF guide 4.14).

    A competent child's refusal outweighs every carer's grant, earlier or later; the
    child's own later grant supersedes the child's earlier refusal.
    """
    for refusal in refusals:
        if not grant.given_by_child or refusal.recorded_on > grant.recorded_on:
            return refusal
    return None


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
    records = list(records)
    refusals = competent_refusals(
        records,
        purpose=purpose,
        date_of_birth=date_of_birth,
        service_id=service_id,
        assessment_id=assessment_id,
    )
    grants = [
        record
        for record in records
        if record.purpose == purpose
        and record.state != "REFUSED"
        and _covers(record, service_id, assessment_id)
        and _granted_to(record, viewer, practitioner_id)
    ]
    for grant in grants:
        if not grant_counts(grant, date_of_birth, today):
            continue
        if outweighing_refusal(grant, refusals) is not None:
            continue
        return allow(f"R6b/R10: consent {grant.id} covers this")
    if refusals:
        return deny("R10: the competent child refused; a refusal outweighs a carer's grant")
    return deny(f"R10: no active {purpose} consent covers this viewer")


# --- Recording consent (R9, R10) -------------------------------------------------------


def may_record_consent(
    viewer: Viewer, *, involved: bool, overrides: Iterable[OverrideFact], now: datetime
) -> Decision:
    """Who may record, refuse, withdraw or list consent for a child.

    A practitioner with an active involvement with the child (they are the ones asking
    the child or family, CAF guide 4.11-4.12), or one holding an unexpired access
    override for that child (R9). A role alone is not enough: INDEX_ADMIN runs the
    index, it does not work with the child.
    """
    if viewer.practitioner_id is None or not (
        viewer.has(Role.PRACTITIONER) or viewer.has(Role.SAFEGUARDING_LEAD)
    ):
        return deny("R10: only a practitioner working with the child records consent")
    if involved:
        return allow("R10: the practitioner has an active involvement with the child")
    override = active_override(viewer, overrides, now)
    if override is not None:
        return allow(f"R9: access override {override.id}")
    return deny("R10: not involved with this child and no access override (R9)")


def carer_may_consent(*, cares_for_child: bool, parental_responsibility: bool) -> Decision:
    """R10, CAF guide 4.15: a carer of *this* child with parental responsibility; one is enough."""
    if not cares_for_child:
        return deny("not a carer of this child")
    if not parental_responsibility:
        return deny("no parental responsibility for this child")
    return allow("R10: a carer with parental responsibility (one is enough)")


def check_scope(
    purpose: str,
    *,
    covers_service_ids: frozenset[str],
    covers_assessment_id: str | None,
    granted_to: int,
    refusal: bool,
) -> tuple[Decision, str]:
    """A grant must say exactly what it is for (CAF guide 4.12: "detailing exactly what the
    consent is for"), or it could never count. Returns the decision and the input field
    at fault.
    """
    if purpose == "SHARE_CONTACT_DETAILS" and not covers_service_ids and not refusal:
        return deny("consent to share contact details must name the services it covers"), (
            "coversServiceIds"
        )
    if purpose == "SHARE_ASSESSMENT" and covers_assessment_id is None and not refusal:
        return deny("consent to share an assessment must name the assessment it covers"), (
            "coversAssessmentId"
        )
    if purpose in {"SHARE_CONTACT_DETAILS", "SHARE_ASSESSMENT"} and not refusal and not granted_to:
        return deny(
            "consent to share must name whom it is shared with (a practitioner or a service)"
        ), "grantedToPractitionerIds"
    return allow("R10: the scope is stated"), ""


def may_withdraw(record: ConsentFact, today: date) -> Decision:
    """Consent can be withdrawn at any time (R10), once; a refusal is not a grant."""
    if record.state == "REFUSED":
        return deny("a recorded refusal cannot be withdrawn; record a new consent instead")
    if record.state == "WITHDRAWN":
        return deny("this consent has already been withdrawn")
    return allow(
        f"R10: consent {record.id} is {effective_state(record, today)} and may be withdrawn"
    )


def record_visible(
    viewer: Viewer,
    child: ChildFacts,
    services: Iterable[ServiceFact],
    today: date,
    now: datetime,
) -> Decision:
    """May the viewer see a consent record that names these services (R6)?

    A grant covering the sexual health clinic, or naming its nurse, says the child goes
    there as plainly as the involvement does, so every sensitive service a record names
    (covered, granted to, or the service of a practitioner granted to) must be one the
    viewer may already see under R6. Otherwise the record is omitted entirely.
    """
    # Imported here: visibility builds on this module (consent paths), not the reverse.
    from policies.visibility import sensitive_service_visible

    for service in services:
        decision = sensitive_service_visible(viewer, child, service, today, now)
        if not decision:
            return deny(f"R6: the record names a sensitive service ({decision.reason})")
    return allow("R6: the record names no sensitive service hidden from the viewer")
