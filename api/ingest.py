"""The one code path behind `Mutation.ingest` and `contactgraph ingest FILE` (R15, feeds.md).

Both turn their input into validated records (graph/feed_records.py), cut them into
chunks, and hand the chunks to `Ingestor.ingest_chunks`, which writes each in one
transaction (graph/ingest.py) after planning it here against what the graph holds. A
file's chunks are pipelined: the next is planned on top of what the last one writes,
while it is written (see `Ingestor.ingest_chunks` and graph/ingest.py for why that is
safe against other writers).

Planning walks the chunk's records in order, as if they were applied one by one, so a
record sees the effect of every record before it, in this chunk (a child created two
lines up) and in earlier chunks and calls (through this source's FeedRecords):

- a (source, sourceRef) already stored with the same payload hash is `unchanged`, and
  one held for review with the same payload is still held (nothing is written);
- a sourceRef re-sent with another op is rejected (a sourceRef names one record);
- UPSERT_CHILD asks policies.matching (R15) and, for a new child, policies.retention
  (R16: a feed may not create someone the index would already have archived);
- everything else checks what it refers to: the child (`child.ref` of an earlier
  UPSERT_CHILD, or an NHS number on the index), the service, the practitioner and that
  they work for that service, the START of an END, and which source maintains a
  service (a source never rewrites or staffs another source's service: adding a
  practitioner to a sensitive service would let whoever holds that practitioner id
  read its involvements under R6a).

A record that fails is rejected alone, with a code and a message naming the field;
the others in its chunk are still written.

R4 (no oracle): nothing in a report depends on a shielded child's whereabouts. Matching
never compares a shielded child's postcode (policies/matching.py), and the household
rule, which must depend on them, is checked in the chunk's write itself
(graph/ingest.py): an alert for the shielded child's index team and the shielded child
named in the chunk's audit event (`ChunkOutcome.audited_child_ids`), never anything in
the report.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import uuid
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import neo4j.exceptions

from graph.alerts import Actor, HouseholdAlert
from graph.audit import AuditRecord
from graph.database import Graph
from graph.feed_records import (
    AssessmentPayload,
    CarerPayload,
    ChildPayload,
    ChildRef,
    Code,
    EndPayload,
    IncomingRecord,
    PractitionerPayload,
    Rejection,
    ServicePayload,
    StartPayload,
    child_properties,
    contact_properties,
)
from graph.ingest import (
    ChildRow,
    ChunkConflict,
    ChunkFacts,
    ChunkKeys,
    ChunkWrites,
    KnownRecord,
    Planned,
    apply_chunk,
    lookup,
    merge_facts,
    split_writes,
)
from policies.matching import Candidate, Incoming, MatchKind, ReviewReason, match_child
from policies.retention import admissible_new_child

__all__ = [
    "ACCEPTED",
    "CHUNK_RECORDS",
    "MAX_CALL_RECORDS",
    "PENDING_REVIEW",
    "Chunk",
    "ChunkOutcome",
    "IngestReport",
    "Ingestor",
    "chunked",
    "derived_id",
]

CHUNK_RECORDS = 5000
"""Records per transaction: enough to amortise each chunk's lookup, lock and audit event,
and still small for the heap. On the first 300,000 records of the 1M benchmark file,
5000 gave about 6,300 records/s, 2500 gave 6,050 and 10,000 gave 5,479 at 445 MB
(bench/results/ingest.md)."""
MAX_CALL_RECORDS = 1000
"""R15 and the contract: at most this many records in one `ingest` call."""

_CONFLICT_CODES = frozenset(
    {
        "Neo.ClientError.Schema.ConstraintValidationFailed",
        "Neo.ClientError.Statement.EntityNotFound",
    }
)
"""Errors that mean the graph changed under a chunk's plan: the chunk is planned again."""
ACCEPTED = "ACCEPTED"
PENDING_REVIEW = "PENDING_REVIEW"
_ATTEMPTS = 3


def derived_id(prefix: str, source: str, ref: str) -> str:
    """A stable, opaque id for a node a source owns (an involvement, a carer, a CAF).

    Stable so that a record re-sent after its node was lost is written to the same id;
    opaque so that a source's own reference (a pupil number, a case number) never shows
    up in the index's ids, which every practitioner sees.
    """
    digest = hashlib.blake2b(f"{source}\x00{ref}".encode(), digest_size=10).hexdigest()
    return f"{prefix}{digest}"


# --- Chunks ---------------------------------------------------------------------------------


