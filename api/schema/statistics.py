"""Aggregates for analysts (R11): counts of children, never a child.

Every type here is made of counts, enumerations, local authority codes and services
(which are organisations, not people). Nothing leads to a child, a carer or a
practitioner, and nothing ever will: a test walks the whole schema as an ANALYST.
"""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from api.schema.enums import ServiceKind, graphql_enum
from policies.analytics import StatisticDimension

graphql_enum(
    StatisticDimension,
    "What involvementStatistics breaks children down by. AGE_BAND values are 0-4, 5-10, "
    "11-15 and 16-17 (age in whole years today). HAS_COMMON_ASSESSMENT values are true and "
    "false (a CAF has been registered). LOCAL_AUTHORITY values are local authority codes, "
    "SERVICE_KIND and GENDER values are those enums' names.",
)


@strawberry.type(
    description=(
        "One cell of a breakdown. `key` holds one value per groupBy dimension, in the "
        'order you asked for them; "*" means all values of that dimension (used where '
        "R11 allows no finer breakdown: a sensitive service kind is counted per local "
        "authority only). Combinations with no children are not listed: a missing row "
        "means zero."
    )
)
class StatisticRow:
    key: list[str]
    children: int | None = strawberry.field(
        description=("Live children (not archived, under 18) in this cell. Null when suppressed.")
    )
    suppressed: bool = strawberry.field(
        description=(
            "True when the count is hidden (R11): it is between 1 and 4, or it would let a "
            "hidden count be worked out by subtraction from the totals and other rows."
        )
    )


@strawberry.type(
    description=(
        "Children involved with services of both kinds at once (each involvement active "
        "or ended within 365 days). kindA sorts before kindB; a missing pair means zero."
    )
)
class CoInvolvementRow:
    kind_a: ServiceKind
    kind_b: ServiceKind
    children: int | None = strawberry.field(description="Null when suppressed (R11).")
    suppressed: bool = strawberry.field(
        description="True when the count is between 1 and 4 or could be worked out from others."
    )


@strawberry.type(
    description=(
        "A service in the service network: an organisation, never a person. No contact "
        "details: analysts see aggregates only (R11)."
    )
)
class ServiceNode:
    id: strawberry.ID
    name: str
    kind: ServiceKind
    sensitive: bool = strawberry.field(
        description=(
            "True for sensitive services (R6). Their edges are never drawn (R11): ask "
            "coInvolvement for their co-involvement at local authority level."
        )
    )
    local_authority: str | None = strawberry.field(description="The local authority's code.")


@strawberry.type(
    description=(
        "Two services working with the same children: `children` is how many they share. "
        "Undirected; `from` sorts before `to`."
    )
)
class ServiceEdge:
    from_: strawberry.ID = strawberry.field(name="from")
    to: strawberry.ID
    children: int = strawberry.field(
        description=(
            "Live children involved with both services (active or ended within 365 days). "
            "Always 5 or more: smaller edges are left out (R11)."
        )
    )


@strawberry.type(
    description=(
        "Services as nodes, edges weighted by the children two services share: the shape "
        "Gephi and NetworkX read (`contactgraph export service-network` writes it as "
        "GraphML or CSV). Edges of 1 to 4 children are omitted, and so are a few larger "
        "ones wherever the omitted edges could otherwise be worked out from coInvolvement "
        "(R11). An absent edge therefore means fewer than 5 children, or suppressed."
    )
)
class ServiceNetwork:
    nodes: list[ServiceNode]
    edges: list[ServiceEdge]
    computed_at: datetime = strawberry.field(
        description="When the counts behind the edges were taken (see statisticsSnapshot)."
    )


@strawberry.type(
    description=(
        "Which counts the statistics answer from. Every statistics query is answered from "
        "one snapshot of the whole index, taken at most an hour before (refreshed in the "
        "background), so that figures are consistent with each other and cannot be "
        "compared minute by minute to single out one child (R11)."
    )
)
class StatisticsSnapshot:
    as_of: date = strawberry.field(description="The day ages and the 365-day window refer to.")
    computed_at: datetime
