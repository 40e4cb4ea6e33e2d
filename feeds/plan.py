"""Planning a chunk: its records decided in order against what the graph holds (R15).

Planning walks the chunk's records in order, as if they were applied one by one, so a
record sees the effect of every record before it, in this chunk (a child created two
lines up) and in earlier chunks and calls (through this source's FeedRecords):

- a (source, sourceRef) already stored with the same payload hash is `unchanged`, and
  one held for review with the same payload is still held (nothing is written);
- a sourceRef re-sent with another op is rejected (a sourceRef names one record);
- everything else is the op's to decide (feeds/ops/<op>.py), with the helpers here for
  what many ops refer to: a child (`child.ref` of an earlier UPSERT_CHILD, or an NHS
  number on the index), a service, a local authority.

A record that fails is rejected alone, with a code and a message naming the field; the
others in its chunk are still written. The plan is typed rows (graph/feed_writes/) and
an outcome: nothing here writes, so a bulk load plans with the same code and another
sink.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from feeds.codes import Code
from feeds.fields import ChildRef
from feeds.records import IncomingRecord, Rejection
from feeds.report import ACCEPTED, PENDING_REVIEW, ChunkOutcome
from graph.feed_writes import ChunkWrites
from graph.feed_writes.feed_record import WRITE_FEED_NEW, WRITE_FEED_UPDATE, FeedRecordRow
from graph.ingest import ChildRow, ChunkFacts, ChunkKeys, KnownRecord

if TYPE_CHECKING:
    from feeds.op import Op

__all__ = [
    "MISSING",
    "ChunkPlanner",
    "Ref",
    "Reject",
    "child_ref_keys",
    "chunk_keys",
    "derived_id",
]

UPSERT_CHILD = "UPSERT_CHILD"
"""The op whose sourceRef a `child.ref` names."""


def derived_id(prefix: str, source: str, ref: str) -> str:
    """A stable, opaque id for a node a source owns (an involvement, a carer, a CAF).

    Stable so that a record re-sent after its node was lost is written to the same id;
    opaque so that a source's own reference (a pupil number, a case number) never shows
    up in the index's ids, which every practitioner sees.
    """
    digest = hashlib.blake2b(f"{source}\x00{ref}".encode(), digest_size=10).hexdigest()
    return f"{prefix}{digest}"


class Reject(Exception):
    """Raised by an op's plan: the record is rejected with `code`, nothing of it written."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


MISSING: str | None = "\x00missing"
"""What `ChunkPlanner.services.get(id, MISSING)` gives for a service not on the index
(None means one the index team maintains)."""


@dataclass(slots=True)
class Ref:
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


class Children:
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


