"""Finding 6: a feed names a CAF's holder only from a service it maintains (R6, R7).

A CAF held by a practitioner of a sensitive service is hidden from whoever R6 hides that
service from (R7). A school feed that could register a CAF "held by" the sexual-health
nurse would plant one there, and learn from the answer that the nurse exists. So a
REGISTER_ASSESSMENT is accepted only when its holder works for a service the sending
source maintains, and a holder from another service is answered exactly like one that
does not exist.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import neo4j
import pytest

from policies.viewer import Role
from tests.feeds.conftest import Feed, record


def _caf(holder: str) -> dict[str, Any]:
    return {
        "child": {"ref": "child"},
        "holderPractitionerId": holder,
        "startedOn": "2025-01-06",
        "status": "OPEN",
    }


@pytest.fixture
def clinic_feed(
    as_viewer, feed_source: str, clean_source, sync_driver: neo4j.Driver
) -> Iterator[Feed]:
    """The clinic's own system: the source that maintains s-nbr-sexual-health, for a test."""
    source = f"{feed_source}-clinic"
    clean_source(source)
    (before,) = sync_driver.execute_query(
        "MATCH (s:Service {id: 's-nbr-sexual-health'}) WITH s, s.source AS was "
        "SET s.source = $source RETURN was",
        source=source,
    ).records
    try:
        yield Feed(source, as_viewer(Role.FEED, source=source, local_authority=None))
    finally:
        sync_driver.execute_query(
            "MATCH (s:Service {id: 's-nbr-sexual-health'}) SET s.source = $was", was=before["was"]
        )


async def test_a_school_feed_cannot_name_the_sexual_health_nurse_as_a_cafs_holder(
    feed: Feed, cypher
) -> None:
    school = {"id": f"s-{feed.source}", "name": "Test School", "kind": "SCHOOL",
              "localAuthority": "NBR"}  # fmt: skip
    teacher = {"id": f"p-{feed.source}", "name": "A Teacher", "serviceId": school["id"]}
    report = await feed.send(
        record("school", "UPSERT_SERVICE", school),
        record("teacher", "UPSERT_PRACTITIONER", teacher),
        record("child", "UPSERT_CHILD", feed.child()),
        record("caf-nurse", "REGISTER_ASSESSMENT", _caf("p-nurse")),
        record("caf-nobody", "REGISTER_ASSESSMENT", _caf("p-nobody-at-all")),
        record("caf-mentor", "REGISTER_ASSESSMENT", _caf("p-melanie")),
        record("caf-own", "REGISTER_ASSESSMENT", _caf(teacher["id"])),
    )
    assert (report["accepted"], report["rejected"]) == (4, 3), report
    errors = {e["sourceRef"]: (e["code"], e["message"]) for e in report["errors"]}
    message = (
        "payload.holderPractitionerId names no practitioner of a service this source maintains"
    )
    # The nurse, a practitioner who does not exist and one of an index-team service: one answer.
    assert errors == {
        "caf-nurse": ("SOURCE_CONFLICT", message),
        "caf-nobody": ("SOURCE_CONFLICT", message),
        "caf-mentor": ("SOURCE_CONFLICT", message),
    }
    assert not any("sexual" in m.lower() or "p-nurse" in m for _, m in errors.values())
    held = cypher(
        "MATCH (h:Practitioner)-[:HOLDS]->(a:Assessment) WHERE a.source = $s "
        "RETURN h.id AS holder, a.sourceRef AS ref",
        s=feed.source,
    )
    assert held == [{"holder": teacher["id"], "ref": "caf-own"}]


async def test_the_clinics_own_source_may_name_its_nurse(clinic_feed: Feed, cypher) -> None:
    report = await clinic_feed.send(
        record("child", "UPSERT_CHILD", clinic_feed.child()),
        record("caf", "REGISTER_ASSESSMENT", _caf("p-nurse")),
    )
    assert (report["accepted"], report["errors"]) == (2, []), report
    held = cypher(
        "MATCH (h:Practitioner)-[:HOLDS]->(a:Assessment) WHERE a.source = $s RETURN h.id AS id",
        s=clinic_feed.source,
    )
    assert held == [{"id": "p-nurse"}]
