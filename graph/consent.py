"""Consent records: grants, refusals and withdrawals (R10), read and written in one trip each.

A grant and a refusal are both `:ConsentGrant` nodes (a refusal has state REFUSED), so
"what has this child said about sharing with the clinic" is one pattern. EXPIRED is
never stored: it is derived from `expiresOn` on every read (policies.consent).

Every write runs in one transaction (graph.idempotency.write_once) that first takes
the child's write lock, then reads the facts the decision needs, asks the caller's
`decide` callback (which raises to refuse, rolling everything back), then writes. The
lock serialises consent changes per child, so a decision is never taken on facts a
concurrent withdrawal is about to change. Reads go through the driver's bookmark
manager like every other query, so the next request sees the write (R10: withdrawal
takes effect on the very next request, wherever it is routed).

What R6b and R10 need later is fixed on the grant when it is written, as properties:
`recordedByServiceIds` (the services the recorder worked for then: only the service the
child confided in may pass on consent to share it) and, when the recorder's only
standing was an access override, `standingUntil` and `recordedUnderOverrideId` (the
grant lasts no longer than that override). Properties rather than relationships to the
services: they are a snapshot of who recorded it, which must not change if the
practitioner later moves service; they cost no traversal on every read of a child; and
a busy service does not collect one relationship per consent its staff ever recorded.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, LiteralString

from neo4j import AsyncManagedTransaction

from graph.database import Graph, reached
from graph.facts import (
    CONSENT_FACT_FIELDS,
    SERVICE_SUMMARY_MAP,
    consent_from,
    contact_from,
    native_date,
    native_datetime,
    override_from,
    service_from,
)
from graph.idempotency import IdempotencyClaim, write_once
from graph.outbox import emit
from policies.facts import (
    AssessmentSummaryFact,
    CarerFact,
    ChildFacts,
    ConsentFact,
    PractitionerFact,
    ServiceFact,
)
from policies.vocabulary import EventKind

__all__ = [
    "CONSENT_MAP",
    "LOCK_CHILD",
    "AssessmentRef",
    "ChildContext",
    "ConsentDraft",
    "ConsentRecord",
    "ConsentWriteFacts",
    "Recorder",
    "WithdrawFacts",
    "fetch_consents",
    "locked_context",
    "record_consent",
    "record_from",
    "withdraw_consent",
]

#: One consent record `g` about child `c`, with what R6, R10 and R4 decide on.
CONSENT_MAP: LiteralString = (
    """g {
    .id, .purpose, .state, .method, .givenByChild, .competenceAssessed, .recordedOn,
    .expiresOn, .withdrawnOn,
"""
    + CONSENT_FACT_FIELDS
    + """,
    carer: [(g)-[:GIVEN_BY]->(gk:Carer) | gk {
      .id, .name, .phone, .email, .addressLine1, .addressLine2, .town, .postcode,
      cares: [(gk)-[gr:CARES_FOR]->(c) | gr {
        .relationship, .parentalResponsibility, .livesWithChild }][0] }][0],
    namedServices: [(g)-[:COVERS|GRANTED_TO]->(x:Service) | x """
    + SERVICE_SUMMARY_MAP
    + """]
      + [(g)-[:GRANTED_TO]->(:Practitioner)-[:WORKS_FOR]->(x:Service) | x """
    + SERVICE_SUMMARY_MAP
    + """] }"""
)

_VIEWER_SERVICES: LiteralString = """
CALL () {
  OPTIONAL MATCH (:Practitioner {id: $practitionerId})-[:WORKS_FOR]->(vs:Service)
  RETURN collect(vs.id) AS viewerServices
}
"""

# A practitioner is involved with a child through an active involvement of their own,
# or an active involvement of a service they work for (a team or practice involvement).
_CONTEXT: LiteralString = (
    """
