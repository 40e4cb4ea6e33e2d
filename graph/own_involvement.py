"""A practitioner's own record on the index: their involvement, its end, a paper CAF.

CAF guide 2.15: practitioners whose systems do not feed the index record there that
they (or their team) work with a child, and that a CAF exists on paper. An involvement
so recorded carries `source: "practitioner:<id>"` and is read like a feed's (R5, R6). A
feed's later START_INVOLVEMENT for the same involvement (the same child, service and
practitioner, or service alone for a team's, still open) takes it over
(graph/feed_writes/start_involvement.py), so the index never shows it twice.

Each write is one transaction under the child's write lock (graph.consent.LOCK_CHILD):
read what the caller decides on, hand it to `decide` (which raises to refuse), write.
The statements that start and end an involvement and register a CAF are the constants
below, one per change.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import LiteralString

from neo4j import AsyncManagedTransaction

from graph.consent import ChildContext, Recorder, locked_context
from graph.database import Graph
from graph.facts import SERVICE_SUMMARY_MAP, native_date, practitioner_from, service_from
from graph.idempotency import IdempotencyClaim, write_once
from graph.lead_professional import (
    PRACTITIONER_LEAD,
    involvement_stand_down,
    set_practitioner_lead,
)
from graph.outbox import emit
from policies.facts import PractitionerFact, ServiceFact
from policies.vocabulary import EventKind

__all__ = [
    "END_OWN_INVOLVEMENT",
    "REGISTER_PAPER_ASSESSMENT",
    "START_OWN_INVOLVEMENT",
    "OwnInvolvementFacts",
    "OwnInvolvementRef",
    "end_own_involvement",
    "own_source",
    "record_own_involvement",
    "register_paper_assessment",
]


def own_source(practitioner_id: str) -> str:
    """The `source` of what a practitioner records themselves (no feed uses a colon)."""
    return f"practitioner:{practitioner_id}"


@dataclass(frozen=True)
class OwnInvolvementRef:
    id: str
    source: str
    started_on: date | None


@dataclass(frozen=True)
class OwnInvolvementFacts:
    context: ChildContext
    #: The service the recorder works for (None: they work for none on the index).
    service: ServiceFact | None
    #: The open involvements of the same key: this child, that service, and the recorder
    #: (or no practitioner, for the team's).
    open: tuple[OwnInvolvementRef, ...]
    #: Whoever leads for the child now (a practitioner's, carer's or the child's id).
    lead_id: str | None = None
    #: That lead, when a practitioner (R6 decides whether the recorder may see them).
    lead_practitioner: PractitionerFact | None = None


_FACTS: LiteralString = (
    """
MATCH (c:Child {id: $childId})
OPTIONAL MATCH (p:Practitioner {id: $practitionerId})-[:WORKS_FOR]->(s:Service)
WITH c, p, s ORDER BY s.id LIMIT 1
RETURN s """
    + SERVICE_SUMMARY_MAP
    + """ AS service,
  [(i:Involvement)-[:OF]->(c) WHERE i.endedOn IS NULL AND EXISTS { (i)-[:AT]->(s) }
    AND CASE WHEN $team THEN NOT EXISTS { (i)-[:BY]->() } ELSE EXISTS { (i)-[:BY]->(p) } END
    | i { .id, .source, .startedOn }] AS open,
  [(ln)-[:LEAD_PROFESSIONAL_FOR]->(c) | ln.id][0] AS leadId,
  """
    + PRACTITIONER_LEAD
    + """ AS leadPractitioner
"""
)

# Each announced to the child's other practitioners (issue 20, graph/outbox.py), in this
# write, as a feed's would be.
START_OWN_INVOLVEMENT: LiteralString = (
    """
MATCH (c:Child {id: $childId}), (s:Service {id: $serviceId}), (p:Practitioner {id: $practitionerId})
CREATE (i:Involvement {id: $id, startedOn: $startedOn, source: $source, purpose: $purpose,
  recordedAt: $now, recordedBy: $subject})
CREATE (i)-[:OF]->(c)
CREATE (i)-[:AT]->(s)
FOREACH (_ IN CASE WHEN $team THEN [] ELSE [1] END | CREATE (i)-[:BY]->(p))
"""
    + emit(
        EventKind.INVOLVEMENT_STARTED,
        child="c.id",
        subject="i.id",
        practitioner="CASE WHEN $team THEN null ELSE p.id END",
        actor="$subject",
    )
    + "RETURN i.id AS id\n"
)

END_OWN_INVOLVEMENT: LiteralString = (
    """
MATCH (i:Involvement {id: $id})-[:OF]->(c:Child)
SET i.endedOn = $endedOn, i.endedBy = $subject, i.endReason = $reason
WITH i, c
OPTIONAL MATCH (i)-[:BY]->(bp:Practitioner)
"""
    + emit(
        EventKind.INVOLVEMENT_ENDED,
        child="c.id",
        subject="i.id",
        practitioner="bp.id",
        actor="$subject",
    )
    + "WITH i\n"
    + involvement_stand_down("$subject")
    + "RETURN i.id AS id\n"
)

# CAF guide 2.15: the index learns that a CAF exists on paper; the indicator and holder
# only, never content (as a feed's REGISTER_ASSESSMENT).
REGISTER_PAPER_ASSESSMENT: LiteralString = (
    """
