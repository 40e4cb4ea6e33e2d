"""Consent as a first-class record (R10): grants, refusals, withdrawal.

Every record is for one purpose, given (or refused) by the child or by a carer with
parental responsibility, may expire, and can be withdrawn; a withdrawal or refusal
takes effect on the very next request, everywhere. Instances are built by
`api/resolvers/consent.py` after policies have decided.
"""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from api.schema.child import Carer
from api.schema.enums import ConsentMethod, ConsentPurpose, ConsentState


@strawberry.type(
    description=(
        "One consent grant, or one recorded refusal (state REFUSED), about one child and "
        "for one purpose. A record naming a sensitive service you may not see under R6 is "
        "not listed at all."
    )
)
class ConsentGrant:
    id: strawberry.ID
    child_id: strawberry.ID
    purpose: ConsentPurpose
    state: ConsentState = strawberry.field(
        description="ACTIVE, WITHDRAWN, REFUSED, or EXPIRED once expiresOn has passed."
    )
    given_by_child: bool = strawberry.field(
        description=(
            "True when the child gave (or refused) it themselves: 16 or over, or 12 to 15 "
            "with competence assessed (R10). A competent child's refusal outweighs a carer's "
            "grant for the same purpose and scope."
        )
    )
    competence_assessed: bool = strawberry.field(
        description="The recorder assessed the child (12 to 15) as competent to decide (R10)."
    )
    covers_service_ids: list[strawberry.ID] = strawberry.field(
        description="The services whose involvement and contact details may be shown (R6b)."
    )
    covers_assessment_id: strawberry.ID | None = strawberry.field(
        description="The CAF this consent is about, if any."
    )
    granted_to_practitioner_ids: list[strawberry.ID]
    granted_to_service_ids: list[strawberry.ID] = strawberry.field(
        description="Services granted to: every practitioner working for them is covered."
    )
    method: ConsentMethod
    recorded_on: datetime
    expires_on: date | None = strawberry.field(
        description="The last day the consent counts; null for no expiry."
    )
    withdrawn_on: datetime | None
    _carer: strawberry.Private[Carer | None] = None

    @strawberry.field(
        description=(
            "The carer who gave (or refused) it, when not the child. Null when the child is "
            "shielded (R4): carers of a shielded child are never shown."
        )
    )
    def given_by_carer(self) -> Carer | None:
        return self._carer


@strawberry.input(
    description=(
        "A consent to record. Either the child gives it (givenByChild: 16 or over, or 12 to "
        "15 with childCompetenceAssessed) or a carer with parental responsibility for this "
        "child does (givenByCarerId); one carer is enough (CAF guide 4.15). "
        "SHARE_CONTACT_DETAILS must name coversServiceIds and whom it is granted to; "
        "SHARE_ASSESSMENT must name coversAssessmentId and whom it is granted to."
    )
)
class RecordConsentInput:
    child_id: strawberry.ID
    purpose: ConsentPurpose
    given_by_child: bool
    child_competence_assessed: bool | None = False
    given_by_carer_id: strawberry.ID | None = None
    covers_service_ids: list[strawberry.ID] | None = strawberry.field(default_factory=list)
    covers_assessment_id: strawberry.ID | None = None
    granted_to_practitioner_ids: list[strawberry.ID] | None = strawberry.field(default_factory=list)
    granted_to_service_ids: list[strawberry.ID] | None = strawberry.field(default_factory=list)
    method: ConsentMethod
    expires_on: date | None = strawberry.field(
        default=None, description="The last day it counts; today or later."
    )


@strawberry.input(
    description=(
        "A refusal to record (CAF guide 4.16: refusals are recorded too). Refused by the "
        "child (same age and competence rule as consent) or by a carer with parental "
        "responsibility. A refusal naming no service and no assessment refuses the purpose "
        "outright."
    )
)
class RecordRefusalInput:
    child_id: strawberry.ID
    purpose: ConsentPurpose
    refused_by_child: bool
    child_competence_assessed: bool | None = False
    refused_by_carer_id: strawberry.ID | None = None
    covers_service_ids: list[strawberry.ID] | None = strawberry.field(default_factory=list)
    covers_assessment_id: strawberry.ID | None = None
    method: ConsentMethod | None = strawberry.field(
        default=ConsentMethod.VERBAL, description="How the refusal was expressed."
    )
