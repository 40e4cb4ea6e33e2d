"""Consent as a first-class record (R10): grants, refusals, withdrawal.

Every record is for one purpose, given (or refused) by the child or by a carer with
parental responsibility, may expire, and can be withdrawn; a withdrawal or refusal
takes effect on the very next request, everywhere. Instances are built by
`api/resolvers/consent.py` after policies have decided.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import strawberry
from strawberry.types import Info

from api.schema.child import Carer
from api.schema.enums import ConsentMethod, ConsentPurpose, ConsentState
from api.schema.pagination import Connection, Page


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


@strawberry.type
class ConsentQuery:
    @strawberry.field(
        description=(
            "Every consent grant and refusal recorded for a child, oldest first, for a "
            "practitioner involved with the child or holding an access override for them "
            "(R9, R10); anyone else gets FORBIDDEN. Records naming a sensitive service you "
            "may not see (R6) are left out. Needs X-Purpose. Audited."
        )
    )
    async def consents(self, info: Info[Any, Any], child_id: strawberry.ID) -> list[ConsentGrant]:
        from api.resolvers.consent import resolve_consents

        return await resolve_consents(info, str(child_id))

    @strawberry.field(
        description=(
            "consents a page at a time: the same records, rules and audit, oldest first; "
            "only the records on the page are shown and audited. `first` is 1 to 100; pass "
            "`pageInfo.endCursor` as `after` for the next page."
        )
    )
    async def consents_connection(
        self,
        info: Info[Any, Any],
        child_id: strawberry.ID,
        first: int = 20,
        after: str | None = None,
    ) -> Connection[ConsentGrant]:
        from api.resolvers.consent import resolve_consents

        page = Page("consents", first, after, 100)
        return page.connection(await resolve_consents(info, str(child_id), page))


@strawberry.type
class ConsentMutation:
    @strawberry.mutation(
        description=(
            "Record a consent the child or a carer gave you (R10). Only a practitioner "
            "involved with the child, or holding an access override for them, may record "
            "one (FORBIDDEN otherwise). BAD_USER_INPUT names the field at fault: e.g. "
            "input.givenByChild for a child under 12, input.givenByCarerId for a carer "
            "without parental responsibility or of another child. Takes effect on the next "
            "request. Audited; send an Idempotency-Key to make retries safe."
        )
    )
    async def record_consent(self, info: Info[Any, Any], input: RecordConsentInput) -> ConsentGrant:
        from api.resolvers.consent import record_consent

        return await record_consent(info, input)

    @strawberry.mutation(
        description=(
            "Record a refusal (CAF guide 4.16). A competent child's refusal outweighs any "
            "carer's grant for the same purpose and scope, at once (R10). Same authorisation "
            "and validation as recordConsent."
        )
    )
    async def record_consent_refusal(
        self, info: Info[Any, Any], input: RecordRefusalInput
    ) -> ConsentGrant:
        from api.resolvers.consent import record_consent_refusal

        return await record_consent_refusal(info, input)

    @strawberry.mutation(
        description=(
            "Withdraw a consent (R10): from the very next request it counts nowhere. A "
            "record already withdrawn, or a refusal, gives BAD_USER_INPUT. The reason is "
            "kept with the record and the audit event."
        )
    )
    async def withdraw_consent(
        self, info: Info[Any, Any], id: strawberry.ID, reason: str | None = None
    ) -> ConsentGrant:
        from api.resolvers.consent import withdraw_consent

        return await withdraw_consent(info, str(id), reason)