MATCH (c:Child {id: $childId}), (h:Practitioner {id: $practitionerId})
CREATE (a:Assessment {id: $id, status: 'OPEN', startedOn: $startedOn, strengths: [],
  source: $source, onPaper: true, createdAt: $now, startedBy: $subject})
CREATE (a)-[:ABOUT]->(c)
CREATE (h)-[:HOLDS]->(a)
CREATE (h)-[:TEAM_MEMBER_OF {since: $startedOn}]->(a)
"""
    + emit(
        EventKind.CAF_STARTED,
        child="c.id",
        subject="a.id",
        practitioner="h.id",
        actor="$subject",
    )
    + "RETURN a.id AS id\n"
)


async def _facts(
    tx: AsyncManagedTransaction, child_id: str, team: bool, recorder: Recorder
) -> OwnInvolvementFacts | None:
    context = await locked_context(tx, child_id, recorder)
    if context is None:
        return None
    result = await tx.run(
        _FACTS, childId=child_id, practitionerId=recorder.practitioner_id, team=team
    )
    row = await result.single()
    service = service_from(row["service"]) if row else None
    open_ = tuple(
        OwnInvolvementRef(m["id"], m.get("source") or "", native_date(m.get("startedOn")))
        for m in (row["open"] if row else ())
    )
    if row is None:
        return OwnInvolvementFacts(context, service, open_)
    return OwnInvolvementFacts(
        context, service, open_, row["leadId"], practitioner_from(row["leadPractitioner"])
    )


async def _done(tx: AsyncManagedTransaction, result_id: str) -> str:
    return result_id


async def record_own_involvement(
    graph: Graph,
    child_id: str,
    *,
    team: bool,
    started_on: date,
    purpose: str,
    lead: bool,
    recorder: Recorder,
    claim: IdempotencyClaim | None,
    decide: Callable[[OwnInvolvementFacts | None], None],
) -> str:
    """Start the recorder's (or their team's) involvement, unless the same one is open
    already (then nothing new is written); with `lead`, the recorder leads for the
    child too. Returns the child id."""

    async def write(tx: AsyncManagedTransaction) -> str:
        facts = await _facts(tx, child_id, team, recorder)
        decide(facts)
        assert facts is not None and facts.service is not None and recorder.practitioner_id
        if facts.open:
            involvement_id = facts.open[0].id
        else:
            involvement_id = f"i-{uuid.uuid4().hex}"
            result = await tx.run(
                START_OWN_INVOLVEMENT,
                childId=child_id,
                serviceId=facts.service.id,
                id=involvement_id,
                startedOn=started_on,
                source=own_source(recorder.practitioner_id),
                purpose=purpose,
                team=team,
                **recorder.params(),
            )
            await result.single(strict=True)
        if lead and facts.lead_id != recorder.practitioner_id:
            # The lead stands on this involvement: its end stands them down. One who
            # leads already (appointed on the CAF, or by a feed) keeps the lead as it was.
            await set_practitioner_lead(
                tx,
                child_id,
                recorder.practitioner_id,
                today=recorder.now.date(),
                set_by=own_source(recorder.practitioner_id),
                actor=recorder.subject,
                involvement_id=involvement_id,
            )
        return child_id

    return await write_once(graph, claim, write, _done)


async def end_own_involvement(
    graph: Graph,
    child_id: str,
    *,
    team: bool,
    ended_on: date,
    reason: str | None,
    recorder: Recorder,
    claim: IdempotencyClaim | None,
    decide: Callable[[OwnInvolvementFacts | None], OwnInvolvementRef | None],
) -> str:
    """End the open involvement `decide` picks (None: nothing to end). Returns the child id."""

    async def write(tx: AsyncManagedTransaction) -> str:
        chosen = decide(await _facts(tx, child_id, team, recorder))
        if chosen is not None:
            result = await tx.run(
                END_OWN_INVOLVEMENT,
                id=chosen.id,
                endedOn=ended_on,
                reason=reason,
                subject=recorder.subject,
            )
            await result.single(strict=True)
        return child_id

    return await write_once(graph, claim, write, _done)


async def register_paper_assessment(
    graph: Graph,
    child_id: str,
    *,
    started_on: date,
    recorder: Recorder,
    claim: IdempotencyClaim | None,
    decide: Callable[[ChildContext | None], None],
) -> str:
    """Register that the recorder holds a CAF on paper for the child; returns its id."""

    async def write(tx: AsyncManagedTransaction) -> str:
        context = await locked_context(tx, child_id, recorder)
        decide(context)
        assert recorder.practitioner_id is not None
        result = await tx.run(
            REGISTER_PAPER_ASSESSMENT,
            childId=child_id,
            id=f"a-{uuid.uuid4().hex}",
            startedOn=started_on,
            source=own_source(recorder.practitioner_id),
            **recorder.params(),
        )
        row = await result.single(strict=True)
        return str(row["id"])

    return await write_once(graph, claim, write, _done)
