"""Query.child and Query.searchChildren: find a child, then shape the index view.

One Cypher round trip fetches every fact for every matched child; policies decide
each guarded item; the audit collector hears about every child touched and every
item withheld. Nothing here decides on its own.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import strawberry
from strawberry.types import Info

from api.context import RequestContext
from api.errors import BadUserInput, Forbidden, NotFound
from api.schema.child import (
    Address,
    AssessmentSummary,
    Carer,
    Child,
    ChildSearchInput,
    ChildSearchResult,
    Contact,
    Involvement,
    Practitioner,
    Service,
)
from api.schema.enums import AssessmentStatus, gender, service_kind
from api.schema.guard import Guard
from graph import children as child_graph
from graph.keys import name_key, postcode_key
from graph.nhs_number import is_valid as nhs_number_valid
from policies import shielding, visibility
from policies.facts import (
    AddressFact,
    ChildFacts,
    ContactFact,
    PractitionerFact,
    ServiceFact,
)
from policies.viewer import Viewer

__all__ = [
    "index_view",
    "load_children",
    "practitioner_view",
    "resolve_child",
    "resolve_search_children",
    "shape_child",
]

MAX_ID = 200


def _address(fact: AddressFact | None) -> Address | None:
    if fact is None:
        return None
    return Address(line1=fact.line1, line2=fact.line2, town=fact.town, postcode=fact.postcode)


def _contact(fact: ContactFact | None) -> Contact | None:
    if fact is None:
        return None
    return Contact(phone=fact.phone, email=fact.email, address=_address(fact.address))


def _service(fact: ServiceFact, guard: Guard) -> Service:
    return Service(
        id=strawberry.ID(fact.id),
        name=fact.name,
        kind=service_kind(fact.kind),
        sensitive=fact.is_sensitive,
        local_authority=fact.local_authority,
        _contact=_contact(fact.contact),
        _guard=guard,
    )


def practitioner_view(fact: PractitionerFact, guard: Guard) -> Practitioner:
    return Practitioner(
        id=strawberry.ID(fact.id),
        name=fact.name,
        job_title=fact.job_title,
        service=_service(fact.service, guard) if fact.service else None,
        _contact=_contact(fact.contact),
        _guard=guard,
    )


def shape_child(ctx: RequestContext, viewer: Viewer, facts: ChildFacts) -> Child:
    """Apply R4 to R7 to one child's facts and build the index view."""
    today, now, audit = ctx.today, ctx.now, ctx.audit
    audit.child(facts.id)
    where = shielding.whereabouts(viewer, facts, now)
    if facts.shielded and where.allowed and "R9" in where.reason:
        for override in facts.overrides:
            audit.override(override.id)

    involvements = []
    for inv in facts.involvements:
        seen = visibility.involvement_visible(viewer, facts, inv, today, now)
        if not seen:
            if inv.service.is_sensitive and visibility.within_window(inv, today):
                # R6: omitted entirely from the answer, but the audit says it was withheld.
                audit.deny(f"Involvement:{inv.id}")
            continue
        if inv.service.is_sensitive:
            audit.disclose(f"Involvement:{inv.id}")
            if "R6c" in seen.reason:
                for override in facts.overrides:
                    audit.override(override.id)
        guard = Guard(where.allowed, f"Involvement:{inv.id}.contact")
        involvements.append(
            Involvement(
                id=strawberry.ID(inv.id),
                service=_service(inv.service, guard),
                practitioner=practitioner_view(inv.practitioner, guard)
                if inv.practitioner
                else None,
                started_on=inv.started_on,
                ended_on=inv.ended_on,
                active=inv.ended_on is None or inv.ended_on > today,
                is_lead_professional=inv.is_lead_professional,
                source=inv.source,
            )
        )

    lead = None
    if facts.lead_professional is not None:
        lead_fact = facts.lead_professional
        if visibility.practitioner_visible(viewer, facts, lead_fact, today, now):
            lead = practitioner_view(
                lead_fact, Guard(where.allowed, f"Child:{facts.id}.leadProfessional.contact")
            )
        else:
            audit.deny(f"Child:{facts.id}.leadProfessional")

    summaries = []
    for summary in facts.assessments:
        if not visibility.practitioner_visible(viewer, facts, summary.holder, today, now):
            audit.deny(f"Assessment:{summary.id}.holder")
            continue
        summaries.append(
            AssessmentSummary(
                id=strawberry.ID(summary.id),
                status=AssessmentStatus(summary.status),
                started_on=summary.started_on,
                holder=practitioner_view(
                    summary.holder, Guard(where.allowed, f"Assessment:{summary.id}.holder.contact")
                ),
            )
        )

    carers = [
        Carer(
            id=strawberry.ID(k.id),
            name=k.name,
            relationship=k.relationship,
            parental_responsibility=k.parental_responsibility,
            lives_with_child=k.lives_with_child,
            _contact=_contact(k.contact),
            _guard=Guard(
                shielding.carer_contact(viewer, facts, k, now).allowed, f"Carer:{k.id}.contact"
            ),
        )
        for k in facts.carers
    ]
    return Child(
        id=strawberry.ID(facts.id),
        given_name=facts.given_name,
        family_name=facts.family_name,
        date_of_birth=facts.date_of_birth,
        gender=gender(facts.gender),
        shielded=facts.shielded,
        shielding_contact=_contact(facts.shielding_contact) if facts.shielded else None,
        involvements=involvements,
        lead_professional=lead,
        has_common_assessment=bool(facts.assessments),
        common_assessments=summaries,
        _address=_address(facts.address),
        _address_guard=Guard(
            shielding.home_address(viewer, facts, now).allowed, f"Child:{facts.id}.address"
        ),
        _carers=carers,
        _carers_guard=Guard(where.allowed, f"Child:{facts.id}.carers"),
    )


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


