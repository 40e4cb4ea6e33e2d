"""The benchmark's dataset: built once with the project's own generator, then reused.

`ensure_dataset` runs `contactgraph migrate` and `contactgraph seed --children N` against
the bench Neo4j instance (the same commands a developer would type), and records what it
loaded in one marker node, `(:BenchDataset {id: 'bench'})`, written only after the seed
finished. The next run with the same size and seed finds the marker and skips seeding
(minutes for 100,000 children, much longer for 1,000,000). A run with a smaller size
than what is loaded wipes and reseeds, so `dataset_children` in the results is always
exactly what the graph holds.

`sample` draws the children the workloads ask for: deterministic (same seed, same ids),
live records only, each with the family name and date of birth a search would use.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, LiteralString

import neo4j

from graph.connection import target_from_env

__all__ = [
    "Dataset",
    "Sample",
    "audit_events",
    "ensure_dataset",
    "prewarm",
    "sample",
    "special_children",
]

REPO = Path(__file__).resolve().parent.parent
# `python -m api.cli` from the repository rather than the venv's `contactgraph` script:
# the shared venv's editable install may point at another checkout (another worktree).
CONTACTGRAPH = [str(REPO / ".local" / "venv" / "bin" / "python"), "-m", "api.cli"]

MARKER: LiteralString = """
MATCH (m:BenchDataset {id: 'bench'})
RETURN m.children AS children, m.seed AS seed, toString(m.seededOn) AS seededOn
"""
WRITE_MARKER: LiteralString = """
MERGE (m:BenchDataset {id: 'bench'})
SET m.children = $children, m.seed = $seed, m.seededOn = date($seededOn),
    m.loadedAt = datetime()
"""
DROP_MARKER: LiteralString = "MATCH (m:BenchDataset {id: 'bench'}) DELETE m"
CHILD_COUNT: LiteralString = "MATCH (c:Child) RETURN count(c) AS n"
CANDIDATES: LiteralString = """
UNWIND $ids AS id
MATCH (c:Child {id: id}) WHERE c.archivedOn IS NULL
RETURN c.id AS id, c.familyName AS familyName, toString(c.dateOfBirth) AS dateOfBirth
"""
SCAN: LiteralString = """
MATCH (c:Child) WHERE c.archivedOn IS NULL AND c.source = 'synthetic'
RETURN c.id AS id, c.familyName AS familyName, toString(c.dateOfBirth) AS dateOfBirth
LIMIT $limit
"""
GP_PRACTITIONER: LiteralString = """
MATCH (p:Practitioner)-[:WORKS_FOR]->(s:Service {kind: 'GP'})
RETURN p.id AS id, s.localAuthority AS localAuthority ORDER BY p.id LIMIT 1
"""
SENSITIVE: LiteralString = """
MATCH (c:Child)<-[:OF]-(i:Involvement)-[:AT]->(:Service {sensitive: true})
WHERE i.endedOn IS NULL AND c.archivedOn IS NULL
WITH DISTINCT c ORDER BY c.id LIMIT $limit
RETURN c.id AS id, c.familyName AS familyName, toString(c.dateOfBirth) AS dateOfBirth,
       'sensitive' AS why
"""
SHIELDED: LiteralString = """
MATCH (c:Child {shielded: true}) WHERE c.archivedOn IS NULL
WITH c ORDER BY c.id LIMIT $limit
RETURN c.id AS id, c.familyName AS familyName, toString(c.dateOfBirth) AS dateOfBirth,
       'shielded' AS why