RETURN viewerServices, c {
  .id, .dateOfBirth, .shielded, .localAuthority,
  involved: EXISTS {
    MATCH (i:Involvement)-[:OF]->(c) WHERE (i.endedOn IS NULL OR i.endedOn > $today)
      AND (EXISTS { (i)-[:BY]->(:Practitioner {id: $practitionerId}) }
        OR EXISTS { (i)-[:AT]->(iv:Service) WHERE iv.id IN viewerServices }) },
  overrides: [(o:AccessOverride)-[:FOR]->(c)
    WHERE o.expiresAt > $now
      AND (o.practitionerId = $practitionerId OR o.recordedBySubject = $subject) | o {
    .id, .practitionerId, .recordedBySubject, .recordedAt, .expiresAt, .liftsShielding }],
  assessments: [(a:Assessment)-[:ABOUT]->(c) | a { .id, .status,
    holderId: [(h:Practitioner)-[:HOLDS]->(a) | h.id][0],
    holderService: [(h:Practitioner)-[:HOLDS]->(a) | [(h)-[:WORKS_FOR]->(hs:Service) |
      hs { .id, .name, .kind, .sensitive, .localAuthority }][0]][0],
    teamIds: [(t:Practitioner)-[:TEAM_MEMBER_OF]->(a) | t.id] }],
  consents: [(g:ConsentGrant)-[:ABOUT]->(c) | """
    + CONSENT_MAP
    + """]
} AS child
"""
)

_BY_CHILD: LiteralString = "MATCH (c:Child {id: $childId}) WHERE c.archivedOn IS NULL\n"
_BY_GRANT: LiteralString = "MATCH (:ConsentGrant {id: $grantId})-[:ABOUT]->(c:Child)\n"
# The child's write lock: SET then REMOVE leaves nothing behind but holds the lock to the
# end of the transaction, so consent changes and the writes they permit are serialised.
LOCK_CHILD: LiteralString = "SET c.consentLock = true REMOVE c.consentLock\n"

_LIST: LiteralString = _VIEWER_SERVICES + _BY_CHILD + _CONTEXT
_LOAD_BY_GRANT: LiteralString = _VIEWER_SERVICES + _BY_GRANT + _CONTEXT
_LOCK_BY_GRANT: LiteralString = (
    _VIEWER_SERVICES + _BY_GRANT + "WITH c, viewerServices\n" + LOCK_CHILD + _CONTEXT
)
_LOCK_BY_CHILD: LiteralString = (
    _VIEWER_SERVICES + _BY_CHILD + "WITH c, viewerServices\n" + LOCK_CHILD + _CONTEXT
)

_WRITE_FACTS: LiteralString = (
    """
OPTIONAL MATCH (c:Child {id: $childId})
RETURN
  $carerId IS NOT NULL AND EXISTS { (:Carer {id: $carerId}) } AS carerKnown,
  [(k:Carer {id: $carerId})-[r:CARES_FOR]->(c) | coalesce(r.parentalResponsibility, false)][0]
    AS carerLink,
  COLLECT { MATCH (s:Service) WHERE s.id IN $serviceIds RETURN s """
    + SERVICE_SUMMARY_MAP
    + """ } AS namedServices,
  [pid IN $practitionerIds WHERE NOT EXISTS { (:Practitioner {id: pid}) }]
    AS unknownPractitionerIds
"""
)

# Issue 20: the grant's grantees hear of it (graph/outbox.py), in this write.
_CREATE: LiteralString = (
    """
MATCH (c:Child {id: $childId})
CREATE (g:ConsentGrant {id: $id, purpose: $purpose, state: $state, method: $method,
  givenByChild: $givenByChild, competenceAssessed: $competenceAssessed, recordedOn: $now,
  expiresOn: $expiresOn, recordedBy: $subject, recordedByPractitionerId: $practitionerId,
  recordedByServiceIds: $recordedByServiceIds, standingUntil: $standingUntil,
  recordedUnderOverrideId: $overrideId})
