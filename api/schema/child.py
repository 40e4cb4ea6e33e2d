"""The index view: a child and everyone involved with them (R3 to R7).

Instances are built by `api/resolvers/child.py` after policies have decided; guarded
fields carry a `Guard` and record what they reveal or withhold.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.types import Info

from api.schema.enums import (
    AssessmentStatus,
    FamilyLeadKind,
    Gender,
    PractitionerAvailability,
    ServiceKind,
)
from api.schema.guard import OPEN, Guard
from graph.assessments import fetch_assessment
from policies import disclosure

if TYPE_CHECKING:
    from api.context import RequestContext
    from api.schema.assessment import Assessment


@strawberry.type(description="A postal address.")
class Address:
    line1: str
    line2: str | None
    town: str | None
    postcode: str


@strawberry.type(description="How to reach someone. Any part may be missing.")
class Contact:
    phone: str | None
    email: str | None
    address: Address | None


@strawberry.type(description="A service working with children: a school, a GP practice, a team.")
class Service:
    id: strawberry.ID
    name: str
    kind: ServiceKind
    sensitive: bool = strawberry.field(
        description="True for sensitive services (R6): their involvements show only with consent."
    )
    local_authority: str | None = strawberry.field(description="The local authority's code.")
    _contact: strawberry.Private[Contact | None] = None
    _guard: strawberry.Private[Guard] = OPEN

    @strawberry.field(
        description=(
            "The service's contact details. Null when policy withholds them: the child is "
            "shielded (R4). Every reveal is audited."
        )
    )
    def contact(self, info: Info[Any, Any]) -> Contact | None:
        return self._guard.reveal(info, self._contact)


@strawberry.type(description="A named professional working for a service.")
class Practitioner:
    id: strawberry.ID
    name: str
    job_title: str | None
    service: Service | None = strawberry.field(description="The service they work for.")
    _contact: strawberry.Private[Contact | None] = None
    _guard: strawberry.Private[Guard] = OPEN

    @strawberry.field(
        description=(
            "Direct contact details. Null when the child is shielded (R4), and when their "
            "service reports them as having left or unavailable (R17): use the involvement's "
            "contact instead. Every reveal is audited."
        )
    )
    def contact(self, info: Info[Any, Any]) -> Contact | None:
        return self._guard.reveal(info, self._contact)


@strawberry.type(description="A parent or carer of the child.")
class Carer:
    id: strawberry.ID
    name: str
    relationship: str = strawberry.field(
        description="mother, father, foster carer, grandparent ..."
    )
    parental_responsibility: bool
    lives_with_child: bool
    _contact: strawberry.Private[Contact | None] = None
    _guard: strawberry.Private[Guard] = OPEN

    @strawberry.field(description="The carer's contact details (R4). Every reveal is audited.")
    def contact(self, info: Info[Any, Any]) -> Contact | None:
        return self._guard.reveal(info, self._contact)


@strawberry.type(
    description=(
        "A service (and, usually, a named practitioner) working with the child. Listed while "
        "active and for 365 days after it ends (R5). Involvements with sensitive services are "
        "omitted entirely unless R6 allows: there is no placeholder and no count."
    )
)
class Involvement:
    id: strawberry.ID
    service: Service
    practitioner: Practitioner | None = strawberry.field(
        description="Null for a service-level (team) involvement."
    )
    started_on: date
    ended_on: date | None
    active: bool = strawberry.field(description="True until the involvement has ended.")
    is_lead_professional: bool
    source: str = strawberry.field(description="The source system that reported it.")
    practitioner_availability: PractitionerAvailability | None = strawberry.field(
        description=(
            "Whether the practitioner can be contacted directly, as their service's system "
            "reports it (R17). Null for a service-level involvement."
        )
    )
    contact_note: str | None = strawberry.field(
        description=(
            "Why `contact` is the service's rather than the practitioner's: they have left "
            "the service, or are unavailable until a date (R17). Null otherwise."
        )
    )
    _contact: strawberry.Private[Contact | None] = None
    _contact_guard: strawberry.Private[Guard] = OPEN

    @strawberry.field(
        description=(
            "Whom to contact about this involvement: the practitioner's own details, or "
            "their service's when the practitioner has left or is unavailable (R17; "
            "`contactNote` says which). Null when policy withholds contacts (R4). Every "
            "reveal is audited."
        )
    )
    def contact(self, info: Info[Any, Any]) -> Contact | None:
        return self._contact_guard.reveal(info, self._contact)


@strawberry.type(
    description=(
        "A carer or the young person leading for the child in place of a practitioner (CAF "
        "guide 3.8). Withheld, like any lead professional, for a shielded child (R4)."
    )
)
class FamilyLead:
    kind: FamilyLeadKind
    name: str = strawberry.field(description="The carer's name, or the young person's.")
    carer: Carer | None = strawberry.field(
        description=(
            "The carer who leads, with their contact as Child.carers shows it (R4; every "
            "reveal audited). Null when the young person leads: reach them as the child's "
            "own record says (Child.address)."
        )
    )
    since: date | None


@strawberry.type(
    description=(
        "That a common assessment (CAF) exists, its status and who holds it (R7). Never its "
        "content: use Child.assessment for that, where R7 allows."
    )
)
class AssessmentSummary:
    id: strawberry.ID
    status: AssessmentStatus
    started_on: date
    holder: Practitioner


@strawberry.type(
    description=(
        "A child on the index. Guarded fields (address, carers, contacts, sensitive "
        "involvements) follow the policy rules R4 to R7, and every read is audited (R14)."
    )
)
class Child:
    id: strawberry.ID = strawberry.field(description="The index's own identifier.")
    given_name: str
    family_name: str
    date_of_birth: date
    gender: Gender
    shielded: bool = strawberry.field(
        description=(
            "True when someone could cause the child or a parent significant harm if their "
            "whereabouts became known (R4). The record then shows only id, names, date of "
            "birth, gender, hasCommonAssessment and shieldingContact: address, carers, "
            "involvements, the lead professional and the CAF summaries are withheld (null "
            "or empty) unless you are the index team of the child's own local authority or "
            "a safeguarding lead inside the first hour of your override. Ask the "
            "shieldingContact instead."
        )
    )
    shielding_contact: Contact | None = strawberry.field(
        description="Set only when shielded: the local authority's index team, who broker contact."
    )
    involvements: list[Involvement] = strawberry.field(
        description=(
            "Active involvements and those ended within 365 days, oldest first. Sensitive "
            "ones appear only as R6 allows. Empty for a shielded child, and for a child who "
            "lives at a shielded child's address (R4)."
        )
    )
    lead_professional: Practitioner | None = strawberry.field(
        description=(
            "The lead professional coordinating support, if one is appointed. Null for a "
            "shielded child (R4), and when they work for a sensitive service R6 hides."
        )
    )
    family_lead: FamilyLead | None = strawberry.field(
        default=None,
        description=(
            "When a carer or the young person leads instead of a practitioner (CAF guide "
            "3.8; leadProfessional is then null). One lead a child, whoever set it. Null "
            "for a shielded child (R4)."
        ),
    )
    has_common_assessment: bool = strawberry.field(
        description=(
            "True when a common assessment (CAF) has been registered for the child. Truthful "
            "for a shielded child too (R4); a CAF held from a sensitive service that R6 hides "
            "from you does not count (R7)."
        )
    )
    common_assessments: list[AssessmentSummary] = strawberry.field(
        description=(
            "Existence, status and holder of each CAF (R7). Empty for a shielded child (R4); "
            "a CAF held from a sensitive service that R6 hides from you is not listed."
        )
    )
    _address: strawberry.Private[Address | None] = None
    _address_guard: strawberry.Private[Guard] = OPEN
    _carers: strawberry.Private[list[Carer]] = strawberry.field(default_factory=list)
    _carers_guard: strawberry.Private[Guard] = OPEN

    @strawberry.field(
        description=(
            "Home address. Null when the child is shielded, or lives at a shielded child's "
            "address (R4)."
        )
    )
    def address(self, info: Info[Any, Any]) -> Address | None:
        return self._address_guard.reveal(info, self._address)

    @strawberry.field(
        description=(
            "Parents and carers. Empty when the child is shielded, or lives at a shielded "
            "child's address (R4)."
        )
    )
    def carers(self, info: Info[Any, Any]) -> list[Carer]:
        return self._guard_list(info)

    def _guard_list(self, info: Info[Any, Any]) -> list[Carer]:
        revealed = self._carers_guard.reveal(info, self._carers if self._carers else None)
        return revealed or []

    @strawberry.field(
        description=(
            "The CAF itself (needs, strengths, actions, team). Null unless R7 allows: its "
            "holder, a team member covered by SHARE_ASSESSMENT consent, or an access override."
        )
    )
    async def assessment(
        self, info: Info[Any, Any], id: strawberry.ID
    ) -> Annotated[Assessment, strawberry.lazy("api.schema.assessment")] | None:
        # One of the two fields of an object type that read the graph (with
        # Assessment.familyCopy): it resolves here, beside its type, through graph/, the
        # decision point and shaping like a root resolver, so that the schema never imports
        # api/resolvers. shaping builds these very types, hence its import at the call.
        from api import shaping

        ctx: RequestContext = info.context
        assessment_id = str(id)
        content = await fetch_assessment(
            ctx.graph,
            self.id,
            assessment_id,
            practitioner_id=ctx.viewer.practitioner_id,
            subject=ctx.viewer.subject,
            now=ctx.now,
        )
        if content is None:
            ctx.audit.deny(f"Assessment:{assessment_id}: not found")
            return None
        viewer = dataclasses.replace(ctx.viewer, service_ids=content.viewer_service_ids)
        decision = disclosure.decide(
            viewer, disclosure.AssessmentContent(content.access), content.child, ctx.now
        )
        if not decision or not shaping.assessment_there(ctx, viewer, content):
            ctx.audit.deny(f"Assessment:{assessment_id}")
            return None
        if decision.override_id is not None:
            ctx.audit.override(decision.override_id)
        ctx.audit.disclose(f"Assessment:{assessment_id}")
        return shaping.assessment(ctx, viewer, content)


@strawberry.input(
    description=(
        "What you know about the child (R2): their id, or an NHS number, or family name plus "
        "date of birth. Given name and postcode narrow a search. Names and postcodes match "
        "ignoring case, spaces, punctuation and accents; nothing else is fuzzy."
    )
)
class ChildSearchInput:
    child_id: strawberry.ID | None = None
    nhs_number: str | None = None
    family_name: str | None = None
    given_name: str | None = None
    date_of_birth: date | None = None
    postcode: str | None = None


@strawberry.type(description="At most 20 matches (R2).")
class ChildSearchResult:
    matches: list[Child]
    truncated: bool = strawberry.field(
        description="True when more children matched: narrow the search with more fields."
    )
