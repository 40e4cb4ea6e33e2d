"""The one decision point: may this viewer see this guarded item of this child?

Everything about a child beyond the core record (R3) is a guarded item: the address,
the carers and how to reach them, every involvement and each part of it, the lead
professional, each CAF summary and its holder, every contact detail, each entry of the
audit trail. `decide` answers for every one of them, and nothing else in the code
decides what a caller sees of a child: the shaping step in `api/shaping.py` asks here
for each item it could show and builds only what is allowed. A new guarded item is a
new `Item` case here and a line in the table test, not a guard at a call site.

The order of the questions is the order of the rules' strength:

1. R4, whereabouts. A shielded child shows only id, names, date of birth, gender, the
   CAF indicator, `shielded` and `shieldingContact`. Everything that says where the
   child lives, learns or is seen is withheld: address, carers, every involvement and
   every part of it, the lead professional, the CAF summaries and their holders. Only
   INDEX_ADMIN of the child's own local authority, or a SAFEGUARDING_LEAD in the first
   hour of their own override (R9), sees them.
2. R5 and R6, the involvement's window and its service's sensitivity.
3. R7, a CAF whose holder works for a sensitive service R6 hides is not there at all.
4. R17, a practitioner who has left or is unavailable is reached through their service.

Each `Decision` names its rule and, where an override made the difference, the
override's id, which the audit event records (R9, R14).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from policies import assessments, consent, shielding, visibility
from policies.audit import read_only_to_decide, reviews_others_acts, tells_notifications
from policies.decision import Decision, Rule, allow, deny
from policies.facts import (
    AssessmentSummaryFact,
    CarerFact,
    ChildFacts,
    InvolvementFact,
    PractitionerFact,
    ServiceFact,
)
from policies.viewer import Role, Viewer
from policies.vocabulary import PractitionerAvailability

__all__ = [
    "AssessmentContent",
    "AssessmentExists",
    "AssessmentPractitioner",
    "AssessmentSummary",
    "AuditActor",
    "AuditDelivery",
    "AuditEntry",
    "AuditReadToDecide",
    "AuditReview",
    "CarerContact",
    "Carers",
    "ConsentRecord",
    "FamilyCopyPractitioner",
    "FamilyLead",
    "HomeAddress",
    "Involvement",
    "Item",
    "LeadProfessional",
    "LocalAuthority",
    "PractitionerContact",
    "ServiceContact",
    "SharingDecisionEntry",
    "Whereabouts",
    "available",
    "decide",
]


# --- The items -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Whereabouts:
    """Anything that says where the child lives, learns or is seen, taken together: what
    a network link to the child would carry (R4, R12)."""


@dataclass(frozen=True, slots=True)
class HomeAddress:
    """The child's own address (R4, and R4's household rule)."""


@dataclass(frozen=True, slots=True)
class Carers:
    """Who the child's parents and carers are: names, relationships (R4)."""


@dataclass(frozen=True, slots=True)
class LocalAuthority:
    """The child's own local authority, where a type shows it (match reviews; R4)."""


@dataclass(frozen=True, slots=True)
class CarerContact:
    """How to reach one carer (R4, and R4's household rule for carers)."""

    carer: CarerFact


@dataclass(frozen=True, slots=True)
class Involvement:
    """That this involvement exists, with its service, practitioner and dates (R4-R6)."""

    involvement: InvolvementFact


@dataclass(frozen=True, slots=True)
class ServiceContact:
    """A service's contact details, shown on the child's record (R4)."""

    service: ServiceFact


@dataclass(frozen=True, slots=True)
class PractitionerContact:
    """A practitioner's own contact details, shown on the child's record (R4, R17)."""

    practitioner: PractitionerFact


@dataclass(frozen=True, slots=True)
class LeadProfessional:
    """Who the lead professional is (R4; R6 for one from a sensitive service)."""

    practitioner: PractitionerFact


@dataclass(frozen=True, slots=True)
class FamilyLead:
    """That a carer or the young person leads for the child (CAF guide 3.8): who the
    child's family is and who coordinates their support is whereabouts (R4), like the
    carers and the lead professional."""


