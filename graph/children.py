"""Reading children: one Cypher round trip returns every fact the index view needs.

The query is a single map projection per child (carers, involvements with their
service and practitioner, lead professional, CAF summaries, and only the consent
records and overrides that concern the current viewer), so a search returning twenty
children costs exactly as much network as one child. Nothing here decides what may be
shown: that is `policies/`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, LiteralString

from graph.browsing import RESERVE, BudgetRequest
from graph.database import Graph, reached
from graph.facts import (
    CONSENT_FACT_MAP,
    OVERRIDE_MAP,
    SERVICE_MAP,
    address_from,
    consent_from,
    contact_from,
    native_date,
    override_from,
    practitioner_from,
    practitioner_projection,
    service_from,
)
from graph.lead_professional import (
    FAMILY_LEAD,
    INVOLVEMENT_LEADS,
    PRACTITIONER_LEAD,
    family_lead_from,
)
from policies.facts import (
    AssessmentSummaryFact,
    CarerFact,
    ChildFacts,
    InvolvementFact,
    PractitionerFact,
)

__all__ = [
    "AT_A_SHIELDED_ADDRESS",
    "CARRIED",
    "ChildPage",
    "ChildSearch",
    "child_facts_from",
    "child_map",
    "fetch_children",
    "fetch_children_matching",
    "fetch_practitioner",
    "search_children",
]

# The viewer's services (R6b), and whether the subject is suspended: asked here, in the
# read every child lookup makes anyway, so the per-request suspension check costs the
# index view no round trip of its own (graph/suspensions.py).
_VIEWER_SERVICES: LiteralString = """
CALL () {
  OPTIONAL MATCH (:Practitioner {id: $practitionerId})-[:WORKS_FOR]->(vs:Service)
  RETURN collect(vs.id) AS viewerServices
}
CALL () {
  OPTIONAL MATCH (x:SubjectSuspension {subject: $subject}) WHERE x.suspended
  RETURN x.reason AS suspendedFor
}
"""

#: What the projection reads besides `c`: a `match` given to `fetch_children_matching`
#: carries these through any WITH of its own (dropping one is a CypherSyntaxError).
CARRIED: LiteralString = "viewerServices, withinBudget, suspendedFor"

_BY_IDS: LiteralString = """
MATCH (c:Child) WHERE c.id IN $ids
"""

#: R4's household rule: child `c` lives at the address of a shielded child other than
#: itself (graph/model.md: the address key).
AT_A_SHIELDED_ADDRESS: LiteralString = (
    "(c.addressKey IS NOT NULL AND EXISTS {"
    " MATCH (o:Child {addressKey: c.addressKey}) WHERE o.shielded AND o.id <> c.id })"
)

# R4: a shielded child is found only on visible fields, so a postcode never narrows
# (and so never confirms) a search that would find one; nor one that would find a child
# living at a shielded child's address, whose postcode is his.
_POSTCODE_NARROWS: LiteralString = (
    "  AND ($postcodeKey IS NULL OR c.shielded OR c.postcodeKey = $postcodeKey OR "
    + AT_A_SHIELDED_ADDRESS
    + ")\nWITH c, "
    + CARRIED
    + " ORDER BY c.id LIMIT $limit\n"
)

_BY_NHS: LiteralString = (
    """
MATCH (c:Child) WHERE c.nhsNumber = $nhsNumber AND c.archivedOn IS NULL
  AND ($familyNameKey IS NULL OR c.familyNameKey = $familyNameKey)
  AND ($dateOfBirth IS NULL OR c.dateOfBirth = $dateOfBirth)
  AND ($givenNameKey IS NULL OR c.givenNameKey = $givenNameKey)
"""
    + _POSTCODE_NARROWS
)

_BY_NAME_AND_BIRTH: LiteralString = (
    """
MATCH (c:Child) WHERE c.familyNameKey = $familyNameKey AND c.dateOfBirth = $dateOfBirth
  AND c.archivedOn IS NULL
  AND ($givenNameKey IS NULL OR c.givenNameKey = $givenNameKey)