@dataclass
class Chunk:
    """Records and early rejections in input order; `lines` counts input lines consumed."""

    items: list[IncomingRecord | Rejection] = field(default_factory=list)
    lines: int = 0

    def records(self) -> list[IncomingRecord]:
        return [item for item in self.items if isinstance(item, IncomingRecord)]


def chunked(
    items: Iterable[tuple[int, IncomingRecord | Rejection | None]], size: int = CHUNK_RECORDS
) -> Iterator[Chunk]:
    """Cut (lines consumed, item) pairs into chunks of at most `size` items, in order.

    A sourceRef may appear more than once in a chunk: the planner applies records in
    input order, and graph/ingest.py writes each kind's rows in that order with a
    record's first write (a CREATE) before its updates.
    """
    chunk = Chunk()
    for lines, item in items:
        if item is not None:
            if len(chunk.items) >= size:
                yield chunk
                chunk = Chunk()
            chunk.items.append(item)
        chunk.lines += lines
    if chunk.items or chunk.lines:
        yield chunk


# --- Outcomes and the report ------------------------------------------------------------------


@dataclass
class ChunkOutcome:
    accepted: int = 0
    unchanged: int = 0
    pending: int = 0
    rejections: list[Rejection] = field(default_factory=list)
    held: list[str] = field(default_factory=list)
    child_ids: dict[str, None] = field(default_factory=dict)  # ordered set, for the audit
    written: ChunkFacts | None = field(default=None, repr=False)  # for planning the next
    #: R4: household alerts the chunk's write raised; set when it commits, for the audit
    #: event only (the report never shows them: no oracle).
    alerts: list[HouseholdAlert] = field(default_factory=list)

    def audited_child_ids(self) -> list[str]:
        """R4/R14: the children the chunk's audit event names: those it wrote, and every
        child a household alert it raised names, the shielded ones included."""
        named = dict(self.child_ids)
        for alert in self.alerts:
            named.update(dict.fromkeys(alert.child_ids))
        return list(named)


@dataclass
class IngestReport:
    """Totals over every chunk. `max_errors` caps the rejections kept (the CLI's memory)."""

    accepted: int = 0
    unchanged: int = 0
    rejected: int = 0
    pending_match_review: int = 0
    errors: list[Rejection] = field(default_factory=list)
    held: list[str] = field(default_factory=list)
    rejected_by_code: Counter[str] = field(default_factory=Counter)
    max_errors: int | None = None

    def add(self, outcome: ChunkOutcome) -> None:
        self.accepted += outcome.accepted
        self.unchanged += outcome.unchanged
        self.pending_match_review += outcome.pending
        self.rejected += len(outcome.rejections)
        for rejection in outcome.rejections:
            self.rejected_by_code[rejection.code] += 1
        room = None if self.max_errors is None else max(0, self.max_errors - len(self.errors))
        self.errors.extend(outcome.rejections if room is None else outcome.rejections[:room])
        room = None if self.max_errors is None else max(0, self.max_errors - len(self.held))
        self.held.extend(outcome.held if room is None else outcome.held[:room])

    @property
    def total(self) -> int:
        return self.accepted + self.unchanged + self.rejected + self.pending_match_review


# --- Planning ---------------------------------------------------------------------------------


@dataclass
class _Ref:
    """What a sourceRef of this source stands for, as of the record being planned."""

    op: str
    payload_hash: str
    status: str
    entity_id: str | None
    child_id: str | None
    review_id: str | None
    exists: bool
    started_on: date | None = None
    ended_on: date | None = None


class _Children:
    """The children a chunk may match or refer to, kept current as the chunk is planned.

    Keyed by NHS number and by (family name, given name, date of birth): R15 never
    compares children that differ in those, so a feed of a thousand children sharing a
    surname and a birthday costs no more than any other thousand.
    """

    def __init__(self, rows: Iterable[ChildRow]) -> None:
        self.by_id: dict[str, ChildRow] = {}
        self._by_nhs: dict[str, set[str]] = defaultdict(set)
        self._by_names: dict[tuple[str, str, date], set[str]] = defaultdict(set)
        for row in rows:
            self.put(row)

    @staticmethod
    def _names(row: ChildRow) -> tuple[str, str, date]:
        return (row.family_name_key, row.given_name_key, row.date_of_birth)

    def put(self, row: ChildRow) -> None:
        old = self.by_id.get(row.id)
        if old is not None:
            if old.nhs_number:
                self._by_nhs[old.nhs_number].discard(old.id)
            self._by_names[self._names(old)].discard(old.id)
        self.by_id[row.id] = row
        if row.nhs_number:
            self._by_nhs[row.nhs_number].add(row.id)
        self._by_names[self._names(row)].add(row.id)

    def with_nhs_number(self, nhs_number: str) -> list[ChildRow]:
        return [self.by_id[i] for i in sorted(self._by_nhs.get(nhs_number, ()))]

    def with_names_and_birth(self, family: str, given: str, born: date) -> list[ChildRow]:
        return [self.by_id[i] for i in sorted(self._by_names.get((family, given, born), ()))]


