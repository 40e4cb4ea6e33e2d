"""The disclosure findings, each written as the attacker tried it, through GraphQL.

1. A shielded child's school, area and teacher (every path that reaches him).
5. The audit trail across local authorities, unaudited, showing what R4/R6 withhold.
6. A CAF held from a sensitive service, showing as `hasCommonAssessment` with no summary.
7. The CAF's contacts ignoring a safeguarding lead's shield lift.
And the structural guard: a path that reads a child and audits nothing fails closed.
(Findings 2 and 3 are the feed's: tests/feeds/; 4 is consent's: tests/api/.)
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import neo4j
import pytest
import strawberry

from policies.viewer import Role
from tests.api.consent_support import fresh_family
from tests.network.conftest import NETWORK, REASON
from tests.queries import CHILD_PROFILE, SEARCH
from tests.shielded import assert_nothing_of_where

__all__ = ["fresh_family"]  # a fixture, used by name

SAMS_SCHOOL = ["Eastvale High", "s-eastvale-school", "Omar Khan", "p-eastvale", "i-sam-school"]


def _nothing_of_sams_school(body: Any) -> None:
    text = str(body)
    for secret in SAMS_SCHOOL:
        assert secret not in text, secret


def _sam_only_core(sam: dict[str, Any]) -> None:
    """R4: what a shielded child shows, and nothing else."""
    assert sam["shielded"] is True
    assert sam["address"] is None and sam["carers"] == []
    assert sam["involvements"] == [] and sam["leadProfessional"] is None
    assert sam["commonAssessments"] == []
    assert sam["shieldingContact"]["phone"]


# --- Finding 1 -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "la", "practitioner"),
    [
        (Role.PRACTITIONER, "NBR", "p-melanie"),
        (Role.PRACTITIONER, "EVL", "p-eastvale"),  # even his own teacher
        (Role.SAFEGUARDING_LEAD, "NBR", None),
        (Role.INDEX_ADMIN, "EVL", None),  # another local authority's index team
    ],
)
async def test_a_shielded_childs_school_is_withheld_on_every_path(
    as_viewer: Any, today: Any, role: Role, la: str, practitioner: str | None
) -> None:
    caller = as_viewer(role, practitioner_id=practitioner, local_authority=la)
    direct = await caller.post(CHILD_PROFILE, {"id": "c-sam"})
    assert "errors" not in direct, direct
    _sam_only_core(direct["data"]["child"])
    found = await caller.post(SEARCH, {"input": {"childId": "c-sam"}})
    (sam,) = found["data"]["searchChildren"]["matches"]
    _sam_only_core(sam)
    for body in (direct, found):
        _nothing_of_sams_school(body)
        assert_nothing_of_where(body, today)


async def test_a_network_draws_no_link_from_a_shielded_child(as_viewer: Any, today: Any) -> None:
    """Traced from Sam himself: he is shown as a lookup shows him, with no INVOLVED_WITH
    link (his involvements are withheld) and no carer link (who cares for him is too)."""
    body = await as_viewer(Role.SAFEGUARDING_LEAD).post(
        NETWORK, {"id": "c-sam", "depth": 2, "reason": REASON}
    )
    assert "errors" not in body, body
    net = body["data"]["involvementNetwork"]
    (sam,) = net["children"]
    _sam_only_core(sam)
    assert net["links"] == []
    _nothing_of_sams_school(body)
    assert_nothing_of_where(body, today)


async def test_aliases_fragments_and_nesting_do_not_reach_his_school(as_viewer: Any) -> None:
    document = """
    query($id: ID!) {
      a: child(id: $id) { ...I }
      b: searchChildren(input: {childId: $id}) { matches { ... on Child { ...I } } }
    }
    fragment I on Child {
      x: involvements { service { name localAuthority id }
        practitioner { name jobTitle service { name } } contact { phone } }
      y: leadProfessional { name service { name } }
      z: commonAssessments { holder { name service { name } } }
    }
    """
    body = await as_viewer(practitioner_id="p-melanie").post(document, {"id": "c-sam"})
    assert "errors" not in body, body
    assert body["data"]["a"]["x"] == [] and body["data"]["a"]["y"] is None
    _nothing_of_sams_school(body)


async def test_his_own_index_team_and_a_lifted_lead_see_the_school(
    as_viewer: Any, sync_driver: neo4j.Driver
) -> None:
    own = await as_viewer(Role.INDEX_ADMIN, local_authority="NBR").post(
        CHILD_PROFILE, {"id": "c-sam"}
    )
    assert "Eastvale High" in str(own)
    with _override(sync_driver, "c-sam", subject="lead-lift-sam", lifts=True):
        lifted = await as_viewer(Role.SAFEGUARDING_LEAD, subject="lead-lift-sam").post(
            CHILD_PROFILE, {"id": "c-sam"}
        )
    assert "Eastvale High" in str(lifted)


# --- Finding 5 -------------------------------------------------------------------------

TRAIL = """
query($id: ID!) {
  auditTrail(childId: $id, first: 200) {
    id subject role action childIds disclosed denied overrideId purpose requestId
  }
}
"""


async def test_another_authoritys_index_team_cannot_read_the_trail(as_viewer: Any) -> None:
    body = await as_viewer(Role.INDEX_ADMIN, local_authority="EVL").post(TRAIL, {"id": "c-hannah"})
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    missing = await as_viewer(Role.INDEX_ADMIN, local_authority="EVL").post(
        TRAIL, {"id": "c-nobody-at-all"}
    )
    assert missing["errors"][0]["message"] == body["errors"][0]["message"]


async def test_reading_the_trail_needs_a_purpose_and_is_itself_audited(
    as_viewer: Any, sync_driver: neo4j.Driver
) -> None:
    silent = await as_viewer(Role.INDEX_ADMIN, local_authority="NBR", purpose=None).post(
        TRAIL, {"id": "c-hannah"}
    )
    assert silent["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    rid = f"trail-{uuid.uuid4().hex}"
    read = await as_viewer(Role.INDEX_ADMIN, local_authority="NBR").post(
        TRAIL, {"id": "c-hannah"}, x_request_id=rid
    )
    assert "errors" not in read, read
    records, _, _ = sync_driver.execute_query(
        "MATCH (a:AuditEvent {clientRequestId: $rid}), (m:AuditMention) "
        "WHERE m.key ENDS WITH ' ' + a.id RETURN a.action AS action, split(m.key, ' ')[0] AS child",
        rid=rid,
    )
    assert [(r["action"], r["child"]) for r in records] == [("auditTrail", "c-hannah")]


async def test_the_trail_shows_an_index_team_nothing_r6_withholds(as_viewer: Any) -> None:
    nurse = await as_viewer(practitioner_id="p-nurse").post(CHILD_PROFILE, {"id": "c-hannah"})
    assert "i-hannah-clinic" in str(nurse)
    await as_viewer(practitioner_id="p-melanie").post(CHILD_PROFILE, {"id": "c-hannah"})
    admin = await as_viewer(Role.INDEX_ADMIN, local_authority="NBR").post(TRAIL, {"id": "c-hannah"})
    assert "errors" not in admin, admin
    events = admin["data"]["auditTrail"]
    assert events, "Melanie's read is in the trail"
    assert all(e["subject"] != "p-nurse" for e in events)
    assert "i-hannah-clinic" not in str(admin) and "sexual" not in str(admin).lower()
    assert all(set(e["childIds"]) == {"c-hannah"} for e in events)
    auditor = await as_viewer(Role.AUDITOR, local_authority=None).post(TRAIL, {"id": "c-hannah"})
    assert any(e["subject"] == "p-nurse" for e in auditor["data"]["auditTrail"])
    assert "Involvement:i-hannah-clinic" in str(auditor)


async def test_the_trails_length_does_not_count_what_it_withholds(as_viewer: Any) -> None:
    """Red team: the list form cut the trail to `first` and then left withheld events out,
    so `first: 1` answered [] when the newest event was the clinic nurse's: a hidden event
    there, then its time and action by narrowing `to` and `action` (R4 no oracle, R6)."""
    await as_viewer(practitioner_id="p-melanie").post(CHILD_PROFILE, {"id": "c-hannah"})
    await as_viewer(practitioner_id="p-nurse").post(CHILD_PROFILE, {"id": "c-hannah"})
    admin = as_viewer(Role.INDEX_ADMIN, local_authority="NBR")
    newest = await admin.post(TRAIL_FIRST, {"id": "c-hannah", "first": 1})
    assert "errors" not in newest, newest
    (event,) = newest["data"]["auditTrail"]  # Melanie's read, the newest the team may see
    assert event["subject"] == "p-melanie"
    for first in (2, 3):  # each read of the trail is an event of it, shown to its reader
        body = await admin.post(TRAIL_FIRST, {"id": "c-hannah", "first": first})
        events = body["data"]["auditTrail"]
        assert len(events) == first and all(e["subject"] != "p-nurse" for e in events), events


TRAIL_FIRST = """
query($id: ID!, $first: Int) { auditTrail(childId: $id, first: $first) { id subject } }
"""


async def test_a_shielded_childs_trail_is_not_another_authoritys(as_viewer: Any) -> None:
    await as_viewer(Role.INDEX_ADMIN, local_authority="NBR").post(CHILD_PROFILE, {"id": "c-sam"})
    body = await as_viewer(Role.INDEX_ADMIN, local_authority="EVL").post(TRAIL, {"id": "c-sam"})
    assert body["data"] is None and "k-sam-father" not in str(body)


# --- Findings 6 and 7 ------------------------------------------------------------------


def _caf(driver: neo4j.Driver, caf: str, child: str, holder: str) -> Iterator[str]:
    """A CAF indicator and holder, as an eCAF system's feed registers one (the feed's own
    rules are tested in tests/feeds/); removed afterwards."""
    driver.execute_query(
        """
        MATCH (c:Child {id: $child}), (p:Practitioner {id: $holder})
        CREATE (a:Assessment {id: $caf, status: 'OPEN', startedOn: date()})
        CREATE (a)-[:ABOUT]->(c), (p)-[:HOLDS]->(a)
        """,
        caf=caf,
        child=child,
        holder=holder,
    )
    yield caf
    driver.execute_query("MATCH (a:Assessment {id: $caf}) DETACH DELETE a", caf=caf)


@pytest.fixture
def clinic_caf(sync_driver: neo4j.Driver) -> Iterator[str]:
    """A CAF about Hannah held by the clinic's nurse."""
    yield from _caf(sync_driver, "a-clinic-caf", "c-hannah", "p-nurse")


