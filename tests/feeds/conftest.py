"""Helpers for feed tests: a fresh source per test, record builders, and a clean-up.

Every test pushes records under its own source name, with family names no other test
uses, and removes what that source wrote when it ends, so the session's shared graph
(Hannah's story) is left as it was found.
"""

from __future__ import annotations

import json
import random
import string
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import neo4j
import pytest

from graph.nhs_number import with_check_digit
from policies.viewer import Role

REPO = Path(__file__).resolve().parents[2]
CLI = (sys.executable, "-m", "api.cli")
"""The command line of this checkout, run with cwd=REPO: the `contactgraph` console script
imports whichever checkout installed it, which is not always the one under test."""

INGEST = """
mutation Ingest($source: String!, $records: [IngestRecord!]!) {
  ingest(source: $source, records: $records) {
    accepted unchanged rejected pendingMatchReview heldForReview
    errors { sourceRef code message }
  }
}
"""

CLEAN = [
    # Children created by the source, and what hangs on them.
    """
    MATCH (c:Child) WHERE c.source = $source
    OPTIONAL MATCH (c)<-[:OF]-(i:Involvement)
    OPTIONAL MATCH (c)<-[:ABOUT]-(a:Assessment)
    DETACH DELETE i, a, c
    """,
    "MATCH (n:Involvement|Assessment|Carer|Practitioner) WHERE n.source = $source DETACH DELETE n",
    "MATCH (n:Service) WHERE n.source = $source DETACH DELETE n",
    "MATCH (r:MatchReview) WHERE r.source = $source DETACH DELETE r",
    "MATCH (f:FeedRecord) WHERE f.source = $source DELETE f",
    # R4 household alerts its writes raised (graph/alerts.py: the detail names the source).
    "MATCH (a:AccessAlert) WHERE a.detail CONTAINS ' from source ' + $source + ' (' DELETE a",
]


def record(source_ref: str, op: str, payload: Any) -> dict[str, Any]:
    """One IngestRecord as GraphQL variables: the payload travels as a JSON string."""
    text = payload if isinstance(payload, str) else json.dumps(payload)
    return {"sourceRef": source_ref, "op": op, "payload": text}


def _letters(n: int = 8) -> str:
    return "".join(random.choice(string.ascii_lowercase) for _ in range(n)).capitalize()


_used_nhs: set[str] = set()


def fresh_nhs_number() -> str:
    """A valid NHS number in the test range that neither the seed data nor another test uses."""
    while True:
        # 999 9xx xxx: seed.synthetic hands numbers out from 999 000 1000 upwards in a
        # seeded order, but the session loads only Hannah's story (999 000 1xx).
        number = with_check_digit(f"9999{random.randrange(10**5):05d}")
        if number and number not in _used_nhs:
            _used_nhs.add(number)
            return number


@dataclass
class Feed:
    """One test's source system: posts records as a FEED token for `source`."""

    source: str
    caller: Any
    family: str = field(default_factory=lambda: f"Feedtest{_letters()}")

    async def send(self, *records: dict[str, Any]) -> dict[str, Any]:
        body = await self.caller.post(INGEST, {"source": self.source, "records": list(records)})
        assert "errors" not in body, body
        report: dict[str, Any] = body["data"]["ingest"]
        return report

    def child(self, **overrides: Any) -> dict[str, Any]:
        """An UPSERT_CHILD payload: a 10-year-old in Northbridge, unique to this test."""
        payload: dict[str, Any] = {
            "nhsNumber": fresh_nhs_number(),
            "givenName": "Robin",
            "familyName": self.family,
            "dateOfBirth": (date.today() - timedelta(days=3660)).isoformat(),
            "gender": "FEMALE",
            "address": {"line1": "12 Feed Street", "town": "Northbridge", "postcode": "NB5 2XT"},
            "localAuthority": "NBR",
        }
        payload.update(overrides)
        return {k: v for k, v in payload.items() if v is not None}


@pytest.fixture
def feed_source() -> str:
    return f"test-feed-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def clean_source(sync_driver: neo4j.Driver) -> Iterator[Callable[[str], None]]:
    sources: list[str] = []
    yield sources.append
    for source in sources:
        for cypher in CLEAN:
            sync_driver.execute_query(cypher, source=source)


@pytest.fixture
def feed(graph: Any, as_viewer: Any, feed_source: str, clean_source: Any) -> Feed:
    clean_source(feed_source)
    return Feed(feed_source, as_viewer(Role.FEED, source=feed_source, local_authority=None))


@pytest.fixture
def cypher(sync_driver: neo4j.Driver) -> Callable[..., list[dict[str, Any]]]:
    """Run Cypher in a test and get plain dicts back."""

    def run(query: str, **params: Any) -> list[dict[str, Any]]:
        return [r.data() for r in sync_driver.execute_query(query, params).records]

    return run