def _candidate(row: ChildRow) -> Candidate:
    return Candidate(
        child_id=row.id,
        nhs_number=row.nhs_number,
        family_name_key=row.family_name_key,
        given_name_key=row.given_name_key,
        date_of_birth=row.date_of_birth,
        postcode_key=row.postcode_key,
        shielded=row.shielded,
    )


class _Reject(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


_MISSING = object()


class ChunkPlanner:
    """Turns one chunk and the graph's facts into rows to write and an outcome to report."""

    def __init__(self, source: str, items: list[IncomingRecord | Rejection], today: date) -> None:
        self.source = source
        self.items = items
        self.today = today

    def __call__(self, facts: ChunkFacts) -> tuple[ChunkWrites, ChunkOutcome]:
        self.writes = ChunkWrites()
        self.outcome = ChunkOutcome()
        self.refs = {
            ref: _Ref(
                k.op,
                k.payload_hash,
                k.status,
                k.entity_id,
                k.child_id,
                k.review_id,
                k.entity_exists,
                k.started_on,
                k.ended_on,
            )
            for ref, k in facts.records.items()
        }
        known_children = [k.child for k in facts.records.values() if k.child is not None]
        # Record rows first: `children` is the fresher list (see graph.ingest.merge_facts).
        self.children = _Children([*known_children, *facts.children])
        self.services: dict[str, str | None] = dict(facts.services)
        self.sensitive_services = facts.sensitive_services
        self.practitioners = dict(facts.practitioners)
        self.local_authorities = facts.local_authorities
        self._refs_written: set[str] = set()
        self._children_written: set[str] = set()
        self._services_written: set[str] = set()
        self._practitioners_written: set[str] = set()
        for item in self.items:
            if isinstance(item, Rejection):
                self.outcome.rejections.append(item)
                continue
            try:
                self._plan(item)
            except _Reject as exc:
                self.outcome.rejections.append(Rejection(item.source_ref, exc.code, exc.message))
        self.outcome.written = self._written()
        return self.writes, self.outcome

    def _written(self) -> ChunkFacts:
        """What this chunk changes, as the facts a lookup would find once it commits."""
        records = {}
        for ref in self._refs_written:
            r = self.refs[ref]
            child = (
                self.children.by_id.get(r.entity_id)
                if r.op == "UPSERT_CHILD" and r.entity_id is not None
                else None
            )
            records[ref] = KnownRecord(
                ref, r.op, r.payload_hash, r.status, r.entity_id, r.child_id, r.review_id,
                r.exists, child, r.started_on, r.ended_on,
            )  # fmt: skip
        return ChunkFacts(
            records=records,
            children=[self.children.by_id[i] for i in self._children_written],
            services={i: self.services[i] for i in self._services_written},
            practitioners={i: self.practitioners[i] for i in self._practitioners_written},
            local_authorities=set(),
        )

    # Bookkeeping ----------------------------------------------------------------------

    def _plan(self, record: IncomingRecord) -> None:
        prior = self.refs.get(record.source_ref)
        if prior is not None:
            if prior.op != record.op:
                raise _Reject(
                    Code.SOURCE_REF_REUSED,
                    "sourceRef was first sent with another op; a sourceRef names one record",
                )
            if prior.payload_hash == record.payload_hash:
                if prior.status == PENDING_REVIEW:
                    self._held(record.source_ref)
                    return
                if prior.exists:
                    self.outcome.unchanged += 1
                    return
        payload = record.payload
        if isinstance(payload, ServicePayload):
            self._service(record, payload, prior)
        elif isinstance(payload, PractitionerPayload):
            self._practitioner(record, payload, prior)
        elif isinstance(payload, ChildPayload):
            self._child(record, payload, prior)
        elif isinstance(payload, CarerPayload):
            self._carer(record, payload, prior)
        elif isinstance(payload, StartPayload):
            self._start(record, payload, prior)
        elif isinstance(payload, EndPayload):
            self._end(record, payload, prior)
        else:
            self._assessment(record, payload, prior)

    def _held(self, source_ref: str) -> None:
        self.outcome.pending += 1
        self.outcome.held.append(source_ref)

    def _touch(self, child_id: str | None) -> None:
        if child_id is not None:
            self.outcome.child_ids[child_id] = None

    def _record(
        self,
        record: IncomingRecord,
        prior: _Ref | None,
        *,
        entity_id: str | None,
        child_id: str | None,
        status: str = ACCEPTED,
        review_id: str | None = None,
        started_on: date | None = None,
        ended_on: date | None = None,
    ) -> None:
        """The FeedRecord, written in the same transaction as what it stands for."""
        row = {
            "source": self.source,
            "sourceRef": record.source_ref,
            "op": record.op,
            "payloadHash": record.payload_hash,
            "status": status,
            "entityId": entity_id,
            "childId": child_id,
            "reviewId": review_id,
        }
        (self.writes.feed_new if prior is None else self.writes.feed_update).append(row)
        self._refs_written.add(record.source_ref)
        self.refs[record.source_ref] = _Ref(
            record.op,
            record.payload_hash,
            status,
            entity_id,
            child_id,
            review_id,
            True,
            started_on,
            ended_on,
        )
        if status == ACCEPTED:
            self.outcome.accepted += 1
            self._touch(child_id)

    # References -----------------------------------------------------------------------

    def _child_id(self, ref: ChildRef) -> str:
        if ref.ref is not None:
            target = self.refs.get(ref.ref)
            if target is None or target.op != "UPSERT_CHILD":
                raise _Reject(
                    Code.UNKNOWN_CHILD,
                    "payload.child.ref names no UPSERT_CHILD record received from this source",
                )
            if target.status == PENDING_REVIEW:
                raise _Reject(
                    Code.CHILD_PENDING_REVIEW,
                    "payload.child.ref names a child record held for review by the index "
                    "team; send this record again once it is resolved",
                )
            if not target.exists or target.entity_id is None:
                raise _Reject(
                    Code.UNKNOWN_CHILD, "payload.child.ref names a child no longer on the index"
                )
            return target.entity_id
        assert ref.nhs_number is not None
        found = self.children.with_nhs_number(ref.nhs_number)
        if not found:
            raise _Reject(
                Code.UNKNOWN_CHILD, "payload.child.nhsNumber matches no child on the index"
            )
        if len(found) > 1:
            raise _Reject(
                Code.AMBIGUOUS_CHILD,
                "payload.child.nhsNumber matches more than one child; refer to the child by ref",
            )
        return found[0].id

    def _service_usable(self, service_id: str, field_name: str) -> None:
        owner = self.services.get(service_id, _MISSING)
        if owner is _MISSING:
            raise _Reject(Code.UNKNOWN_SERVICE, f"{field_name} names no service on the index")
        if owner is not None and owner != self.source:
            raise _Reject(
                Code.SOURCE_CONFLICT, f"{field_name} names a service maintained by another source"
            )

    def _local_authority(self, code: str, field_name: str) -> None:
        if code not in self.local_authorities:
            raise _Reject(
                Code.UNKNOWN_LOCAL_AUTHORITY, f"{field_name} names no local authority on the index"
            )

    # One method per op ----------------------------------------------------------------

    def _service(self, record: IncomingRecord, p: ServicePayload, prior: _Ref | None) -> None:
        owner = self.services.get(p.id, _MISSING)
        if owner is not _MISSING and owner != self.source:
            raise _Reject(
                Code.SOURCE_CONFLICT,
                "payload.id names a service maintained by another source or by the index team",
            )
        self._local_authority(p.local_authority, "payload.localAuthority")
        props = {
            "name": p.name,
            "kind": p.kind,
            "sensitive": p.sensitive,
            "localAuthority": p.local_authority,
            "source": self.source,
            **contact_properties(p.contact),
        }
        self.writes.services.append({"id": p.id, "props": props})
        self.services[p.id] = self.source
        self._services_written.add(p.id)
        self._record(record, prior, entity_id=p.id, child_id=None)

    def _practitioner(
        self, record: IncomingRecord, p: PractitionerPayload, prior: _Ref | None
    ) -> None:
        existing = self.practitioners.get(p.id)
        if existing is not None and existing[0] != self.source:
            raise _Reject(
                Code.SOURCE_CONFLICT,
                "payload.id names a practitioner maintained by another source or by the index team",
            )
        owner = self.services.get(p.service_id, _MISSING)
        if owner is _MISSING:
            raise _Reject(Code.UNKNOWN_SERVICE, "payload.serviceId names no service on the index")
        if owner != self.source:
            # R6a: staff of a service see its sensitive involvements; only its own source adds them.
            raise _Reject(
                Code.SOURCE_CONFLICT,
                "payload.serviceId names a service this source does not maintain",
            )
        props = {
            "name": p.name,
            "jobTitle": p.job_title,
            "source": self.source,
            **contact_properties(p.contact),
            # R17, read by the index view (policies): null availableFrom unless UNAVAILABLE.
            "availability": p.availability,
            "availableFrom": p.available_from,
        }
        self.writes.practitioners.append({"id": p.id, "serviceId": p.service_id, "props": props})
        self.practitioners[p.id] = (self.source, p.service_id)
        self._practitioners_written.add(p.id)
        self._record(record, prior, entity_id=p.id, child_id=None)

    def _child(self, record: IncomingRecord, p: ChildPayload, prior: _Ref | None) -> None:
        self._local_authority(p.local_authority, "payload.localAuthority")
        known = None
        if prior is not None and prior.status == ACCEPTED and prior.entity_id is not None:
            known = self.children.by_id.get(prior.entity_id)
        incoming = Incoming(
            nhs_number=p.nhs_number,
            family_name_key=p.family_name_key,
            given_name_key=p.given_name_key,
            date_of_birth=p.date_of_birth,
            postcode_key=p.postcode_key,
        )
        by_nhs = self.children.with_nhs_number(p.nhs_number) if p.nhs_number else []
        by_name = self.children.with_names_and_birth(
            p.family_name_key, p.given_name_key, p.date_of_birth
        )
        decision = match_child(
            incoming,
            known=_candidate(known) if known is not None else None,
            by_nhs_number=[_candidate(c) for c in by_nhs],
            by_name_and_birth=[_candidate(c) for c in by_name],
        )
        if decision.kind is MatchKind.REVIEW:
            self._review(record, p, prior, decision.review_reason, decision.candidate_ids)
            return
        if decision.kind is MatchKind.CREATE:
            scope = admissible_new_child(p.date_of_birth, p.date_of_death, self.today)
            if not scope:
                raise _Reject(
                    Code.OUT_OF_SCOPE,
                    "payload.dateOfBirth: the index holds children up to their 18th birthday",
                )
            child_id = f"c-{uuid.uuid4().hex}"
            props = child_properties(p, protect_whereabouts=False)
            props.update(
                id=child_id, shielded=False, source=self.source, sourceRef=record.source_ref
            )
            self.writes.children_new.append(props)
            row = ChildRow(
                child_id, p.nhs_number, p.family_name_key, p.given_name_key, p.date_of_birth,
                p.postcode_key, False, p.local_authority,
            )  # fmt: skip
        else:
            assert decision.child_id is not None
            child_id = decision.child_id
            before = self.children.by_id[child_id]
            protect = decision.protect_whereabouts
            self.writes.children_update.append(
                {
                    "id": child_id,
                    "props": child_properties(p, protect_whereabouts=protect),
                    "sourceRef": record.source_ref,  # for a household alert (R4)
                }
            )
            row = ChildRow(
                child_id,
                p.nhs_number or before.nhs_number,
                p.family_name_key,
                p.given_name_key,
                p.date_of_birth,
                before.postcode_key if protect else p.postcode_key,
                before.shielded,
                before.local_authority if protect else p.local_authority,
            )
        self.children.put(row)
        self._children_written.add(row.id)
        if prior is not None and prior.status == PENDING_REVIEW and prior.review_id:
            # The source corrected a held record and it now matches cleanly.
            self.writes.reviews_closed.append({"id": prior.review_id, "status": "SUPERSEDED"})
        self._record(record, prior, entity_id=child_id, child_id=child_id)

    def _review(
        self,
        record: IncomingRecord,
        p: ChildPayload,
        prior: _Ref | None,
        reason: ReviewReason | None,
        candidate_ids: tuple[str, ...],
    ) -> None:
        assert reason is not None
        review_id = (
            prior.review_id
            if prior is not None and prior.status == PENDING_REVIEW and prior.review_id
            else f"mr-{uuid.uuid4().hex}"
        )
        self.writes.reviews.append(
            {
                "id": review_id,
                "candidateIds": list(candidate_ids),
                "props": {
                    "source": self.source,
                    "sourceRef": record.source_ref,
                    "status": "PENDING",
                    "reason": reason.value,
                    "payload": record.canonical.decode(),
                    "payloadHash": record.payload_hash,
                    "localAuthority": p.local_authority,
                },
            }
        )
        self._record(
            record,
            prior,
            entity_id=None,
            child_id=None,
            status=PENDING_REVIEW,
            review_id=review_id,
        )
        self._held(record.source_ref)

    def _carer(self, record: IncomingRecord, p: CarerPayload, prior: _Ref | None) -> None:
        child_id = self._child_id(p.child)
        carer_id = derived_id("k-", self.source, p.id)
        self.writes.carers.append(
            {
                "id": carer_id,
                "childId": child_id,
                "props": {"name": p.name, "source": self.source, **contact_properties(p.contact)},
                "rel": {
                    "relationship": p.relationship,
                    "parentalResponsibility": p.parental_responsibility,
                    "livesWithChild": p.lives_with_child,
                    "source": self.source,
                    "sourceRef": record.source_ref,
                },
            }
        )
        self._record(record, prior, entity_id=carer_id, child_id=child_id)

    def _start(self, record: IncomingRecord, p: StartPayload, prior: _Ref | None) -> None:
        child_id = self._child_id(p.child)
        self._service_usable(p.service_id, "payload.serviceId")
        if (
            p.service_id in self.sensitive_services
            and self.services.get(p.service_id) != self.source
        ):
            # R6: who attends a sexual-health clinic is for the clinic's own system to say.
            # Another source naming it could plant a sensitive involvement on any child.
            raise _Reject(
                Code.SOURCE_CONFLICT,
                "payload.serviceId names a sensitive service this source does not maintain",
            )
        if p.practitioner_id is not None:
            known = self.practitioners.get(p.practitioner_id)
            if known is None:
                raise _Reject(
                    Code.UNKNOWN_PRACTITIONER,
                    "payload.practitionerId names no practitioner on the index",
                )
            if known[1] != p.service_id:
                raise _Reject(
                    Code.PRACTITIONER_NOT_IN_SERVICE,
                    "payload.practitionerId does not work for payload.serviceId",
                )
        ended_on = prior.ended_on if prior is not None else None
        if ended_on is not None and p.started_on > ended_on:
            raise _Reject(
                Code.ENDED_BEFORE_STARTED,
                "payload.startedOn is after the involvement's end date",
            )
        involvement_id = (
            prior.entity_id
            if prior is not None and prior.entity_id
            else derived_id("i-", self.source, record.source_ref)
        )
        props = {
            "startedOn": p.started_on,
            "isLeadProfessional": p.is_lead_professional,
            "source": self.source,
            "sourceRef": record.source_ref,
        }
        row = {
            "childId": child_id,
            "serviceId": p.service_id,
            "practitionerId": p.practitioner_id,
        }
        if prior is not None and prior.exists:
            self.writes.involvements_update.append({**row, "id": involvement_id, "props": props})
        else:
            self.writes.involvements_new.append({**row, "props": {**props, "id": involvement_id}})
        self._record(
            record,
            prior,
            entity_id=involvement_id,
            child_id=child_id,
            started_on=p.started_on,
            ended_on=ended_on,
        )

    def _end(self, record: IncomingRecord, p: EndPayload, prior: _Ref | None) -> None:
        target = self.refs.get(p.involvement_ref)
        if (
            target is None
            or target.op != "START_INVOLVEMENT"
            or target.status != ACCEPTED
            or not target.exists
            or target.entity_id is None
        ):
            raise _Reject(
                Code.END_BEFORE_START,
                "payload.involvementRef names no START_INVOLVEMENT received from this source "
                "(an END before its START)",
            )
        if target.started_on is not None and p.ended_on < target.started_on:
            raise _Reject(
                Code.ENDED_BEFORE_STARTED, "payload.endedOn is before the involvement's startedOn"
            )
        self.writes.ends.append({"id": target.entity_id, "endedOn": p.ended_on})
        target.ended_on = p.ended_on
        self._refs_written.add(p.involvement_ref)
        self._record(record, prior, entity_id=target.entity_id, child_id=target.child_id)

    def _assessment(self, record: IncomingRecord, p: AssessmentPayload, prior: _Ref | None) -> None:
        child_id = self._child_id(p.child)
        # R6/R7: a CAF held from a sensitive service is invisible to whoever R6 hides that
        # service from; a source naming another service's practitioner as holder would put
        # a CAF there and learn from its answers that the practitioner exists. So a holder
        # must work for a service this source maintains, and a practitioner that does not
        # and one that does not exist get one answer.
        holder = self.practitioners.get(p.holder_id)
        service_id = holder[1] if holder is not None else None
        if service_id is None or self.services.get(service_id, _MISSING) != self.source:
            raise _Reject(
                Code.SOURCE_CONFLICT,
                "payload.holderPractitionerId names no practitioner of a service this source "
                "maintains",
            )
        assessment_id = derived_id("a-", self.source, record.source_ref)
        self.writes.assessments.append(
            {
                "id": assessment_id,
                "childId": child_id,
                "holderId": p.holder_id,
                "props": {
                    "status": p.status,
                    "startedOn": p.started_on,
                    "source": self.source,
                    "sourceRef": record.source_ref,
                },
            }
        )
        self._record(record, prior, entity_id=assessment_id, child_id=child_id)


def chunk_keys(records: Iterable[IncomingRecord]) -> ChunkKeys:
    keys = ChunkKeys()
    for record in records:
        keys.source_refs.add(record.source_ref)
        p = record.payload
        child_ref: ChildRef | None = None
        if isinstance(p, ChildPayload):
            if p.nhs_number:
                keys.nhs_numbers.add(p.nhs_number)
            keys.name_births.add((p.family_name_key, p.date_of_birth))
            keys.local_authorities.add(p.local_authority)
        elif isinstance(p, CarerPayload):
            child_ref = p.child
        elif isinstance(p, StartPayload):
            child_ref = p.child
            keys.service_ids.add(p.service_id)
            if p.practitioner_id:
                keys.practitioner_ids.add(p.practitioner_id)
        elif isinstance(p, EndPayload):
            keys.source_refs.add(p.involvement_ref)
        elif isinstance(p, AssessmentPayload):
            child_ref = p.child
            keys.practitioner_ids.add(p.holder_id)
        elif isinstance(p, ServicePayload):
            keys.service_ids.add(p.id)
            keys.local_authorities.add(p.local_authority)
        elif isinstance(p, PractitionerPayload):
            keys.practitioner_ids.add(p.id)
            keys.service_ids.add(p.service_id)
        if child_ref is not None:
            if child_ref.ref is not None:
                keys.source_refs.add(child_ref.ref)
            elif child_ref.nhs_number is not None:
                keys.nhs_numbers.add(child_ref.nhs_number)
    return keys


# --- Driving chunks -----------------------------------------------------------------------------


class Ingestor:
    """Writes chunks for one source, one transaction each, and keeps the running report."""

    def __init__(
        self,
        graph: Graph,
        source: str,
        *,
        today: date,
        now: datetime,
        max_errors: int | None = None,
        actor: Actor | None = None,
    ) -> None:
        self.graph = graph
        self.source = source
        self.today = today
        self.now = now
        self.actor = actor  # who R4 household alerts name as the writer (graph/alerts.py)
        self.report = IngestReport(max_errors=max_errors)
        self.planned_ahead = 0  # chunks written with the plan made while the last was written
        self.replanned = 0  # chunks planned ahead whose plan went stale: planned again
        self.rows_early = 0  # rows written before taking the lock, as the last chunk committed

    async def ingest_chunks(
        self,
        chunks: AsyncIterator[Chunk],
        audit: Callable[[ChunkOutcome], list[AuditRecord]] | None = None,
    ) -> AsyncIterator[tuple[Chunk, ChunkOutcome]]:
        """A stream of chunks (a feed file), each yielded with its outcome once committed.

        Pipelined, so that both the server and this process stay busy: while a chunk is
        written, the next is read, looked up and planned on top of what the first one
        writes; once the first has written everything and only its commit remains, the
        next starts writing the rows that touch nothing of the first, and takes the lock
        for the rest when the first has committed (graph/ingest.py). `audit(outcome)`
        gives the events committed with a chunk.
        """
        chunk = await anext(chunks, None)
        if chunk is None:
            return
        base = _Base()
        writing: asyncio.Future[tuple[ChunkOutcome, int]]
        writing = asyncio.ensure_future(self._write(chunk, None, base, audit, None))
        following_writing: asyncio.Future[tuple[ChunkOutcome, int]] | None = None
        try:
            while True:
                following = await anext(chunks, None)
                following_base = _Base()
                if following is not None:
                    ahead = await self._plan_ahead(following, base)
                    await _written_or_done(base, writing)
                    following_writing = asyncio.ensure_future(
                        self._write(following, ahead, following_base, audit, writing)
                    )
                outcome, _ = await writing
                self.report.add(outcome)
                yield chunk, outcome
                if following is None or following_writing is None:
                    return
                chunk, base, writing = following, following_base, following_writing
                following_writing = None
        finally:
            for task in (writing, following_writing):
                if task is not None and not task.done():
                    task.cancel()
                    with contextlib.suppress(BaseException):
                        await task

    async def _write(
        self,
        chunk: Chunk,
        planned: Planned[ChunkOutcome] | None,
        base: _Base | None,
        audit: Callable[[ChunkOutcome], list[AuditRecord]] | None,
        previous: asyncio.Future[Any] | None,
    ) -> tuple[ChunkOutcome, int]:
        records = chunk.records()
        if not records:
            outcome = ChunkOutcome(rejections=[i for i in chunk.items if isinstance(i, Rejection)])
            if base is not None:
                base.settle(None, outcome)
            return outcome, -1
        keys = chunk_keys(records)
        planner = ChunkPlanner(self.source, chunk.items, self.today)
        for attempt in range(_ATTEMPTS):
            try:
                outcome, generation = await apply_chunk(
                    self.graph,
                    self.source,
                    keys,
                    planner,
                    self.now,
                    planned=planned,
                    on_planned=base.settle if base is not None else None,
                    on_written=base.written.set if base is not None else None,
                    audit=_with_alerts(audit),
                    actor=self.actor,
                )
            except (ChunkConflict, neo4j.exceptions.ClientError) as exc:
                # The graph changed between lookup and write (another writer; rows
                # written ahead of the lock can even find a node deleted under them), or
                # a plan made ahead went stale; nothing of the chunk was kept. Plan it
                # again under the lock, after the chunk before it has finished for good.
                if not isinstance(exc, ChunkConflict) and exc.code not in _CONFLICT_CODES:
                    raise
                if previous is not None:
                    await asyncio.wait({previous})
                if planned is not None:
                    self.replanned += 1
                planned = None
                if attempt == _ATTEMPTS - 1:
                    raise
                continue
            if planned is not None:
                if planned.generation == generation:
                    self.planned_ahead += 1
                    self.rows_early += planned.early.rows() if planned.early else 0
                else:
                    self.replanned += 1
            return outcome, generation
        raise AssertionError("unreachable")

    async def _plan_ahead(self, chunk: Chunk, base: _Base) -> Planned[ChunkOutcome] | None:
        """Look up and plan `chunk` as it will stand once the chunk being written commits."""
        records = chunk.records()
        if not records:
            return None
        keys = chunk_keys(records)
        await base.ready.wait()  # the lookup must start while that chunk holds the lock
        generation, before = base.generation, base.outcome
        if generation is None or before is None or before.written is None:
            return None
        written = before.written
        # What that chunk wrote is known better than a lookup could tell (it may not have
        # committed yet), so those sourceRefs are not looked up at all.
        keys.source_refs.difference_update(written.records)
        try:
            facts = await lookup(self.graph, self.source, keys)
        except neo4j.exceptions.Neo4jError:
            return None  # planned again under the lock, which reports the error
        planner = ChunkPlanner(self.source, chunk.items, self.today)
        writes, outcome = planner(merge_facts(facts, written))
        early, late = split_writes(writes, written)
        return Planned(late, outcome, generation + 1, early if early.rows() else None)


def _with_alerts(
    audit: Callable[[ChunkOutcome], list[AuditRecord]] | None,
) -> Callable[[ChunkOutcome, list[HouseholdAlert]], list[AuditRecord]]:
    """Puts the household alerts a chunk's write raised on its outcome before `audit`
    sees it, inside the chunk's transaction: the event that commits with the write names
    the shielded children (R4: "the write is audited"). Assigned, not appended: the
    managed transaction may run the write again."""

    def events(outcome: ChunkOutcome, alerts: list[HouseholdAlert]) -> list[AuditRecord]:
        outcome.alerts = alerts
        return audit(outcome) if audit is not None else []

    return events


async def _written_or_done(base: _Base, writing: asyncio.Future[Any]) -> None:
    """Until the chunk being written has nothing left to write but its commit."""
    written = asyncio.ensure_future(base.written.wait())
    try:
        await asyncio.wait({written, writing}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        written.cancel()


class _Base:
    """The plan a chunk is being written with, the lock generation it holds, and whether
    all of it is written (only the commit left)."""

    def __init__(self) -> None:
        self.ready = asyncio.Event()
        self.written = asyncio.Event()
        self.generation: int | None = None
        self.outcome: ChunkOutcome | None = None

    def settle(self, generation: int | None, outcome: ChunkOutcome) -> None:
        self.generation, self.outcome = generation, outcome
        self.ready.set()