@dataclass(frozen=True, slots=True)
class AssessmentSummary:
    """A CAF's existence, status and holder in the index view (R4, R7)."""

    summary: AssessmentSummaryFact


@dataclass(frozen=True, slots=True)
class AssessmentExists:
    """Whether a CAF counts towards `hasCommonAssessment` (R7; R4 allows the indicator)."""

    summary: AssessmentSummaryFact


@dataclass(frozen=True, slots=True)
class AssessmentContent:
    """The CAF itself: needs, strengths, actions, the team around the child (R7; R4)."""

    access: assessments.AssessmentAccessFacts


@dataclass(frozen=True, slots=True)
class AssessmentPractitioner:
    """A practitioner named inside a CAF: team member, action owner, review attendee,
    assessor, social worker, holder, one named in its history. One from a sensitive
    service says the child goes there exactly as that involvement would, so the CAF shows
    them only where R6 shows the involvement (and R4 as for any of the child's team)."""

    practitioner: PractitionerFact


@dataclass(frozen=True, slots=True)
class FamilyCopyPractitioner:
    """A practitioner named in the copy of the CAF given to the child and family (CAF
    guide 4.9). The copy is read by the child and by their parents alike, so it holds
    nothing R6 would withhold from a family member's own view: no one from a sensitive
    service, whatever the requesting practitioner may see (R6); R17 for their contact."""

    practitioner: PractitionerFact


@dataclass(frozen=True, slots=True)
class SharingDecisionEntry:
    """A recorded decision to share or not (CAF guide 4.24), by the services its recorder
    works for: one recorded from a sensitive service says the child goes there (R6), and
    for a shielded child any of them says who works with him (R4)."""

    services: tuple[ServiceFact, ...]


@dataclass(frozen=True, slots=True)
class ConsentRecord:
    """A consent record, by whom and what it names (R4, R6): the services it covers or is
    granted to (with the services of the practitioners it is granted to), those
    practitioners, and who recorded it."""

    services: tuple[ServiceFact, ...]
    practitioner_ids: frozenset[str]
    recorded_by: str | None = None
    #: The CAF the record covers (SHARE_ASSESSMENT), by id: one not there for the viewer
    #: (R7) makes the record not there either, or it would say the CAF exists.
    assessment_id: str | None = None


