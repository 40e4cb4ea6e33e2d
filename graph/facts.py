"""Neo4j maps to policy facts: the only place driver value types are unwrapped.

Each fact that several queries read has its Cypher map projection here, beside the
function that decodes it, so the two change together: a property added to a projection
is read in the decoder a few lines below. A query's own projection (the index view's
child, a CAF, a consent record with its carer) lives beside its own decoder in its module.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, LiteralString

from policies.facts import (
    AddressFact,
    ConsentFact,
    ContactFact,
    OverrideFact,
    PractitionerFact,
    ServiceFact,
)

__all__ = [
    "CONSENT_FACT_FIELDS",
    "CONSENT_FACT_MAP",
    "OVERRIDE_MAP",
    "SERVICE_MAP",
    "SERVICE_SUMMARY_MAP",
    "address_from",
    "consent_from",
    "contact_from",
    "native_date",
    "native_datetime",
    "override_from",
    "practitioner_from",
    "practitioner_projection",
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


#: A service node `s` as service_from() reads it (its contact details included).
SERVICE_MAP: LiteralString = (
    "{ .id, .name, .kind, .sensitive, .localAuthority, .phone, .email,"
    " .addressLine1, .addressLine2, .town, .postcode }"
)

#: A service without its contact details: service_from() reads it with contact None.
SERVICE_SUMMARY_MAP: LiteralString = "{ .id, .name, .kind, .sensitive, .localAuthority }"


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


_PRACTITIONER_MAP: LiteralString = (
    "{ .id, .name, .jobTitle, .phone, .email, .addressLine1, .addressLine2, .town, .postcode,"
    " .availability, .availableFrom,"
    " service: [(PX)-[:WORKS_FOR]->(PXS:Service) | PXS " + SERVICE_MAP + "][0] }"
)


def practitioner_projection(var: LiteralString) -> LiteralString:
    """Practitioner node `var` as practitioner_from() reads it, with their service."""
    return var + " " + _PRACTITIONER_MAP.replace("PXS", var + "s").replace("PX", var)  # type: ignore[return-value]


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


#: What policies.consent decides on, for one consent record `g` about child `c` (R6, R10).
#: `recordedByServiceIds` (R6b) and `standingUntil` (R10) are properties fixed when the
#: record was written (graph/consent.py), so reading them costs no traversal.
CONSENT_FACT_FIELDS: LiteralString = """
    giverParentalResponsibility: coalesce(
      [(g)-[:GIVEN_BY]->(:Carer)-[gr:CARES_FOR]->(c) | gr.parentalResponsibility][0], false),
    coversServiceIds: [(g)-[:COVERS]->(x:Service) | x.id],
    coversAssessmentId: [(g)-[:COVERS]->(x:Assessment) | x.id][0],
    grantedToPractitionerIds: [(g)-[:GRANTED_TO]->(x:Practitioner) | x.id],
    grantedToServiceIds: [(g)-[:GRANTED_TO]->(x:Service) | x.id],
    recordedByServiceIds: coalesce(g.recordedByServiceIds, []),
    recordedByPractitionerId: g.recordedByPractitionerId,
    standingUntil: g.standingUntil"""

#: Consent record `g` about child `c` as consent_from() reads it.
CONSENT_FACT_MAP: LiteralString = (
    """g {
    .id, .purpose, .state, .givenByChild, .competenceAssessed, .recordedOn, .expiresOn,
"""
    + CONSENT_FACT_FIELDS
    + """ }"""
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


#: An access override `o` as override_from() reads it.
OVERRIDE_MAP: LiteralString = (
    "o {\n    .id, .practitionerId, .recordedBySubject, .recordedAt, .expiresAt, .liftsShielding }"
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