"""
PRACTITIONER: LiteralString = """
MATCH (p:Practitioner {id: $id})
OPTIONAL MATCH (p)-[:WORKS_FOR]->(s:Service)
RETURN p.id AS id, s.localAuthority AS localAuthority
"""


@dataclass(frozen=True)
class Dataset:
    children: int  # as loaded: the synthetic population (named scenarios come on top)
    seed: int
    seeded_on: str
    child_nodes: int  # every :Child in the graph, Hannah's story included
    reused: bool


@dataclass(frozen=True)
class Sample:
    """Who asks, and about whom."""

    practitioner_id: str
    local_authority: str | None
    children: list[dict[str, str]]  # {id, familyName, dateOfBirth}


def _driver() -> neo4j.Driver:
    target = target_from_env(os.environ.get("CONTACTGRAPH_NEO4J_INSTANCE", "bench"))
    return neo4j.GraphDatabase.driver(
        target.uri, auth=target.auth, notifications_min_severity="OFF"
    )


def _run(args: list[str], env: dict[str, str]) -> None:
    print(f"$ contactgraph {' '.join(args)}", flush=True)
    done = subprocess.run(
        [*CONTACTGRAPH, *args], env=env, cwd=REPO, check=False, stdin=subprocess.DEVNULL
    )
    if done.returncode != 0:
        raise SystemExit(f"`contactgraph {' '.join(args)}` failed (exit {done.returncode})")


def _marker(driver: neo4j.Driver) -> dict[str, Any] | None:
    records, _, _ = driver.execute_query(MARKER)
    return dict(records[0]) if records else None


def _child_nodes(driver: neo4j.Driver) -> int:
    records, _, _ = driver.execute_query(CHILD_COUNT)
    return int(records[0]["n"])


def ensure_dataset(children: int, seed: int, env: dict[str, str]) -> Dataset:
    """Migrate, then seed `children` synthetic children unless exactly that is loaded."""
    _run(["migrate"], env)
    with _driver() as driver:
        marker = _marker(driver)
        count = _child_nodes(driver)
        if (
            marker is not None
            and marker["children"] == children
            and marker["seed"] == seed
            and count >= children
        ):
            print(
                f"dataset: reusing {children:,} children (seed {seed}, seeded on "
                f"{marker['seededOn']}); {count:,} :Child nodes in all",
                flush=True,
            )
            return Dataset(children, seed, str(marker["seededOn"]), count, reused=True)
        if marker is not None and (marker["children"] > children or marker["seed"] != seed):
            print(
                f"dataset: the graph holds {marker['children']:,} children (seed "
                f"{marker['seed']}); wiping it to load exactly {children:,}",
                flush=True,
            )
            from graph.load import wipe

            wipe(driver)
            _run(["migrate"], env)  # the wipe removed the :Migration records and the chain
        else:
            driver.execute_query(DROP_MARKER)
    today = date.today()
    _run(
        ["seed", "--children", str(children), "--seed", str(seed), "--today", today.isoformat()],
        env,
    )
    with _driver() as driver:
        driver.execute_query(WRITE_MARKER, children=children, seed=seed, seededOn=today.isoformat())
        count = _child_nodes(driver)
    return Dataset(children, seed, today.isoformat(), count, reused=False)


def sample(
    dataset: Dataset, size: int, sample_seed: int = 7, practitioner_id: str | None = None
) -> Sample:
    """`size` live children drawn uniformly and reproducibly, and a GP practitioner to ask."""
    rng = random.Random(sample_seed)
    wanted = min(size, dataset.children)
    numbers = rng.sample(
        range(1, dataset.children + 1), min(dataset.children, wanted + wanted // 5 + 10)
    )
    ids = [f"c-s{dataset.seed}-{n}" for n in numbers]
    with _driver() as driver:
        records, _, _ = driver.execute_query(CANDIDATES, ids=ids)
        found = [dict(r) for r in records]
        if len(found) < wanted:  # the generator's id scheme changed: fall back to a scan
            records, _, _ = driver.execute_query(SCAN, limit=wanted * 20)
            pool = [dict(r) for r in records]
            found = rng.sample(pool, min(len(pool), wanted))
        if practitioner_id:
            records, _, _ = driver.execute_query(PRACTITIONER, id=practitioner_id)
        else:
            records, _, _ = driver.execute_query(GP_PRACTITIONER)
        if not records:
            raise SystemExit(f"no practitioner {practitioner_id or '(GP)'} in the dataset")
        viewer = dict(records[0])
    rng.shuffle(found)
    return Sample(str(viewer["id"]), viewer["localAuthority"], found[:wanted])


def special_children(limit: int = 3) -> list[dict[str, str]]:
    """Children whose answers depend on policy: a sensitive involvement (R6), or shielded (R4)."""
    with _driver() as driver:
        out = []
        for cypher in (SENSITIVE, SHIELDED):
            records, _, _ = driver.execute_query(cypher, limit=limit)
            out += [dict(r) for r in records]
    return out


def audit_events() -> int:
    """How many audit events the graph holds (a count-store read, instant at any size)."""
    with _driver() as driver:
        records, _, _ = driver.execute_query("MATCH (e:AuditEvent) RETURN count(e) AS n")
        return int(records[0]["n"])


def prewarm(ids: list[str], cypher: LiteralString, batch: int = 500) -> None:
    """Read every sampled child's neighbourhood once, so no system pays for a cold page cache."""
    with _driver() as driver:
        for start in range(0, len(ids), batch):
            driver.execute_query(cypher, ids=ids[start : start + batch], horizon=date.today())


if __name__ == "__main__":  # python -m bench.dataset N: seed without benchmarking
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    os.environ.setdefault("CONTACTGRAPH_NEO4J_INSTANCE", "bench")
    print(ensure_dataset(n, 1, dict(os.environ)))
