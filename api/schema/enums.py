"""The contract's enumerations: policies' Python enums, wrapped with the descriptions
front-end developers read.

Each GraphQL enum here is the very class policies decide on (policies/vocabulary.py,
policies/viewer.py, policies/alerts.py): strawberry.enum annotates it in place, so there
is one list of values and no second one to keep in step. Per-value descriptions are given
by member here, and every member must have one when any does.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import TypeVar

import strawberry

from policies.alerts import AlertKind, AlertState
from policies.matching import ReviewReason, ReviewStatus
from policies.viewer import Role
from policies.vocabulary import (
    SENSITIVE_KINDS,
    AssessmentDomain,
    AssessmentStatus,
    AttendeeKind,
    ClosureOutcome,
    ConsentMethod,
    ConsentPurpose,
    ConsentSigner,
    ConsentState,
    CourseEventKind,
    EventKind,
    FamilyLeadKind,
    FamilyMemberKind,
    Gender,
    NeedStatus,
    Outcome,
    OutcomeConcern,
    OverrideGround,
    PractitionerAvailability,
    ProgressRating,
    RecordErrorField,
    RecordErrorOutcome,
    RecordErrorStatus,
    ServiceKind,
)
from policies.webhooks import DeliveryState

__all__ = [
    "AccessAlertKind",
    "AccessAlertState",
    "AssessmentDomain",
    "AssessmentStatus",
    "AttendeeKind",
    "ClosureOutcome",
    "ConsentMethod",
    "ConsentPurpose",
    "ConsentSigner",
    "ConsentState",
    "CourseEventKind",
    "FamilyLeadKind",
    "FamilyMemberKind",
    "Gender",
    "MatchReviewReason",
    "MatchReviewStatus",
    "NeedStatus",
    "NotificationKind",
    "Outcome",
    "OutcomeConcern",
    "OverrideGround",
    "PractitionerAvailability",
    "ProgressRating",
    "RecordErrorField",
    "RecordErrorOutcome",
    "RecordErrorStatus",
    "Role",
    "ServiceKind",
    "WebhookDeliveryState",
    "gender",
    "graphql_enum",
    "service_kind",
]

E = TypeVar("E", bound=Enum)


def graphql_enum(
    cls: type[E],
    description: str,
    *,
    name: str | None = None,
    values: Mapping[E, str] | None = None,
    some_values: Mapping[E, str] | None = None,
) -> type[E]:
    """Wraps `cls` as a GraphQL enum, with a description for each member in `values`
    (every member), or for those in `some_values` (the few that need one)."""
    if values is not None and set(values) != set(cls):
        missing = ", ".join(sorted(m.name for m in set(cls) - set(values)))
        raise ValueError(f"{cls.__name__}: a description for every member ({missing})")
    strawberry.enum(cls, name=name, description=description)
    described = values if values is not None else some_values or {}
    for value in cls.__strawberry_definition__.values:  # type: ignore[attr-defined]
        member = cls[value.name]
        if member in described:
            value.description = described[member]
    return cls


def _listed(names: list[str]) -> str:
    return ", ".join(names[:-1]) + " and " + names[-1]


graphql_enum(Role, "What the caller's token allows them to do (R1).")
graphql_enum(Gender, "Gender as recorded by the source system.")
graphql_enum(
    ServiceKind,
    f"The kind of service. {_listed(sorted(SENSITIVE_KINDS))} are always sensitive: their "
    "involvements are shown only as R6 allows.",
)
graphql_enum(AssessmentStatus, "Where a common assessment (CAF) stands.")
graphql_enum(AssessmentDomain, "The three domains of the CAF (CAF guide, Table 1).")
graphql_enum(ReviewReason, "Why a feed record waits for a person (R15).", name="MatchReviewReason")
graphql_enum(ReviewStatus, "Where a match review stands.", name="MatchReviewStatus")
graphql_enum(
    PractitionerAvailability,
    "Whether a practitioner can be contacted directly (R17): their service's system marks "
    "them UNAVAILABLE until a date, or as having LEFT the service.",
)
graphql_enum(
    FamilyLeadKind,
    "Who leads for a child when it is not a practitioner (CAF guide 3.8): one of the "
    "child's carers with parental responsibility, or the young person themselves when they "
    "can decide for themselves (R10).",
)
graphql_enum(
    RecordErrorField,
    "The part of a child's index record reported as wrong (reportRecordError).",
)
graphql_enum(RecordErrorStatus, "Whether the index team has dealt with a reported error.")
graphql_enum(
    RecordErrorOutcome,
    "What the index team did: CORRECTED the record, SOURCE_ASKED_TO_CORRECT (the record "
    "comes from a feed, which must send the correction), NO_ERROR_FOUND, or "
    "DUPLICATE_REPORT (already reported); or WITHDRAWN by its reporter "
    "(withdrawRecordError).",
)
graphql_enum(
    ConsentPurpose,
    "What a consent is for: one purpose per record (CAF guide 4.12).",
    values={
        ConsentPurpose.SHARE_CONTACT_DETAILS: (
            "Show the child's involvement with the covered (sensitive) services, and their "
            "contact details, to the practitioners or services granted to (R6b)."
        ),
        ConsentPurpose.UNDERTAKE_ASSESSMENT: (
            "Carry out a common assessment (CAF guide 4.11). Needed to start one (R8)."
        ),
        ConsentPurpose.STORE_ASSESSMENT: (
            "Record the CAF in the system (CAF guide 4.17, 4.18). Needed to start one and "
            "for every later change to it (R8)."
        ),
        ConsentPurpose.SHARE_ASSESSMENT: (
            "Share the covered CAF with the practitioners or services granted to: needed to "
            "add them to the team around the child and for them to read it (R7, R8)."
        ),
    },
)
graphql_enum(ConsentMethod, "How the consent was given. Written is preferable (CAF guide 4.12).")
graphql_enum(
    ConsentState,
    "Where a consent record stands today. EXPIRED is worked out from expiresOn on every "
    "request, never stored.",
)
graphql_enum(
    OverrideGround,
    "The public-interest ground for sharing without consent (CAF guide 4.23, R9).",
    values={
        OverrideGround.SIGNIFICANT_HARM_EVIDENCE: (
            "Evidence that the child is suffering, or at risk of, significant harm."
        ),
        OverrideGround.SIGNIFICANT_HARM_SUSPECTED: (
            "Reasonable cause to believe the child may be suffering, or at risk of, "
            "significant harm."
        ),
        OverrideGround.PREVENT_SERIOUS_HARM_OR_CRIME: (
            "To prevent significant harm to a child or serious harm to an adult, including "
            "through the prevention, detection and prosecution of serious crime."
        ),
    },
)
graphql_enum(
    AlertKind,
    "What brought an access alert about, by the rule it guards.",
    name="AccessAlertKind",
    values={
        AlertKind.HOUSEHOLD_RULE_TRIGGERED: (
            "R4: a write put a child at the address of a shielded child, or made a carer who "
            "lives with a shielded child the carer of another child. The index then withholds "
            "that other child's address or carer too, and so whoever made the write may be "
            "probing where the shielded child lives. childIds lists the shielded children "
            "first, then the others; detail names the record and source."
        ),
        AlertKind.BUDGET_EXCEEDED: (
            "R2: someone went past their daily budget of distinct children read."
        ),
        AlertKind.SHIELDED_READ_OUT_OF_AREA: (
            "R4: a shielded child was read by someone outside its local authority."
        ),
        AlertKind.SHIELD_LIFTED: "R4/R9: a safeguarding lead's override lifted a child's shield.",
        AlertKind.REPEATED_REFUSALS: (
            "Someone was refused again and again, as when probing the index."
        ),
        AlertKind.INDEX_TEAM_CONTACT_CHANGED: (
            "R4: a reference-data feed changed your index team's phone or email, which every "
            "shielded child of your authority shows in place of who works with them. Check "
            "that the change is yours; detail names the record and source."
        ),
    },
)
graphql_enum(
    AlertState,
    "Whether an access alert still needs the index team.",
    name="AccessAlertState",
    values={
        AlertState.OPEN: "Nobody has acted on it yet.",
        AlertState.RESOLVED: "Someone recorded what was done (resolvedBy, outcome).",
    },
)

graphql_enum(
    EventKind,
    "What a notification announces (README: what each recipient sees of each kind).",
    name="NotificationKind",
)
NotificationKind = EventKind

graphql_enum(
    DeliveryState,
    "Where one notification's delivery to one webhook endpoint stands.",
    name="WebhookDeliveryState",
    values={
        DeliveryState.PENDING: "Waiting for its next attempt (nextAttemptAt), or being tried.",
        DeliveryState.DELIVERED: "The endpoint answered 2xx: it is never sent again.",
        DeliveryState.DEAD: (
            "Every attempt failed (retried with exponential backoff): replayWebhookDelivery "
            "sends it again."
        ),
        DeliveryState.WITHHELD: (
            "At the attempt, policy no longer let the recipient see it (a consent withdrawn, "
            "a shield, the practitioner left the service): nothing was sent. Listed to "
            "AUDITOR only."
        ),
        DeliveryState.CANCELLED: "The endpoint was disabled first: nothing was sent.",
    },
)

#: The contract's names for policies.alerts' and policies.matching's enums.
MatchReviewReason = ReviewReason
MatchReviewStatus = ReviewStatus
AccessAlertKind = AlertKind
AccessAlertState = AlertState
WebhookDeliveryState = DeliveryState


def service_kind(value: str) -> ServiceKind:
    try:
        return ServiceKind(value)
    except ValueError:
        return ServiceKind.OTHER


def gender(value: str) -> Gender:
    try:
        return Gender(value)
    except ValueError:
        return Gender.NOT_KNOWN


# The CAF's course and form (api/schema/assessment_form.py shows them inside Assessment).
graphql_enum(
    ProgressRating,
    "How a review rated progress against one need.",
    some_values={ProgressRating.MET: "The need is met: it is marked MET."},
)
graphql_enum(NeedStatus, "Whether a need is still being worked on.")
graphql_enum(
    AttendeeKind,
    "Who came to a review.",
    some_values={AttendeeKind.OTHER: "Someone else, named in words."},
)
graphql_enum(
    Outcome,
    "The five Every Child Matters outcomes the pre-assessment checklist goes through "
    "(CAF guide 4.8).",
)
graphql_enum(
    OutcomeConcern,
    "The practitioner's answer for one outcome on the checklist.",
    some_values={OutcomeConcern.SOME_DOUBT: "A doubt that the child will achieve this outcome."},
)
graphql_enum(ConsentSigner, "Who signed the consent statement on the CAF form (4.4, 4.11).")
graphql_enum(
    ClosureOutcome,
    "Why a CAF ended, for management information: counted by this, never by the free-text reason.",
)
graphql_enum(
    CourseEventKind,
    "A step in the CAF's course, as its history records it.",
    some_values={
        CourseEventKind.STEPPED_UP: "Referred to children's social care; the CAF stays open.",
        CourseEventKind.TRANSFERRED: "Handed to a holder in the area the family moved to.",
    },
)
graphql_enum(FamilyMemberKind, "A family member in the team around the child.")
