"""Enumerations of the contract, with the descriptions front-end developers read."""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING

import strawberry

from policies.viewer import Role as _Role

if TYPE_CHECKING:
    Role = _Role
else:
    Role = strawberry.enum(_Role, description="What the caller's token allows them to do (R1).")


@strawberry.enum(description="Gender as recorded by the source system.")
class Gender(Enum):
    FEMALE = "FEMALE"
    MALE = "MALE"
    OTHER = "OTHER"
    NOT_KNOWN = "NOT_KNOWN"


@strawberry.enum(
    description=(
        "The kind of service. MENTAL_HEALTH, SEXUAL_HEALTH and SUBSTANCE_MISUSE are always "
        "sensitive: their involvements are shown only as R6 allows."
    )
)
class ServiceKind(Enum):
    SCHOOL = "SCHOOL"
    EARLY_YEARS = "EARLY_YEARS"
    FURTHER_EDUCATION = "FURTHER_EDUCATION"
    GP = "GP"
    HEALTH_VISITOR = "HEALTH_VISITOR"
    SCHOOL_NURSE = "SCHOOL_NURSE"
    HOSPITAL = "HOSPITAL"
    SOCIAL_CARE = "SOCIAL_CARE"
    YOUTH_SERVICE = "YOUTH_SERVICE"
    YOUTH_OFFENDING = "YOUTH_OFFENDING"
    CONNEXIONS = "CONNEXIONS"
    EDUCATION_WELFARE = "EDUCATION_WELFARE"
    HOUSING = "HOUSING"
    POLICE = "POLICE"
    VOLUNTARY = "VOLUNTARY"
    ADULT_SOCIAL_CARE = "ADULT_SOCIAL_CARE"
    MENTAL_HEALTH = "MENTAL_HEALTH"
    SEXUAL_HEALTH = "SEXUAL_HEALTH"
    SUBSTANCE_MISUSE = "SUBSTANCE_MISUSE"
    OTHER = "OTHER"


@strawberry.enum(description="Where a common assessment (CAF) stands.")
class AssessmentStatus(Enum):
    OPEN = "OPEN"
    CLOSED = "CLOSED"
    TRANSFERRED_TO_SOCIAL_CARE = "TRANSFERRED_TO_SOCIAL_CARE"


@strawberry.enum(
    description=(
        "Whether a practitioner can be contacted directly (R17): their service's system "
        "marks them UNAVAILABLE until a date, or as having LEFT the service."
    )
)
class PractitionerAvailability(Enum):
    AVAILABLE = "AVAILABLE"
    UNAVAILABLE = "UNAVAILABLE"
    LEFT = "LEFT"


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
