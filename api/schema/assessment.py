"""The common assessment (CAF) itself: needs, strengths, actions, team (R7, R8)."""

from __future__ import annotations

from datetime import date
from enum import Enum

import strawberry

from api.schema.child import Practitioner
from api.schema.enums import AssessmentStatus


@strawberry.enum(description="The three domains of the CAF (CAF guide, Table 1).")
class AssessmentDomain(Enum):
    DEVELOPMENT_OF_CHILD = "DEVELOPMENT_OF_CHILD"
    PARENTS_AND_CARERS = "PARENTS_AND_CARERS"
    FAMILY_AND_ENVIRONMENT = "FAMILY_AND_ENVIRONMENT"


@strawberry.type(description="A need identified in one element of a CAF domain.")
class AssessmentNeed:
    domain: AssessmentDomain
    element: str = strawberry.field(description="The element of the domain, e.g. 'Health'.")
    summary: str


@strawberry.type(description="Something the team around the child agreed to do.")
class DeliveryAction:
    id: strawberry.ID
    description: str
    owner: Practitioner | None
    due_on: date | None
    done_on: date | None


@strawberry.type(
    description=(
        "The CAF itself. Visible only to its holder, to team members covered by an ACTIVE "
        "SHARE_ASSESSMENT consent, and under an access override (R7)."
    )
)
class Assessment:
    id: strawberry.ID
    status: AssessmentStatus
    started_on: date
    closed_on: date | None
    holder: Practitioner
    needs: list[AssessmentNeed]
    strengths: list[str]
    actions: list[DeliveryAction]
    team_around_the_child: list[Practitioner] = strawberry.field(
        description="The practitioners working together with the child and family."
    )
    next_review_on: date | None
