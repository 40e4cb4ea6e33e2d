"""The plain facts policies decide on. `graph/` builds them; nothing here does I/O.

They mirror the graph model (graph/model.md) but hold only what a rule needs, and
only the consent records and overrides that concern the current viewer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from policies.vocabulary import SENSITIVE_KINDS

__all__ = [
    "SENSITIVE_KINDS",
    "AddressFact",
    "AssessmentSummaryFact",
    "CarerFact",
    "ChildFacts",
    "ConsentFact",
    "ContactFact",
    "FamilyLeadFact",
    "InvolvementFact",
    "OverrideFact",
    "PractitionerFact",
    "ServiceFact",
]


@dataclass(frozen=True, slots=True)
class AddressFact:
    line1: str
    line2: str | None
    town: str | None
    postcode: str


@dataclass(frozen=True, slots=True)
class ContactFact:
    phone: str | None
    email: str | None
    address: AddressFact | None


@dataclass(frozen=True, slots=True)
class ServiceFact:
    id: str
    name: str
    kind: str
    sensitive: bool
    local_authority: str | None
    contact: ContactFact | None

    @property
    def is_sensitive(self) -> bool:
        return self.sensitive or self.kind in SENSITIVE_KINDS


@dataclass(frozen=True, slots=True)
class PractitionerFact:
    id: str
    name: str
    job_title: str | None
    service: ServiceFact | None
    contact: ContactFact | None
    #: R17: AVAILABLE, UNAVAILABLE (until `available_from`) or LEFT, as their feed says.
    availability: str = "AVAILABLE"
    available_from: date | None = None


@dataclass(frozen=True, slots=True)
class InvolvementFact:
    id: str
    service: ServiceFact
    practitioner: PractitionerFact | None
    started_on: date
    ended_on: date | None
    is_lead_professional: bool
    source: str


@dataclass(frozen=True, slots=True)
class FamilyLeadFact:
    """A carer (`carer_id`, one of the child's) or the young person herself leading for
    the child (CAF guide 3.8); kind CARER or YOUNG_PERSON."""

    kind: str
    carer_id: str | None = None
    since: date | None = None


@dataclass(frozen=True, slots=True)
class CarerFact:
    id: str
    name: str
    relationship: str
    parental_responsibility: bool
    lives_with_child: bool
    contact: ContactFact | None
    #: R4: the carer lives with another child who is shielded, so where they live is
    #: where that child lives.
    lives_with_shielded_child: bool = False


@dataclass(frozen=True, slots=True)
class AssessmentSummaryFact:
    id: str
    status: str
    started_on: date
    holder: PractitionerFact
    next_review_on: date | None = None


@dataclass(frozen=True, slots=True)
class ConsentFact:
    """A consent grant or refusal about one child, as recorded (R10)."""

    id: str
    purpose: str
    state: str  # ACTIVE, WITHDRAWN, REFUSED (EXPIRED is derived from expires_on)
    given_by_child: bool
    competence_assessed: bool
    giver_has_parental_responsibility: bool
    recorded_on: datetime
    expires_on: date | None = None
    covers_service_ids: frozenset[str] = frozenset()
    covers_assessment_id: str | None = None
    granted_to_practitioner_ids: frozenset[str] = frozenset()
    granted_to_service_ids: frozenset[str] = frozenset()
    #: R6b: the services the recorder worked for when they recorded it. Only the service
    #: the child confided in can pass on consent to share that involvement, so a grant
    #: covering a sensitive service counts only when that service is one of these.
    recorded_by_service_ids: frozenset[str] = frozenset()
    #: R10: when the recorder's only standing with the child was an access override (R9),
    #: the moment that override ended; the grant counts no longer than it.
    standing_until: datetime | None = None
    #: Who recorded it: they know everything it names (R4 asks no more of them).
    recorded_by_practitioner_id: str | None = None


@dataclass(frozen=True, slots=True)
class OverrideFact:
    """An access override recorded for one child (R9)."""

    id: str
    practitioner_id: str | None
    subject: str
    recorded_at: datetime
    expires_at: datetime
    lifts_shielding: bool


@dataclass(frozen=True, slots=True)
class ChildFacts:
    id: str
    given_name: str
    family_name: str
    date_of_birth: date
    gender: str
    shielded: bool
    local_authority: str | None
    address: AddressFact | None
    archived_on: date | None = None
    #: R4: a shielded child lives at this same address (a shared refuge, a household).
    address_shared_with_shielded: bool = False
    date_of_death: date | None = None
    shielding_contact: ContactFact | None = None
    carers: tuple[CarerFact, ...] = ()
    involvements: tuple[InvolvementFact, ...] = ()
    lead_professional: PractitionerFact | None = None
    #: A carer or the young person as lead, where no practitioner is (one lead a child).
    family_lead: FamilyLeadFact | None = None
    assessments: tuple[AssessmentSummaryFact, ...] = ()
    consents: tuple[ConsentFact, ...] = field(default=())
    overrides: tuple[OverrideFact, ...] = ()
