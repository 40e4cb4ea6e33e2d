"""R4's household rule alerts (finding 3): a feed and a practitioner together.

The attack: a feed puts a probe child (unshielded, its own) at a guessed address; a
practitioner reads the probe; the address is withheld exactly when a shielded child
lives there. The read side must keep withholding it (it protects the real household),
so R4 asks for the other half: each write that brings the rule into play alerts the
shielded child's index team, in the same transaction, and is audited naming the
shielded child, while the feed's report looks like any other address write.
"""

from __future__ import annotations

import json
import re
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest

from policies.alerts import AlertKind
from policies.viewer import Role
from tests.feeds.conftest import CLI, REPO, Feed, record

SAMS_HOME = {"line1": "3 Kestrel Way", "town": "Eastvale", "postcode": "EV2 5HD"}
NEXT_DOOR = {"line1": "5 Kestrel Way", "town": "Eastvale", "postcode": "EV2 5HD"}

ALERTS = """
query Alerts($la: String!, $state: AccessAlertState, $first: Int, $after: String) {
  accessAlerts(localAuthority: $la, state: $state, first: $first, after: $after) {
    edges { cursor node { id kind state raisedAt localAuthority subject role childIds detail
                          resolvedAt resolvedBy outcome } }
    nodes { id }
    pageInfo { hasNextPage endCursor }
  }
}
"""

CHILD = """
query Child($id: ID!) { child(id: $id) { id shielded address { line1 postcode } } }
"""


@pytest.fixture
def sams_authority(cypher) -> str:
    (row,) = cypher("MATCH (c:Child {id: 'c-sam'}) RETURN c.localAuthority AS la, c.shielded AS s")
    assert row["s"] is True
    return str(row["la"])


@pytest.fixture
def other_authority(sams_authority: str) -> str:
    return "EVL" if sams_authority != "EVL" else "NBR"


def _alerts_of(cypher, source: str) -> list[dict[str, Any]]:
    return cypher(
        "MATCH (a:AccessAlert) WHERE a.detail CONTAINS ' from source ' + $s + ' (' "
        "RETURN a { .* } AS a ORDER BY a.id",
        s=source,
    )


def _entity(cypher, source: str, ref: str) -> str:
    (row,) = cypher(
        "MATCH (f:FeedRecord {source: $s, sourceRef: $r}) RETURN f.entityId AS id",
        s=source,
        r=ref,
    )
    return str(row["id"])


async def _listed(caller, la: str, **variables: Any) -> dict[str, Any]:
    body = await caller.post(ALERTS, {"la": la, "first": 100, **variables})
    return body