"""
    + _POSTCODE_NARROWS
)


def child_map(consents: LiteralString, overrides: LiteralString) -> LiteralString:
    """Child `c` (and its local authority `la`) as child_facts_from() reads it, with the
    consent records (`g`) and overrides (`o`) the two conditions keep: the viewer's own
    for a read, every one for a notification's fan-out (policies pick each viewer's)."""
    return (
        """c {
  .id, .givenName, .familyName, .dateOfBirth, .gender, .shielded, .localAuthority,
  .addressLine1, .addressLine2, .town, .postcode, .archivedOn, .dateOfDeath,
  addressSharedWithShielded: """
        + AT_A_SHIELDED_ADDRESS
        + """,
  la: la { .name, .indexTeamPhone, .indexTeamEmail,
    .addressLine1, .addressLine2, .town, .postcode },
  carers: [(k:Carer)-[r:CARES_FOR]->(c) | k {
    .id, .name, .phone, .email, .addressLine1, .addressLine2, .town, .postcode,
    relationship: r.relationship, parentalResponsibility: r.parentalResponsibility,
    livesWithChild: r.livesWithChild,
    livesWithShieldedChild: EXISTS {
      MATCH (k)-[:CARES_FOR {livesWithChild: true}]->(o:Child {shielded: true})
      WHERE o.id <> c.id } }],
  involvements: [(i:Involvement)-[:OF]->(c) WHERE i.endedOn IS NULL OR i.endedOn >= $horizon | i {
    .id, .startedOn, .endedOn, .source, isLeadProfessional: """
        + INVOLVEMENT_LEADS
        + """,
    service: [(i)-[:AT]->(s:Service) | s """
        + SERVICE_MAP
        + """][0],
    practitioner: [(i)-[:BY]->(ip:Practitioner) | """
        + practitioner_projection("ip")
        + """][0] }],
  lead: """
        + PRACTITIONER_LEAD
        + """,
  familyLead: """
        + FAMILY_LEAD
        + """,
  assessments: [(a:Assessment)-[:ABOUT]->(c) | a { .id, .status, .startedOn, .nextReviewOn,
    holder: [(ah:Practitioner)-[:HOLDS]->(a) | """
        + practitioner_projection("ah")
        + """][0] }],
  consents: [(g:ConsentGrant)-[:ABOUT]->(c) WHERE g.purpose = 'SHARE_CONTACT_DETAILS' AND """
        + consents
        + " | "
        + CONSENT_FACT_MAP
        + """],
  overrides: [(o:AccessOverride)-[:FOR]->(c) WHERE o.expiresAt > datetime() AND """
        + overrides
        + " | "
        + OVERRIDE_MAP
        + """]
}"""
    )


_PROJECTION: LiteralString = (
    """
OPTIONAL MATCH (la:LocalAuthority {code: c.localAuthority})
RETURN withinBudget, suspendedFor, viewerServices, """
    + child_map(
        """(g.state = 'REFUSED'
      OR EXISTS { (g)-[:GRANTED_TO]->(:Practitioner {id: $practitionerId}) }
      OR EXISTS { (g)-[:GRANTED_TO]->(gs:Service) WHERE gs.id IN viewerServices })""",
        "(o.practitionerId = $practitionerId OR o.recordedBySubject = $subject)",
    )
    + """ AS child
