"""The two Medium findings of the audit trail's red team, written as the index team tried
them, through GraphQL (R4 no oracle, R6, R14).

1. The trail's cursor was base64 of (at, writer seq, writer id): the gap between the
   sequence numbers of two events an index admin was shown counted the events the same
   process wrote between them, withheld ones included. Cursors now hold only the time
   and the id of the event they follow, which the reader is shown anyway.
2. The index team's own `recordErrors` listing names every child whose report it read
   to decide; for a child whose only report came from a sensitive service, the listing
   in that child's trail said a hidden source had reported on them. An event that read
   a child only to decide, showing nothing of them, is now the auditor's alone there.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import neo4j
import pytest

from api.app import create_app
from api.devkeys import issue_token
from api.schema.pagination import encode_cursor
from graph.audit import MENTION_AT
from policies.audit import trail_held_to_floor
from policies.viewer import Role, Viewer
from tests.conftest import Caller
from tests.queries import CHILD_PROFILE

PAGED = """
query($id: ID!, $first: Int!, $after: String) {
  auditTrailConnection(childId: $id, first: $first, after: $after) {
    edges { cursor node { id at subject } }
    pageInfo { hasNextPage endCursor }
  }
}
"""
OF_SUBJECT = """
query($subject: String!, $first: Int!, $after: String) {
  auditTrailOfSubject(subject: $subject, first: $first, after: $after) {
    edges { cursor node { id at } }
    pageInfo { hasNextPage endCursor }
  }
}
"""


def _admin(as_viewer: Any) -> Any:
    return as_viewer(Role.INDEX_ADMIN, local_authority="NBR", purpose="checking the trail")


def _auditor(as_viewer: Any) -> Any:
    return as_viewer(Role.AUDITOR, local_authority=None, purpose="audit review")


def _key(cursor: str) -> str:
    """What a cursor carries, decoded as anyone holding it can."""
    raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    kind, key = json.loads(raw)
    assert kind in ("auditTrail", "auditTrailOfSubject")
    assert isinstance(key, str)
    return key


def _shown_key(node: dict[str, Any]) -> str:
    """The cursor's key as computed from what the node itself shows: its time and id."""
    at = datetime.fromisoformat(node["at"])
    seconds = int(at.timestamp())
    return f"{seconds}.{at.microsecond * 1000:09d}|{node['id']}"


async def _pages(
    caller: Any, query: str, field: str, variables: dict[str, Any], stop: str | None = None
) -> list[dict[str, Any]]:
    """Every edge, a page at a time, until the trail ends or `stop`'s event is read."""
    edges: list[dict[str, Any]] = []
    after = None
    while True:
        body = await caller.post(query, {**variables, "after": after})
        assert "errors" not in body, body
        page = body["data"][field]
        edges += page["edges"]
        if not page["pageInfo"]["hasNextPage"] or any(e["node"]["id"] == stop for e in edges):
            return edges
        after = page["pageInfo"]["endCursor"]


def _event_of(driver: neo4j.Driver, rid: str) -> dict[str, Any]:
    records, _, _ = driver.execute_query(
        "MATCH (a:AuditEvent {clientRequestId: $rid}) RETURN a.id AS id, a.writer AS writer,"
        " a.seq AS seq, a.at.epochSeconds AS s, a.at.nanosecond AS ns",
        rid=rid,
    )
    (record,) = records
    return dict(record)


# --- 1. The cursor ---------------------------------------------------------------------


async def test_the_cursor_counts_and_dates_nothing_withheld(
    as_viewer: Any, sync_driver: neo4j.Driver
) -> None:
    """Melanie's read, the clinic nurse's (withheld from the team, R6), Melanie's again:
    the team pages across the withheld one, and every cursor it is given decodes to the
    time and id of the event it follows and to nothing else; the nurse's event is on no
    page, its id in no cursor; the old cursor would have said "one event between"."""
    rids = [f"cur-{uuid.uuid4().hex}" for _ in range(3)]
    for rid, reader in zip(rids, ("p-melanie", "p-nurse", "p-melanie"), strict=True):
        body = await as_viewer(practitioner_id=reader).post(
            CHILD_PROFILE, {"id": "c-hannah"}, x_request_id=rid
        )
        assert "errors" not in body, body
    older, withheld, newer = (_event_of(sync_driver, rid) for rid in rids)
    assert withheld["writer"] == older["writer"] == newer["writer"]  # one chain: seq counted
    for first in (1, 2):
        edges = await _pages(
            _admin(as_viewer),
            PAGED,
            "auditTrailConnection",
            {"id": "c-hannah", "first": first},
            stop=older["id"],
        )
        ids = [e["node"]["id"] for e in edges]
        assert newer["id"] in ids and older["id"] in ids and withheld["id"] not in ids
        assert ids.index(older["id"]) == ids.index(newer["id"]) + 1  # adjacent to the team
        for edge in edges:
            key = _key(edge["cursor"])
            assert key == _shown_key(edge["node"]), key
            assert withheld["id"] not in key and withheld["writer"] not in key
            assert f"|{newer['seq']}|" not in key and f"|{older['seq']}|" not in key


