"""Finding 4, attacked through GraphQL: nobody opens a sensitive involvement to themselves.

R6b (revised): a consent path to a sensitive service counts only if a practitioner of
that service recorded the grant; nobody can record a consent covering a service they
cannot see; naming a hidden sensitive service is answered exactly as naming one that
does not exist. R10 (revised): a consent recorded by someone whose only standing is an
access override (R9) lasts no longer than that override.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import neo4j
import pytest

from graph import migrations
from tests.api.consent_support import (
    CONSENTS,
    RECORD_CONSENT,
    RECORD_OVERRIDE,
    RECORD_REFUSAL,
    WITHDRAW,
    codes,
    count,
    error,
    fresh_family,
    grant,
    ok,
)
from tests.queries import CHILD_PROFILE

__all__ = ["fresh_family"]

pytestmark = pytest.mark.usefixtures("fresh_family")

CLINIC = "s-nbr-sexual-health"
CAMHS = "s-nbr-camhs"
SCHOOL = "s-oakfield-school"
NURSE_PHONE = "01632 960316"
SERVICE_NOT_FOUND = "no service with that id is visible to you"

#: Melanie's exact mutation from finding 4.
ATTACK = """
mutation {
  recordConsent(input: {childId: "c-hannah", purpose: SHARE_CONTACT_DETAILS,
    givenByChild: true, childCompetenceAssessed: true,
    coversServiceIds: ["s-nbr-sexual-health", "s-nbr-camhs"],
    grantedToPractitionerIds: ["p-melanie"], method: VERBAL}) { id expiresOn }
}
"""


def _share(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "childId": "c-hannah",
        "purpose": "SHARE_CONTACT_DETAILS",
        "givenByChild": True,
        "childCompetenceAssessed": True,
        "coversServiceIds": [CLINIC],
        "grantedToPractitionerIds": ["p-melanie"],
        "method": "VERBAL",
    }
    base.update(overrides)
    return base


def _refusal(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "childId": "c-hannah",
        "purpose": "SHARE_CONTACT_DETAILS",
        "refusedByChild": True,
        "childCompetenceAssessed": True,
        "coversServiceIds": [CLINIC],
    }
    base.update(overrides)
    return base


def _grants(driver: neo4j.Driver) -> int:
    return count(
        driver, "MATCH (g:ConsentGrant)-[:ABOUT]->(:Child {id: 'c-hannah'}) RETURN count(g)"
    )


async def _profile(caller: Any) -> dict[str, Any]:
    return await caller.post(CHILD_PROFILE, {"id": "c-hannah"})


def _involvements(body: dict[str, Any]) -> set[str]:
    return {i["id"] for i in ok(body, "child")["involvements"]}


async def _raw(caller: Any, query: str, variables: dict[str, Any]) -> bytes:
    """The response exactly as it leaves the server, byte for byte."""
    response = await caller.client.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={
            "Authorization": f"Bearer {caller.token}",
            "Content-Type": "application/json",
            "X-Purpose": caller.purpose,
        },
    )
    assert response.status_code == 200
    content: bytes = response.content
    return content


# --- Melanie's attack --------------------------------------------------------------------


async def test_melanies_attack_is_refused_and_the_clinic_stays_hidden(
    as_viewer, sync_driver
) -> None:
    melanie = as_viewer(practitioner_id="p-melanie")
    body = await melanie.post(ATTACK)
    failure = error(body)
    assert failure["extensions"] == {"code": "BAD_USER_INPUT", "field": "input.coversServiceIds"}
    assert failure["message"] == SERVICE_NOT_FOUND
    assert body["data"] is None or body["data"]["recordConsent"] is None
    assert _grants(sync_driver) == 0
    after = await _profile(melanie)
    assert "i-hannah-clinic" not in _involvements(after)
    assert NURSE_PHONE not in json.dumps(after) and CLINIC not in json.dumps(after)
    # Naming only her own school and the clinic, or only the clinic, changes nothing.
    for covers in ([SCHOOL, CLINIC], [CLINIC]):
        again = await melanie.post(RECORD_CONSENT, {"input": _share(coversServiceIds=covers)})
        assert error(again) == failure
    assert _grants(sync_driver) == 0
    assert "i-hannah-clinic" not in _involvements(await _profile(melanie))


async def test_granting_to_her_own_school_does_not_help_either(as_viewer, sync_driver) -> None:
    melanie = as_viewer(practitioner_id="p-melanie")
    body = await melanie.post(
        RECORD_CONSENT,
        {"input": _share(grantedToPractitionerIds=[], grantedToServiceIds=[SCHOOL])},
    )
    assert error(body)["extensions"]["field"] == "input.coversServiceIds"
    assert _grants(sync_driver) == 0


async def test_the_clinic_passing_on_the_same_consent_opens_it_to_melanie(
    as_viewer, sync_driver
) -> None:
    melanie = as_viewer(practitioner_id="p-melanie")
    nurse = as_viewer(practitioner_id="p-nurse")
    # Even the nurse may not pass on CAMHS, which she cannot see: the same answer.
    refused = await nurse.post(RECORD_CONSENT, {"input": _share(coversServiceIds=[CLINIC, CAMHS])})
    assert error(refused)["message"] == SERVICE_NOT_FOUND
    record = await grant(nurse, **_share())
    assert record["coversServiceIds"] == [CLINIC]
    stored = sync_driver.execute_query(
        "MATCH (g:ConsentGrant {id: $id}) RETURN g.recordedByServiceIds AS s", id=record["id"]
    ).records[0]["s"]
    assert stored == [CLINIC]
    seen = await _profile(melanie)
    assert "i-hannah-clinic" in _involvements(seen)
    assert NURSE_PHONE in json.dumps(seen)
    # Lee was not granted anything.
    assert "i-hannah-clinic" not in _involvements(
        await _profile(as_viewer(practitioner_id="p-lee"))
    )


async def test_seeing_the_clinic_is_not_enough_to_pass_it_on(as_viewer, sync_driver) -> None:
    """With a consent path (or an override) Melanie sees the clinic, but only the clinic
    passes on consent to share it; she is told so, since she may see it."""
    melanie = as_viewer(practitioner_id="p-melanie")
    await grant(as_viewer(practitioner_id="p-nurse"), **_share())
    before = _grants(sync_driver)
    body = await melanie.post(RECORD_CONSENT, {"input": _share(grantedToPractitionerIds=["p-lee"])})
    failure = error(body)
    assert failure["extensions"] == {"code": "BAD_USER_INPUT", "field": "input.coversServiceIds"}
    assert "R6b" in failure["message"]
    refusal = await melanie.post(RECORD_REFUSAL, {"input": _refusal()})
    assert error(refusal)["extensions"]["field"] == "input.coversServiceIds"
    assert _grants(sync_driver) == before
    assert "i-hannah-clinic" not in _involvements(
        await _profile(as_viewer(practitioner_id="p-lee"))
    )
    # What she may do: record Hannah's consent to share the school with the clinic,
    # which she may now name.
    ok(
        await melanie.post(
            RECORD_CONSENT,
            {
                "input": _share(
                    coversServiceIds=[SCHOOL],
                    grantedToPractitionerIds=[],
                    grantedToServiceIds=[CLINIC],
                )
            },
        ),
        "recordConsent",
    )


async def test_an_override_does_not_let_anyone_pass_on_the_clinic(as_viewer, sync_driver) -> None:
    steve = as_viewer(practitioner_id="p-steve")
    ok(
        await steve.post(
            RECORD_OVERRIDE,
            {
                "input": {
                    "childId": "c-hannah",
                    "ground": "SIGNIFICANT_HARM_SUSPECTED",
                    "justification": "Hannah disclosed being left alone with the younger ones",
                }
            },
        ),
        "recordAccessOverride",
    )
    assert "i-hannah-clinic" in _involvements(await _profile(steve))
    body = await steve.post(RECORD_CONSENT, {"input": _share(grantedToPractitionerIds=["p-lee"])})
    assert "R6b" in error(body)["message"]
    assert _grants(sync_driver) == 0


# --- No fishing --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mutation", "make"),
    [
        (RECORD_CONSENT, lambda sid: _share(coversServiceIds=[sid])),
        (RECORD_CONSENT, lambda sid: _share(coversServiceIds=[SCHOOL, sid])),
        (
            RECORD_CONSENT,
            lambda sid: _share(coversServiceIds=[SCHOOL], grantedToServiceIds=[sid]),
        ),
        (RECORD_REFUSAL, lambda sid: _refusal(coversServiceIds=[sid])),
    ],
    ids=["covers", "covers-after-a-visible-one", "granted-to", "refusal"],
)
async def test_a_hidden_sensitive_service_is_answered_like_an_unknown_id(
    as_viewer, sync_driver, mutation, make
) -> None:
    melanie = as_viewer(practitioner_id="p-melanie")
    answers = {
        sid: await _raw(melanie, mutation, {"input": make(sid)})
        # Unknown; hidden and Hannah goes there; hidden and she does not.
        for sid in ("s-nbr-no-such-service", CLINIC, CAMHS)
    }
    assert len(set(answers.values())) == 1, answers
    body = json.loads(answers[CLINIC])
    assert error(body)["message"] == SERVICE_NOT_FOUND
    assert _grants(sync_driver) == 0


async def test_hidden_records_are_neither_listed_nor_withdrawable(as_viewer) -> None:
    """Query.consents and withdrawConsent confirm nothing R6 hides: a record naming the
    clinic is, for Lee, exactly a record that does not exist."""
    record = await grant(as_viewer(practitioner_id="p-nurse"), **_share())
    lee = as_viewer(practitioner_id="p-lee")
    listed = ok(await lee.post(CONSENTS, {"childId": "c-hannah"}), "consents")
    assert record["id"] not in json.dumps(listed) and CLINIC not in json.dumps(listed)
    real = await _raw(lee, WITHDRAW, {"id": record["id"]})
    fake = await _raw(lee, WITHDRAW, {"id": "consent-does-not-exist"})
    assert real == fake
    assert codes(json.loads(real)) == ["NOT_FOUND"]
    # Melanie, to whom the clinic passed it on, may see and withdraw it.
    melanie = as_viewer(practitioner_id="p-melanie")
    mine = ok(await melanie.post(CONSENTS, {"childId": "c-hannah"}), "consents")
    assert record["id"] in {g["id"] for g in mine}
    withdrawn = ok(await melanie.post(WITHDRAW, {"id": record["id"]}), "withdrawConsent")
    assert withdrawn["state"] == "WITHDRAWN"
    assert "i-hannah-clinic" not in _involvements(await _profile(melanie))


# --- R10: a consent recorded on an override's strength ------------------------------------

OVERRIDE_INPUT = {
    "input": {
        "childId": "c-hannah",
        "ground": "SIGNIFICANT_HARM_SUSPECTED",
        "justification": "Hannah disclosed being left alone with the younger ones",
    }
}


async def test_an_override_based_consent_expires_with_the_override(
    as_viewer, sync_driver, today
) -> None:
    omar = as_viewer(practitioner_id="p-eastvale", local_authority="EVL")
    override = ok(await omar.post(RECORD_OVERRIDE, OVERRIDE_INPUT), "recordAccessOverride")
    ends = datetime.fromisoformat(override["expiresAt"])
    last_day = ends.astimezone(UTC).date().isoformat()
    undertake = {"purpose": "UNDERTAKE_ASSESSMENT", "method": "WRITTEN"}
    cases = [
        (None, last_day),
        ((today + timedelta(days=30)).isoformat(), last_day),
        (today.isoformat(), today.isoformat()),
    ]
    for asked, shown in cases:
        record = await grant(omar, expiresOn=asked, **undertake)
        assert record["expiresOn"] == shown, (asked, record)
        stored = sync_driver.execute_query(
            "MATCH (g:ConsentGrant {id: $id})"
            " RETURN g.standingUntil AS until, g.recordedUnderOverrideId AS o",
            id=record["id"],
        ).records[0]
        assert stored["o"] == override["id"]
        assert stored["until"].to_native() == ends
    # A refusal only narrows sharing: it is not clamped.
    refusal = ok(
        await omar.post(RECORD_REFUSAL, {"input": _refusal(coversServiceIds=[])}),
        "recordConsentRefusal",
    )
    assert refusal["expiresOn"] is None
    # An involved practitioner's own choice stands, override or not.
    melanie = as_viewer(practitioner_id="p-melanie")
    ok(await melanie.post(RECORD_OVERRIDE, OVERRIDE_INPUT), "recordAccessOverride")
    assert (await grant(melanie, **undertake))["expiresOn"] is None


@pytest.fixture
def camhs_last_year(sync_driver: neo4j.Driver, today: date) -> Iterator[str]:
    """Hannah saw CAMHS until a month ago: still shown under R5's year (to those R6 lets
    see it), but nobody at CAMHS is involved with her any more."""
    sync_driver.execute_query(
        """
        MATCH (c:Child {id: 'c-hannah'}), (s:Service {id: $camhs}), (p:Practitioner {id: 'p-camhs'})
        CREATE (i:Involvement {id: 'i-test-hannah-camhs', startedOn: $started, endedOn: $ended,
                isLeadProfessional: false, source: 'test'})
        CREATE (i)-[:OF]->(c), (i)-[:AT]->(s), (i)-[:BY]->(p)
        """,
        camhs=CAMHS,
        started=today - timedelta(days=300),
        ended=today - timedelta(days=30),
    )
    yield "i-test-hannah-camhs"
    sync_driver.execute_query("MATCH (i:Involvement {id: 'i-test-hannah-camhs'}) DETACH DELETE i")


async def test_an_override_based_consent_stops_counting_when_the_override_ends(
    as_viewer, sync_driver, camhs_last_year
) -> None:
    """CAMHS's practitioner, no longer involved, holds an override about to end (written
    through the graph, as if recorded almost 72 hours ago) and passes on Hannah's consent
    to share CAMHS with Lee. Lee sees it until the override ends, not a moment later,
    even though the grant's expiry date has not passed."""
    now = datetime.now(UTC)
    ends = now + timedelta(seconds=4)
    sync_driver.execute_query(
        """
        MATCH (c:Child {id: 'c-hannah'}), (p:Practitioner {id: 'p-camhs'})
        CREATE (o:AccessOverride {id: 'o-test-ending', ground: 'SIGNIFICANT_HARM_SUSPECTED',
          justification: 'Reasonable cause to believe she is at risk', recordedAt: $at,
          expiresAt: $ends, liftsShielding: false, recordedBySubject: 'p-camhs',
          practitionerId: 'p-camhs'})-[:FOR]->(c)
        CREATE (p)-[:RECORDED]->(o)
        """,
        at=ends - timedelta(hours=72),
        ends=ends,
    )
    camhs = as_viewer(practitioner_id="p-camhs")
    lee = as_viewer(practitioner_id="p-lee")
    assert camhs_last_year not in _involvements(await _profile(lee))
    record = await grant(
        camhs, **_share(coversServiceIds=[CAMHS], grantedToPractitionerIds=["p-lee"])
    )
    assert record["expiresOn"] == ends.date().isoformat()
    assert camhs_last_year in _involvements(await _profile(lee))
    await asyncio.sleep(max(0.0, (ends - datetime.now(UTC)).total_seconds()) + 0.5)
    after = await _profile(lee)
    assert camhs_last_year not in _involvements(after)
    if datetime.now(UTC).date() == ends.date():
        # The expiry date alone would still let it count today: the exact end did it.
        assert date.fromisoformat(record["expiresOn"]) >= datetime.now(UTC).date()


