"""R6, R7 and R10 against a small, independent model: random consent histories, checked
after every step through GraphQL.

Hypothesis draws histories of grants, refusals, withdrawals, expiries, birthdays and
overrides for Hannah. Each step goes through the public mutations where they accept
it; where R10 makes a mutation refuse (a 9-year-old's own consent, a carer without
parental responsibility, the father of another child), the test checks the refusal
and then writes the same record straight into the graph, as a legacy system might
have, so the read side has to ignore it by itself. Consent to share the clinic is
recorded by the clinic's nurse (R6b: only the service the child confided in passes it
on); consent about the CAF by Melanie, who holds it. A "smuggle" step is finding 4:
Melanie records consent to share the clinic herself; the mutation must refuse it, and
the same grant written straight into the graph (as one recorded before R6b was revised,
stamped by the migration with her school) must never open the clinic to anyone. After every step, what Melanie
(holder of the CAF, at the school), Lee (youth worker, in the CAF's team) and the
sexual health nurse (in the team too) see of Hannah's clinic involvement and of the
CAF must equal what the model below says, and the nurse's list of consent records
must show each record in the state the model expects.

The model is written from policy.md, not from policies/: it knows nothing of that
package's functions.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import neo4j
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from seed.hannah import add_years
from tests.api.consent_support import clean

CAF = "caf-property"
OLD_CAF = "caf-property-old"
CLINIC = "s-nbr-sexual-health"
CLINIC_INVOLVEMENT = "i-hannah-clinic"
UNCLE = "k-property-uncle"

# Who each viewer is: their practitioner id and the one service they work for.
VIEWERS = {
    "p-melanie": "s-oakfield-school",
    "p-lee": "s-nbr-youth",
    "p-nurse": CLINIC,
}
# The givers a history may name: the child (competence assessed or not), or a carer.
CARERS = {"karen": ("k-karen", True), "uncle": (UNCLE, False), "daniel": ("k-sam-father", False)}
GIVERS = ("child", "child_untested", "karen", "uncle", "daniel")
RECIPIENTS = ("p-melanie", "p-lee", "s-nbr-youth", "p-nurse")
PURPOSES = ("SHARE_CONTACT_DETAILS", "SHARE_ASSESSMENT")
AGES = (9, 13, 15, 16, 17)

VIEW = """
query($caf: ID!) {
  child(id: "c-hannah") { involvements { id } assessment(id: $caf) { id } }
}
"""
LIST = '{ consents(childId: "c-hannah") { id state } }'
RECORD = "mutation($i: RecordConsentInput!) { recordConsent(input: $i) { id state } }"
REFUSE = "mutation($i: RecordRefusalInput!) { recordConsentRefusal(input: $i) { id state } }"
WITHDRAW = "mutation($id: ID!) { withdrawConsent(id: $id) { id state } }"
OVERRIDE = "mutation($i: RecordOverrideInput!) { recordAccessOverride(input: $i) { id } }"


# --- The reference model ------------------------------------------------------------------


# R6b: who records what. The clinic passes on consent to share the clinic; Melanie, who
# holds the CAF, records consent about it.
RECORDERS = {"SHARE_CONTACT_DETAILS": "p-nurse", "SHARE_ASSESSMENT": "p-melanie"}


@dataclass
class Record:
    id: str
    purpose: str
    giver: str
    refusal: bool
    seq: int
    recorder: str = "p-melanie"
    recipient: str | None = None  # a grant's one practitioner or service
    scope: str = "relevant"  # a refusal's: "relevant", "none" (outright) or "other"
    withdrawn: bool = False
    expired: bool = False


@dataclass
class Model:
    age: int
    records: list[Record] = field(default_factory=list)
    overrides: set[str] = field(default_factory=set)

    def may_decide(self, giver: str) -> bool:
        """Policy R10, read afresh: 16+, or 12-15 with competence assessed; else a carer
        with parental responsibility."""
        if giver == "child":
            return self.age >= 12
        if giver == "child_untested":
            return self.age >= 16
        return CARERS[giver][1]

    def state(self, record: Record) -> str:
        if record.refusal:
            return "REFUSED"
        if record.withdrawn:
            return "WITHDRAWN"
        return "EXPIRED" if record.expired else "ACTIVE"

    def consented(self, viewer: str, purpose: str) -> bool:
        """An active grant naming the viewer or their service, by someone entitled, with no
        entitled refusal by the child that outweighs it (a carer's grant always yields;
        the child's own grant yields only to the child's later refusal)."""
        refusals = [
            r
            for r in self.records
            if r.refusal
            and r.purpose == purpose
            and r.giver in ("child", "child_untested")
            and r.scope != "other"
            and self.may_decide(r.giver)
        ]
        for g in self.records:
            if g.refusal or g.purpose != purpose or self.state(g) != "ACTIVE":
                continue
            if g.recipient not in (viewer, VIEWERS[viewer]) or not self.may_decide(g.giver):
                continue
            # R6b: a grant to share the clinic counts only if the clinic recorded it.
            if purpose == "SHARE_CONTACT_DETAILS" and VIEWERS[g.recorder] != CLINIC:
                continue
            by_child = g.giver in ("child", "child_untested")
            if any(not by_child or r.seq > g.seq for r in refusals):
                continue
            return True
        return False

    def listed_for_the_nurse(self) -> dict[str, str]:
        """R6 on the records themselves: a refusal naming CAMHS says Hannah goes there, so
        the nurse (who may not see CAMHS) is not shown it; she sees everything else."""
        return {
            r.id: self.state(r)
            for r in self.records
            if not (r.purpose == "SHARE_CONTACT_DETAILS" and r.scope == "other")
        }

    def sees_clinic(self, viewer: str) -> bool:
        """R6: own service, consent path, or override."""
        return (
            VIEWERS[viewer] == CLINIC
            or viewer in self.overrides
            or self.consented(viewer, "SHARE_CONTACT_DETAILS")
        )

    def sees_caf(self, viewer: str) -> bool:
        """R7: the holder, a team member with SHARE_ASSESSMENT consent, or an override."""
        return (
            viewer == "p-melanie"
            or viewer in self.overrides
            or self.consented(viewer, "SHARE_ASSESSMENT")
        )


# --- Steps ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Grant:
    purpose: str
    giver: str
    recipient: str
    expires: str  # "never", "today", "later"


@dataclass(frozen=True)
class Refuse:
    purpose: str
    giver: str
    scope: str


@dataclass(frozen=True)
class Smuggle:
    """Finding 4: Melanie records consent to share the clinic with someone, herself."""

    giver: str
    recipient: str


@dataclass(frozen=True)
class Withdraw:
    pick: int


@dataclass(frozen=True)
class Expire:
    pick: int


@dataclass(frozen=True)
class Birthday:
    age: int


@dataclass(frozen=True)
class Override:
    viewer: str


# Weighted towards the givers whose decisions count, so that grants and refusals meet
# often enough for the precedence rules to be exercised in a few dozen examples.
givers = st.sampled_from(("child", "child", "karen", "karen", "child_untested", "uncle", "daniel"))
steps = st.one_of(
    st.builds(
        Grant,
        st.sampled_from(PURPOSES),
        givers,
        st.sampled_from(RECIPIENTS),
        st.sampled_from(("never", "today", "later")),
    ),
    st.builds(
        Refuse,
        st.sampled_from(PURPOSES),
        givers,
        st.sampled_from(("relevant", "none", "other")),
    ),
    st.builds(Smuggle, givers, st.sampled_from(RECIPIENTS)),
    st.builds(Withdraw, st.integers(0, 20)),
    st.builds(Expire, st.integers(0, 20)),
    st.builds(Birthday, st.sampled_from(AGES)),
    st.builds(Override, st.sampled_from(("p-melanie", "p-lee"))),
)


def _born(age: int, today: date) -> date:
    return add_years(today, -age) - timedelta(days=30)


def _scope(purpose: str, scope: str) -> dict[str, Any]:
    if scope == "none":
        return {}
    if purpose == "SHARE_CONTACT_DETAILS":
        return {"coversServiceIds": [CLINIC if scope == "relevant" else "s-nbr-camhs"]}
    return {"coversAssessmentId": CAF if scope == "relevant" else OLD_CAF}


def _giver(giver: str) -> dict[str, Any]:
    if giver in ("child", "child_untested"):
        return {"byChild": True, "competence": giver == "child", "carer": None}
    return {"byChild": False, "competence": False, "carer": CARERS[giver][0]}


_INSERT = """
MATCH (c:Child {id: 'c-hannah'})
CREATE (g:ConsentGrant {id: $id, purpose: $purpose, state: $state, method: 'WRITTEN',
  givenByChild: $byChild, competenceAssessed: $competence, recordedOn: $now,
  expiresOn: $expiresOn, recordedBy: 'legacy-system', recordedByPractitionerId: $recorder,
  recordedByServiceIds: [$recorderService]})-[:ABOUT]->(c)
