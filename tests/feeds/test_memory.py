"""feeds/memory.py without a server: what a file remembers, and when it forgets."""

from __future__ import annotations

from datetime import date

from feeds.memory import FileMemory
from graph.ingest import ChildRow, ChunkFacts, ChunkKeys, KnownRecord

BORN = date(2016, 3, 1)


def _child(id: str, nhs: str | None, family: str = "bee", postcode: str = "NB11AA") -> ChildRow:
    return ChildRow(id, nhs, family, "ada", BORN, postcode, False, "NBR")


def _facts(
    records: dict[str, KnownRecord] | None = None, children: list[ChildRow] | None = None
) -> ChunkFacts:
    return ChunkFacts(
        records=records or {},
        children=children or [],
        services={"s1": None},
        practitioners={},
        local_authorities={"NBR"},
    )


def _record(ref: str, child: ChildRow | None = None) -> KnownRecord:
    entity = child.id if child is not None else None
    return KnownRecord(ref, "UPSERT_CHILD", "h", "ACCEPTED", entity, entity, None, True, child)


def _keys(
    refs: frozenset[str] = frozenset(),
    nhs: frozenset[str] = frozenset(),
    names: frozenset[tuple[str, date]] = frozenset(),
) -> ChunkKeys:
    return ChunkKeys(
        source_refs=set(refs), nhs_numbers=set(nhs), name_births=set(names), service_ids={"s1"}
    )


def _learned(memory: FileMemory, generation: int, keys: ChunkKeys, found: ChunkFacts) -> ChunkKeys:
    memory.align(generation)
    ask = memory.unanswered(keys)
    memory.learn(ask, found)
    return ask


def test_an_answer_found_or_not_is_not_asked_again_while_the_generations_follow() -> None:
    memory = FileMemory()
    a = _child("c-a", "9990000018")
    keys = _keys({"r1", "r2"}, {"9990000018", "9990000026"}, {("bee", BORN)})
    _learned(memory, 5, keys, _facts({"r1": _record("r1", a)}, [a]))
    memory.fold(5, _facts())

    again = _learned(memory, 6, keys, _facts())
    assert (again.source_refs, again.nhs_numbers, again.name_births) == (set(), set(), set())
    assert again.service_ids == {"s1"}, "reference data is always asked"
    facts = memory.facts(keys, _facts())
    assert set(facts.records) == {"r1"} and [c.id for c in facts.children] == ["c-a"]
    assert memory.answered == 5


def test_a_gap_in_the_generations_forgets_everything() -> None:
    memory = FileMemory()
    keys = _keys({"r1"}, {"9990000018"})
    _learned(memory, 5, keys, _facts())
    memory.fold(5, _facts())
    memory.fold(7, _facts())  # generation 6 was someone else's
    assert _learned(memory, 8, keys, _facts()).nhs_numbers == {"9990000018"}

    stale = FileMemory()
    _learned(stale, 5, keys, _facts())
    # Planned ahead at 6 again, the memory not folded at 5: asked afresh.
    assert _learned(stale, 7, keys, _facts()).source_refs == {"r1"}


def test_what_a_chunk_wrote_replaces_what_was_looked_up() -> None:
    """A child moved house and took an NHS number: the remembered row and both indexes
    follow, and a record's child is the current row."""
    memory = FileMemory()
    old = _child("c-a", None, postcode="NB11AA")
    keys = _keys({"r1"}, {"9990000018"}, {("bee", BORN)})
    _learned(memory, 3, keys, _facts({"r1": _record("r1", old)}, [old]))
    new = _child("c-a", "9990000018", postcode="NB99ZZ")
    memory.fold(3, _facts({"r2": _record("r2", new)}, [new]))

    facts = memory.facts(_keys({"r1", "r2"}, {"9990000018"}, {("bee", BORN)}), _facts())
    assert [c.postcode_key for c in facts.children] == ["NB99ZZ"]
    assert facts.records["r1"].child == new, "the record's child is the row written since"


def test_a_ref_once_absent_is_known_once_written() -> None:
    memory = FileMemory()
    _learned(memory, 3, _keys({"r9"}), _facts())
    assert memory.facts(_keys({"r9"}), _facts()).records == {}
    memory.fold(3, _facts({"r9": _record("r9")}))
    assert set(memory.facts(_keys({"r9"}), _facts()).records) == {"r9"}


def test_past_its_limit_a_part_is_forgotten_whole() -> None:
    memory = FileMemory(limit=2)
    rows = [_child(f"c-{i}", None) for i in range(3)]
    keys = _keys(names={("bee", BORN)})
    _learned(memory, 3, keys, _facts(children=rows[:1]))
    memory.fold(3, _facts(children=rows[1:]))
    assert memory.children == {}
    assert _learned(memory, 4, keys, _facts()).name_births == {("bee", BORN)}, "asked again"
