"""A practitioner's own involvement, later reported by their service's feed (issue 19).

"The same involvement" is the same child, service and practitioner (or the service
alone, for a team's), still open. The feed's START takes it over: one involvement,
now the feed's (its source, its id), never two side by side. Sent here through
`contactgraph ingest FILE`, as a source system would; the index view is read through
GraphQL. A feed's isLeadProfessional then shows as Child.leadProfessional, and its
END stands that lead down.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

from feeds.plan import derived_id
from tests.feeds.conftest import CLI, REPO, Feed, record

CHILD = """
query Child($id: ID!) { child(id: $id) {
  leadProfessional { id name }
  involvements { id source isLeadProfessional active endedOn practitioner { id } service { id } }
} }
"""

RECORD_OWN = """
mutation Own($input: RecordOwnInvolvementInput!) {
  recordOwnInvolvement(input: $input) { id involvements { id source practitioner { id } } }
}
"""


def _setup(feed: Feed) -> list[dict[str, Any]]:
    return [
        record(
            "svc",
            "UPSERT_SERVICE",
            {
                "id": f"s-{feed.source}",
                "name": "Test Youth Club",
                "kind": "YOUTH_SERVICE",
                "localAuthority": "NBR",
            },
        ),
        record(
            "worker",
            "UPSERT_PRACTITIONER",
            {
                "id": f"p-{feed.source}",
                "name": "Robin Worker",
                "jobTitle": "Youth Worker",
                "serviceId": f"s-{feed.source}",
            },
        ),
        record("kid", "UPSERT_CHILD", feed.child()),
    ]


def _ingest_file(tmp_path: Path, source: str, records: list[dict[str, Any]]) -> str:
    path = tmp_path / "feed.ndjson"
    path.write_text(
        "".join(json.dumps({**r, "payload": json.loads(r["payload"])}) + "\n" for r in records)
    )
    run = subprocess.run(
        [*CLI, "ingest", str(path), "--source", source, "--quiet"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert run.returncode == 0, run.stderr + run.stdout
    return run.stdout


def _robins_start(feed: Feed, ref: str) -> dict[str, Any]:
    """The feed's START of Robin's own work with the child, not saying who leads."""
    return record(
        ref,
        "START_INVOLVEMENT",
        {
            "child": {"ref": "kid"},
            "serviceId": f"s-{feed.source}",
            "practitionerId": f"p-{feed.source}",
            "startedOn": "2026-01-05",
        },
    )


def _involvements(cypher, child_id: str) -> list[dict[str, Any]]:
    return cypher(
        "MATCH (i:Involvement)-[:OF]->(:Child {id: $c}) "
        "RETURN i.id AS id, i.source AS source, i.sourceRef AS ref, "
        "[(i)-[:BY]->(p) | p.id][0] AS by, i.endedOn IS NOT NULL AS ended ORDER BY id",
        c=child_id,
    )


async def test_a_feed_takes_over_a_practitioners_own_involvement(
    feed: Feed, as_viewer, cypher, tmp_path
) -> None:
    report = await feed.send(*_setup(feed))
    assert report["accepted"] == 3, report
    (kid,) = cypher(
        "MATCH (f:FeedRecord {source: $s, sourceRef: 'kid'}) RETURN f.entityId AS id",
        s=feed.source,
    )
    child_id, me = kid["id"], f"p-{feed.source}"
    robin = as_viewer(practitioner_id=me)

    for team in (False, True, False):  # the second of her own is not written twice
        body = await robin.post(
            RECORD_OWN,
            {"input": {"childId": child_id, "purpose": "weekly youth club", "forTeam": team}},
        )
        assert "errors" not in body, body
    own = _involvements(cypher, child_id)
    assert sorted((i["source"], str(i["by"])) for i in own) == [
        (f"practitioner:{me}", "None"),
        (f"practitioner:{me}", me),
    ]

    # The feed reports both, as its system knows them: Robin's own (she leads) and the
    # club's; the involvements on the index stay two, now the feed's.
    starts = [
        record(
            "start-robin",
            "START_INVOLVEMENT",
            {
                "child": {"ref": "kid"},
                "serviceId": f"s-{feed.source}",
                "practitionerId": me,
                "startedOn": "2026-01-05",
                "isLeadProfessional": True,
            },
        ),
        record(
            "start-club",
            "START_INVOLVEMENT",
            {"child": {"ref": "kid"}, "serviceId": f"s-{feed.source}", "startedOn": "2026-01-05"},
        ),
    ]
    out = _ingest_file(tmp_path, feed.source, starts)
    assert re.search(r"accepted\s+2\n", out), out
    after = _involvements(cypher, child_id)
    assert len(after) == 2, after
    assert {i["source"] for i in after} == {feed.source}
    assert {i["id"] for i in after} == {
        derived_id("i-", feed.source, "start-robin"),
        derived_id("i-", feed.source, "start-club"),
    }
    assert {(i["ref"], i["by"]) for i in after} == {("start-robin", me), ("start-club", None)}

    # The feed's lead professional is on the index, and on the involvement.
    outsider = as_viewer(practitioner_id="p-lee")
    seen = (await outsider.post(CHILD, {"id": child_id}))["data"]["child"]
    assert seen["leadProfessional"] == {"id": me, "name": "Robin Worker"}
    flags = {i["id"]: i["isLeadProfessional"] for i in seen["involvements"]}
    assert flags == {
        derived_id("i-", feed.source, "start-robin"): True,
        derived_id("i-", feed.source, "start-club"): False,
    }

    # Robin can no longer end it herself: it is the feed's. Its END does, and stands the
    # lead down with it.
    body = await robin.post(
        "mutation E($input: EndOwnInvolvementInput!) { endOwnInvolvement(input: $input) { id } }",
        {"input": {"childId": child_id}},
    )
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    end = record(
        "end-robin", "END_INVOLVEMENT", {"involvementRef": "start-robin", "endedOn": "2026-02-01"}
    )
    assert (await feed.send(end))["accepted"] == 1
    seen = (await outsider.post(CHILD, {"id": child_id}))["data"]["child"]
    assert seen["leadProfessional"] is None
    assert all(not i["isLeadProfessional"] for i in seen["involvements"])


async def test_a_closed_own_involvement_is_not_taken_over(feed: Feed, as_viewer, cypher) -> None:
    """Only an open one is "the same involvement": an ended one stays as it was, and the
    feed's is a new one beside it."""
    await feed.send(*_setup(feed))
    (kid,) = cypher(
        "MATCH (f:FeedRecord {source: $s, sourceRef: 'kid'}) RETURN f.entityId AS id",
        s=feed.source,
    )
    me = f"p-{feed.source}"
    robin = as_viewer(practitioner_id=me)
    body = await robin.post(RECORD_OWN, {"input": {"childId": kid["id"], "purpose": "club"}})
    assert "errors" not in body, body
    body = await robin.post(
        "mutation E($input: EndOwnInvolvementInput!) { endOwnInvolvement(input: $input) { id } }",
        {"input": {"childId": kid["id"], "reason": "moved on"}},
    )
    assert "errors" not in body, body
    start = _robins_start(feed, "s1")
    assert (await feed.send(start))["accepted"] == 1
    rows = _involvements(cypher, kid["id"])
    assert sorted((r["source"], r["ended"]) for r in rows) == [
        (f"practitioner:{me}", True),
        (feed.source, False),
    ]