async def test_a_caf_held_from_a_hidden_sensitive_service_is_not_there(
    as_viewer: Any, clinic_caf: str
) -> None:
    document = "query($id: ID!) { child(id: $id) { hasCommonAssessment commonAssessments { id } } }"
    melanie = await as_viewer(practitioner_id="p-melanie").post(document, {"id": "c-hannah"})
    assert melanie["data"]["child"] == {"hasCommonAssessment": False, "commonAssessments": []}
    nurse = await as_viewer(practitioner_id="p-nurse").post(document, {"id": "c-hannah"})
    assert nurse["data"]["child"] == {
        "hasCommonAssessment": True,
        "commonAssessments": [{"id": clinic_caf}],
    }


class _Override:
    def __init__(self, driver: neo4j.Driver, child: str, subject: str, lifts: bool) -> None:
        self.driver, self.child, self.subject, self.lifts = driver, child, subject, lifts
        self.id = f"o-{uuid.uuid4().hex[:8]}"

    def __enter__(self) -> str:
        now = datetime.now(UTC)
        self.driver.execute_query(
            """
            MATCH (c:Child {id: $child})
            CREATE (o:AccessOverride {id: $id, ground: 'SIGNIFICANT_HARM_SUSPECTED',
              justification: 'Strategy discussion needs the household composition now',
              recordedAt: $at, expiresAt: $until, liftsShielding: $lifts,
              recordedBySubject: $subject})
            CREATE (o)-[:FOR]->(c)
            """,
            child=self.child,
            id=self.id,
            at=now - timedelta(minutes=5),
            until=now + timedelta(hours=72),
            lifts=self.lifts,
            subject=self.subject,
        )
        return self.id

    def __exit__(self, *_: object) -> None:
        self.driver.execute_query("MATCH (o:AccessOverride {id: $id}) DETACH DELETE o", id=self.id)


