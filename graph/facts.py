"""Neo4j maps to policy facts: the only place driver value types are unwrapped."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from graph.database import reached
from policies.facts import (
    AddressFact,
    AssessmentSummaryFact,
    CarerFact,
    ChildFacts,
    ConsentFact,
    ContactFact,
    InvolvementFact,
    OverrideFact,
    PractitionerFact,
    ServiceFact,
)

__all__ = [
    "child_facts_from",
    "consent_from",
    "native_date",
    "native_datetime",
    "override_from",
    "practitioner_from",
    "service_from",
]


def native_date(value: Any) -> date | None:
    if value is None:
        return None
    return value.to_native() if hasattr(value, "to_native") else value  # type: ignore[no-any-return]


def native_datetime(value: Any) -> datetime | None:
    if value is None:
        return None
    return value.to_native() if hasattr(value, "to_native") else value  # type: ignore[no-any-return]


def address_from(m: dict[str, Any]) -> AddressFact | None:
    if not m.get("addressLine1") and not m.get("postcode"):
        return None
    return AddressFact(
        m.get("addressLine1") or "", m.get("addressLine2"), m.get("town"), m.get("postcode") or ""
    )


def contact_from(m: dict[str, Any] | None) -> ContactFact | None:
    if not m:
        return None
    address = address_from(m)
    if not m.get("phone") and not m.get("email") and address is None:
        return None
    return ContactFact(m.get("phone"), m.get("email"), address)


def service_from(m: dict[str, Any] | None) -> ServiceFact | None:
    if not m:
        return None
    return ServiceFact(
        id=m["id"],
        name=m.get("name") or "",
        kind=m.get("kind") or "OTHER",
        sensitive=bool(m.get("sensitive")),
        local_authority=m.get("localAuthority"),
        contact=contact_from(m),
    )


def practitioner_from(m: dict[str, Any] | None) -> PractitionerFact | None:
    if not m:
        return None
    return PractitionerFact(
        id=m["id"],
        name=m.get("name") or "",
        job_title=m.get("jobTitle"),
        service=service_from(m.get("service")),
        contact=contact_from(m),
        availability=m.get("availability") or "AVAILABLE",
        available_from=native_date(m.get("availableFrom")),
    )


def _involvement_from(m: dict[str, Any]) -> InvolvementFact | None:
    service = service_from(m.get("service"))
    if service is None:  # an involvement always has a service; skip a broken one
        return None
    return InvolvementFact(
        id=m["id"],
        service=service,
        practitioner=practitioner_from(m.get("practitioner")),
        started_on=native_date(m.get("startedOn")) or date.min,
        ended_on=native_date(m.get("endedOn")),
        is_lead_professional=bool(m.get("isLeadProfessional")),
        source=m.get("source") or "",
    )


def consent_from(m: dict[str, Any]) -> ConsentFact:
    return ConsentFact(
        id=m["id"],
        purpose=m["purpose"],
        state=m["state"],
        given_by_child=bool(m.get("givenByChild")),
        competence_assessed=bool(m.get("competenceAssessed")),
        giver_has_parental_responsibility=bool(m.get("giverParentalResponsibility")),
        recorded_on=native_datetime(m.get("recordedOn")) or datetime.min,
        expires_on=native_date(m.get("expiresOn")),
        covers_service_ids=frozenset(m.get("coversServiceIds") or ()),
        covers_assessment_id=m.get("coversAssessmentId"),
        granted_to_practitioner_ids=frozenset(m.get("grantedToPractitionerIds") or ()),
        granted_to_service_ids=frozenset(m.get("grantedToServiceIds") or ()),
        recorded_by_service_ids=frozenset(m.get("recordedByServiceIds") or ()),
        standing_until=native_datetime(m.get("standingUntil")),
        recorded_by_practitioner_id=m.get("recordedByPractitionerId"),
    )


def override_from(m: dict[str, Any]) -> OverrideFact:
    recorded_at = native_datetime(m.get("recordedAt"))
    expires_at = native_datetime(m.get("expiresAt"))
    assert recorded_at is not None and expires_at is not None
    return OverrideFact(
        id=m["id"],
        practitioner_id=m.get("practitionerId"),
        subject=m.get("recordedBySubject") or "",
        recorded_at=recorded_at,
        expires_at=expires_at,
        lifts_shielding=bool(m.get("liftsShielding")),
    )


def child_facts_from(m: dict[str, Any]) -> ChildFacts:
    reached(m["id"])
    involvements = tuple(i for i in map(_involvement_from, m.get("involvements") or ()) if i)
    assessments = []
    for a in m.get("assessments") or ():
        holder = practitioner_from(a.get("holder"))
        if holder is not None:
            assessments.append(
                AssessmentSummaryFact(
                    a["id"],
                    a["status"],
                    native_date(a["startedOn"]) or date.min,
                    holder,
                    native_date(a.get("nextReviewOn")),
                )
            )
    la = m.get("la")
    shielding_contact = None
    if la:
        shielding_contact = contact_from(
            {**la, "phone": la.get("indexTeamPhone"), "email": la.get("indexTeamEmail")}
        )
    return ChildFacts(
        id=m["id"],
        given_name=m.get("givenName") or "",
        family_name=m.get("familyName") or "",
        date_of_birth=native_date(m.get("dateOfBirth")) or date.min,
        gender=m.get("gender") or "NOT_KNOWN",
        shielded=bool(m.get("shielded")),
        local_authority=m.get("localAuthority"),
        address=address_from(m),
        archived_on=native_date(m.get("archivedOn")),
        address_shared_with_shielded=bool(m.get("addressSharedWithShielded")),
        date_of_death=native_date(m.get("dateOfDeath")),
        shielding_contact=shielding_contact,
        carers=tuple(
            CarerFact(
                id=k["id"],
                name=k.get("name") or "",
                relationship=k.get("relationship") or "carer",
                parental_responsibility=bool(k.get("parentalResponsibility")),
                lives_with_child=bool(k.get("livesWithChild")),
                contact=contact_from(k),
                lives_with_shielded_child=bool(k.get("livesWithShieldedChild")),
            )
            for k in m.get("carers") or ()
        ),
        involvements=tuple(sorted(involvements, key=lambda i: (i.started_on, i.id))),
        lead_professional=practitioner_from(m.get("lead")),
        assessments=tuple(assessments),
        consents=tuple(consent_from(g) for g in m.get("consents") or ()),
        overrides=tuple(override_from(o) for o in m.get("overrides") or ()),
    )