async def test_a_probe_at_sams_address_alerts_his_index_team_on_the_first_write(
    feed: Feed, as_viewer, clean_source, cypher, sams_authority, other_authority
) -> None:
    # Two feeds, the same record but for the address: Sam's, and the house next door.
    wrong = Feed(f"{feed.source}-b", as_viewer(Role.FEED, source=f"{feed.source}-b"))
    clean_source(wrong.source)
    probe = feed.child(givenName="Probe", address=SAMS_HOME, nhsNumber=None)
    decoy = wrong.child(givenName="Probe", address=NEXT_DOOR, nhsNumber=None)
    right_report = await feed.send(record("probe-1", "UPSERT_CHILD", probe))
    wrong_report = await wrong.send(record("probe-1", "UPSERT_CHILD", decoy))
    # No oracle: the feed is told the same either way.
    assert right_report == wrong_report == {
        "accepted": 1, "unchanged": 0, "rejected": 0, "pendingMatchReview": 0,
        "heldForReview": [], "errors": [],
    }  # fmt: skip
    probe_id = _entity(cypher, feed.source, "probe-1")
    decoy_id = _entity(cypher, wrong.source, "probe-1")

    # The first write raised the alert, in its own transaction; the decoy raised none.
    (stored,) = [r["a"] for r in _alerts_of(cypher, feed.source)]
    assert _alerts_of(cypher, wrong.source) == []
    assert stored["kind"] == AlertKind.HOUSEHOLD_RULE_TRIGGERED
    assert stored["state"] == "OPEN" and stored["localAuthority"] == sams_authority
    assert stored["childIds"] == ["c-sam", probe_id]

    # Sam's index team sees it.
    admin = as_viewer(Role.INDEX_ADMIN, local_authority=sams_authority, purpose="alerts")
    body = await _listed(admin, sams_authority, state="OPEN")
    assert "errors" not in body, body
    mine = [e["node"] for e in body["data"]["accessAlerts"]["edges"]
            if e["node"]["id"] == stored["id"]]  # fmt: skip
    (alert,) = mine
    assert alert["kind"] == "HOUSEHOLD_RULE_TRIGGERED" and alert["state"] == "OPEN"
    assert alert["childIds"] == ["c-sam", probe_id]
    assert alert["role"] == "FEED" and alert["subject"] == "dev-feed"
    assert feed.source in alert["detail"] and "probe-1" in alert["detail"]
    assert alert["resolvedAt"] is None and alert["outcome"] is None

    # Nobody else does: another authority's index team, a practitioner, the feed itself.
    other = as_viewer(Role.INDEX_ADMIN, local_authority=other_authority, purpose="alerts")
    refused = await _listed(other, sams_authority)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert refused["data"] is None or refused["data"].get("accessAlerts") is None
    theirs = await _listed(other, other_authority)
    assert stored["id"] not in {n["id"] for n in theirs["data"]["accessAlerts"]["nodes"]}
    for caller in (
        as_viewer(Role.PRACTITIONER, practitioner_id="p-melanie", local_authority=sams_authority),
        as_viewer(Role.SAFEGUARDING_LEAD, practitioner_id="p-john", local_authority=sams_authority),
        as_viewer(Role.ANALYST),
        as_viewer(Role.FEED, source=feed.source, local_authority=None),
    ):
        body = await _listed(caller, sams_authority)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", body

    # The practitioner's half of the attack still meets a withheld address (the read side).
    practitioner = as_viewer(Role.PRACTITIONER, practitioner_id="p-melanie")
    seen = await practitioner.post(CHILD, {"id": probe_id})
    assert seen["data"]["child"]["address"] is None, seen
    seen = await practitioner.post(CHILD, {"id": decoy_id})
    assert seen["data"]["child"]["address"]["line1"] == NEXT_DOOR["line1"], seen

    # The write's audit event names the shielded child beside the probe; the decoy's does not.
    events = cypher(
        "MATCH (e:AuditEvent {action: 'ingest'}) WHERE $p IN e.childIds "
        "RETURN e.childIds AS ids, e.role AS role",
        p=probe_id,
    )
    assert events == [{"ids": [probe_id, "c-sam"], "role": "FEED"}]
    decoy_events = cypher(
        "MATCH (e:AuditEvent {action: 'ingest'}) WHERE $p IN e.childIds RETURN e.childIds AS ids",
        p=decoy_id,
    )
    assert decoy_events == [{"ids": [decoy_id]}]

    # Re-sent unchanged: nothing written, nothing raised.
    again = await feed.send(record("probe-1", "UPSERT_CHILD", probe))
    assert again["unchanged"] == 1
    assert len(_alerts_of(cypher, feed.source)) == 1