def _override(driver: neo4j.Driver, child: str, subject: str, lifts: bool) -> _Override:
    return _Override(driver, child, subject, lifts)


@pytest.fixture
def sams_caf(sync_driver: neo4j.Driver) -> Iterator[str]:
    """A CAF about Sam held by his teacher."""
    yield from _caf(sync_driver, "a-sam-caf", "c-sam", "p-eastvale")


CAF_CONTACTS = """
query($id: ID!, $caf: ID!) {
  child(id: $id) { assessment(id: $caf) { holder { name contact { phone } } } }
}
"""


async def test_the_cafs_contacts_follow_a_safeguarding_leads_shield_lift(
    as_viewer: Any, sync_driver: neo4j.Driver, sams_caf: str
) -> None:
    with _override(sync_driver, "c-sam", subject="lead-caf", lifts=True):
        lifted = await as_viewer(Role.SAFEGUARDING_LEAD, subject="lead-caf").post(
            CAF_CONTACTS, {"id": "c-sam", "caf": sams_caf}
        )
    assert "errors" not in lifted, lifted
    assert lifted["data"]["child"]["assessment"]["holder"]["contact"]["phone"]
    # A practitioner's override opens a CAF (R7, R9) but never the shield (R4): a
    # shielded child's CAF, whose team is who works with him, is not there for her; nor
    # for its own holder, who sees him as everyone outside his index team does.
    with _override(sync_driver, "c-sam", subject="p-melanie", lifts=False):
        plain = await as_viewer(practitioner_id="p-melanie").post(
            CAF_CONTACTS, {"id": "c-sam", "caf": sams_caf}
        )
    assert plain["data"]["child"]["assessment"] is None
    holder = await as_viewer(practitioner_id="p-eastvale", local_authority="EVL").post(
        CAF_CONTACTS, {"id": "c-sam", "caf": sams_caf}
    )
    assert holder["data"]["child"]["assessment"] is None