"""
)


def _involvement_from(m: dict[str, Any]) -> InvolvementFact | None:
    service = service_from(m.get("service"))
    if service is None:  # an involvement always has a service; skip a broken one
        return None
    return InvolvementFact(
        id=m["id"],
        service=service,
        practitioner=practitioner_from(m.get("practitioner")),
        started_on=native_date(m.get("startedOn")) or date.min,
        ended_on=native_date(m.get("endedOn")),
        is_lead_professional=bool(m.get("isLeadProfessional")),
        source=m.get("source") or "",
    )


def child_facts_from(m: dict[str, Any]) -> ChildFacts:
    reached(m["id"])
    involvements = tuple(i for i in map(_involvement_from, m.get("involvements") or ()) if i)
    assessments = []
    for a in m.get("assessments") or ():
        holder = practitioner_from(a.get("holder"))
        if holder is not None:
            assessments.append(
                AssessmentSummaryFact(
                    a["id"],
                    a["status"],
                    native_date(a["startedOn"]) or date.min,
                    holder,
                    native_date(a.get("nextReviewOn")),
                )
            )
    la = m.get("la")
    shielding_contact = None
    if la:
        shielding_contact = contact_from(
            {**la, "phone": la.get("indexTeamPhone"), "email": la.get("indexTeamEmail")}
        )
    return ChildFacts(
        id=m["id"],
        given_name=m.get("givenName") or "",
        family_name=m.get("familyName") or "",
        date_of_birth=native_date(m.get("dateOfBirth")) or date.min,
        gender=m.get("gender") or "NOT_KNOWN",
        shielded=bool(m.get("shielded")),
        local_authority=m.get("localAuthority"),
        address=address_from(m),
        archived_on=native_date(m.get("archivedOn")),
        address_shared_with_shielded=bool(m.get("addressSharedWithShielded")),
        date_of_death=native_date(m.get("dateOfDeath")),
        shielding_contact=shielding_contact,
        carers=tuple(
            CarerFact(
                id=k["id"],
                name=k.get("name") or "",
                relationship=k.get("relationship") or "carer",
                parental_responsibility=bool(k.get("parentalResponsibility")),
                lives_with_child=bool(k.get("livesWithChild")),
                contact=contact_from(k),
                lives_with_shielded_child=bool(k.get("livesWithShieldedChild")),
            )
            for k in m.get("carers") or ()
        ),
        involvements=tuple(sorted(involvements, key=lambda i: (i.started_on, i.id))),
        lead_professional=practitioner_from(m.get("lead")),
        family_lead=family_lead_from(m.get("familyLead")),
        assessments=tuple(assessments),
        consents=tuple(consent_from(g) for g in m.get("consents") or ()),
        overrides=tuple(override_from(o) for o in m.get("overrides") or ()),
    )


_UNCOUNTED: LiteralString = "WITH true AS withinBudget\n"
_FETCH_BY_IDS: LiteralString = _UNCOUNTED + _VIEWER_SERVICES + _BY_IDS + _PROJECTION
_SEARCH_BY_NHS: LiteralString = _UNCOUNTED + _VIEWER_SERVICES + _BY_NHS + _PROJECTION
_SEARCH_BY_NAME: LiteralString = _UNCOUNTED + _VIEWER_SERVICES + _BY_NAME_AND_BIRTH + _PROJECTION
# R2: the read of children new to the viewer today spends their budget in the same
# statement (graph/browsing.py); past the budget nothing of them is read. One row
# whatever was found, so the answer says whether the budget held.
_FETCH_COUNTING: LiteralString = (
    RESERVE
    + _VIEWER_SERVICES
    + "OPTIONAL MATCH (c:Child) WHERE withinBudget AND c.id IN $ids\n"
    + _PROJECTION
)

_PRACTITIONER: LiteralString = (
    "MATCH (p:Practitioner {id: $id}) RETURN " + practitioner_projection("p") + " AS p"
)


@dataclass(frozen=True)
class ChildSearch:
    """Normalised search keys (graph.keys); which anchor is used is decided by the caller."""

    nhs_number: str | None = None
    family_name_key: str | None = None
    given_name_key: str | None = None
    date_of_birth: date | None = None
    postcode_key: str | None = None


@dataclass(frozen=True)
class ChildPage:
    children: list[ChildFacts]
    viewer_service_ids: frozenset[str]
    #: R2: false when the read would have gone past the viewer's daily budget (nothing read).
    within_budget: bool = True
    #: Whether the read could tell if the subject is suspended (it returned a row), and why.
    suspension_checked: bool = False
    suspended_for: str | None = None


def _page(records: list[Any]) -> ChildPage:
    services: frozenset[str] = frozenset()
    children = []
    within = True
    suspended_for = None
    for record in records:
        services = frozenset(record["viewerServices"])
        within = within and bool(record["withinBudget"])
        suspended_for = suspended_for or record["suspendedFor"]
        if record["child"] is not None:
            children.append(child_facts_from(record["child"]))
    return ChildPage(children, services, within, bool(records), suspended_for)


async def fetch_children(
    graph: Graph,
    ids: list[str],
    *,
    practitioner_id: str | None,
    subject: str,
    horizon: date,
    budget: BudgetRequest | None = None,
) -> ChildPage:
    """With `budget`, the ids are spent from the viewer's daily budget first (R2), in the
    same round trip; then the read is a write, so only children new today are read so."""
    params = {"ids": ids, "practitionerId": practitioner_id, "subject": subject, "horizon": horizon}
    if budget is None:
        return _page(await graph.read(_FETCH_BY_IDS, **params))
    return _page(
        await graph.write_autocommit_retried(_FETCH_COUNTING, budget=budget.params(), **params)
    )


async def fetch_children_matching(
    graph: Graph,
    match: LiteralString,
    *,
    practitioner_id: str | None,
    subject: str,
    horizon: date,
    **params: Any,
) -> ChildPage:
    """Children found by `match` (Cypher binding `c`, and `CARRIED` carried on through
    any WITH of its own), each with every fact the index view needs, in one round trip."""
    records = await graph.read(
        _UNCOUNTED + _VIEWER_SERVICES + match + _PROJECTION,
        practitionerId=practitioner_id,
        subject=subject,
        horizon=horizon,
        **params,
    )
    return _page(records)


async def search_children(
    graph: Graph,
    search: ChildSearch,
    *,
    limit: int,
    practitioner_id: str | None,
    subject: str,
    horizon: date,
) -> ChildPage:
    params: dict[str, Any] = {
        "nhsNumber": search.nhs_number,
        "familyNameKey": search.family_name_key,
        "givenNameKey": search.given_name_key,
        "dateOfBirth": search.date_of_birth,
        "postcodeKey": search.postcode_key,
        "limit": limit,
        "practitionerId": practitioner_id,
        "subject": subject,
        "horizon": horizon,
    }
    cypher = _SEARCH_BY_NHS if search.nhs_number else _SEARCH_BY_NAME
    return _page(await graph.read(cypher, **params))


async def fetch_practitioner(graph: Graph, practitioner_id: str) -> PractitionerFact | None:
    records = await graph.read(_PRACTITIONER, id=practitioner_id)
    return practitioner_from(records[0]["p"]) if records else None
