"""Network tracing for safeguarding leads (R12): who is linked to this child, or this carer.

The children of an answer are ordinary `Child` objects, shaped exactly as `child(id:)`
shapes them (R4 to R7): a shielded sibling stays shielded.
"""

from __future__ import annotations

import strawberry

from api.schema.child import Child


@strawberry.type(
    description=(
        "A typed, undirected link of a network. `from` is the end nearer the root. "
        "Kinds: SHARES_CARER (two children cared for by one carer), SHARES_ADDRESS (two "
        "children recorded at one address), INVOLVED_WITH (from a child to the "
        "practitioner working with them, or to the service for a team-level involvement; "
        "only involvements the child's own record shows), and in carerNetwork CARES_FOR "
        "and LIVES_WITH (from the carer to a child). Links that would reveal where a "
        "shielded child lives are never drawn (R4)."
    )
)
class NetworkLink:
    from_: strawberry.ID = strawberry.field(name="from")
    to: strawberry.ID
    kind: str
    via: strawberry.ID | None = strawberry.field(
        default=None,
        description=(
            "SHARES_CARER: the shared carer's id (null when either child is shielded). "
            "INVOLVED_WITH: the involvement's id, as in Child.involvements. Otherwise null."
        ),
    )


@strawberry.type(
    description=(
        "Children linked to the root by shared carers or addresses, each shown as if "
        "looked up directly (R4 to R7), with typed links. Every child listed is named "
        "in the request's audit event with your reason (R12, R14)."
    )
)
class InvolvementNetwork:
    children: list[Child] = strawberry.field(
        description="The root child first (for involvementNetwork), then nearest first."
    )
    links: list[NetworkLink]
    truncated: bool = strawberry.field(
        default=False,
        description=(
            "True when the network was larger than 200 children and was cut: trace from "
            "a nearer child, or with less depth."
        ),
    )