WITH g
CALL (g) { MATCH (k:Carer {id: $carer}) CREATE (g)-[:GIVEN_BY]->(k) }
CALL (g) { UNWIND $services AS s MATCH (x:Service {id: s}) CREATE (g)-[:COVERS]->(x) }
CALL (g) { MATCH (a:Assessment {id: $assessment}) CREATE (g)-[:COVERS]->(a) }
CALL (g) { MATCH (p:Practitioner {id: $recipient}) CREATE (g)-[:GRANTED_TO]->(p) }
CALL (g) { MATCH (s:Service {id: $recipient}) CREATE (g)-[:GRANTED_TO]->(s) }
"""


class History:
    """Plays steps through GraphQL (or, where R10 refuses them, into the graph) and the model."""

    def __init__(self, callers: dict[str, Any], driver: neo4j.Driver, today: date, age: int):
        self.callers = callers
        self.driver = driver
        self.today = today
        self.model = Model(age)
        self.seq = 0

    def _expiry(self, expires: str) -> str | None:
        if expires == "never":
            return None
        return (self.today + timedelta(days=0 if expires == "today" else 30)).isoformat()

    def _insert(self, record: Record, scope: dict[str, Any], expires_on: str | None) -> None:
        giver = _giver(record.giver)
        self.driver.execute_query(
            _INSERT,
            id=record.id,
            purpose=record.purpose,
            state="REFUSED" if record.refusal else "ACTIVE",
            now=datetime.now(UTC),
            expiresOn=date.fromisoformat(expires_on) if expires_on else None,
            services=scope.get("coversServiceIds", []),
            assessment=scope.get("coversAssessmentId"),
            recipient=record.recipient,
            recorder=record.recorder,
            recorderService=VIEWERS[record.recorder],
            **giver,
        )

    async def play(self, step: object) -> None:
        melanie, nurse = self.callers["p-melanie"], self.callers["p-nurse"]
        self.seq += 1
        if isinstance(step, Smuggle):
            giver = _giver(step.giver)
            body = {
                "childId": "c-hannah",
                "purpose": "SHARE_CONTACT_DETAILS",
                "childCompetenceAssessed": giver["competence"],
                "givenByChild": giver["byChild"],
                "givenByCarerId": giver["carer"],
                "method": "WRITTEN",
                "coversServiceIds": [CLINIC],
                (
                    "grantedToServiceIds"
                    if step.recipient.startswith("s-")
                    else "grantedToPractitionerIds"
                ): [step.recipient],
            }
            answer = await melanie.post(RECORD, {"i": body})
            error = answer["errors"][0]
            assert error["extensions"]["code"] == "BAD_USER_INPUT", answer
            # The giver is judged first (R10), then what the recorder may name (R6b).
            expected = (
                "input.coversServiceIds" if self.model.may_decide(step.giver) else "input.given"
            )
            assert error["extensions"]["field"].startswith(expected), answer
            record = Record(
                f"legacy-{uuid.uuid4().hex[:12]}",
                "SHARE_CONTACT_DETAILS",
                step.giver,
                False,
                self.seq,
                recorder="p-melanie",
                recipient=step.recipient,
            )
            self._insert(record, {"coversServiceIds": [CLINIC]}, None)
            self.model.records.append(record)
        elif isinstance(step, (Grant, Refuse)):
            refusal = isinstance(step, Refuse)
            scope = _scope(step.purpose, "relevant" if isinstance(step, Grant) else step.scope)
            giver = _giver(step.giver)
            body: dict[str, Any] = {
                "childId": "c-hannah",
                "purpose": step.purpose,
                "childCompetenceAssessed": giver["competence"],
                **scope,
            }
            recorder = RECORDERS[step.purpose]
            record = Record("", step.purpose, step.giver, refusal, self.seq, recorder=recorder)
            expires_on = None
            if isinstance(step, Grant):
                expires_on = self._expiry(step.expires)
                record.recipient = step.recipient
                key = (
                    "grantedToServiceIds"
                    if step.recipient.startswith("s-")
                    else ("grantedToPractitionerIds")
                )
                body |= {
                    "givenByChild": giver["byChild"],
                    "givenByCarerId": giver["carer"],
                    "method": "WRITTEN",
                    key: [step.recipient],
                    "expiresOn": expires_on,
                }
            else:
                record.scope = step.scope
                body |= {"refusedByChild": giver["byChild"], "refusedByCarerId": giver["carer"]}
            answer = await self.callers[recorder].post(REFUSE if refusal else RECORD, {"i": body})
            # R6, R6b: nobody involved with Hannah may name CAMHS, which none of them can
            # see, so a refusal about it can only have come from elsewhere.
            names_hidden = record.purpose == "SHARE_CONTACT_DETAILS" and record.scope == "other"
            if self.model.may_decide(step.giver) and not names_hidden:
                assert "errors" not in answer, answer
                result = answer["data"]["recordConsentRefusal" if refusal else "recordConsent"]
                record.id = result["id"]
            else:
                error = answer["errors"][0]
                assert error["extensions"]["code"] == "BAD_USER_INPUT", answer
                if not self.model.may_decide(step.giver):
                    expected = "input.given" if not refusal else "input.refused"
                else:
                    expected = "input.coversServiceIds"
                assert error["extensions"]["field"].startswith(expected), answer
                record.id = f"legacy-{uuid.uuid4().hex[:12]}"
                self._insert(record, scope, expires_on)
            self.model.records.append(record)
        elif isinstance(step, Withdraw) and self.model.records:
            record = self.model.records[step.pick % len(self.model.records)]
            answer = await nurse.post(WITHDRAW, {"id": record.id})
            if record.id not in self.model.listed_for_the_nurse():
                # R6: a record she may not see is not hers to know about, let alone withdraw.
                assert answer["errors"][0]["extensions"]["code"] == "NOT_FOUND", answer
            elif record.refusal or record.withdrawn:
                assert answer["errors"][0]["extensions"] == {
                    "code": "BAD_USER_INPUT",
                    "field": "id",
                }, answer
            else:
                assert answer["data"]["withdrawConsent"]["state"] == "WITHDRAWN", answer
                record.withdrawn = True
        elif isinstance(step, Expire) and self.model.records:
            record = self.model.records[step.pick % len(self.model.records)]
            if not record.refusal:
                self.driver.execute_query(
                    "MATCH (g:ConsentGrant {id: $id}) SET g.expiresOn = $day",
                    id=record.id,
                    day=self.today - timedelta(days=1),
                )
                record.expired = True
        elif isinstance(step, Birthday):
            self.driver.execute_query(
                "MATCH (c:Child {id: 'c-hannah'}) SET c.dateOfBirth = $born",
                born=_born(step.age, self.today),
            )
            self.model.age = step.age
        elif isinstance(step, Override):
            answer = await self.callers[step.viewer].post(
                OVERRIDE,
                {
                    "i": {
                        "childId": "c-hannah",
                        "ground": "SIGNIFICANT_HARM_SUSPECTED",
                        "justification": "Reasonable cause to believe she is at risk",
                    }
                },
            )
            assert "errors" not in answer, answer
            self.model.overrides.add(step.viewer)

    async def check(self, step: object) -> None:
        for viewer, caller in self.callers.items():
            body = await caller.post(VIEW, {"caf": CAF})
            assert "errors" not in body, body
            child = body["data"]["child"]
            sees_clinic = CLINIC_INVOLVEMENT in {i["id"] for i in child["involvements"]}
            sees_caf = child["assessment"] is not None
            assert (sees_clinic, sees_caf) == (
                self.model.sees_clinic(viewer),
                self.model.sees_caf(viewer),
            ), (viewer, step, self.model)
        listed = await self.callers["p-nurse"].post(LIST)
        assert "errors" not in listed, listed
        states = {g["id"]: g["state"] for g in listed["data"]["consents"]}
        assert states == self.model.listed_for_the_nurse(), (step, self.model)


# --- The test --------------------------------------------------------------------------------


@pytest.fixture
def hannahs_caf(sync_driver: neo4j.Driver, today: date) -> Iterator[neo4j.Driver]:
    """An uncle without parental responsibility, and Hannah's CAF with Lee and the nurse in
    its team (written directly: the property is about who *reads* it)."""
    original = sync_driver.execute_query(
        "MATCH (c:Child {id: 'c-hannah'}) RETURN c.dateOfBirth AS d"
    ).records[0]["d"]
    sync_driver.execute_query(
        "MATCH (c:Child {id: 'c-hannah'}) MERGE (k:Carer {id: $uncle}) SET k.name = 'Uncle'"
        " MERGE (k)-[r:CARES_FOR]->(c) SET r.relationship = 'uncle',"
        " r.parentalResponsibility = false, r.livesWithChild = false",
        uncle=UNCLE,
    )
    yield sync_driver
    clean(sync_driver)
    sync_driver.execute_query("MATCH (k:Carer {id: $uncle}) DETACH DELETE k", uncle=UNCLE)
    sync_driver.execute_query("MATCH (c:Child {id: 'c-hannah'}) SET c.dateOfBirth = $d", d=original)


def _reset(driver: neo4j.Driver, today: date, age: int) -> None:
    clean(driver)
    driver.execute_query(
        """
        MATCH (c:Child {id: 'c-hannah'}), (m:Practitioner {id: 'p-melanie'}),
              (l:Practitioner {id: 'p-lee'}), (n:Practitioner {id: 'p-nurse'})
        SET c.dateOfBirth = $born
        CREATE (a:Assessment {id: $caf, status: 'OPEN', startedOn: $today,
                strengths: ['Determined']})-[:ABOUT]->(c)
        CREATE (old:Assessment {id: $old, status: 'CLOSED', startedOn: $today,
                closedOn: $today, strengths: []})-[:ABOUT]->(c)
        CREATE (m)-[:HOLDS]->(a), (m)-[:HOLDS]->(old)
        CREATE (m)-[:TEAM_MEMBER_OF]->(a), (l)-[:TEAM_MEMBER_OF]->(a), (n)-[:TEAM_MEMBER_OF]->(a)
        """,
        born=_born(age, today),
        today=today,
        caf=CAF,
        old=OLD_CAF,
    )


@settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(age=st.sampled_from(AGES), history=st.lists(steps, min_size=1, max_size=10))
# The precedence cases of R10, always played whatever Hypothesis draws:
# a competent child's earlier refusal outweighs her mother's later grant...
@example(
    age=15,
    history=[
        Refuse("SHARE_CONTACT_DETAILS", "child", "relevant"),
        Grant("SHARE_CONTACT_DETAILS", "karen", "p-lee", "never"),
        Grant("SHARE_ASSESSMENT", "karen", "s-nbr-youth", "never"),
        Refuse("SHARE_ASSESSMENT", "child", "none"),
    ],
)
# ...a refusal about another service or another CAF does not reach this one...
@example(
    age=15,
    history=[
        Grant("SHARE_CONTACT_DETAILS", "karen", "p-melanie", "today"),
        Refuse("SHARE_CONTACT_DETAILS", "child", "other"),
        Grant("SHARE_ASSESSMENT", "karen", "p-lee", "later"),
        Refuse("SHARE_ASSESSMENT", "child", "other"),
        Expire(0),
        Withdraw(1),
        Withdraw(3),
    ],
)
# ...the child's own later grant supersedes her own refusal; an untested 13-year-old's
# refusal, a 9-year-old's grant and an uncle's grant count for nothing.
@example(
    age=13,
    history=[
        Refuse("SHARE_ASSESSMENT", "child", "none"),
        Grant("SHARE_ASSESSMENT", "child", "p-lee", "never"),
        Refuse("SHARE_CONTACT_DETAILS", "child_untested", "relevant"),
        Grant("SHARE_CONTACT_DETAILS", "karen", "s-nbr-youth", "never"),
        Grant("SHARE_CONTACT_DETAILS", "uncle", "p-melanie", "never"),
        Birthday(9),
        Grant("SHARE_CONTACT_DETAILS", "child", "p-melanie", "never"),
        Withdraw(1),
        Withdraw(1),
    ],
)
# ...and finding 4: Melanie cannot pass on the clinic, before or after she may see it,
# and a grant she wrote straight into the graph opens it to nobody, herself included.
@example(
    age=15,
    history=[
        Smuggle("child", "p-melanie"),
        Smuggle("karen", "s-nbr-youth"),
        Grant("SHARE_CONTACT_DETAILS", "child", "p-melanie", "never"),
        Smuggle("child", "p-lee"),
        Withdraw(2),
        Override("p-lee"),
        Withdraw(0),
    ],
)
async def test_what_each_practitioner_sees_matches_the_model(
    as_viewer, hannahs_caf, today, age: int, history: list[object]
) -> None:
    _reset(hannahs_caf, today, age)
    callers = {
        viewer: as_viewer(practitioner_id=viewer, purpose="property test") for viewer in VIEWERS
    }
    played = History(callers, hannahs_caf, today, age)
    await played.check("start")
    for step in history:
        await played.play(step)
        await played.check(step)