async def test_a_team_involvement_cannot_name_a_lead(feed: Feed) -> None:
    await feed.send(*_setup(feed))
    start = record(
        "s1",
        "START_INVOLVEMENT",
        {
            "child": {"ref": "kid"},
            "serviceId": f"s-{feed.source}",
            "startedOn": "2026-01-05",
            "isLeadProfessional": True,
        },
    )
    report = await feed.send(start)
    assert report["rejected"] == 1
    (err,) = report["errors"]
    assert err["code"] == "INVALID_FIELD" and "payload.isLeadProfessional" in err["message"]


async def test_a_lead_recorded_on_an_own_involvement_moves_with_the_takeover(
    feed: Feed, as_viewer, cypher
) -> None:
    """Robin records her own involvement as lead; her service's feed, whose system knows
    nothing of leads, takes the involvement over: Robin still leads, now on the feed's
    involvement, and the feed's END stands her down (as one the feed set)."""
    await feed.send(*_setup(feed))
    (kid,) = cypher(
        "MATCH (f:FeedRecord {source: $s, sourceRef: 'kid'}) RETURN f.entityId AS id",
        s=feed.source,
    )
    child_id, me = kid["id"], f"p-{feed.source}"
    robin = as_viewer(practitioner_id=me)
    body = await robin.post(
        RECORD_OWN,
        {"input": {"childId": child_id, "purpose": "club", "isLeadProfessional": True}},
    )
    assert "errors" not in body, body
    start = _robins_start(feed, "s-lead")
    assert (await feed.send(start))["accepted"] == 1
    taken = derived_id("i-", feed.source, "s-lead")
    leads = cypher(
        "MATCH (l)-[r:LEAD_PROFESSIONAL_FOR]->(:Child {id: $c}) "
        "RETURN l.id AS lead, r.involvementId AS on",
        c=child_id,
    )
    assert leads == [{"lead": me, "on": taken}]
    outsider = as_viewer(practitioner_id="p-lee")
    seen = (await outsider.post(CHILD, {"id": child_id}))["data"]["child"]
    assert seen["leadProfessional"] == {"id": me, "name": "Robin Worker"}
    end = record("e-lead", "END_INVOLVEMENT", {"involvementRef": "s-lead", "endedOn": "2026-02-01"})
    assert (await feed.send(end))["accepted"] == 1
    seen = (await outsider.post(CHILD, {"id": child_id}))["data"]["child"]
    assert seen["leadProfessional"] is None
