"""Writing seed records (Hannah's story, the synthetic population) into the graph.

The Cypher is graph.load's, one statement per record kind; this module decides what to
write: a named scenario, or the synthetic population generated batch by batch on a thread
while the server writes the previous batch.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from dataclasses import fields
from datetime import date

from neo4j import Driver
from tqdm import tqdm

from graph.load import KINDS, write_rows
from seed.hannah import Scenario
from seed.synthetic import generate

__all__ = ["load_records", "load_scenario", "load_synthetic"]


def load_records(driver: Driver, records: Scenario, database: str | None = None) -> dict[str, int]:
    """Writes one scenario or batch in dependency order; returns rows written per kind."""
    rows_by_kind = {field.name: getattr(records, field.name) for field in fields(records)}
    return write_rows(driver, rows_by_kind, database)


def load_scenario(
    driver: Driver, scenario: Scenario, database: str | None = None
) -> dict[str, int]:
    """Writes a named scenario such as seed.hannah.scenario(today); safe to repeat."""
    return load_records(driver, scenario, database)


def _prefetched(batches: Iterator[Scenario], depth: int = 2) -> Iterator[Scenario]:
    """Generates the next batches on a thread while the server writes the current one.

    Generation is pure Python and the write is mostly waiting on the server, so the
    two overlap: on two cores this hides most of the generator's time.
    """
    done = object()
    handoff: queue.Queue[object] = queue.Queue(maxsize=depth)
    failure: list[BaseException] = []
    stop = threading.Event()  # set when the consumer gives up, so the thread ends too

    def offer(item: object) -> bool:
        while not stop.is_set():
            try:
                handoff.put(item, timeout=0.5)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for batch in batches:
                if not offer(batch):
                    return
        except BaseException as exc:  # re-raised in the consumer
            failure.append(exc)
        offer(done)

    thread = threading.Thread(target=produce, name="seed-generator", daemon=True)
    thread.start()
    try:
        while (item := handoff.get()) is not done:
            assert isinstance(item, Scenario)
            yield item
        if failure:
            raise failure[0]
    finally:
        stop.set()


def load_synthetic(
    driver: Driver,
    children: int,
    seed: int,
    today: date,
    database: str | None = None,
    progress: bool = True,
    id_key: bytes = b"",
) -> dict[str, int]:
    """Generates and writes `children` synthetic children (seed.synthetic); returns totals.

    Re-running with the same seed and size rewrites the same records in place.
    """
    totals: dict[str, int] = dict.fromkeys(KINDS, 0)
    with tqdm(total=children, unit="child", disable=not progress, desc="seeding") as bar:
        for batch in _prefetched(generate(children, seed, today, id_key=id_key)):
            for kind, count in load_records(driver, batch, database).items():
                totals[kind] += count
            bar.update(len(batch.children))
    return totals