CREATE (g)-[:ABOUT]->(c)
WITH g, c
CALL (g, c) {
  MATCH (k:Carer {id: $carerId})-[:CARES_FOR]->(c) CREATE (g)-[:GIVEN_BY]->(k)
}
CALL (g) {
  UNWIND $coversServiceIds AS sid MATCH (s:Service {id: sid}) CREATE (g)-[:COVERS]->(s)
}
CALL (g, c) {
  MATCH (a:Assessment {id: $coversAssessmentId})-[:ABOUT]->(c) CREATE (g)-[:COVERS]->(a)
}
CALL (g) {
  UNWIND $grantedToPractitionerIds AS pid MATCH (p:Practitioner {id: pid})
  CREATE (g)-[:GRANTED_TO]->(p)
}
CALL (g) {
  UNWIND $grantedToServiceIds AS sid MATCH (s:Service {id: sid})
  CREATE (g)-[:GRANTED_TO]->(s)
}
"""
    + emit(
        "CASE g.state WHEN 'REFUSED' THEN 'CONSENT_REFUSED' ELSE 'CONSENT_GRANTED' END",
        child="c.id",
        subject="g.id",
        practitioner="$practitionerId",
        actor="$subject",
    )
    + """RETURN g.id AS id
"""
)

_WITHDRAW: LiteralString = (
    """
MATCH (g:ConsentGrant {id: $grantId})-[:ABOUT]->(c:Child) WHERE g.state = 'ACTIVE'
SET g.state = 'WITHDRAWN', g.withdrawnOn = $now, g.withdrawnBy = $subject,
  g.withdrawReason = $reason
"""
    + emit(
        EventKind.CONSENT_WITHDRAWN,
        child="c.id",
        subject="g.id",
        practitioner="$practitionerId",
        actor="$subject",
    )
    + """RETURN g.id AS id