# --- The data migration ----------------------------------------------------------------------


_LEGACY = """
MATCH (c:Child {id: 'c-hannah'}), (s:Service {id: $covers}), (p:Practitioner {id: 'p-melanie'})
CREATE (g:ConsentGrant {id: $id, purpose: 'SHARE_CONTACT_DETAILS', state: 'ACTIVE',
  method: 'VERBAL', givenByChild: true, competenceAssessed: true, recordedOn: $at,
  recordedBy: 'someone', recordedByPractitionerId: $recorder, expiresOn: $expires})
CREATE (g)-[:ABOUT]->(c), (g)-[:COVERS]->(s), (g)-[:GRANTED_TO]->(p)
"""


async def test_the_migration_stamps_grants_already_recorded(as_viewer, sync_driver, today) -> None:
    """Grants from before R6b and R10 were revised: the recorder's services are filled in
    from who recorded them, and a grant recorded under an override alone is clamped."""
    now = datetime.now(UTC)
    omar_override_ends = now + timedelta(hours=70)
    sync_driver.execute_query(
        """
        MATCH (c:Child {id: 'c-hannah'})
        CREATE (:AccessOverride {id: 'o-test-omar', recordedAt: $at, expiresAt: $ends,
          liftsShielding: false, recordedBySubject: 'p-eastvale',
          practitionerId: 'p-eastvale'})-[:FOR]->(c)
        """,
        at=omar_override_ends - timedelta(hours=72),
        ends=omar_override_ends,
    )
    legacy = {
        "g-test-by-melanie": ("p-melanie", CLINIC, None),  # finding 4, already exploited
        "g-test-by-nurse": ("p-nurse", CLINIC, None),
        "g-test-by-nobody": (None, CLINIC, None),
        "g-test-by-omar": ("p-eastvale", SCHOOL, today + timedelta(days=90)),
    }
    for gid, (recorder, covers, expires) in legacy.items():
        sync_driver.execute_query(
            _LEGACY,
            id=gid,
            recorder=recorder,
            covers=covers,
            expires=expires,
            at=now - timedelta(hours=1),
        )
    (migration,) = [m for m in migrations.available() if m.name == "consent_recorder_standing"]
    for _ in range(2):  # safe to re-run
        for statement in migration.statements():
            sync_driver.execute_query(statement)
    rows = {
        r["id"]: r
        for r in sync_driver.execute_query(
            "MATCH (g:ConsentGrant) WHERE g.id STARTS WITH 'g-test-by-'"
            " RETURN g.id AS id, g.recordedByServiceIds AS services,"
            " g.standingUntil AS until, g.expiresOn AS expires, g.recordedUnderOverrideId AS o"
        ).records
    }
    assert rows["g-test-by-melanie"]["services"] == [SCHOOL]
    assert rows["g-test-by-nurse"]["services"] == [CLINIC]
    assert rows["g-test-by-nobody"]["services"] == []
    assert rows["g-test-by-omar"]["o"] == "o-test-omar"
    assert rows["g-test-by-omar"]["until"].to_native() == omar_override_ends
    assert rows["g-test-by-omar"]["expires"].to_native() == omar_override_ends.date()
    for involved in ("g-test-by-melanie", "g-test-by-nurse"):
        assert rows[involved]["until"] is None and rows[involved]["expires"] is None
    # Melanie's own grant no longer opens the clinic to her; the nurse's still does.
    melanie = as_viewer(practitioner_id="p-melanie")
    assert "i-hannah-clinic" in _involvements(await _profile(melanie))
    sync_driver.execute_query("MATCH (g:ConsentGrant {id: 'g-test-by-nurse'}) DETACH DELETE g")
    assert "i-hannah-clinic" not in _involvements(await _profile(melanie))
