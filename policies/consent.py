"""R10 and R6b: who can consent, who may record it, and whether a consent record counts.

CAF guide 4.11-4.24: a competent child's decision stands over a parent's; one
parent's consent is enough; consent is for a stated purpose, may expire, and can be
withdrawn at any time. Nothing here is cached between requests: withdrawal takes
effect on the very next request because every request decides afresh.

R6b: the child confided in a sensitive service, so only that service can pass on the
child's consent to share that involvement. A grant covering a sensitive service counts
only when a practitioner of that service recorded it (`ConsentFact.recorded_by_service_ids`,
fixed at write time), and nobody may record a consent naming a sensitive service they
may not see (`service_naming`): otherwise anyone involved with the child could open the
clinic to themselves by writing the consent.

R10: a consent recorded by someone whose only standing with the child is an access
override (R9) lasts no longer than that override (`recording_terms`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import Enum

from policies.ages import age_on
from policies.decision import Decision, allow, deny
from policies.facts import ChildFacts, ConsentFact, OverrideFact, ServiceFact
from policies.overrides import active_override
from policies.viewer import Role, Viewer
from policies.vocabulary import ConsentPurpose, ConsentState

__all__ = [
    "MAX_SCOPE",
    "RecordingTerms",
    "ServiceNaming",
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
    "recording_terms",
    "service_naming",
]

#: At most this many services, practitioners or services granted to, in one record.
MAX_SCOPE = 20
#: The purposes that share something with someone: a grant must name whom.
_SHARING = frozenset({ConsentPurpose.SHARE_CONTACT_DETAILS, ConsentPurpose.SHARE_ASSESSMENT})


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


def effective_state(record: ConsentFact, today: date, now: datetime | None = None) -> str:
    """The state as of today: an ACTIVE grant past its expiry date is EXPIRED.

    R10: a grant recorded on the strength of an access override alone is EXPIRED from the
    moment the override ends. Its `expires_on` was clamped to that day when it was
    recorded, so a caller that knows only the date still stops counting it after that
    day; one that passes `now` stops at the very hour.
    """
    if record.state != ConsentState.ACTIVE:
        return record.state
    if record.expires_on is not None and record.expires_on < today:
        return ConsentState.EXPIRED
    if record.standing_until is not None and now is not None and now >= record.standing_until:
        return ConsentState.EXPIRED
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


def grant_counts(
    record: ConsentFact, date_of_birth: date, today: date, now: datetime | None = None
) -> Decision:
    state = effective_state(record, today, now)
    if state != ConsentState.ACTIVE:
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
        and record.state == ConsentState.REFUSED
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
    sensitive: bool = True,
    now: datetime | None = None,
) -> Decision:
    """Is there an ACTIVE, entitled grant of `purpose` covering the scope and naming the viewer
    (or their service), with no later refusal by the competent child for the same scope?

    `practitioner_id` asks on behalf of another practitioner (addTeamMember: "does a
    grant cover the new member?"); by default the viewer is asked about.

    R6b: when asked about a sensitive service, a grant counts only if a practitioner of
    that service recorded it. `sensitive` says whether the service asked about is; it
    defaults to True because R6 only ever asks about sensitive services (R5 shows the
    others without consent), so forgetting it fails closed.

    R10: `now`, when given, stops a grant recorded under an override alone at the very
    moment the override ended; without it the clamped expiry date does, a day later.
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
        and record.state != ConsentState.REFUSED
        and _covers(record, service_id, assessment_id)
        and _granted_to(record, viewer, practitioner_id)
    ]
    not_by_the_service = None
    for grant in grants:
        if not grant_counts(grant, date_of_birth, today, now):
            continue
        if not _recorded_by_covered_service(grant, service_id, sensitive):
            not_by_the_service = grant
            continue
        if outweighing_refusal(grant, refusals) is not None:
            continue
        return allow(f"R6b/R10: consent {grant.id} covers this")
    if refusals:
        return deny("R10: the competent child refused; a refusal outweighs a carer's grant")
    if not_by_the_service is not None:
        return deny(
            f"R6b: consent {not_by_the_service.id} was not recorded by a practitioner of the "
            "service it covers"
        )
    return deny(f"R10: no active {purpose} consent covers this viewer")


def _recorded_by_covered_service(
    record: ConsentFact, service_id: str | None, sensitive: bool
) -> bool:
    """R6b: only the sensitive service the child confided in passes on consent to share it."""
    if service_id is None or not sensitive:
        return True
    return service_id in record.recorded_by_service_ids


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
    if purpose == ConsentPurpose.SHARE_CONTACT_DETAILS and not covers_service_ids and not refusal:
        return deny("consent to share contact details must name the services it covers"), (
            "coversServiceIds"
        )
    if purpose == ConsentPurpose.SHARE_ASSESSMENT and covers_assessment_id is None and not refusal:
        return deny("consent to share an assessment must name the assessment it covers"), (
            "coversAssessmentId"
        )
    if (
        purpose in {ConsentPurpose.SHARE_CONTACT_DETAILS, ConsentPurpose.SHARE_ASSESSMENT}
        and not refusal
        and not granted_to
    ):
        return deny(
            "consent to share must name whom it is shared with (a practitioner or a service)"
        ), "grantedToPractitionerIds"
    return allow("R10: the scope is stated"), ""


