"""A feed file's chunks are pipelined (feeds/pipeline.py): the next chunk is looked up and
planned while the last one is written. These tests hold that to the same results as
chunks applied one at a time, and show that a plan made ahead is thrown away when
anyone else took the ingest lock in between (graph/ingest_lock.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable
from datetime import UTC, date, datetime
from typing import Any

import orjson
import pytest

import feeds.pipeline
from feeds.ops import WRITER
from feeds.pipeline import Chunk, Ingestor, chunked
from feeds.plan import ChunkPlanner, chunk_keys
from feeds.report import ChunkOutcome
from feeds.validation import parse_record
from graph.feed_writes import ChunkWrites
from graph.ingest import Planned, apply_chunk
from graph.ingest_lock import take_ingest_lock
from tests.feeds.conftest import Feed, fresh_nhs_number


def _items(records: Iterable[tuple[str, str, dict[str, Any]]], today: date) -> list[Any]:
    return [
        (1, parse_record(n, ref, op, orjson.dumps(payload).decode(), today, fallback_ref=ref))
        for n, (ref, op, payload) in enumerate(records, start=1)
    ]


async def _run(ingestor: Ingestor, items: list[Any], size: int) -> list[ChunkOutcome]:
    async def chunks() -> AsyncIterator[Chunk]:
        for chunk in chunked(items, size):
            yield chunk

    return [outcome async for _, outcome in ingestor.ingest_chunks(chunks())]


@pytest.fixture
def other_source(feed: Feed, clean_source: Any) -> str:
    """A second source system, cleaned up after the test like the first."""
    source = f"{feed.source}-other"
    clean_source(source)
    return source


@pytest.fixture
def after_lookahead(monkeypatch: pytest.MonkeyPatch) -> Callable[[Callable[[], Any]], list[Any]]:
    """Runs `action` once, right after the first chunk looked up ahead has been looked up:
    that is, while the chunk before it still holds the lock. Returns what it returned."""

    def install(action: Callable[[], Any]) -> list[Any]:
        real_lookup = feeds.pipeline.lookup
        done: list[Any] = []

        async def lookup_then_act(*args: Any, **kwargs: Any) -> Any:
            facts = await real_lookup(*args, **kwargs)
            if not done:
                done.append(await action())
            return facts

        monkeypatch.setattr(feeds.pipeline, "lookup", lookup_then_act)
        return done

    return install


def _start(ref: str, child_ref: str) -> tuple[str, str, dict[str, Any]]:
    payload = {
        "child": {"ref": child_ref},
        "serviceId": "s-oakfield-school",
        "startedOn": "2024-09-02",
    }
    return (ref, "START_INVOLVEMENT", payload)


async def test_each_chunk_builds_on_the_one_still_being_written(
    graph: Any, feed: Feed, cypher: Any, today: date
) -> None:
    """Chunks of two: every record refers to, corrects or repeats one in the chunk before."""
    first, second = feed.child(givenName="Ada"), feed.child(givenName="Bea")
    records = [
        ("child-a", "UPSERT_CHILD", first),
        ("child-b", "UPSERT_CHILD", second),
        _start("start-a", "child-a"),  # chunk 2: a child from chunk 1, by ref
        ("child-a", "UPSERT_CHILD", {**first, "givenName": "Adah"}),  # corrected
        ("end-a", "END_INVOLVEMENT", {"involvementRef": "start-a", "endedOn": "2025-07-18"}),
        ("child-b", "UPSERT_CHILD", second),  # chunk 3: the same again, unchanged
        # chunk 4: a second record of child-a's NHS number matches the corrected child
        ("other-a", "UPSERT_CHILD", {**first, "givenName": "Adah"}),
        (
            "carer-b",
            "UPSERT_CARER",
            {"child": {"ref": "child-b"}, "id": "k1", "name": "Jo Bee", "relationship": "mother"},
        ),
    ]
    ingestor = Ingestor(graph, feed.source, today=today, now=datetime.now(UTC))
    outcomes = await _run(ingestor, _items(records, today), size=2)

    assert len(outcomes) == 4
    assert ingestor.planned_ahead == 3, "every chunk after the first was planned ahead"
    # Chunk 4 touches nothing chunk 3 wrote: its rows went in while chunk 3 committed.
    assert ingestor.rows_early >= 3
    report = ingestor.report
    assert (report.accepted, report.unchanged, report.rejected) == (7, 1, 0), report.errors
    rows = cypher(
        "MATCH (c:Child) WHERE c.familyName = $f "
        "OPTIONAL MATCH (c)<-[:OF]-(i:Involvement) OPTIONAL MATCH (c)<-[:CARES_FOR]-(k:Carer) "
        "RETURN c.givenName AS name, toString(i.endedOn) AS ended, k.name AS carer "
        "ORDER BY name",
        f=feed.family,
    )
    assert rows == [
        {"name": "Adah", "ended": "2025-07-18", "carer": None},
        {"name": "Bea", "ended": None, "carer": "Jo Bee"},
    ]
    feed_records = cypher("MATCH (f:FeedRecord {source: $s}) RETURN count(f) AS n", s=feed.source)
    assert feed_records == [{"n": 6}], "one per sourceRef: child-a's correction updated its own"


async def test_a_plan_made_ahead_is_dropped_when_someone_else_held_the_lock(
    graph: Any, feed: Feed, cypher: Any, today: date, other_source: str, after_lookahead: Any
) -> None:
    """Another source creates the child just after chunk 2 was looked up ahead.

    Planned on the lookup alone, chunk 2 would create a second record of that child;
    the other writer's turn with the lock moves the generation, so chunk 2 is looked up
    and planned again under the lock and updates the child instead.
    """
    nhs = fresh_nhs_number()
    payload = feed.child(nhsNumber=nhs, givenName="Cy")

    async def someone_else_creates_the_child() -> ChunkOutcome:
        # Waits for the lock that chunk 1 holds, then commits: after the lookup.
        rival = Ingestor(graph, other_source, today=today, now=datetime.now(UTC))
        [outcome] = await _run(rival, _items([("theirs", "UPSERT_CHILD", payload)], today), 10)
        return outcome

    interleaved = after_lookahead(someone_else_creates_the_child)
    records = [
        ("filler", "UPSERT_CHILD", feed.child(givenName="Di")),
        ("mine", "UPSERT_CHILD", payload),
    ]
    ingestor = Ingestor(graph, feed.source, today=today, now=datetime.now(UTC))
    await _run(ingestor, _items(records, today), size=1)

    assert interleaved and interleaved[0].accepted == 1
    assert (ingestor.planned_ahead, ingestor.replanned) == (0, 1), "made ahead, found stale"
    children = cypher("MATCH (c:Child {nhsNumber: $n}) RETURN c.source AS source", n=nhs)
    assert children == [{"source": other_source}], "one child, by NHS number, not a duplicate"
    mine = cypher(
        "MATCH (f:FeedRecord {source: $s, sourceRef: 'mine'}) RETURN f.status AS status",
        s=feed.source,
    )
    assert mine == [{"status": "ACCEPTED"}]


async def test_a_planned_chunk_is_written_only_under_the_generation_it_expects(
    graph: Any, feed: Feed, cypher: Any, today: date
) -> None:
    """graph.ingest.apply_chunk: a stale Planned is ignored; a current one is written."""

    async def current_generation() -> int:
        async def work(tx: Any) -> int:
            return await take_ingest_lock(tx)

        return await graph.write_transaction(work)

    items = _items([("c1", "UPSERT_CHILD", feed.child(givenName="Eve"))], today)
    chunk = next(chunked(items, 10))
    planner = ChunkPlanner(feed.source, chunk.items, today)
    keys = chunk_keys([i for i in chunk.items if not hasattr(i, "code")])
    decoy = ChunkOutcome(accepted=99)

    stale = Planned(ChunkWrites(), decoy, await current_generation())  # already passed
    outcome, _ = await apply_chunk(
        graph, feed.source, keys, planner, datetime.now(UTC), writer=WRITER, planned=stale
    )
    assert outcome is not decoy and outcome.accepted == 1

    expected = Planned(ChunkWrites(), decoy, await current_generation() + 1)
    outcome, generation = await apply_chunk(
        graph, feed.source, keys, planner, datetime.now(UTC), writer=WRITER, planned=expected
    )
    assert outcome is decoy and generation == expected.generation
    rows = cypher("MATCH (c:Child {familyName: $f}) RETURN count(c) AS n", f=feed.family)
    assert rows == [{"n": 1}], "the decoy plan wrote nothing, the first wrote the child"


async def test_a_child_deleted_after_the_lookahead_is_an_unknown_child_not_a_crash(
    graph: Any, feed: Feed, cypher: Any, today: date, other_source: str, after_lookahead: Any
) -> None:
    """Retention deletes a child (under the lock) between chunk 2's lookup and its write.

    Chunk 2's row for that child touches nothing chunk 1 wrote, so it is written ahead of
    the lock; it finds the child gone, the chunk is rolled back and planned again under
    the lock, and the record is rejected as naming no child on the index.
    """
    from graph.retention import delete_children

    nhs = fresh_nhs_number()
    owner = Ingestor(graph, other_source, today=today, now=datetime.now(UTC))
    items = _items([("theirs", "UPSERT_CHILD", feed.child(nhsNumber=nhs, givenName="Fay"))], today)
    await _run(owner, items, 10)
    child_id = cypher("MATCH (c:Child {nhsNumber: $n}) RETURN c.id AS id", n=nhs)[0]["id"]
    deleted = after_lookahead(lambda: delete_children(graph, [child_id]))
    records = [
        ("filler", "UPSERT_CHILD", feed.child(givenName="Gus")),
        (
            "start",
            "START_INVOLVEMENT",
            {
                "child": {"nhsNumber": nhs},
                "serviceId": "s-oakfield-school",
                "startedOn": "2024-09-02",
            },
        ),
    ]
    ingestor = Ingestor(graph, feed.source, today=today, now=datetime.now(UTC))
    await _run(ingestor, _items(records, today), size=1)

    assert deleted, "retention ran between the lookup and the write"
    assert ingestor.replanned == 1
    assert [(e.source_ref, e.code) for e in ingestor.report.errors] == [("start", "UNKNOWN_CHILD")]
    assert cypher("MATCH (c:Child {id: $id}) RETURN c", id=child_id) == []
    orphans = cypher(
        "MATCH (f:FeedRecord {source: $s, sourceRef: 'start'}) RETURN f", s=feed.source
    )
    assert orphans == [], "nothing of the record was kept"