async def load_children(ctx: RequestContext, ids: list[str]) -> tuple[Viewer, list[ChildFacts]]:
    """Facts for these children with the viewer's consent paths, in one round trip."""
    page = await child_graph.fetch_children(
        ctx.graph,
        ids,
        practitioner_id=ctx.viewer.practitioner_id,
        subject=ctx.viewer.subject,
        horizon=visibility.involvement_horizon(ctx.today),
    )
    return _with_services(ctx.viewer, page), page.children


async def index_view(ctx: RequestContext, child_id: str, not_found: str) -> Child:
    """The index view of one child as it stands now: what a mutation returns after writing."""
    viewer, found = await load_children(ctx, [child_id])
    if not found:
        raise NotFound(not_found)
    return shape_child(ctx, viewer, found[0])


async def resolve_child(info: Info[Any, Any], id: strawberry.ID) -> Child | None:
    ctx, _ = _reader(info, "child")
    child_id = str(id).strip()
    if not child_id or len(child_id) > MAX_ID:
        raise BadUserInput("id must be a non-empty index identifier", field="id")
    viewer, found = await load_children(ctx, [child_id])
    if found and visibility.may_find(viewer, found[0], ctx.today, by_search=False):
        return shape_child(ctx, viewer, found[0])
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
        viewer, found = await load_children(ctx, [child_id])
        matches = [
            shape_child(ctx, viewer, c)
            for c in found
            if visibility.may_find(viewer, c, ctx.today, by_search=True)
        ]
        return ChildSearchResult(matches=matches, truncated=False)
    keys = _search_keys(input)
    if keys.nhs_number is None and (keys.family_name_key is None or keys.date_of_birth is None):
        raise BadUserInput(
            "search needs a childId, an nhsNumber, or familyName with dateOfBirth (R2)",
            field="input",
        )
    limit = visibility.SEARCH_LIMIT
    page = await child_graph.search_children(
        ctx.graph,
        keys,
        limit=limit + 1,
        practitioner_id=ctx.viewer.practitioner_id,
        subject=ctx.viewer.subject,
        horizon=visibility.involvement_horizon(ctx.today),
    )
    viewer = _with_services(ctx.viewer, page)
    found = [c for c in page.children if visibility.may_find(viewer, c, ctx.today, by_search=True)]
    return ChildSearchResult(
        matches=[shape_child(ctx, viewer, c) for c in found[:limit]],
        truncated=len(found) > limit,
    )