class ChunkPlanner:
    """Turns one chunk and the graph's facts into rows to write and an outcome to report.

    The ops read and update its state (`refs`, `children`, `services`, ...) and add rows
    to `writes`; `written_*` collect what the chunk changes, for planning the next one.
    """

    def __init__(
        self,
        source: str,
        items: list[IncomingRecord | Rejection],
        today: date,
        *,
        reference_sources: frozenset[str] = frozenset(),
        keep_written: bool = True,
    ) -> None:
        self.source = source
        self.items = items
        self.today = today
        #: Whether the outcome carries what the chunk wrote (`_written`), which ingest
        #: plans its next chunk on before this one commits; a bulk load reads it back
        #: from its key store instead and skips the cost.
        self.keep_written = keep_written
        #: The sources configured to send reference data (policies.sources).
        self.reference_sources = reference_sources

    def __call__(self, facts: ChunkFacts) -> tuple[ChunkWrites, ChunkOutcome]:
        from feeds.ops import BY_NAME

        self.writes = ChunkWrites()
        self.outcome = ChunkOutcome()
        self.refs = {
            ref: Ref(
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
        self.children = Children([*known_children, *facts.children])
        self.services: dict[str, str | None] = dict(facts.services)
        self.sensitive_services = facts.sensitive_services
        self.practitioners = dict(facts.practitioners)
        self.local_authorities = set(facts.local_authorities)
        self.refs_written: set[str] = set()
        self.local_authorities_written: set[str] = set()
        self.children_written: set[str] = set()
        self.services_written: set[str] = set()
        self.practitioners_written: set[str] = set()
        rejections = self.outcome.rejections
        for item in self.items:
            if isinstance(item, Rejection):
                rejections.append(item)
                continue
            try:
                self._plan(item, BY_NAME[item.op])
            except Reject as exc:
                rejections.append(Rejection(item.source_ref, exc.code, exc.message))
        if self.keep_written:
            self.outcome.written = self._written()
        return self.writes, self.outcome

    def _written(self) -> ChunkFacts:
        """What this chunk changes, as the facts a lookup would find once it commits."""
        records = {}
        for ref in self.refs_written:
            r = self.refs[ref]
            child = (
                self.children.by_id.get(r.entity_id)
                if r.op == UPSERT_CHILD and r.entity_id is not None
                else None
            )
            records[ref] = KnownRecord(
                ref, r.op, r.payload_hash, r.status, r.entity_id, r.child_id, r.review_id,
                r.exists, child, r.started_on, r.ended_on,
            )  # fmt: skip
        return ChunkFacts(
            records=records,
            children=[self.children.by_id[i] for i in self.children_written],
            services={i: self.services[i] for i in self.services_written},
            practitioners={i: self.practitioners[i] for i in self.practitioners_written},
            local_authorities=set(self.local_authorities_written),
        )

    def _plan(self, record: IncomingRecord, op: Op[object]) -> None:
        prior = self.refs.get(record.source_ref)
        if prior is not None:
            if prior.op != record.op:
                raise Reject(
                    Code.SOURCE_REF_REUSED,
                    "sourceRef was first sent with another op; a sourceRef names one record",
                )
            if prior.payload_hash == record.payload_hash:
                if prior.status == PENDING_REVIEW:
                    self.held(record.source_ref)
                    return
                if prior.exists:
                    self.outcome.unchanged += 1
                    return
        op.plan(self, record, record.payload, prior)

    # Bookkeeping, for the ops ---------------------------------------------------------

    def changed(self, entry: str) -> None:
        """Something other than a child that the chunk's audit event must name (R14)."""
        self.outcome.changed.append(entry)

    def held(self, source_ref: str) -> None:
        self.outcome.pending += 1
        self.outcome.held.append(source_ref)

    def record(
        self,
        record: IncomingRecord,
        prior: Ref | None,
        *,
        entity_id: str | None,
        child_id: str | None,
        status: str = ACCEPTED,
        review_id: str | None = None,
        started_on: date | None = None,
        ended_on: date | None = None,
    ) -> None:
        """The FeedRecord, written in the same transaction as what it stands for."""
        row = FeedRecordRow(
            prior is None, self.source, record.source_ref, record.op, record.payload_hash,
            status, entity_id, child_id, review_id,
        )  # fmt: skip
        self.writes.add(WRITE_FEED_NEW if prior is None else WRITE_FEED_UPDATE, row)
        self.refs_written.add(record.source_ref)
        self.refs[record.source_ref] = Ref(
            record.op, record.payload_hash, status, entity_id, child_id, review_id, True,
            started_on, ended_on,
        )  # fmt: skip
        if status == ACCEPTED:
            self.outcome.accepted += 1
            if child_id is not None:
                self.outcome.child_ids[child_id] = None

    # References -------------------------------------------------------------------------

    def child_id(self, ref: ChildRef) -> str:
        """The child a `child` field names, or Reject."""
        if ref.ref is not None:
            target = self.refs.get(ref.ref)
            if target is None or target.op != UPSERT_CHILD:
                raise Reject(
                    Code.UNKNOWN_CHILD,
                    "payload.child.ref names no UPSERT_CHILD record received from this source",
                )
            if target.status == PENDING_REVIEW:
                raise Reject(
                    Code.CHILD_PENDING_REVIEW,
                    "payload.child.ref names a child record held for review by the index "
                    "team; send this record again once it is resolved",
                )
            if not target.exists or target.entity_id is None:
                raise Reject(
                    Code.UNKNOWN_CHILD, "payload.child.ref names a child no longer on the index"
                )
            return target.entity_id
        assert ref.nhs_number is not None
        found = self.children.with_nhs_number(ref.nhs_number)
        if not found:
            raise Reject(
                Code.UNKNOWN_CHILD, "payload.child.nhsNumber matches no child on the index"
            )
        if len(found) > 1:
            raise Reject(
                Code.AMBIGUOUS_CHILD,
                "payload.child.nhsNumber matches more than one child; refer to the child by ref",
            )
        return found[0].id

    def service_maintainer(self, service_id: str, field_name: str) -> str | None:
        """Who maintains a service (None: the index team), or Reject if it is unknown."""
        owner = self.services.get(service_id, MISSING)
        if owner is MISSING:
            raise Reject(Code.UNKNOWN_SERVICE, f"{field_name} names no service on the index")
        return owner

    def local_authority(self, code: str, field_name: str) -> None:
        if code not in self.local_authorities:
            raise Reject(
                Code.UNKNOWN_LOCAL_AUTHORITY, f"{field_name} names no local authority on the index"
            )


def child_ref_keys(ref: ChildRef, keys: ChunkKeys) -> None:
    """What a `child` field needs looked up."""
    if ref.ref is not None:
        keys.source_refs.add(ref.ref)
    elif ref.nhs_number is not None:
        keys.nhs_numbers.add(ref.nhs_number)


def chunk_keys(records: Iterable[IncomingRecord]) -> ChunkKeys:
    """Everything a chunk's decisions may need looked up: its sourceRefs and what each
    op names (feeds/ops/<op>.py `keys`)."""
    from feeds.ops import BY_NAME

    keys = ChunkKeys()
    for record in records:
        keys.source_refs.add(record.source_ref)
        BY_NAME[record.op].keys(record.payload, keys)
    return keys
