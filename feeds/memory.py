"""What a feed file's earlier chunks already found out, so later chunks need not ask again.

A chunk's look-up (graph/ingest.py) asks for this source's FeedRecords by sourceRef and
for children by NHS number and by family name and date of birth. In a file, most of
those questions were asked, or answered by a write, a few chunks back: a `child.ref`
names a child the file sent earlier, an END names a START it sent, and the same
children on the index are named again and again. Asking the server again costs it
index seeks and map projections while it writes the chunk before (the look-up runs on
the other core, and there is no other core to spare on this machine).

The answers stay true only while nobody but this file's chunks changes them. Every
writer that can change a child's matching facts or this source's FeedRecords (feeds,
match review resolutions, retention, `setShielded`) takes the ingest lock and bumps its
generation (graph/ingest_lock.py), so the memory holds while the chunks it folded in
committed under consecutive generations, and is forgotten at the first gap. Services,
practitioners and local authorities are not remembered: administrators change them
through the API without the lock, and a chunk names few of them.

Memory is bounded: past `limit` children or records, that part is forgotten whole (a
forgotten key is simply asked again), so a national file keeps the ingest's memory flat.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import date

from graph.ingest import ChildRow, ChunkFacts, ChunkKeys, KnownRecord

__all__ = ["LIMIT", "FileMemory"]

LIMIT = 200_000
"""Children and records remembered, each: about 60 MB of the ingest's memory at most."""


class FileMemory:
    """Answers to look-up keys as of the last chunk folded in (`generation`)."""

    def __init__(self, limit: int = LIMIT) -> None:
        self.limit = limit
        self.generation: int | None = None
        self._forget_children()
        self._forget_records()
        self.asked = 0  # keys asked of the server through this memory
        self.answered = 0  # keys it answered itself

    def _forget_children(self) -> None:
        self.children: dict[str, ChildRow] = {}
        self._by_nhs: dict[str, set[str]] = defaultdict(set)
        self._by_name_birth: dict[tuple[str, date], set[str]] = defaultdict(set)
        self._nhs_asked: set[str] = set()
        self._name_births_asked: set[tuple[str, date]] = set()

    def _forget_records(self) -> None:
        self.records: dict[str, KnownRecord] = {}
        self._absent: set[str] = set()

    def forget(self) -> None:
        self.generation = None
        self._forget_children()
        self._forget_records()

    # Planning ahead ---------------------------------------------------------------------

    def align(self, generation: int) -> None:
        """Before a look-up made while `generation` holds the lock (it sees what every
        holder before it committed): the memory starts afresh unless it is of the holder
        just before."""
        if self.generation != generation - 1:
            self.forget()
            self.generation = generation - 1

    def unanswered(self, keys: ChunkKeys) -> ChunkKeys:
        """The part of `keys` the server must still be asked."""
        ask = ChunkKeys(
            source_refs={
                r for r in keys.source_refs if r not in self.records and r not in self._absent
            },
            nhs_numbers=keys.nhs_numbers - self._nhs_asked,
            name_births=keys.name_births - self._name_births_asked,
            service_ids=keys.service_ids,
            practitioner_ids=keys.practitioner_ids,
            local_authorities=keys.local_authorities,
        )
        total = len(keys.source_refs) + len(keys.nhs_numbers) + len(keys.name_births)
        asked = len(ask.source_refs) + len(ask.nhs_numbers) + len(ask.name_births)
        self.asked += asked
        self.answered += total - asked
        return ask

    def learn(self, asked: ChunkKeys, facts: ChunkFacts) -> None:
        """Remember the server's answers to `asked` (found and not found alike)."""
        for row in facts.children:
            self._put(row)
        for ref in asked.source_refs:
            known = facts.records.get(ref)
            if known is None:
                self._absent.add(ref)
            else:
                self.records[ref] = known
                if known.child is not None and known.child.id not in self.children:
                    self._put(known.child)
        self._nhs_asked |= asked.nhs_numbers
        self._name_births_asked |= asked.name_births

    def facts(self, keys: ChunkKeys, fresh: ChunkFacts) -> ChunkFacts:
        """Everything `keys` asks, from memory (after `learn`) with `fresh`'s reference
        data: what a look-up of all of `keys` would have found."""
        records = {}
        for ref in keys.source_refs:
            known = self.records.get(ref)
            if known is not None:
                child = known.child
                current = self.children.get(child.id) if child is not None else None
                records[ref] = known if current is None else replace(known, child=current)
        ids: set[str] = set()
        for n in keys.nhs_numbers:
            ids |= self._by_nhs.get(n, set())
        for k in keys.name_births:
            ids |= self._by_name_birth.get(k, set())
        return ChunkFacts(
            records=records,
            children=[self.children[i] for i in sorted(ids)],
            services=fresh.services,
            practitioners=fresh.practitioners,
            local_authorities=fresh.local_authorities,
            sensitive_services=fresh.sensitive_services,
        )

    # Committing -----------------------------------------------------------------------

    def fold(self, generation: int, written: ChunkFacts | None) -> None:
        """A chunk committed under `generation`, writing `written`: remembered if it
        follows the last chunk folded in, everything forgotten if someone else held the
        lock between them."""
        if generation < 0:  # nothing written, no lock taken
            return
        if self.generation is None or generation != self.generation + 1:
            self.forget()
        self.generation = generation
        if written is None:
            return
        for row in written.children:
            self._put(row)
        for ref, known in written.records.items():
            self.records[ref] = known
            self._absent.discard(ref)
        if len(self.children) > self.limit:
            self._forget_children()
        if len(self.records) > self.limit:
            self._forget_records()

    def _put(self, row: ChildRow) -> None:
        old = self.children.get(row.id)
        if old is not None:
            if old.nhs_number:
                self._by_nhs[old.nhs_number].discard(old.id)
            self._by_name_birth[(old.family_name_key, old.date_of_birth)].discard(old.id)
        self.children[row.id] = row
        if row.nhs_number:
            self._by_nhs[row.nhs_number].add(row.id)
        self._by_name_birth[(row.family_name_key, row.date_of_birth)].add(row.id)
