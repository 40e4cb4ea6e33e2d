"""The lead professional: one relationship, whoever sets it (graph/model.md).

`(lead)-[:LEAD_PROFESSIONAL_FOR {since, setBy, involvementId?}]->(c:Child)`, at most
one per child, where `lead` is a Practitioner, a Carer, or the child herself (CAF guide
3.8: "a young person, parent or carer may go on to be the lead professional"). A feed's
START_INVOLVEMENT with `isLeadProfessional`, a CAF appointment and a practitioner's own
involvement all write it through the fragments below, and every read derives from it
(`Child.leadProfessional`, `Involvement.isLeadProfessional`): nothing else stores who
leads. `setBy` is `feed:<source>` or `practitioner:<id>`; `involvementId` names the
involvement the lead was named on (a feed's START with the flag, or a practitioner's own
involvement recorded as lead), and only that involvement's end (or a START re-sent
without the flag) stands that lead down.

Every write of the relationship is one of these fragments, so whatever follows a lead
appointed or stood down (an outbox event) is added here once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, LiteralString

from neo4j import AsyncManagedTransaction

from graph.consent import ChildContext, Recorder, locked_context
from graph.database import Graph
from graph.facts import native_date, practitioner_projection
from graph.idempotency import IdempotencyClaim, write_once
from graph.outbox import emit
from policies.facts import FamilyLeadFact
from policies.vocabulary import EventKind

__all__ = [
    "FAMILY_LEAD",
    "FEED_STAND_DOWN",
    "INVOLVEMENT_LEADS",
    "LEADS_FROM_FLAGS",
    "PRACTITIONER_LEAD",
    "SET_LEAD",
    "STAND_DOWN",
    "LeadChangeFacts",
    "appoint_family_lead",
    "change_lead",
    "family_lead_from",
    "involvement_stand_down",
    "set_lead",
    "set_practitioner_lead",
    "stand_down",
]


def _announce(kind: EventKind, who: LiteralString, actor: LiteralString) -> LiteralString:
    """The outbox event of a lead appointed or stood down (issue 20, graph/outbox.py): a
    carer or the young person is announced without a practitioner id."""
    return emit(
        kind,
        child="c.id",
        subject="c.id",
        practitioner="CASE WHEN " + who + ":Practitioner THEN " + who + ".id END",
        actor=actor,
    )


def set_lead(*, announce: bool = True) -> LiteralString:
    """Makes `lead` the lead professional of `c`, replacing any other, and (with
    `announce`) writes the outbox events of both. Needs, bound before it: `c`, `lead`,
    `leadSince` (Date), `leadSetBy`, `leadInvolvementId` (or null), `leadActor`."""
    replaced: LiteralString = (
        _announce(EventKind.LEAD_STOOD_DOWN, "other", "leadActor") if announce else ""
    )
    appointed: LiteralString = (
        _announce(EventKind.LEAD_APPOINTED, "lead", "leadActor") if announce else ""
    )
    return (
        """CALL (c, lead, leadActor) {
  MATCH (other)-[old:LEAD_PROFESSIONAL_FOR]->(c) WHERE other <> lead
  DELETE old
  """
        + replaced
        + """}
MERGE (lead)-[lp:LEAD_PROFESSIONAL_FOR]->(c)
  ON CREATE SET lp.since = leadSince, lp.announce = true