async def test_moving_a_child_to_sams_address_alerts_and_a_shielded_update_does_not(
    feed: Feed, cypher, sams_authority
) -> None:
    child = feed.child(givenName="Mover", address=NEXT_DOOR)
    assert (await feed.send(record("mover", "UPSERT_CHILD", child)))["accepted"] == 1
    assert _alerts_of(cypher, feed.source) == []
    moved = await feed.send(record("mover", "UPSERT_CHILD", {**child, "address": SAMS_HOME}))
    assert moved == {
        "accepted": 1, "unchanged": 0, "rejected": 0, "pendingMatchReview": 0,
        "heldForReview": [], "errors": [],
    }  # fmt: skip
    mover_id = _entity(cypher, feed.source, "mover")
    (alert,) = [r["a"] for r in _alerts_of(cypher, feed.source)]
    assert alert["childIds"] == ["c-sam", mover_id]
    assert alert["localAuthority"] == sams_authority

    # A record matched to Sam himself (his NHS number) leaves his address alone: no alert.
    (sam,) = cypher(
        "MATCH (c:Child {id: 'c-sam'}) RETURN c.nhsNumber AS nhs, toString(c.dateOfBirth) AS "
        "born, c.givenName AS given, c.familyName AS family, c.gender AS gender"
    )
    himself = {
        "nhsNumber": sam["nhs"], "givenName": sam["given"], "familyName": sam["family"],
        "dateOfBirth": sam["born"], "gender": sam["gender"], "address": SAMS_HOME,
        "localAuthority": "NBR",
    }  # fmt: skip
    assert (await feed.send(record("sam", "UPSERT_CHILD", himself)))["accepted"] == 1
    assert len(_alerts_of(cypher, feed.source)) == 1


async def test_a_feeds_carer_living_with_sam_and_caring_for_another_child_alerts(
    feed: Feed, cypher, sams_authority
) -> None:
    """The carer household rule (policies.shielding.carer_contact) can be driven by a feed:
    its carers are its own, but it can link one to any child it names by NHS number."""
    (sam,) = cypher("MATCH (c:Child {id: 'c-sam'}) RETURN c.nhsNumber AS nhs")
    carer = {"id": "parent-1", "name": "A Parent", "relationship": "father",
             "livesWithChild": True}  # fmt: skip
    first = await feed.send(
        record("child-1", "UPSERT_CHILD", feed.child(givenName="Other")),
        record("carer-of-sam", "UPSERT_CARER", {**carer, "child": {"nhsNumber": sam["nhs"]}}),
    )
    assert first["accepted"] == 2, first
    assert _alerts_of(cypher, feed.source) == []  # living with Sam alone brings nothing into play

    second = await feed.send(
        record("carer-of-other", "UPSERT_CARER", {**carer, "child": {"ref": "child-1"}})
    )
    assert second == {
        "accepted": 1, "unchanged": 0, "rejected": 0, "pendingMatchReview": 0,
        "heldForReview": [], "errors": [],
    }  # fmt: skip
    other_id = _entity(cypher, feed.source, "child-1")
    (alert,) = [r["a"] for r in _alerts_of(cypher, feed.source)]
    assert alert["kind"] == "HOUSEHOLD_RULE_TRIGGERED"
    assert alert["childIds"] == ["c-sam", other_id]
    assert alert["localAuthority"] == sams_authority
    assert "UPSERT_CARER carer-of-other" in alert["detail"]
    # The second call wrote only the carer of the other child; its event names Sam too.
    (last,) = cypher(
        "MATCH (e:AuditEvent {action: 'ingest'}) WHERE $o IN e.childIds "
        "RETURN e.childIds AS ids ORDER BY e.at DESC LIMIT 1",
        o=other_id,
    )
    assert last["ids"] == [other_id, "c-sam"]


