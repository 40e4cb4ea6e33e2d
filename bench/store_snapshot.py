"""A fixed starting store for a benchmark's phases: the local instance's database, copied
aside with the server stopped, and put back before each phase.

Cleaning between phases (`ingest_bench clean`) removes what a source wrote but not what
its runs leave behind (audit events and their mentions, notification outbox rows): each
run measures a bigger store than the last, and the ingest and the floor of one `delta`
never measured the same one. The twelfth session's second 1M delta on one store read 69%
where the first read 94%, the ingest's server CPU a record up by a fifth. Putting the
same files back before every phase takes that out of the figure.

The copy is of the stopped server's files (the `neo4j` database's store and its
transaction logs), which Neo4j documents as a consistent offline copy; `system` is left
alone, so users, the password and the database's registration stay as they are.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import localneo4j
from bench.procs import local_instance

_PARTS = (Path("databases") / "neo4j", Path("transactions") / "neo4j")


def _copy(source: Path, target: Path) -> None:
    for part in _PARTS:
        shutil.rmtree(target / part, ignore_errors=True)
        (target / part).parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(source / part, target / part)


def take(snapshot: Path) -> float:
    """Copy the instance's database to `snapshot` (replacing it), with the server stopped
    for the copy and started again; returns the seconds it took."""
    inst, started = local_instance(), time.perf_counter()
    localneo4j.stop(inst)
    try:
        _copy(inst.data_dir, snapshot)
    finally:
        localneo4j.start(inst)
    return time.perf_counter() - started


def restore(snapshot: Path) -> float:
    """Put `snapshot` back as the instance's database and start the server cold; returns
    the seconds it took."""
    if not all((snapshot / part).is_dir() for part in _PARTS):
        raise FileNotFoundError(f"{snapshot} holds no snapshot (take one first)")
    inst, started = local_instance(), time.perf_counter()
    localneo4j.stop(inst)
    _copy(snapshot, inst.data_dir)
    localneo4j.start(inst)
    return time.perf_counter() - started
