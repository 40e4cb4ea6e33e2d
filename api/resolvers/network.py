"""Query.involvementNetwork and Query.carerNetwork (R12): trace, decide, shape, audit.

Two round trips whatever the size of the family: the raw neighbourhood
(graph.network), then every candidate child's facts at once (load_children). Policy
decides which links may be followed (policies.network, R4); the children reached are
shaped by api/shaping.py exactly as `child(id:)` shapes them, which also names each one
in the audit event; the reason goes into the event beside the X-Purpose header.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import strawberry
from strawberry.types import Info

from api import browsing, shaping
from api.context import RequestContext
from api.errors import BadUserInput, Forbidden, NotFound
from api.resolvers.child import MAX_ID, findable, load_children
from api.schema.child import Child
from api.schema.network import InvolvementNetwork, NetworkLink
from graph import network as network_graph
from policies import disclosure, network
from policies.facts import ChildFacts
from policies.viewer import Viewer

__all__ = ["resolve_carer_network", "resolve_involvement_network"]


def _tracer(info: Info[Any, Any], action: str, reason: str) -> RequestContext:
    """R12: SAFEGUARDING_LEAD only, a reason and the X-Purpose header, all audited."""
    ctx: RequestContext = info.context
    ctx.audit.touch(action)
    decision = network.may_trace(ctx.viewer)
    if not decision:
        ctx.audit.deny(f"Query.{action}: {decision.reason}")
        raise Forbidden("only a SAFEGUARDING_LEAD may trace a network")
    stated = network.check_reason(reason)
    if not stated:
        raise BadUserInput(stated.reason.removeprefix("R12: "), field="reason")
    ctx.purpose()
    ctx.audit.reason = reason.strip()
    return ctx


def _identifier(value: strawberry.ID, name: str) -> str:
    text = str(value).strip()
    if not text or len(text) > MAX_ID:
        raise BadUserInput(f"{name} must be a non-empty index identifier", field=name)
    return text


def _findable(
    ctx: RequestContext, viewer: Viewer, facts: list[ChildFacts]
) -> dict[str, ChildFacts]:
    """R2/R16 as for a direct lookup: archived records are not part of any network."""
    return {f.id: f for f in findable(ctx, viewer, facts, by_search=False)}


def _unreached(ctx: RequestContext, facts: dict[str, ChildFacts], shown: Iterable[str]) -> None:
    """Children read as candidates but not part of the answer (a link not followed)."""
    for child_id in facts.keys() - set(shown):
        ctx.audit.deny(f"Child:{child_id}: not in the network shown")


def _withheld(ctx: RequestContext, viewer: Viewer, facts: dict[str, ChildFacts]) -> frozenset[str]:
    """The children whose whereabouts R4 withholds from this viewer."""
    return frozenset(
        child_id
        for child_id, f in facts.items()
        if not disclosure.decide(viewer, disclosure.Whereabouts(), f, ctx.now)
    )


def _involved_with(children: list[Child]) -> list[NetworkLink]:
    """INVOLVED_WITH from what each shaped record shows, so R5 and R6 hold for links too."""
    links = []
    for child in children:
        for involvement in child.involvements:
            target = (
                involvement.practitioner.id if involvement.practitioner else involvement.service.id
            )
            links.append(
                NetworkLink(
                    from_=child.id,
                    to=target,
                    kind=network.INVOLVED_WITH,
                    via=involvement.id,
                )
            )
    return links


async def resolve_involvement_network(
    info: Info[Any, Any], child_id: strawberry.ID, reason: str, depth: int = 1
) -> InvolvementNetwork:
    ctx = _tracer(info, "involvementNetwork", reason)
    if not network.check_depth(depth):
        raise BadUserInput(
            f"depth must be between {network.MIN_DEPTH} and {network.MAX_DEPTH}", field="depth"
        )
    root = _identifier(child_id, "childId")
    # R2 before anything is read: whether the root exists must not decide the refusal,
    # and past the budget neither does the network's size: a network with more children
    # new today than places left is cut short (truncated), never refused.
    counted, left = await browsing.budget_left(ctx, "involvementNetwork")
    await browsing.spend_shown(ctx, [root])
    left -= root not in counted
    counted.add(root)
    hood = await network_graph.neighbourhood(ctx.graph, root, depth, network.MAX_NETWORK)
    viewer, found = await load_children(ctx, hood.child_ids) if hood.child_ids else (ctx.viewer, [])
    facts = _findable(ctx, viewer, found)
    if root not in facts:
        ctx.audit.deny(f"Child:{root}: not found")
        raise NotFound("no child with that id is visible to you")
    withheld = _withheld(ctx, viewer, facts)
    usable = [link for link in hood.links if link.a in facts and link.b in facts]
    traced = network.trace(root, depth, usable, withheld)
    for refused in traced.withheld:
        ctx.audit.deny(f"NetworkLink:{refused.a}-{refused.kind}-{refused.b}")
    reached = sorted(traced.distance, key=lambda c: (traced.distance[c], c))
    order = browsing.fitting(reached, counted, left)
    kept = set(order)
    _unreached(ctx, facts, order)
    await browsing.spend_shown(ctx, order)
    children = [shaping.child(ctx, viewer, facts[c]) for c in order]
    links = [
        NetworkLink(
            from_=strawberry.ID(link.source),
            to=strawberry.ID(link.target),
            kind=link.kind,
            via=strawberry.ID(link.via) if link.via else None,
        )
        for link in traced.links
        if link.source in kept and link.target in kept
    ]
    return InvolvementNetwork(
        children=children,
        links=links + _involved_with(children),
        truncated=hood.truncated or traced.truncated or len(order) < len(reached),
    )


async def resolve_carer_network(
    info: Info[Any, Any], carer_id: strawberry.ID, reason: str
) -> InvolvementNetwork:
    ctx = _tracer(info, "carerNetwork", reason)
    carer = _identifier(carer_id, "carerId")
    # R2 before anything is read: past the budget, a carer with visible children and an
    # unknown carer id get the same refusal (R4: no oracle).
    counted, left = await browsing.budget_left(ctx, "carerNetwork")
    household = await network_graph.carer_household(ctx.graph, carer, network.MAX_NETWORK)
    if household is None:
        # The same second round trip a carer of shielded children only costs, so that
        # neither the round-trip count nor the clock tells the two apart (R4, no oracle).
        await load_children(ctx, [carer])
        raise NotFound("no carer with that id")
    ids = list(
        dict.fromkeys(
            [t.child_id for t in household.ties] + [t.via for t in household.ties if t.via]
        )
    )
    viewer, found = await load_children(ctx, ids) if ids else (ctx.viewer, [])
    facts = _findable(ctx, viewer, found)
    withheld = _withheld(ctx, viewer, facts)

    shown: dict[str, None] = {}
    links: list[NetworkLink] = []
    for tie in household.ties:
        if tie.child_id not in facts or (tie.via is not None and tie.via not in facts):
            continue
        if not network.carer_tie_allowed(tie, withheld):
            ctx.audit.deny(f"NetworkLink:{carer}-{tie.kind}-{tie.child_id}")
            continue
        if tie.child_id in shown and tie.kind == network.LIVES_WITH:
            continue
        shown[tie.child_id] = None
        links.append(
            NetworkLink(
                from_=strawberry.ID(carer),
                to=strawberry.ID(tie.child_id),
                kind=tie.kind,
                via=strawberry.ID(tie.via) if tie.via else None,
            )
        )
    _unreached(ctx, facts, shown)
    if not shown:
        # A carer of shielded children only looks like no carer at all (R4: no oracle).
        raise NotFound("no carer with that id")
    fits = browsing.fitting(list(shown), counted, left)
    kept = set(fits)
    _unreached(ctx, facts, fits)
    await browsing.spend_shown(ctx, fits)
    ctx.audit.disclose(f"Carer:{carer}.network")
    children = [shaping.child(ctx, viewer, facts[c]) for c in fits]
    return InvolvementNetwork(
        children=children,
        links=[k for k in links if k.to in kept and (k.via is None or k.via in kept)]
        + _involved_with(children),
        truncated=len(household.ties) >= network.MAX_NETWORK or len(fits) < len(shown),
    )


# --- Root fields: what this domain adds to Query and Mutation --------------------


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
        return await resolve_carer_network(info, carer_id, reason)