def may_withdraw(record: ConsentFact, today: date) -> Decision:
    """Consent can be withdrawn at any time (R10), once; a refusal is not a grant."""
    if record.state == ConsentState.REFUSED:
        return deny("a recorded refusal cannot be withdrawn; record a new consent instead")
    if record.state == ConsentState.WITHDRAWN:
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


# --- What a recorder may name (R6, R6b) -----------------------------------------------


class ServiceNaming(Enum):
    """How a service named in a consent being recorded fares (R6, R6b).

    NOT_FOUND is the one answer for a service id that does not exist *and* for a
    sensitive service R6 hides from the recorder: the two must be indistinguishable, or
    naming ids one at a time would tell the recorder which sensitive services exist and,
    worse, confirm an involvement R6 hides (no fishing).
    """

    ALLOWED = "ALLOWED"
    NOT_FOUND = "NOT_FOUND"
    #: R6b: the recorder may see this sensitive involvement (consent path, override) but
    #: does not work for the service, so may not pass on consent to share it.
    NOT_THE_RECORDERS_SERVICE = "NOT_THE_RECORDERS_SERVICE"


def service_naming(
    viewer: Viewer,
    child: ChildFacts,
    service: ServiceFact | None,
    *,
    covered: bool,
    today: date,
    now: datetime,
) -> tuple[ServiceNaming, Decision]:
    """May the recorder name this service in a consent (or refusal) about this child?

    `service` is None when no service has the id named. `covered` is true for
    `coversServiceIds`, false for `grantedToServiceIds`. `child` must carry every consent
    record about the child and the recorder's own overrides, as R6 reads them.

    - A service that is not sensitive may always be named (R5: it is visible anyway).
    - Covering a sensitive service: only its own practitioners record consent to share
      it (R6b); anyone else is refused, and if R6 hides the service from them the refusal
      is NOT_FOUND, exactly as for an id that does not exist. This also covers refusals:
      a refusal naming the clinic says Hannah goes there as plainly as a grant.
    - Granting to a sensitive service: allowed only when R6 lets the recorder see that
      service for this child (their own, a consent path, an override); otherwise
      NOT_FOUND. A record granted to the clinic names the clinic (`record_visible`), so a
      recorder who may not see the clinic may not write one, nor learn that it exists.
    """
    if service is None:
        return ServiceNaming.NOT_FOUND, deny("no such service")
    if not service.is_sensitive:
        return ServiceNaming.ALLOWED, allow("R5: not a sensitive service")
    if covered and service.id in viewer.service_ids:
        return ServiceNaming.ALLOWED, allow("R6b: the recorder works for the service covered")
    # Imported here: visibility builds on this module (consent paths), not the reverse.
    from policies.visibility import sensitive_service_visible

    seen = sensitive_service_visible(viewer, child, service, today, now)
    if not seen:
        return ServiceNaming.NOT_FOUND, deny(
            f"R6: names a sensitive service hidden from the recorder ({seen.reason})"
        )
    if covered:
        return ServiceNaming.NOT_THE_RECORDERS_SERVICE, deny(
            "R6b: only a practitioner of a sensitive service records consent to share it"
        )
    return ServiceNaming.ALLOWED, allow(f"R6: the recorder may see this service ({seen.reason})")


# --- The terms a consent is recorded on (R10) -------------------------------------------


@dataclass(frozen=True, slots=True)
class RecordingTerms:
    """What R10 fixes about a consent at the moment it is recorded."""

    expires_on: date | None
    #: The end of the override that was the recorder's only standing, if it was.
    standing_until: datetime | None = None
    override_id: str | None = None


def _utc_date(moment: datetime) -> date:
    # Dates in this system are UTC dates (the request's `today` is `now.date()` in UTC).
    return moment.astimezone(UTC).date() if moment.tzinfo is not None else moment.date()


def recording_terms(
    viewer: Viewer,
    *,
    involved: bool,
    overrides: Iterable[OverrideFact],
    now: datetime,
    expires_on: date | None,
    refusal: bool,
) -> RecordingTerms:
    """R10: a consent recorded by someone whose only standing with the child is an access
    override (R9) expires no later than that override.

    The expiry date is clamped to the override's last day (shown as `expiresOn`), and the
    exact end is kept (`standing_until`) so that `consent_path`, given `now`, stops
    counting the grant the moment the override ends, not at the end of that day. An
    involved recorder's own choice stands. A refusal is never clamped: it only ever
    narrows sharing, and letting it lapse with the override would re-open what the
    child refused.
    """
    if involved or refusal:
        return RecordingTerms(expires_on)
    override = active_override(viewer, overrides, now)
    if override is None:
        # may_record_consent refuses this recorder; nothing to clamp to.
        return RecordingTerms(expires_on)
    last_day = _utc_date(override.expires_at)
    clamped = last_day if expires_on is None else min(expires_on, last_day)
    return RecordingTerms(clamped, override.expires_at, override.id)