SET lp.setBy = leadSetBy, lp.involvementId = leadInvolvementId
WITH *
CALL (c, lead, lp, leadActor) {
  WITH c, lead, lp, leadActor WHERE lp.announce
  REMOVE lp.announce
  """
        + appointed
        + "}\n"
    )


#: The write that makes someone lead (see set_lead), announced.
SET_LEAD: LiteralString = set_lead()

#: Stands down whoever leads for `c`, announced as by `leadActor` (both bound before it).
STAND_DOWN: LiteralString = (
    """CALL (c, leadActor) {
  MATCH (other)-[old:LEAD_PROFESSIONAL_FOR]->(c)
  DELETE old
  """
    + _announce(EventKind.LEAD_STOOD_DOWN, "other", "leadActor")
    + "}\n"
)


def involvement_stand_down(actor: LiteralString) -> LiteralString:
    """Stands down the lead that involvement `i` set, and only that one (`i` bound before
    it; `actor` an expression over `i` or the statement's parameters): the end of the
    involvement a lead was named on ends that lead, whoever recorded it."""
    return (
        """CALL (i) {
  MATCH (other)-[old:LEAD_PROFESSIONAL_FOR {involvementId: i.id}]->(c:Child)
  DELETE old
  """
        + _announce(EventKind.LEAD_STOOD_DOWN, "other", actor)
        + "}\n"
    )


#: Stands down the lead a feed involvement `i` set, and only that one (bound before it).
FEED_STAND_DOWN: LiteralString = involvement_stand_down("'feed:' + i.source")


#: After a bulk import (graph/initial_load.py): the involvements written with the feed's
#: `isLeadProfessional` flag (bulk/store.py keeps it for this alone) make their
#: practitioner lead as ingest's START would, unless ended (ingest's END stands that lead
#: down); then the flag goes, as migration 0025 did for older data. In file order
#: (`leadSeq`, bulk/store.py), so where two STARTs name a child's lead the relationship
#: ends as ingest leaves it: `since` from the first, the involvement from the last.
#: Nothing is announced: an initial load tells no one.
LEADS_FROM_FLAGS: LiteralString = (
    """
MATCH (i:Involvement) WHERE i.isLeadProfessional IS NOT NULL
WITH i ORDER BY i.leadSeq
CALL (i) {
  CALL (i) {
    WITH i WHERE i.isLeadProfessional AND i.endedOn IS NULL
    MATCH (i)-[:OF]->(c:Child)
    MATCH (i)-[:BY]->(lead:Practitioner)
    WITH c, lead, i.startedOn AS leadSince, 'feed:' + i.source AS leadSetBy,
      i.id AS leadInvolvementId, null AS leadActor
"""
    + set_lead(announce=False)
    + """  }
  REMOVE i.isLeadProfessional, i.leadSeq
} IN TRANSACTIONS OF 10000 ROWS
"""
)


#: The practitioner leading for child `c`, or null (the index view's `lead`).
PRACTITIONER_LEAD: LiteralString = (
    "[(lp:Practitioner)-[:LEAD_PROFESSIONAL_FOR]->(c) | " + practitioner_projection("lp") + "][0]"
)

#: A carer or the young person leading for child `c` (CAF guide 3.8), or null.
FAMILY_LEAD: LiteralString = """[(fl)-[flr:LEAD_PROFESSIONAL_FOR]->(c)
    WHERE fl:Carer OR fl:Child | {
    kind: CASE WHEN fl:Carer THEN 'CARER' ELSE 'YOUNG_PERSON' END,
    carerId: CASE WHEN fl:Carer THEN fl.id END, since: flr.since }][0]"""

#: Involvement `i` of child `c` is its practitioner's, who leads for `c`, and is active.
INVOLVEMENT_LEADS: LiteralString = """((i.endedOn IS NULL OR i.endedOn > date())
      AND EXISTS { (i)-[:BY]->(:Practitioner)-[:LEAD_PROFESSIONAL_FOR]->(c) })"""


def family_lead_from(m: dict[str, Any] | None) -> FamilyLeadFact | None:
    if not m:
        return None
    return FamilyLeadFact(
        kind=m["kind"], carer_id=m.get("carerId"), since=native_date(m.get("since"))
    )


_SET_PRACTITIONER: LiteralString = (
    """
MATCH (c:Child {id: $childId}), (lead:Practitioner {id: $leadId})
WITH c, lead, $today AS leadSince, $setBy AS leadSetBy,
  $involvementId AS leadInvolvementId, $actor AS leadActor
"""
    + SET_LEAD
    + "RETURN c.id AS id"
)

_SET_FAMILY: LiteralString = (
    """
MATCH (c:Child {id: $childId})
OPTIONAL MATCH (k:Carer {id: $carerId})-[:CARES_FOR]->(c)
WITH c, CASE WHEN $carerId IS NULL THEN c ELSE k END AS lead
WHERE lead IS NOT NULL
WITH c, lead, $today AS leadSince, $setBy AS leadSetBy, null AS leadInvolvementId,
  $actor AS leadActor
"""
    + SET_LEAD
    + "RETURN c.id AS id"
)

_STAND_DOWN: LiteralString = (
    """
MATCH (c:Child {id: $childId})
WITH c, EXISTS { ()-[:LEAD_PROFESSIONAL_FOR]->(c) } AS stoodDown, $actor AS leadActor
"""
    + STAND_DOWN
    + "RETURN stoodDown"
)


async def set_practitioner_lead(
    tx: AsyncManagedTransaction,
    child_id: str,
    practitioner_id: str,
    *,
    today: date,
    set_by: str,
    actor: str,
    involvement_id: str | None = None,
) -> None:
    """Inside the caller's transaction, after it decided: the practitioner leads. With
    `involvement_id`, the lead stands on that involvement and its end stands them down
    (`involvement_stand_down`); without, only a stand-down or another lead ends it."""
    result = await tx.run(
        _SET_PRACTITIONER,
        childId=child_id,
        leadId=practitioner_id,
        today=today,
        setBy=set_by,
        actor=actor,
        involvementId=involvement_id,
    )
    await result.single(strict=True)


async def appoint_family_lead(
    tx: AsyncManagedTransaction,
    child_id: str,
    carer_id: str | None,
    *,
    today: date,
    set_by: str,
    actor: str,
) -> bool:
    """The carer (of this child) or, with no carer, the young person leads; False when the
    carer does not care for the child (nothing written)."""
    result = await tx.run(
        _SET_FAMILY, childId=child_id, carerId=carer_id, today=today, setBy=set_by, actor=actor
    )
    return await result.single() is not None


async def stand_down(tx: AsyncManagedTransaction, child_id: str, *, actor: str) -> bool:
    """Whoever leads for the child stands down; False when nobody led."""
    result = await tx.run(_STAND_DOWN, childId=child_id, actor=actor)
    row = await result.single(strict=True)
    return bool(row["stoodDown"])


# --- Changes through the API: decided on the child as it stands, under its write lock ----


@dataclass(frozen=True)
class LeadChangeFacts:
    context: ChildContext
    #: Who leads now: PRACTITIONER, CARER or YOUNG_PERSON, and their id; None for nobody.
    lead_kind: str | None
    lead_id: str | None
    #: The carer named: None when they do not care for this child; else whether they
    #: hold parental responsibility (R10).
    carer_parental_responsibility: bool | None


_LEAD_NOW: LiteralString = """
MATCH (c:Child {id: $childId})
RETURN [(ln)-[:LEAD_PROFESSIONAL_FOR]->(c) | {
    kind: CASE WHEN ln:Practitioner THEN 'PRACTITIONER' WHEN ln:Carer THEN 'CARER'
      ELSE 'YOUNG_PERSON' END, id: ln.id }][0] AS lead,
  [(k:Carer {id: $carerId})-[r:CARES_FOR]->(c) | coalesce(r.parentalResponsibility, false)][0]
    AS carerParentalResponsibility
"""


async def change_lead(
    graph: Graph,
    child_id: str,
    *,
    family_lead: bool,
    carer_id: str | None,
    recorder: Recorder,
    claim: IdempotencyClaim | None,
    decide: Callable[[LeadChangeFacts | None], None],
) -> str:
    """Stand the lead down (`family_lead` false), or make the carer (or, with no carer,
    the young person) the lead. `decide` gets None for a child not there, and refuses by
    raising; returns the child id."""

    async def write(tx: AsyncManagedTransaction) -> str:
        context = await locked_context(tx, child_id, recorder)
        if context is None:
            decide(None)
            raise AssertionError("decide must refuse a missing child")
        result = await tx.run(_LEAD_NOW, childId=child_id, carerId=carer_id)
        row = await result.single(strict=True)
        lead = row["lead"] or {}
        decide(
            LeadChangeFacts(
                context=context,
                lead_kind=lead.get("kind"),
                lead_id=lead.get("id"),
                carer_parental_responsibility=row["carerParentalResponsibility"],
            )
        )
        set_by = f"practitioner:{recorder.practitioner_id}"
        if not family_lead:
            await stand_down(tx, child_id, actor=recorder.subject)
        elif not await appoint_family_lead(
            tx, child_id, carer_id, today=recorder.now.date(), set_by=set_by, actor=recorder.subject
        ):
            raise AssertionError("decide must refuse a carer who does not care for the child")
        return child_id

    async def load(tx: AsyncManagedTransaction, result_id: str) -> str:
        return result_id

    return await write_once(graph, claim, write, load)
