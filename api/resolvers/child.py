"""Query.child and Query.searchChildren: find a child, then shape the index view.

One Cypher round trip fetches every fact for every matched child; api/shaping.py
asks policies.disclosure about each guarded item and builds the answer; the audit
collector hears about every child touched and every item withheld. Nothing here
decides on its own.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import strawberry
from strawberry.types import Info

from api import browsing, shaping
from api.context import RequestContext
from api.errors import BadUserInput, Forbidden, NotFound
from api.schema.child import Child, ChildSearchInput, ChildSearchResult
from graph import children as child_graph
from graph.keys import name_key, postcode_key
from graph.nhs_number import is_valid as nhs_number_valid
from policies import visibility
from policies.facts import ChildFacts
from policies.viewer import Viewer

__all__ = [
    "findable",
    "index_view",
    "load_children",
    "resolve_child",
    "resolve_search_children",
]

MAX_ID = 200


def _reader(info: Info[Any, Any], action: str) -> tuple[RequestContext, str]:
    ctx: RequestContext = info.context
    ctx.audit.touch(action)
    decision = visibility.may_read_children(ctx.viewer)
    if not decision:
        ctx.audit.deny(f"Query.{action}: {decision.reason}")
        raise Forbidden("your role may not read children")
    return ctx, ctx.purpose()


def _with_services(viewer: Viewer, page: child_graph.ChildPage) -> Viewer:
    return dataclasses.replace(viewer, service_ids=page.viewer_service_ids)


async def load_children(
    ctx: RequestContext, ids: list[str], *, spend: bool = False
) -> tuple[Viewer, list[ChildFacts]]:
    """Facts for these children with the viewer's consent paths, in one round trip.

    `spend`: a lookup by id, which spends the viewer's daily budget on the ids asked for
    (R2) in that same round trip, and raises BROWSING_BUDGET_EXCEEDED past it.
    """
    budget = browsing.budget_request(ctx, ids) if spend else None
    page = await child_graph.fetch_children(
        ctx.graph,
        ids,
        practitioner_id=ctx.viewer.practitioner_id,
        subject=ctx.viewer.subject,
        horizon=visibility.involvement_horizon(ctx.today),
        budget=budget,
    )
    _saw_suspension(ctx, page)
    browsing.settle(ctx, budget, page.within_budget, ids)
    return _with_services(ctx.viewer, page), page.children


def _saw_suspension(ctx: RequestContext, page: child_graph.ChildPage) -> None:
    """The read asked whether the subject is suspended; the endpoint need not ask again."""
    if page.suspension_checked:
        ctx.suspension.saw(page.suspended_for)


async def index_view(ctx: RequestContext, child_id: str, not_found: str) -> Child:
    """The index view of one child as it stands now: what a mutation returns after writing."""
    viewer, found = await load_children(ctx, [child_id], spend=True)
    if not found:
        raise NotFound(not_found)
    return shaping.child(ctx, viewer, found[0])


async def resolve_child(info: Info[Any, Any], id: strawberry.ID) -> Child | None:
    ctx, _ = _reader(info, "child")
    child_id = str(id).strip()
    if not child_id or len(child_id) > MAX_ID:
        raise BadUserInput("id must be a non-empty index identifier", field="id")
    viewer, found = await load_children(ctx, [child_id], spend=True)
    shown = findable(ctx, viewer, found, by_search=False)
    if shown:
        return shaping.child(ctx, viewer, shown[0])
    # Not there and not visible look the same: no hint of which it was.
    ctx.audit.deny(f"Child:{child_id}: not found")
    raise NotFound("no child with that id is visible to you")


def _search_keys(value: ChildSearchInput) -> child_graph.ChildSearch:
    def clean(text: str | None, name: str, limit: int = 100) -> str | None:
        if text is None:
            return None
        if len(text) > limit:
            raise BadUserInput(f"{name} is too long", field=f"input.{name}")
        return text.strip() or None

    nhs = clean(value.nhs_number, "nhsNumber", 20)
    if nhs is not None:
        nhs = nhs.replace(" ", "").replace("-", "")
        if not nhs_number_valid(nhs):
            raise BadUserInput(
                "nhsNumber must be 10 digits with a valid check digit", field="input.nhsNumber"
            )
    family = clean(value.family_name, "familyName")
    given = clean(value.given_name, "givenName")
    postcode = clean(value.postcode, "postcode", 12)
    keys = child_graph.ChildSearch(
        nhs_number=nhs,
        family_name_key=name_key(family) if family else None,
        given_name_key=name_key(given) if given else None,
        date_of_birth=value.date_of_birth,
        postcode_key=postcode_key(postcode) if postcode else None,
    )
    for key, name in ((keys.family_name_key, "familyName"), (keys.given_name_key, "givenName")):
        if key == "":
            raise BadUserInput(f"{name} must contain letters", field=f"input.{name}")
    return keys


async def resolve_search_children(
    info: Info[Any, Any], input: ChildSearchInput
) -> ChildSearchResult:
    ctx, _ = _reader(info, "searchChildren")
    if input.child_id is not None:
        child_id = str(input.child_id).strip()
        if not child_id or len(child_id) > MAX_ID:
            raise BadUserInput(
                "childId must be a non-empty index identifier", field="input.childId"
            )
        viewer, found = await load_children(ctx, [child_id], spend=True)
        matches = findable(ctx, viewer, found, by_search=True)
        return ChildSearchResult(
            matches=[shaping.child(ctx, viewer, c) for c in matches], truncated=False
        )
    keys = _search_keys(input)
    if keys.nhs_number is None and (keys.family_name_key is None or keys.date_of_birth is None):
        raise BadUserInput(
            "search needs a childId, an nhsNumber, or familyName with dateOfBirth (R2)",
            field="input",
        )
    limit = visibility.SEARCH_LIMIT
    counted, left = await browsing.budget_left(ctx, "searchChildren")
    page = await child_graph.search_children(
        ctx.graph,
        keys,
        limit=limit + 1,
        practitioner_id=ctx.viewer.practitioner_id,
        subject=ctx.viewer.subject,
        horizon=visibility.involvement_horizon(ctx.today),
    )
    _saw_suspension(ctx, page)
    viewer = _with_services(ctx.viewer, page)
    found = findable(ctx, viewer, page.children, by_search=True)
    shown = _within(found, limit, counted, left)
    for beyond in found[len(shown) :]:
        ctx.audit.deny(f"Child:{beyond.id}: beyond the search limit or the budget left")
    await browsing.spend_shown(ctx, [c.id for c in shown])
    return ChildSearchResult(
        matches=[shaping.child(ctx, viewer, c) for c in shown],
        truncated=len(found) > len(shown),
    )


def _within(found: list[ChildFacts], limit: int, counted: set[str], left: int) -> list[ChildFacts]:
    """The first matches that fit both the search limit and the budget left (R2); past
    what is left the search is cut short exactly as at the search limit (truncated)."""
    fits = browsing.fitting([c.id for c in found[:limit]], counted, left)
    return found[: len(fits)]


def findable(
    ctx: RequestContext, viewer: Viewer, found: list[ChildFacts], *, by_search: bool
) -> list[ChildFacts]:
    """R2/R16 for a lookup, a search or a network; a child read and not found is still
    named in the audit event (R14)."""
    shown = []
    for child in found:
        if visibility.may_find(viewer, child, ctx.today, by_search=by_search):
            shown.append(child)
        else:
            ctx.audit.deny(f"Child:{child.id}: not found")
    return shown


# --- Root fields: what this domain adds to Query ------------------------------


@strawberry.type
class ChildQuery:
    child: Child | None = strawberry.field(
        resolver=resolve_child,
        description=(
            "One child by index id (R2, R3), for PRACTITIONER, SAFEGUARDING_LEAD and "
            "INDEX_ADMIN. A child that does not exist and one you may not see both give "
            "NOT_FOUND. Audited."
        ),
    )
    search_children: ChildSearchResult = strawberry.field(
        resolver=resolve_search_children,
        description=(
            "Find a child by exact keys (R2): childId, or nhsNumber, or familyName with "
            "dateOfBirth; givenName and postcode narrow. At most 20 matches. Archived "
            "records are not found. Audited."
        ),
    )