async def test_the_command_line_raises_and_audits_the_same(
    graph: Any, tmp_path: Path, feed_source: str, clean_source: Any, cypher: Any
) -> None:
    clean_source(feed_source)
    family = f"Clitest{uuid.uuid4().hex[:6]}"
    lines = [
        {"sourceRef": "probe", "op": "UPSERT_CHILD", "payload": {
            "givenName": "Probe", "familyName": family, "dateOfBirth": "2016-02-03",
            "gender": "MALE", "address": SAMS_HOME, "localAuthority": "NBR"}},
        {"sourceRef": "decoy", "op": "UPSERT_CHILD", "payload": {
            "givenName": "Decoy", "familyName": family, "dateOfBirth": "2016-02-03",
            "gender": "MALE", "address": NEXT_DOOR, "localAuthority": "NBR"}},
    ]  # fmt: skip
    path = tmp_path / "feed.ndjson"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    run = subprocess.run(
        [*CLI, "ingest", str(path), "--source", feed_source, "--quiet"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert re.search(r"accepted\s+2\n", run.stdout), run.stdout
    assert "alert" not in run.stdout.lower() and "shield" not in run.stdout.lower()
    probe_id = _entity(cypher, feed_source, "probe")
    (alert,) = [r["a"] for r in _alerts_of(cypher, feed_source)]
    assert alert["childIds"] == ["c-sam", probe_id]
    assert alert["subject"].startswith("cli:") and alert["role"] == "FEED"
    events = cypher(
        "MATCH (e:AuditEvent {action: 'ingest'}), (m:AuditMention) "
        "WHERE m.key STARTS WITH 'c-sam ' AND m.key ENDS WITH ' ' + e.id AND $p IN e.childIds "
        "RETURN e.subject AS subject",
        p=probe_id,
    )
    assert len(events) == 1 and events[0]["subject"].startswith("cli:")


RESOLVE_REVIEW = """
mutation Resolve($id: ID!) {
  resolveMatchReview(id: $id, createNew: true) { id status resolvedChildId }
}
"""


async def test_an_index_team_creating_a_held_record_at_sams_address_alerts_too(
    feed: Feed, as_viewer, cypher, sync_driver, sams_authority
) -> None:
    """The held record's address is written when a review is resolved: a write like a feed's."""
    namesake = f"c-test-{uuid.uuid4().hex[:12]}"
    sync_driver.execute_query(
        "CREATE (c:Child {id: $id, givenName: 'Robin', familyName: $family, givenNameKey: 'robin',"
        " familyNameKey: toLower($family), dateOfBirth: date('2016-04-04'), gender: 'FEMALE',"
        " addressLine1: '2 Ash Way', postcode: 'NB4 4AA', postcodeKey: 'NB44AA',"
        " addressKey: '2ashway|NB44AA', localAuthority: 'NBR', shielded: false,"
        " source: 'index-team'})",
        id=namesake,
        family=feed.family,
    )
    try:
        held = await feed.send(
            record("held", "UPSERT_CHILD",
                   feed.child(nhsNumber=None, dateOfBirth="2016-04-04", address=SAMS_HOME))
        )  # fmt: skip
        assert held["pendingMatchReview"] == 1, held
        assert _alerts_of(cypher, feed.source) == []  # nothing written yet
        (review,) = cypher("MATCH (r:MatchReview {source: $s}) RETURN r.id AS id", s=feed.source)
        admin = as_viewer(
            Role.INDEX_ADMIN, local_authority="NBR", subject="index-admin-2", purpose="queue"
        )
        done = await admin.post(RESOLVE_REVIEW, {"id": review["id"]})
        assert done["data"]["resolveMatchReview"]["status"] == "RESOLVED", done
        created = done["data"]["resolveMatchReview"]["resolvedChildId"]
        (alert,) = [r["a"] for r in _alerts_of(cypher, feed.source)]
        assert alert["childIds"] == ["c-sam", created]
        assert alert["localAuthority"] == sams_authority
        assert (alert["subject"], alert["role"]) == ("index-admin-2", "INDEX_ADMIN")
        events = cypher(
            "MATCH (e:AuditEvent {action: 'resolveMatchReview', subject: 'index-admin-2'}) "
            "WHERE $c IN e.childIds AND 'c-sam' IN e.childIds RETURN count(e) AS n",
            c=created,
        )
        assert events == [{"n": 1}]
    finally:
        sync_driver.execute_query("MATCH (c:Child {id: $id}) DETACH DELETE c", id=namesake)
