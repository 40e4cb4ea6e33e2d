"""R6: only a sensitive service's own system reports who attends it.

A school feed that could START_INVOLVEMENT at the sexual-health clinic would plant a
sensitive involvement on any child it names; every practitioner the clinic's consent
covers would then see it. A sensitive service's involvements come only from the source
that maintains that service; an ordinary service the index team keeps stays open to any
feed, as before.
"""

from __future__ import annotations

from tests.feeds.conftest import Feed, record


def _start(service: str, practitioner: str | None) -> dict:
    payload = {"child": {"ref": "child"}, "serviceId": service, "startedOn": "2025-01-06"}
    if practitioner is not None:
        payload["practitionerId"] = practitioner
    return payload


async def test_a_feed_cannot_plant_a_sensitive_involvement(feed: Feed, cypher) -> None:
    report = await feed.send(
        record("child", "UPSERT_CHILD", feed.child()),
        record("clinic", "START_INVOLVEMENT", _start("s-nbr-sexual-health", "p-nurse")),
        record("camhs-team", "START_INVOLVEMENT", _start("s-nbr-camhs", None)),
        record("school", "START_INVOLVEMENT", _start("s-oakfield-school", "p-melanie")),
    )
    assert (report["accepted"], report["rejected"]) == (2, 2), report
    errors = {e["sourceRef"]: (e["code"], e["message"]) for e in report["errors"]}
    message = "payload.serviceId names a sensitive service this source does not maintain"
    assert errors == {
        "clinic": ("SOURCE_CONFLICT", message),
        "camhs-team": ("SOURCE_CONFLICT", message),
    }
    planted = cypher(
        "MATCH (i:Involvement {source: $s})-[:AT]->(s:Service) RETURN s.id AS service",
        s=feed.source,
    )
    assert planted == [{"service": "s-oakfield-school"}]