@dataclass(frozen=True, slots=True)
class AuditActor:
    """Who made an audit event, by the services they work for (R14 with R6)."""

    services: tuple[ServiceFact, ...]


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One `disclosed` or `denied` entry of an audit event, e.g. "Involvement:i-1.contact"."""

    entry: str


@dataclass(frozen=True, slots=True)
class AuditDelivery:
    """An audit event as a whole, by its action and what it disclosed: an event that
    records a notification told to someone is the telling of its entries, so it shows
    only where each of them would (R14 with R4-R7)."""

    action: str
    disclosed: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AuditReadToDecide:
    """An audit event as a whole, by what it withheld: one that read the child only to
    decide what to show its caller and showed nothing of them (its
    `policies.audit.read_to_decide` entry) is, in that child's trail, an event about what
    was withheld. The index team's own `recordErrors` listing reads every reported
    child's report to ask R6 about its reporter: shown for a child whose only report
    came from a sensitive service, it said such a service reported on the child."""

    denied: tuple[str, ...]
    #: Events written before `read_to_decide` entries: judged by their action and
    #: whether they disclosed a report (policies.audit.showed_no_record_error).
    action: str = ""
    disclosed: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AuditReview:
    """An audit event as a whole, by whether it reviewed what others did: AUDITOR's
    reading of a trail saw events as written, and a safeguarding lead's list of overrides
    to review saw overrides whoever recorded them, so in a child's trail either pairs the
    child with acts whose own events may be withheld (the auditor's `auditTrailOfSubject`
    of a clinic nurse named every child she acted on; the lead's review listing named the
    child a nurse's override was about, beside no override event)."""

    action: str
    role: str
    disclosed: tuple[str, ...]


Item = (
    Whereabouts
    | HomeAddress
    | Carers
    | LocalAuthority
    | CarerContact
    | Involvement
    | ServiceContact
    | PractitionerContact
    | LeadProfessional
    | FamilyLead
    | AssessmentSummary
    | AssessmentExists
    | AssessmentContent
    | AssessmentPractitioner
    | FamilyCopyPractitioner
    | SharingDecisionEntry
    | ConsentRecord
    | AuditActor
    | AuditEntry
    | AuditDelivery
    | AuditReadToDecide
    | AuditReview
)


# --- The decision ------------------------------------------------------------------------


def decide(viewer: Viewer, item: Item, child: ChildFacts, now: datetime) -> Decision:
    """May `viewer` see `item` of `child` at `now`? The only place this is decided."""
    today = now.date()
    match item:
        case HomeAddress():
            return shielding.home_address(viewer, child, now)
        case Whereabouts() | Carers() | LocalAuthority() | ServiceContact() | FamilyLead():
            return shielding.whereabouts(viewer, child, now)
        case CarerContact(carer):
            return shielding.carer_contact(viewer, child, carer, now)
        case Involvement(involvement):
            return _first_denial(
                shielding.whereabouts(viewer, child, now),
                visibility.involvement_visible(viewer, child, involvement, today, now),
            )
        case PractitionerContact(practitioner):
            return _first_denial(
                shielding.whereabouts(viewer, child, now), available(practitioner, today)
            )
        case LeadProfessional(practitioner) | AssessmentPractitioner(practitioner):
            return _first_denial(
                shielding.whereabouts(viewer, child, now),
                visibility.practitioner_visible(viewer, child, practitioner, today, now),
            )
        case AssessmentSummary(summary):
            return _first_denial(
                shielding.whereabouts(viewer, child, now),
                _assessment_there(viewer, child, summary, now),
            )
        case AssessmentExists(summary):
            return _assessment_there(viewer, child, summary, now)
        case AssessmentContent(access):
            # R4 lists what a shielded child shows, and the CAF is not on it: its team
            # is who works with him. R7 then says who may read it at all.
            return _first_denial(
                shielding.whereabouts(viewer, child, now),
                assessments.may_read_assessment(viewer, access, now),
            )
        case FamilyCopyPractitioner(practitioner):
            service = practitioner.service
            if service is not None and service.is_sensitive:
                return deny("R6: a sensitive service is not named in the family's copy", Rule.R6)
            return available(practitioner, today)
        case SharingDecisionEntry(services):
            return _first_denial(
                shielding.whereabouts(viewer, child, now),
                _audit_actor(viewer, child, services, now),
            )
        case ConsentRecord(services, practitioner_ids, recorded_by, assessment_id):
            mine = recorded_by is not None and recorded_by == viewer.practitioner_id
            return _first_denial(
                _covered_assessment_there(viewer, child, assessment_id, now),
                _consent_record(viewer, child, services, practitioner_ids, mine, now),
            )
        case AuditActor(services):
            return _audit_actor(viewer, child, services, now)
        case AuditEntry(entry):
            return _audit_entry(viewer, child, entry, now)
        case AuditDelivery(action, disclosed):
            return _audit_delivery(viewer, child, action, disclosed, now)
        case AuditReadToDecide(denied, action, disclosed):
            return _audit_read_to_decide(viewer, child, denied, action, disclosed)
        case AuditReview(action, role, disclosed):
            if viewer.has(Role.AUDITOR) or not reviews_others_acts(action, role, disclosed):
                return allow("R14: not a review of what others did", Rule.R14)
            return deny("R14: a review of what others did, which may be withheld", Rule.R14)


def _first_denial(*decisions: Decision) -> Decision:
    """All must allow. The answer is the first denial, or the allowance that rests on an
    override (so the audit event names it), or else the last allowance."""
    chosen = decisions[-1]
    for decision in decisions:
        if not decision:
            return decision
        if decision.override_id is not None:
            chosen = decision
    return chosen


def _assessment_there(
    viewer: Viewer, child: ChildFacts, summary: AssessmentSummaryFact, now: datetime
) -> Decision:
    """R7: a CAF held from a sensitive service that R6 hides is, for this viewer, not there."""
    seen = visibility.practitioner_visible(viewer, child, summary.holder, now.date(), now)
    if not seen:
        return deny(f"R7: the CAF's holder works for a sensitive service ({seen.reason})", Rule.R7)
    return seen


def _covered_assessment_there(
    viewer: Viewer, child: ChildFacts, assessment_id: str | None, now: datetime
) -> Decision:
    """R7: a record covering a CAF that is not there for the viewer would say it exists
    (its id, that someone shares it), so the record is not there either, even for the one
    who recorded it once R6 hides the CAF from them. A CAF the facts do not name is not
    known to be there: fail closed."""
    if assessment_id is None:
        return allow("R7: the record covers no CAF", Rule.R7)
    summary = next((a for a in child.assessments if a.id == assessment_id), None)
    if summary is None:
        return deny("R7: the CAF the record covers is not known", Rule.R7)
    return _assessment_there(viewer, child, summary, now)


def _consent_record(
    viewer: Viewer,
    child: ChildFacts,
    services: tuple[ServiceFact, ...],
    practitioner_ids: frozenset[str],
    mine: bool,
    now: datetime,
) -> Decision:
    """A consent record says who works with the child as plainly as an involvement does.

    R4: for a shielded child whose whereabouts are withheld, a record naming anyone but
    the viewer and their own services says who else works with him, so it is not there,
    unless the viewer recorded it (it tells them nothing they did not say).
    R6: a record naming a sensitive service the viewer may not see is not there either.
    """
    if not mine and not shielding.whereabouts(viewer, child, now):
        other_services = any(s.id not in viewer.service_ids for s in services)
        other_people = any(p != viewer.practitioner_id for p in practitioner_ids)
        if other_services or other_people:
            return deny("R4: the record names who else works with a shielded child", Rule.R4)
    seen = consent.record_visible(viewer, child, services, now.date(), now)
    return Decision(seen.allowed, seen.reason, Rule.R6)


def available(practitioner: PractitionerFact, today: date) -> Decision:
    """R17: a practitioner who has left their service, or is unavailable until a later
    date, is not to be contacted directly; their service is, instead."""
    if practitioner.availability == PractitionerAvailability.LEFT:
        return deny("R17: the practitioner has left their service", Rule.R17)
    if practitioner.availability == PractitionerAvailability.UNAVAILABLE and (
        practitioner.available_from is None or practitioner.available_from > today
    ):
        return deny("R17: the practitioner is unavailable", Rule.R17)
    return allow("R17: the practitioner is available", Rule.R17)


# --- The audit trail (R14) -------------------------------------------------------------

#: A refusal's reason that cites a rule deciding what is withheld of a child.
_SPEAKS_OF_WITHHELD = re.compile(r"\bR(?:4|6|6b|7)\b")
#: "Involvement:i-1.contact", "Child:c-1.address", "Child:c-1: not found".
_ENTRY = re.compile(r"^(?P<kind>[A-Z][A-Za-z]*):(?P<id>[^.:\s]+)(?:\.(?P<part>[A-Za-z]+))?")


def _audit_actor(
    viewer: Viewer, child: ChildFacts, services: tuple[ServiceFact, ...], now: datetime
) -> Decision:
    """An event made by a practitioner of a sensitive service says the child goes there:
    for anyone but AUDITOR it shows only if R6 would show that service's involvement."""
    if viewer.has(Role.AUDITOR):
        return allow("R14: AUDITOR reads the whole trail", Rule.R14)
    for service in services:
        seen = visibility.sensitive_service_visible(viewer, child, service, now.date(), now)
        if not seen:
            return deny(f"R14/R6: made from a sensitive service ({seen.reason})", Rule.R6)
    return allow("R14: the event's author says nothing R6 withholds", Rule.R14)


def _audit_entry(viewer: Viewer, child: ChildFacts, entry: str, now: datetime) -> Decision:
    """R14: an entry of the trail shows, to anyone but AUDITOR, only what the item it names
    would show to them on the child's own record. An entry this cannot attribute to an
    item of this child is withheld: the trail fails closed."""
    if viewer.has(Role.AUDITOR):
        return allow("R14: AUDITOR reads the whole trail", Rule.R14)
    kind = entry.partition(":")[0]
    if kind.startswith(("Query.", "Mutation.")) or (kind and kind[0].islower()):
        # A refusal of the request itself ("Query.child: R2: ..."): it says what the
        # caller was not allowed. Unless its reason is R4's, R6's or R7's: "R6b: only a
        # practitioner of a sensitive service records consent to share it" said that the
        # recorder could see a sensitive involvement of this child (red team).
        if _SPEAKS_OF_WITHHELD.search(entry):
            return deny("R14: a refusal whose reason says what R4/R6/R7 withhold", Rule.R14)
        return allow("R14: a request-level entry", Rule.R14)
    withheld = deny("R14: the entry names an item withheld from you", Rule.R14)
    named = _ENTRY.match(entry)
    if named is None:
        return withheld
    ident, part = named["id"], named["part"] or ""
    match kind:
        case "Child":
            if ident != child.id:
                return withheld
            return _child_part(viewer, child, part, now)
        case "Involvement":
            found = next((i for i in child.involvements if i.id == ident), None)
            if found is None:
                return withheld
            decision = decide(viewer, Involvement(found), child, now)
            if decision and part == "contact" and found.practitioner is not None:
                return decide(viewer, PractitionerContact(found.practitioner), child, now)
            return decision
        case "Carer":
            carer = next((k for k in child.carers if k.id == ident), None)
            if carer is None:
                return withheld
            return _first_denial(
                decide(viewer, Carers(), child, now),
                decide(viewer, CarerContact(carer), child, now),
            )
        case "Assessment":
            summary = next((a for a in child.assessments if a.id == ident), None)
            if summary is None:
                return withheld
            return decide(viewer, AssessmentSummary(summary), child, now)
    return withheld


def _audit_delivery(
    viewer: Viewer, child: ChildFacts, action: str, disclosed: tuple[str, ...], now: datetime
) -> Decision:
    """A notification's delivery shows only if all it told does. Its entries withheld one
    by one would still leave the event: "Melanie was told of a consent about Hannah" with
    no consent in the trail says that one was recorded where the reader may not look (a
    sensitive service, R6), and "told someone new works with her" with no new involvement
    says the same of an involvement. So the whole event goes with any entry it holds."""
    if viewer.has(Role.AUDITOR):
        return allow("R14: AUDITOR reads the whole trail", Rule.R14)
    if not tells_notifications(action):
        return allow("R14: not a notification's delivery", Rule.R14)
    for entry in disclosed:
        shown = _audit_entry(viewer, child, entry, now)
        if not shown:
            return deny(
                f"R14: the notification told what is withheld from you ({shown.reason})", shown.rule
            )
    return allow("R14: all the notification told is yours to see", Rule.R14)


def _audit_read_to_decide(
    viewer: Viewer,
    child: ChildFacts,
    denied: tuple[str, ...],
    action: str,
    disclosed: tuple[str, ...],
) -> Decision:
    """What an event showed of this child decides whether it is in their trail: one that
    showed nothing of them read them only for what it withheld, and to anyone but
    AUDITOR, judged entry by entry, it would be a bare event pairing its caller with the
    withheld thing (R14 with R4 no oracle, R6). Judged by the event's own record of it,
    not by its action: any path that reads children only to decide records the same."""
    if viewer.has(Role.AUDITOR):
        return allow("R14: AUDITOR reads the whole trail", Rule.R14)
    if read_only_to_decide(child.id, action, disclosed, denied):
        return deny("R14: the event read this child only to decide, and showed nothing", Rule.R14)
    return allow(
        "R14: the event showed something of this child, or read nothing to decide", Rule.R14
    )


def _child_part(viewer: Viewer, child: ChildFacts, head: str, now: datetime) -> Decision:
    if head == "":
        return allow("R3: the core record", Rule.R3)
    if head == "address":
        return decide(viewer, HomeAddress(), child, now)
    if head in ("carers", "involvements", "localAuthority"):
        return decide(viewer, Carers(), child, now)
    if head == "leadProfessional":
        # Whether a past read was shown the lead, or refused one, depends on who led
        # then; judged by who leads now, the entry appeared once a visible lead followed
        # a hidden one, and dated the hidden (sensitive) lead (red team, R6 no oracle).
        # Who led when is not in the trail, so only AUDITOR reads these entries.
        return deny("R14/R6: a past read of the lead says who led then", Rule.R14)
    return deny("R14: the entry names an item withheld from you", Rule.R14)