# --- Audit you cannot forget -----------------------------------------------------------


async def test_a_path_that_reads_a_child_without_auditing_fails_closed(
    graph: Any, settings: Any, sync_driver: neo4j.Driver, as_viewer: Any
) -> None:
    """A resolver someone adds tomorrow that fetches a child's facts and returns a field of
    them without going through api/shaping.py: the endpoint refuses to answer, and the
    event names the child."""
    from api import app as app_module
    from api import root
    from api.resolvers.child import load_children

    @strawberry.type
    class CarelessQuery:
        @strawberry.field
        async def careless_postcode(self, info: strawberry.Info, id: str) -> str | None:
            _, found = await load_children(info.context, [id])
            return found[0].address.postcode if found and found[0].address else None

    saved = root.QUERY_TYPES
    root.QUERY_TYPES = (*saved, CarelessQuery)
    try:
        careless_app = app_module.create_app(settings, graph=graph)
    finally:
        root.QUERY_TYPES = saved
    token = as_viewer(practitioner_id="p-melanie").token
    rid = f"careless-{uuid.uuid4().hex}"
    transport = httpx.ASGITransport(app=careless_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.post(
            "/graphql",
            json={"query": '{ carelessPostcode(id: "c-sam") }'},
            headers={"Authorization": f"Bearer {token}", "X-Request-Id": rid, "X-Purpose": "x"},
        )
    body = response.json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "INTERNAL"
    assert "EV2" not in response.text
    records, _, _ = sync_driver.execute_query(
        "MATCH (a:AuditEvent {clientRequestId: $rid}) RETURN a.childIds AS ids", rid=rid
    )
    assert [r["ids"] for r in records] == [["c-sam"]]


# --- R4 for consent records --------------------------------------------------------------


async def test_a_shielded_childs_consents_do_not_say_who_works_with_him(
    as_viewer: Any, sync_driver: neo4j.Driver, fresh_family: Any
) -> None:
    """A consent record naming his school and GP says who works with Sam as plainly as his
    involvements would: only whoever recorded it, and his own index team's whole view,
    may know of it. A practitioner holding an override for him sees his core record and
    no such record."""
    from tests.api.consent_support import CONSENTS, RECORD_CONSENT

    # His teacher's involvement gives no standing (R4); a safeguarding lead in her shield
    # lift records it on the family's behalf.
    with _override(sync_driver, "c-sam", subject="p-john", lifts=True):
        lead = as_viewer(Role.SAFEGUARDING_LEAD, practitioner_id="p-john")
        recorded = await lead.post(
            RECORD_CONSENT,
            {
                "input": {
                    "childId": "c-sam",
                    "purpose": "SHARE_CONTACT_DETAILS",
                    "givenByChild": False,
                    "givenByCarerId": "k-sam-father",
                    "coversServiceIds": ["s-eastvale-school"],
                    "grantedToPractitionerIds": ["p-gp"],
                    "method": "WRITTEN",
                }
            },
        )
        assert "errors" not in recorded, recorded
        grant = recorded["data"]["recordConsent"]["id"]
        own = await lead.post(CONSENTS, {"childId": "c-sam"})
        assert [g["id"] for g in own["data"]["consents"]] == [grant]
    with _override(sync_driver, "c-sam", subject="p-melanie", lifts=False):
        other = await as_viewer(practitioner_id="p-melanie").post(CONSENTS, {"childId": "c-sam"})
    assert "errors" not in other, other
    assert other["data"]["consents"] == []
    _nothing_of_sams_school(other)


# --- Overrides: the shield lift is reported, and a recorder must be on the index -------------

OVERRIDE = """
mutation($input: RecordOverrideInput!) { recordAccessOverride(input: $input) { id liftsShielding } }
"""
ALERTS = """
query { accessAlerts(localAuthority: "NBR", state: OPEN, first: 100) { nodes { kind childIds detail } } }
"""


async def test_a_lifted_shield_alerts_the_childs_index_team(
    as_viewer: Any, sync_driver: neo4j.Driver
) -> None:
    """R4, R9: a safeguarding lead's override on a shielded child is reported for
    immediate review, in the same transaction as the lift."""
    lead = as_viewer(Role.SAFEGUARDING_LEAD, practitioner_id="p-john")
    body = await lead.post(
        OVERRIDE,
        {
            "input": {
                "childId": "c-sam",
                "ground": "SIGNIFICANT_HARM_SUSPECTED",
                "justification": "Strategy discussion needs to know where Sam is tonight",
            }
        },
    )
    try:
        assert "errors" not in body, body
        override = body["data"]["recordAccessOverride"]
        assert override["liftsShielding"] is True
        alerts = await as_viewer(Role.INDEX_ADMIN, local_authority="NBR").post(ALERTS)
        lifted = [
            a
            for a in alerts["data"]["accessAlerts"]["nodes"]
            if a["kind"] == "SHIELD_LIFTED" and override["id"] in a["detail"]
        ]
        assert lifted and lifted[0]["childIds"] == ["c-sam"]
    finally:
        sync_driver.execute_query(
            "MATCH (o:AccessOverride) WHERE o.practitionerId = 'p-john' DETACH DELETE o "
            "WITH count(*) AS gone MATCH (a:AccessAlert {kind: 'SHIELD_LIFTED'}) DELETE a"
        )


async def test_an_override_by_a_practitioner_the_index_does_not_hold_is_refused(
    as_viewer: Any,
) -> None:
    body = await as_viewer(Role.SAFEGUARDING_LEAD, practitioner_id="p-not-on-the-index").post(
        OVERRIDE,
        {
            "input": {
                "childId": "c-sam",
                "ground": "SIGNIFICANT_HARM_SUSPECTED",
                "justification": "Strategy discussion needs to know where Sam is tonight",
            }
        },
    )
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


# --- Second red-team pass ----------------------------------------------------------------


async def test_a_postcode_never_narrows_a_search_for_a_child_at_a_shielded_address(
    as_viewer: Any, sync_driver: neo4j.Driver
) -> None:
    """R4: a child living at Sam's address has his postcode; a search that narrows by it
    would confirm the refuge's postcode, so it narrows nothing, as for Sam himself."""
    sync_driver.execute_query(
        """
        MATCH (s:Child {id: 'c-sam'})
        CREATE (m:Child {id: 'c-probe-mia', givenName: 'Mia', familyName: 'Pricetest',
          givenNameKey: 'mia', familyNameKey: 'pricetest', dateOfBirth: date('2016-02-01'),
          gender: 'FEMALE', shielded: false, localAuthority: 'EVL',
          addressLine1: s.addressLine1, postcode: s.postcode, postcodeKey: s.postcodeKey,
          addressKey: s.addressKey})
        """
    )
    try:
        caller = as_viewer(practitioner_id="p-lee")
        found = {}
        for postcode in ("EV2 5HD", "ZZ9 9ZZ"):
            body = await caller.post(
                SEARCH,
                {
                    "input": {
                        "familyName": "Pricetest",
                        "dateOfBirth": "2016-02-01",
                        "postcode": postcode,
                    }
                },
            )
            found[postcode] = [m["id"] for m in body["data"]["searchChildren"]["matches"]]
        assert found["EV2 5HD"] == found["ZZ9 9ZZ"] == ["c-probe-mia"]
    finally:
        sync_driver.execute_query("MATCH (m:Child {id: 'c-probe-mia'}) DETACH DELETE m")


@pytest.fixture
def jacks_camhs_caf(sync_driver: neo4j.Driver) -> Iterator[str]:
    """A CAF about Jack held by the CAMHS practitioner: for anyone outside CAMHS without
    consent or override, not there at all (R7)."""
    yield from _caf(sync_driver, "a-jack-camhs", "c-jack", "p-camhs")


async def test_no_answer_says_a_hidden_caf_exists(
    as_viewer: Any, jacks_camhs_caf: str, fresh_family: Any
) -> None:
    from tests.api.consent_support import RECORD_CONSENT, START

    melanie = as_viewer(practitioner_id="p-melanie")
    started = await melanie.post(START, {"input": {"childId": "c-jack", "consentIds": []}})
    assert started["errors"][0]["extensions"]["code"] == "CONSENT_REQUIRED", started
    assert jacks_camhs_caf not in str(started)

    def consent_to(caf: str) -> dict[str, Any]:
        return {
            "input": {
                "childId": "c-jack",
                "purpose": "SHARE_ASSESSMENT",
                "givenByChild": False,
                "givenByCarerId": "k-karen",
                "coversAssessmentId": caf,
                "grantedToPractitionerIds": ["p-melanie"],
                "method": "WRITTEN",
            }
        }

    hidden = await melanie.post(RECORD_CONSENT, consent_to(jacks_camhs_caf))
    unknown = await melanie.post(RECORD_CONSENT, consent_to("a-no-such-caf"))
    assert hidden["errors"] == unknown["errors"], (hidden, unknown)

    appoint = "mutation($c: ID!, $p: ID!) { appointLeadProfessional(childId: $c, practitionerId: $p) { id } }"
    camhs = await melanie.post(appoint, {"c": "c-jack", "p": "p-camhs"})
    nobody = await melanie.post(appoint, {"c": "c-jack", "p": "p-nobody-at-all"})
    assert camhs["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", camhs
    assert camhs["errors"][0]["message"] == nobody["errors"][0]["message"]


async def test_a_sharing_decision_by_a_practitioner_the_index_does_not_hold_is_refused(
    as_viewer: Any,
) -> None:
    body = await as_viewer(Role.SAFEGUARDING_LEAD, practitioner_id="p-not-on-the-index").post(
        """mutation { recordSharingDecision(childId: "c-hannah", shared: false,
          withConsent: false, recipient: "Housing", reason: "Not proportionate today") { id } }"""
    )
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