async def test_hand_built_cursors_say_nothing_of_what_exists(
    as_viewer: Any, sync_driver: neo4j.Driver
) -> None:
    """A cursor naming the nurse's withheld event (its real time and id) answers exactly as
    one with that time and an id naming nothing; the old (at, seq, writer) form, whether
    of a withheld event or of a shown one, answers as garbage and a foreign cursor do."""
    rid = f"cur-{uuid.uuid4().hex}"
    await as_viewer(practitioner_id="p-melanie").post(CHILD_PROFILE, {"id": "c-hannah"})
    await as_viewer(practitioner_id="p-nurse").post(
        CHILD_PROFILE, {"id": "c-hannah"}, x_request_id=rid
    )
    event = _event_of(sync_driver, rid)
    at = f"{event['s']}.{event['ns']:09d}"
    admin = _admin(as_viewer)

    async def answer(key: str | None, cursor: str | None = None) -> dict[str, Any]:
        after = cursor if key is None else encode_cursor("auditTrail", key)
        return await admin.post(PAGED, {"id": "c-hannah", "first": 5, "after": after})

    real = await answer(f"{at}|{event['id']}")
    made_up = await answer(f"{at}|{uuid.uuid4()}")
    assert "errors" not in real, real
    assert real["data"] == made_up["data"]
    assert event["id"] not in json.dumps(real)

    refusals = [
        await answer(f"{at}|{event['seq']}|{event['writer']}"),  # old form, withheld event
        await answer(f"{at}|1|{event['writer']}"),  # old form, a seq that may not exist
        await answer(f"{at}|{uuid.uuid4()}|x"),
        await answer("garbage"),
        await answer(None, "not-a-cursor"),
        await answer(None, encode_cursor("consents", f"{at}|{event['id']}")),
    ]
    for refused in refusals:
        assert refused["data"] is None
        assert refused["errors"] == refusals[-1]["errors"], refused
    assert refusals[0]["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


# --- Paging stays exact, ties included ------------------------------------------------------------


@pytest.fixture
def tied_trail(sync_driver: neo4j.Driver) -> Iterator[dict[str, Any]]:
    """A child of the team's authority with nine events, six of them at one instant (the
    clinic nurse's among them, withheld from the team), written as mentions the way
    graph.audit writes them; outside any chain (no :AuditLink), removed after."""
    tag = uuid.uuid4().hex[:10]
    child, subject = f"c-ties-{tag}", f"ties-{tag}"
    base = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
    tie = base + timedelta(minutes=1)
    events = [
        {"id": f"{n:02d}-{uuid.uuid4()}", "at": at, "nurse": n == 3}
        for n, at in enumerate([base, *[tie] * 6, tie + timedelta(seconds=1), base])
    ]
    sync_driver.execute_query(
        """
        CREATE (:Child {id: $child, givenName: 'Tia', familyName: 'Tied',
          dateOfBirth: date('2015-02-02'), gender: 'FEMALE', localAuthority: 'NBR',
          shielded: false})
        WITH 1 AS one
        UNWIND $events AS e
        CREATE (a:AuditEvent {id: e.id, at: e.at, subject: $subject, role: 'PRACTITIONER',
          action: 'child', purpose: 'ties', childIds: [$child], disclosed: [], denied: [],
          requestId: e.id, writer: 'ties', seq: 0, prevHash: '', hash: '',
          practitionerId: CASE WHEN e.nurse THEN 'p-nurse' ELSE null END})
        CREATE (:AuditMention {key: $child + ' ' + """
        + MENTION_AT.replace("AT.", "a.at.")
        + """ + ' ' + a.id})
        """,
        child=child,
        subject=subject,
        events=events,
    )
    try:
        yield {"child": child, "subject": subject, "events": events}
    finally:
        sync_driver.execute_query(
            "MATCH (a:AuditEvent {subject: $subject}) OPTIONAL MATCH (m:AuditMention) "
            "WHERE m.key STARTS WITH $child + ' ' AND m.key ENDS WITH ' ' + a.id "
            "DETACH DELETE a, m",
            subject=subject,
            child=child,
        )
        sync_driver.execute_query(
            "MATCH (c:Child {id: $child}) DETACH DELETE c "
            "WITH 1 AS one MATCH (m:AuditMention) WHERE m.key STARTS WITH $child + ' ' "
            "DETACH DELETE m",
            child=child,
        )


def _newest_first(events: list[dict[str, Any]]) -> list[str]:
    return [e["id"] for e in sorted(events, key=lambda e: (e["at"], e["id"]), reverse=True)]


@pytest.mark.parametrize("first", [1, 2, 4])
async def test_paging_is_exact_across_events_sharing_one_instant(
    as_viewer: Any, tied_trail: dict[str, Any], first: int
) -> None:
    events = tied_trail["events"]
    shown = [e for e in events if not e["nurse"]]
    admin = await _pages(
        _admin(as_viewer),
        PAGED,
        "auditTrailConnection",
        {"id": tied_trail["child"], "first": first},
    )
    admin_ids = [e["node"]["id"] for e in admin if e["node"]["subject"] == tied_trail["subject"]]
    assert admin_ids == _newest_first(shown)
    auditor = await _pages(
        _auditor(as_viewer),
        OF_SUBJECT,
        "auditTrailOfSubject",
        {"subject": tied_trail["subject"], "first": first},
    )
    assert [e["node"]["id"] for e in auditor] == _newest_first(events)
    for edge in [*admin, *auditor]:
        assert _key(edge["cursor"]) == _shown_key(edge["node"])


# --- 2. The index team's own recordErrors listing -----------------------------------------

REPORT = """
mutation R($childId: ID!) {
  reportRecordError(childId: $childId, field: NAME, description: "spelt wrong") { id }
}
"""
QUEUE = "query { recordErrors { id childId } }"
TRAIL = """
query($id: ID!) {
  auditTrail(childId: $id, first: 50, action: "recordErrors") {
    id clientRequestId childIds disclosed denied
  }
}
"""


@pytest.fixture
def no_reports(sync_driver: neo4j.Driver) -> Iterator[None]:
    sync_driver.execute_query("MATCH (e:RecordError) DETACH DELETE e")
    yield
    sync_driver.execute_query("MATCH (e:RecordError) DETACH DELETE e")


async def _reported(caller: Any, child: str) -> str:
    body = await caller.post(REPORT, {"childId": child})
    assert "errors" not in body, body
    error_id: str = body["data"]["reportRecordError"]["id"]
    return error_id


async def _listing(caller: Any, child: str, rid: str) -> list[dict[str, Any]]:
    body = await caller.post(TRAIL, {"id": child})
    assert "errors" not in body, body
    return [e for e in body["data"]["auditTrail"] if e["clientRequestId"] == rid]


async def test_the_teams_listing_is_not_in_the_trail_of_a_child_only_a_hidden_service_reported(
    as_viewer: Any, no_reports: None
) -> None:
    """Hannah's only report is the clinic nurse's (hidden from the team, R6); Jack has one
    from Melanie that the team is shown, and one from CAMHS that it is not. The team's
    listing names both children in its event (read to decide, R14); Hannah's trail as the
    team reads it has no such event, Jack's has it; the auditor sees it in both."""
    hidden = await _reported(as_viewer(practitioner_id="p-nurse"), "c-hannah")
    shown = await _reported(as_viewer(practitioner_id="p-melanie"), "c-jack")
    also_hidden = await _reported(as_viewer(practitioner_id="p-camhs"), "c-jack")
    admin = _admin(as_viewer)
    rid = f"re-{uuid.uuid4().hex}"
    listed = await admin.post(QUEUE, {}, x_request_id=rid)
    assert "errors" not in listed, listed
    assert listed["data"]["recordErrors"] == [{"id": shown, "childId": "c-jack"}]

    assert await _listing(admin, "c-hannah", rid) == []
    (jacks,) = await _listing(admin, "c-jack", rid)
    assert jacks["childIds"] == ["c-jack"]
    assert hidden not in json.dumps(jacks) and also_hidden not in json.dumps(jacks)
    assert "c-hannah" not in json.dumps(jacks)

    auditor = _auditor(as_viewer)
    (hannahs_as_written,) = await _listing(auditor, "c-hannah", rid)
    (jacks_as_written,) = await _listing(auditor, "c-jack", rid)
    assert hannahs_as_written == jacks_as_written
    assert set(hannahs_as_written["childIds"]) == {"c-hannah", "c-jack"}
    assert f"RecordError:{shown}" in hannahs_as_written["disclosed"]
    assert "Child:c-hannah.readToDecide" in hannahs_as_written["denied"]
    assert "Child:c-jack.readToDecide" not in hannahs_as_written["denied"]
    assert any(d.startswith(f"RecordError:{hidden}:") for d in hannahs_as_written["denied"])


async def test_resolving_a_hidden_report_by_id_leaves_nothing_in_the_teams_trail(
    as_viewer: Any, no_reports: None
) -> None:
    """Given the nurse's report id, the team is answered as for an unknown id; its event
    names Hannah (read to decide), and is in her trail for the auditor only."""
    hidden = await _reported(as_viewer(practitioner_id="p-nurse"), "c-hannah")
    admin = _admin(as_viewer)
    rid = f"re-{uuid.uuid4().hex}"
    resolve = "mutation($id: ID!) { resolveRecordError(id: $id, outcome: CORRECTED) { id } }"
    answer = await admin.post(resolve, {"id": hidden}, x_request_id=rid)
    assert answer["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    trail = TRAIL.replace('"recordErrors"', '"resolveRecordError"')
    body = await admin.post(trail, {"id": "c-hannah"})
    assert rid not in json.dumps(body) and "errors" not in body
    auditor = await _auditor(as_viewer).post(trail, {"id": "c-hannah"})
    assert rid in json.dumps(auditor)


# --- The re-check round (eleventh session) ---------------------------------------------


async def test_the_teams_listing_is_as_long_as_what_it_may_know_of(
    as_viewer: Any, no_reports: None
) -> None:
    """recordErrors(first: n) cut the queue to n before leaving out reports from
    sensitive services: its length counted them, and the neighbours' times dated them.
    Now every n gives the first n of what the team may know of."""
    shown = [await _reported(as_viewer(practitioner_id="p-melanie"), "c-jack")]
    await _reported(as_viewer(practitioner_id="p-nurse"), "c-hannah")
    await _reported(as_viewer(practitioner_id="p-camhs"), "c-jack")
    shown.append(await _reported(as_viewer(practitioner_id="p-melanie"), "c-ellie"))
    admin = _admin(as_viewer)
    lengths = []
    for n in range(1, 5):
        body = await admin.post(QUEUE.replace("recordErrors {", f"recordErrors(first: {n}) {{"), {})
        assert "errors" not in body, body
        ids = [e["id"] for e in body["data"]["recordErrors"]]
        assert ids == shown[:n]
        lengths.append(len(ids))
    assert lengths == [1, 2, 2, 2]


async def test_an_auditors_reading_of_a_subjects_trail_is_not_in_the_teams_child_trails(
    as_viewer: Any, no_reports: None
) -> None:
    """The auditor's auditTrailOfSubject of the clinic nurse names every child she acted
    on; shown in each one's trail to the index team, it paired the child with the nurse
    (and its purpose said why). An AUDITOR's reading of a trail is the auditor's alone."""
    await _reported(as_viewer(practitioner_id="p-nurse"), "c-jack")
    rid = f"aud-{uuid.uuid4().hex}"
    auditor = _auditor(as_viewer)
    read = await auditor.post(OF_SUBJECT, {"subject": "p-nurse", "first": 50}, x_request_id=rid)
    assert "errors" not in read, read
    admin = _admin(as_viewer)
    any_trail = TRAIL.replace('action: "recordErrors"', 'action: "auditTrailOfSubject"')
    for child in ("c-jack", "c-hannah"):
        body = await admin.post(any_trail, {"id": child})
        assert "errors" not in body, body
        assert rid not in json.dumps(body), child
    as_written = await auditor.post(any_trail, {"id": "c-jack"})
    assert rid in json.dumps(as_written)


@pytest.fixture
def old_listing(sync_driver: neo4j.Driver) -> Iterator[str]:
    """A listing event as written before listings recorded reads to decide: it names
    Jack, withheld his (hidden) report, and disclosed nothing."""
    event_id = f"old-listing-{uuid.uuid4()}"
    sync_driver.execute_query(
        """
        CREATE (a:AuditEvent {id: $id, at: datetime(), subject: 'dev-index_admin',
          role: 'INDEX_ADMIN', action: 'recordErrors', purpose: 'old queue', childIds: ['c-jack'],
          disclosed: [], denied: ['RecordError:re-x: R6: reported from a sensitive service'],
          requestId: $id, writer: 'old', seq: 0, prevHash: '', hash: ''})
        CREATE (:AuditMention {key: 'c-jack ' + """
        + MENTION_AT.replace("AT.", "a.at.")
        + """ + ' ' + a.id})
        """,
        id=event_id,
    )
    yield event_id
    sync_driver.execute_query(
        "MATCH (a:AuditEvent {id: $id}) OPTIONAL MATCH (m:AuditMention) "
        "WHERE m.key STARTS WITH 'c-jack ' AND m.key ENDS WITH ' ' + a.id DETACH DELETE a, m",
        id=event_id,
    )


async def test_a_listing_written_before_reads_to_decide_were_recorded_is_the_auditors(
    as_viewer: Any, old_listing: str
) -> None:
    """Such an event cannot say which children it showed; one that disclosed no report
    showed none, and in Jack's trail it said the team read a hidden report of his."""
    admin = await _admin(as_viewer).post(TRAIL, {"id": "c-jack"})
    assert "errors" not in admin, admin
    assert old_listing not in json.dumps(admin)
    auditor = await _auditor(as_viewer).post(TRAIL, {"id": "c-jack"})
    assert old_listing in json.dumps(auditor)


async def test_a_leads_list_of_overrides_to_review_is_not_in_the_teams_child_trails(
    as_viewer: Any, sync_driver: neo4j.Driver
) -> None:
    """The clinic nurse records an override on Jack (its event withheld from the index
    team, R6); the safeguarding lead's overridesForReview lists it. Shown in Jack's trail
    to the team beside no override event, the listing said a hidden service had made one.
    A review of what others did is the auditor's alone in child trails."""
    from tests.api.consent_support import FOR_REVIEW, RECORD_OVERRIDE, clean

    clean(sync_driver)
    try:
        grounds = {
            "childId": "c-jack",
            "ground": "SIGNIFICANT_HARM_EVIDENCE",
            "justification": "Disclosure at the clinic of harm at home last night",
        }
        made = await as_viewer(practitioner_id="p-nurse").post(RECORD_OVERRIDE, {"input": grounds})
        assert "errors" not in made, made
        lead = as_viewer(Role.SAFEGUARDING_LEAD, practitioner_id="p-gp", local_authority="NBR")
        rid = f"rev-{uuid.uuid4().hex}"
        listed = await lead.post(FOR_REVIEW, {"first": 10}, x_request_id=rid)
        assert "errors" not in listed, listed
        assert [o["childId"] for o in listed["data"]["overridesForReview"]] == ["c-jack"]
        trail = TRAIL.replace('action: "recordErrors"', 'action: "overridesForReview"')
        admin = await _admin(as_viewer).post(trail, {"id": "c-jack"})
        assert "errors" not in admin and rid not in json.dumps(admin), admin
        auditor = await _auditor(as_viewer).post(trail, {"id": "c-jack"})
        assert rid in json.dumps(auditor)
    finally:
        clean(sync_driver)


async def test_reports_nobody_on_the_team_may_know_of_never_empty_its_queue(
    as_viewer: Any, no_reports: None, sync_driver: neo4j.Driver
) -> None:
    """A hundred and fifty open reports from the clinic (R6: the team may not know of
    them, nor close them) before one of Melanie's: the listing reads on past them, so the
    team's queue still shows Melanie's, first whatever `first` is."""
    sync_driver.execute_query(
        """
        MATCH (c:Child {id: 'c-hannah'})
        UNWIND range(1, 150) AS n
        CREATE (e:RecordError {id: 're-hidden-' + n, childId: c.id, field: 'NAME',
          description: 'hidden', status: 'OPEN', localAuthority: c.localAuthority,
          reportedAt: datetime() - duration({hours: 1}) + duration({seconds: n}),
          reportedBy: 'p-nurse', reporterPractitionerId: 'p-nurse',
          reporterServiceIds: COLLECT { MATCH (:Practitioner {id: 'p-nurse'})-[:WORKS_FOR]->(s)
            RETURN s.id }})
        CREATE (e)-[:ABOUT]->(c)
        """
    )
    shown = await _reported(as_viewer(practitioner_id="p-melanie"), "c-jack")
    admin = _admin(as_viewer)
    for n in (1, 20, 100):
        body = await admin.post(QUEUE.replace("recordErrors {", f"recordErrors(first: {n}) {{"), {})
        assert "errors" not in body, body
        assert body["data"]["recordErrors"] == [{"id": shown, "childId": "c-jack"}]


FILTERED = """
query($id: ID!, $subject: String) {
  auditTrailConnection(childId: $id, first: 5, subject: $subject) {
    edges { node { id } }
    pageInfo { hasNextPage }
  }
}
"""


async def test_a_trail_answers_no_sooner_than_its_floor_whatever_it_left_out(
    settings: Any, graph: Any, sync_driver: neo4j.Driver
) -> None:
    """Found by red-teaming (Medium): asked with `subject` set to the clinic nurse, an
    index admin's always-empty trail of a child she had acted on took longer (39 to 58 ms)
    than of a child she had not (22 to 32 ms): skipping her withheld events cost round
    trips. Every answer to anyone but AUDITOR, error or not, now comes no sooner than the
    floor after it was asked, above what such reads take (policies.audit.trail_held_to_floor)."""
    floor = 0.3
    app = create_app(dataclasses.replace(settings, trail_floor_s=floor), graph=graph)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        nurse = Caller(
            client,
            issue_token(settings, [Role.PRACTITIONER], practitioner_id="p-nurse"),
            "clinic follow-up",
        )
        read = await nurse.post(CHILD_PROFILE, {"id": "c-hannah"})
        assert "errors" not in read, read
        admin = Caller(
            client,
            issue_token(settings, [Role.INDEX_ADMIN], local_authority="NBR"),
            "checking the trail",
        )
        for child, subject in (
            ("c-hannah", "p-nurse"),  # her events, all withheld from the team
            ("c-jack", "p-nurse"),  # none of hers
            ("c-hannah", None),
            ("c-nobody-at-all", None),  # NOT_FOUND: held too
        ):
            started = time.monotonic()
            body = await admin.post(FILTERED, {"id": child, "subject": subject})
            took = time.monotonic() - started
            assert took >= floor, (child, subject, took)
            if child == "c-nobody-at-all":
                assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
            elif subject is not None:
                assert body["data"]["auditTrailConnection"]["edges"] == [], body
    assert not trail_held_to_floor(Viewer("a", frozenset({Role.AUDITOR})))
    assert trail_held_to_floor(Viewer("b", frozenset({Role.INDEX_ADMIN}), local_authority="NBR"))


async def test_one_trail_a_request_so_aliases_cannot_add_their_reads_up(as_viewer: Any) -> None:
    """Found by red-teaming (High): fourteen aliases of `auditTrailConnection(subject:
    "p-nurse")` in one request, each held to the floor on its own but read side by side,
    took 466 ms for Hannah (the nurse's events withheld) against 274 ms for a child she
    never saw. A request now asks for one child's trail, however it is spelled."""
    admin = _admin(as_viewer)
    for document in (
        '{ a: auditTrail(childId: "c-hannah") { id } b: auditTrail(childId: "c-jack") { id } }',
        '{ auditTrail(childId: "c-hannah") { id } '
        'auditTrailConnection(childId: "c-hannah") { edges { cursor } } }',
        'query { ...T ...T } fragment T on Query { auditTrail(childId: "c-hannah") { id } }',
        'query { x: auditTrail(childId: "c-hannah") { id } ... on Query { '
        'y: auditTrail(childId: "c-hannah") { id } } }',
    ):
        body = await admin.post(document, {})
        assert body.get("data") is None, body
        (error,) = body["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT", error
        assert "one child's audit trail" in error["message"], error
    one = await admin.post('{ a: auditTrail(childId: "c-hannah", first: 1) { id } }', {})
    assert "errors" not in one, one