"""
)


@dataclass(frozen=True)
class ConsentRecord:
    """A consent record as stored, with what the API shows beyond the policy fact."""

    fact: ConsentFact
    child_id: str
    method: str
    withdrawn_on: datetime | None
    carer: CarerFact | None
    named_services: tuple[ServiceFact, ...]


@dataclass(frozen=True)
class AssessmentRef:
    """A CAF of the child, as far as decisions about the child need it."""

    id: str
    status: str
    holder_id: str | None
    team_ids: frozenset[str]
    #: R7: a CAF held from a sensitive service R6 hides from the viewer is not there.
    holder_service: ServiceFact | None = None

    def as_summary(self) -> AssessmentSummaryFact:
        """The CAF as the decision point asks about it (policies.disclosure)."""
        holder = PractitionerFact(self.holder_id or "", "", None, self.holder_service, None)
        return AssessmentSummaryFact(self.id, self.status, date.min, holder)


@dataclass(frozen=True)
class ChildContext:
    """What consent decisions about one child need, for the current viewer.

    `child` carries every consent record (policies filter by purpose) and only the
    viewer's own unexpired overrides.
    """

    child: ChildFacts
    viewer_service_ids: frozenset[str]
    involved: bool
    records: tuple[ConsentRecord, ...]
    assessments: tuple[AssessmentRef, ...] = ()

    def record(self, grant_id: str) -> ConsentRecord | None:
        return next((r for r in self.records if r.fact.id == grant_id), None)


@dataclass(frozen=True)
class ConsentWriteFacts:
    context: ChildContext
    carer_known: bool
    #: None: the carer does not care for this child; else their parental responsibility.
    carer_parental_responsibility: bool | None
    #: The services named (covered or granted to) that exist, by id; R6 decides which of
    #: them the recorder may name (policies.consent.service_naming).
    services: dict[str, ServiceFact]
    unknown_practitioner_ids: tuple[str, ...]


@dataclass(frozen=True)
class WithdrawFacts:
    context: ChildContext
    record: ConsentRecord


@dataclass(frozen=True)
class ConsentDraft:
    """A grant or refusal to record, as validated input."""

    child_id: str
    purpose: str
    refusal: bool
    given_by_child: bool
    competence_assessed: bool
    carer_id: str | None
    covers_service_ids: tuple[str, ...]
    covers_assessment_id: str | None
    granted_to_practitioner_ids: tuple[str, ...]
    granted_to_service_ids: tuple[str, ...]
    method: str
    expires_on: date | None
    #: R10: set by the decision when the recorder's only standing is an access override.
    standing_until: datetime | None = None
    standing_override_id: str | None = None


@dataclass(frozen=True)
class Recorder:
    subject: str
    practitioner_id: str | None
    now: datetime

    def params(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "practitionerId": self.practitioner_id,
            "now": self.now,
            "today": self.now.date(),
        }


def _carer_from(m: dict[str, Any] | None) -> CarerFact | None:
    if not m or not m.get("cares"):
        return None
    cares = m["cares"]
    return CarerFact(
        id=m["id"],
        name=m.get("name") or "",
        relationship=cares.get("relationship") or "carer",
        parental_responsibility=bool(cares.get("parentalResponsibility")),
        lives_with_child=bool(cares.get("livesWithChild")),
        contact=contact_from(m),
    )


def record_from(m: dict[str, Any], child_id: str) -> ConsentRecord:
    services = {}
    for s in m.get("namedServices") or ():
        fact = service_from(s)
        if fact is not None:
            services[fact.id] = fact
    return ConsentRecord(
        fact=consent_from(m),
        child_id=child_id,
        method=m.get("method") or "VERBAL",
        withdrawn_on=native_datetime(m.get("withdrawnOn")),
        carer=_carer_from(m.get("carer")),
        named_services=tuple(services.values()),
    )


def _context_from(viewer_services: list[str], m: dict[str, Any]) -> ChildContext:
    reached(m["id"])
    records = tuple(
        sorted(
            (record_from(g, m["id"]) for g in m.get("consents") or ()),
            key=lambda r: (r.fact.recorded_on, r.fact.id),
        )
    )
    assessments = tuple(
        AssessmentRef(
            id=a["id"],
            status=a.get("status") or "OPEN",
            holder_id=a.get("holderId"),
            team_ids=frozenset(a.get("teamIds") or ()),
            holder_service=service_from(a.get("holderService")),
        )
        for a in m.get("assessments") or ()
    )
    child = ChildFacts(
        id=m["id"],
        given_name="",
        family_name="",
        date_of_birth=native_date(m.get("dateOfBirth")) or date.min,
        gender="NOT_KNOWN",
        shielded=bool(m.get("shielded")),
        local_authority=m.get("localAuthority"),
        address=None,
        consents=tuple(r.fact for r in records),
        overrides=tuple(override_from(o) for o in m.get("overrides") or ()),
        # R7: what a record covering a CAF is decided on (policies.disclosure).
        assessments=tuple(a.as_summary() for a in assessments),
    )
    return ChildContext(
        child=child,
        viewer_service_ids=frozenset(viewer_services),
        involved=bool(m.get("involved")),
        records=records,
        assessments=assessments,
    )


async def fetch_consents(
    graph: Graph, child_id: str, *, practitioner_id: str | None, subject: str, now: datetime
) -> ChildContext | None:
    """Every consent record of a live child, with the viewer's involvement and overrides."""
    rows = await graph.read(
        _LIST,
        childId=child_id,
        practitionerId=practitioner_id,
        subject=subject,
        now=now,
        today=now.date(),
    )
    if not rows:
        return None
    return _context_from(rows[0]["viewerServices"], rows[0]["child"])


async def locked_context(
    tx: AsyncManagedTransaction, child_id: str, recorder: Recorder
) -> ChildContext | None:
    """Inside a write transaction: take the child's write lock and read its context."""
    result = await tx.run(_LOCK_BY_CHILD, childId=child_id, **recorder.params())
    row = await result.single()
    if row is None:
        return None
    return _context_from(row["viewerServices"], row["child"])


