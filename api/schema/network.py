"""Network tracing for safeguarding leads (R12): who is linked to this child, or this carer.

The children of an answer are ordinary `Child` objects, shaped exactly as `child(id:)`
shapes them (R4 to R7): a shielded sibling stays shielded.
"""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

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


@strawberry.type
class NetworkQuery:
    @strawberry.field(
        description=(
            "A child's involvement network (R12): the children linked to them by a shared "
            "carer or a shared address, up to `depth` steps away (1 to 3), and who is "
            "working with each of them. SAFEGUARDING_LEAD only (FORBIDDEN otherwise). "
            "`reason` is mandatory and, with the X-Purpose header, goes into the audit "
            "event, which names every child in the answer. Every child is shown exactly as "
            "child(id:) would show them (R4 to R7): a shielded child keeps address, carers "
            "and contacts withheld, and no link says where they live. BAD_USER_INPUT for a "
            "depth outside 1 to 3 or a blank reason; NOT_FOUND for an unknown or archived "
            "child. At most 200 children (`truncated`)."
        )
    )
    async def involvement_network(
        self, info: Info[Any, Any], child_id: strawberry.ID, depth: int = 1, *, reason: str
    ) -> InvolvementNetwork:
        from api.resolvers.network import resolve_involvement_network

        return await resolve_involvement_network(info, child_id, reason, depth)

    @strawberry.field(
        description=(
            '"Which other children does this adult care for or live with, and who is '
            'working with them?" in one request: the children a carer cares for (CARES_FOR '
            "links) and the children of the household of those they live with (LIVES_WITH), "
            "each shown as child(id:) would show them, with INVOLVED_WITH links to the "
            "practitioners and services working with them. No type leads from a carer to "
            "other children (R13): this is the one deliberate way in, SAFEGUARDING_LEAD "
            "only, with a mandatory reason and the X-Purpose header, and the audit event "
            "names the carer and every child in the answer (R12, R14). A shielded child "
            "appears only where the carer does not live with them (R4)."
        )
    )
    async def carer_network(
        self, info: Info[Any, Any], carer_id: strawberry.ID, reason: str
    ) -> InvolvementNetwork:
        from api.resolvers.network import resolve_carer_network

        return await resolve_carer_network(info, carer_id, reason)
