"""Subject access (UK GDPR article 15): who looked at a child's record, in plain words.

A family may ask who has seen their child's record. The answer lists every access:
when, which organisation and in what role, for what stated purpose, and what was shown.
Two rules of the index shape it, because the report is read by the family, and a report
must not tell them what the index itself keeps from them:

- R6: a practitioner of a sensitive service (sexual health, mental health, substance
  misuse, or any service flagged sensitive) is named only by the type of organisation
  ("a health service"): naming the clinic would tell the family the child goes there,
  which the child confided to that service alone. Their stated purpose is withheld for
  the same reason, and so is any sensitive involvement that was shown.
- R4: a shielded child's report names no organisation at all, not even by its type (a
  school or a GP is where the child learns or is seen, a housing service what help the
  child was moved to), states no purpose, and is addressed to the index team
  of the child's local authority, who decide how it reaches the family: it is never
  posted to an address, which may be the very one the child is hidden from.

Everything here is a pure function of the facts the graph returned; nothing is fetched.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from policies.audit import read_only_to_decide
from policies.facts import ServiceFact

__all__ = [
    "AccessEvent",
    "ChildAccessFacts",
    "ReportLine",
    "SubjectAccessReport",
    "report",
]

# R6: every sensitive service is "a health service" to the family, whatever its kind.
_SENSITIVE_WORDS = "a health service"
# R4: every service is this, whatever its kind, in a shielded child's report.
_SHIELDED_WORDS = "a service working with the child"

_ROLE_WORDS = {
    "PRACTITIONER": "practitioner",
    "SAFEGUARDING_LEAD": "safeguarding lead",
    "INDEX_ADMIN": "index team",
    "AUDITOR": "auditor",
    "FEED": "a records system",
    "ANALYST": "analyst",
}

_ACTION_WORDS = {
    "child": "looked at the record",
    "searchChildren": "searched for the record",
    "involvementNetwork": "traced the people around the child",
    "carerNetwork": "traced the people around a carer",
    "auditTrail": "read this access history",
    "ingest": "updated the record from a records system",
    "recordConsent": "recorded a consent decision",
    "recordConsentRefusal": "recorded a consent refusal",
    "withdrawConsent": "recorded a consent withdrawal",
    "consents": "read the consent decisions",
    "recordAccessOverride": "recorded a decision to share without consent",
    "recordSharingDecision": "recorded a decision about sharing",
    "startAssessment": "started a Common Assessment",
    "appointLeadProfessional": "appointed a lead professional",
    "setShielded": "changed the record's protection",
    "retention": "applied the record-keeping rules",
    "accessAlerts": "reviewed an alert about the record",
}


@dataclass(frozen=True, slots=True)
class AccessEvent:
    """One audit event that concerns the child, with who made it."""

    at: datetime
    role: str
    action: str
    purpose: str | None
    disclosed: tuple[str, ...]
    #: The services of the practitioner who made it (empty for index teams, feeds ...).
    actor_services: tuple[ServiceFact, ...]
    #: What it withheld: whether it read the child only to decide (policies.audit).
    denied: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ChildAccessFacts:
    child_id: str
    given_name: str
    family_name: str
    shielded: bool
    local_authority_name: str | None
    #: The index team's contact (R4's shieldingContact), in one line.
    index_team_contact: str | None
    #: Ids of the child's involvements with sensitive services (R6).
    sensitive_involvement_ids: frozenset[str]
    #: Ids of what hangs off the child's record (carers, involvements and their services
    #: and practitioners, CAFs, consents, overrides, decisions): one event may read
    #: several children, and only its entries about this one belong in this report.
    record_ids: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class ReportLine:
    at: datetime
    organisation: str
    role: str
    what_they_did: str
    purpose: str
    what_was_shown: str


@dataclass(frozen=True, slots=True)
class SubjectAccessReport:
    child_id: str
    child_name: str
    #: Who receives it: the family, or for a shielded child the index team (R4).
    deliver_to: str
    deliver_by_post: bool
    notes: tuple[str, ...]
    lines: tuple[ReportLine, ...]


def _organisation(event: AccessEvent, child: ChildAccessFacts) -> tuple[str, bool]:
    """The organisation as the family may read it, and whether its name was withheld."""
    if not event.actor_services:
        if event.role == "INDEX_ADMIN":
            return f"{child.local_authority_name or 'the council'} children's index team", False
        if event.role == "FEED":
            return "a records system of a service working with the child", False
        if event.role == "AUDITOR":
            return "an auditor of the index", False
        return "the index", False
    if any(s.is_sensitive for s in event.actor_services):
        return _SENSITIVE_WORDS, True
    if child.shielded:
        # Not even its type: "a housing service" or "a GP practice" that read a shielded
        # child's record says what kind of help the child was moved to (R4), and the
        # report's own note promises that no organisation is named.
        return _SHIELDED_WORDS, True
    return ", ".join(sorted({s.name for s in event.actor_services})), False


def _shown(event: AccessEvent, child: ChildAccessFacts) -> str:
    words: dict[str, None] = {}
    for item in event.disclosed:
        kind, _, rest = item.partition(":")
        entity, _, part = rest.partition(".")
        if entity != child.child_id and entity not in child.record_ids:
            continue  # another child's, read in the same request
        if kind == "Child" and part == "address":
            words["the home address"] = None
        elif kind == "Child" and part == "carers":
            words["who the parents or carers are"] = None
        elif kind == "Carer":
            words["a parent's or carer's contact details"] = None
        elif kind == "Involvement" and entity in child.sensitive_involvement_ids:
            words["that a health service works with the child"] = None
        elif kind in {"Involvement", "Service", "Practitioner"}:
            words["which services work with the child, and how to contact them"] = None
        elif kind == "Assessment":
            words["the Common Assessment (CAF)"] = None
        elif kind == "Consent" or kind == "ConsentGrant":
            words["consent decisions"] = None
        elif kind == "AuditEvent":
            words["this access history"] = None
    if not words:
        return "the basic record (name, date of birth, gender)"
    return "the basic record; " + "; ".join(words)


def _purpose(event: AccessEvent, child: ChildAccessFacts, withheld_name: bool) -> str:
    if child.shielded or withheld_name:
        return "not shown: it could say where the child is seen or which service they use"
    return (event.purpose or "").strip() or "none stated"


def _did(action: str) -> str:
    parts = [_ACTION_WORDS.get(a, "used the record") for a in action.split(",") if a]
    return "; ".join(dict.fromkeys(parts)) or "used the record"


def report(child: ChildAccessFacts, events: list[AccessEvent]) -> SubjectAccessReport:
    """Every access to the child's record, oldest first, shaped by R4 and R6."""
    lines = []
    for event in sorted(events, key=lambda e: e.at):
        if read_only_to_decide(child.child_id, event.action, event.disclosed, event.denied):
            # Shown nothing of the child, it read them for what it withheld: listed, it
            # would tell the family of that (the index team checking a report the
            # family's "a health service" made, which never reached the team).
            continue
        if child.shielded and any(s.is_sensitive for s in event.actor_services):
            # A shielded child's report is the index team's to pass on (R4), and R6 keeps
            # a sensitive service's acts out of the team's own trail of the child: listed
            # here, with their times, they would tell the team what the trail withholds.
            continue
        organisation, withheld = _organisation(event, child)
        lines.append(
            ReportLine(
                at=event.at,
                organisation=organisation,
                role=_ROLE_WORDS.get(event.role, event.role.lower()),
                what_they_did=_did(event.action),
                purpose=_purpose(event, child, withheld),
                what_was_shown=_shown(event, child),
            )
        )
    notes = [
        "Some organisations are described by their type only: naming them would say which "
        "confidential health service the child uses.",
    ]
    if child.shielded:
        team = child.local_authority_name or "the local authority"
        return SubjectAccessReport(
            child_id=child.child_id,
            child_name=f"{child.given_name} {child.family_name}",
            deliver_to=(
                f"{team} children's index team"
                + (f" ({child.index_team_contact})" if child.index_team_contact else "")
            ),
            deliver_by_post=False,
            notes=(
                "This child's whereabouts are protected. This report is for the index team, "
                "who arrange how it is shared: never post it to an address.",
                "No organisation is named and no purpose is shown, because either could "
                "say where the child lives, learns or is seen.",
                "Accesses by confidential health services are not listed in a report the "
                "index team passes on; the index's auditor can provide them to the family.",
            ),
            lines=tuple(lines),
        )
    return SubjectAccessReport(
        child_id=child.child_id,
        child_name=f"{child.given_name} {child.family_name}",
        deliver_to="the person who asked, on behalf of the child",
        deliver_by_post=True,
        notes=tuple(notes),
        lines=tuple(lines),
    )