async def _load(
    tx: AsyncManagedTransaction, recorder: Recorder, grant_id: str
) -> tuple[ChildContext, ConsentRecord]:
    result = await tx.run(_LOAD_BY_GRANT, grantId=grant_id, **recorder.params())
    row = await result.single(strict=True)
    context = _context_from(row["viewerServices"], row["child"])
    record = context.record(grant_id)
    assert record is not None, "a consent record is always about its child"
    return context, record


async def record_consent(
    graph: Graph,
    draft: ConsentDraft,
    *,
    recorder: Recorder,
    claim: IdempotencyClaim | None,
    decide: Callable[[ConsentWriteFacts | None], ConsentDraft],
) -> tuple[ChildContext, ConsentRecord]:
    """Record a grant or a refusal. `decide` gets None when the child is not found; it
    refuses by raising, or returns the draft to write (with the terms R10 fixed)."""

    async def write(tx: AsyncManagedTransaction) -> str:
        context = await locked_context(tx, draft.child_id, recorder)
        if context is None:
            decide(None)
            raise AssertionError("decide must refuse a missing child")
        result = await tx.run(
            _WRITE_FACTS,
            childId=draft.child_id,
            carerId=draft.carer_id,
            serviceIds=sorted({*draft.covers_service_ids, *draft.granted_to_service_ids}),
            practitionerIds=list(draft.granted_to_practitioner_ids),
        )
        row = await result.single(strict=True)
        services = {}
        for m in row["namedServices"] or ():
            service = service_from(m)
            if service is not None:
                services[service.id] = service
        final = decide(
            ConsentWriteFacts(
                context=context,
                carer_known=bool(row["carerKnown"]),
                carer_parental_responsibility=row["carerLink"],
                services=services,
                unknown_practitioner_ids=tuple(row["unknownPractitionerIds"] or ()),
            )
        )
        grant_id = f"consent-{uuid.uuid4()}"
        created = await tx.run(
            _CREATE,
            id=grant_id,
            childId=final.child_id,
            purpose=final.purpose,
            state="REFUSED" if final.refusal else "ACTIVE",
            method=final.method,
            givenByChild=final.given_by_child,
            competenceAssessed=final.competence_assessed,
            expiresOn=final.expires_on,
            carerId=final.carer_id,
            coversServiceIds=sorted(set(final.covers_service_ids)),
            coversAssessmentId=final.covers_assessment_id,
            grantedToPractitionerIds=sorted(set(final.granted_to_practitioner_ids)),
            grantedToServiceIds=sorted(set(final.granted_to_service_ids)),
            # R6b: the recorder's services as read under the child's lock, the same facts
            # the decision was taken on.
            recordedByServiceIds=sorted(context.viewer_service_ids),
            standingUntil=final.standing_until,
            overrideId=final.standing_override_id,
            **recorder.params(),
        )
        await created.single(strict=True)
        return grant_id

    return await write_once(graph, claim, write, lambda tx, grant_id: _load(tx, recorder, grant_id))


async def withdraw_consent(
    graph: Graph,
    grant_id: str,
    reason: str | None,
    *,
    recorder: Recorder,
    claim: IdempotencyClaim | None,
    decide: Callable[[WithdrawFacts | None], None],
) -> tuple[ChildContext, ConsentRecord]:
    """Withdraw a grant (R10): from the next request on it counts nowhere."""

    async def write(tx: AsyncManagedTransaction) -> str:
        result = await tx.run(_LOCK_BY_GRANT, grantId=grant_id, **recorder.params())
        row = await result.single()
        if row is None:
            decide(None)
            raise AssertionError("decide must refuse a missing consent record")
        context = _context_from(row["viewerServices"], row["child"])
        record = context.record(grant_id)
        assert record is not None
        decide(WithdrawFacts(context, record))
        done = await tx.run(_WITHDRAW, grantId=grant_id, reason=reason, **recorder.params())
        await done.single(strict=True)
        return grant_id

    return await write_once(graph, claim, write, lambda tx, gid: _load(tx, recorder, gid))
