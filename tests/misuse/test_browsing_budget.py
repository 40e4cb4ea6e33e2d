"""R2's browsing budget through GraphQL: distinct children a day, re-reads free, no
oracle past the budget, one alert for the viewer's index team, shared across processes
and kept over a restart."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from typing import Any

import httpx
import neo4j

from api.app import create_app
from policies.browsing import parse_budgets
from policies.viewer import Role
from tests.misuse.conftest import PURPOSE, codes, melanie_as, post, token
from tests.misuse.servers import api_process

CHILD = "query($id: ID!) { child(id: $id) { id givenName address { postcode } } }"
ALERTS = """
query($la: String!) { accessAlerts(localAuthority: $la, first: 100) {
  nodes { id kind subject role localAuthority childIds detail state } } }
"""


def _alerts_for(sync_driver: neo4j.Driver, subject: str, kind: str) -> list[dict[str, Any]]:
    records, _, _ = sync_driver.execute_query(
        "MATCH (a:AccessAlert {subject: $s, kind: $k}) RETURN a { .* } AS a", s=subject, k=kind
    )
    return [r["a"] for r in records]


async def test_past_the_budget_a_new_child_is_refused_and_a_reread_is_free(
    small: httpx.AsyncClient, small_budget_settings: Any, subject: str, sync_driver
) -> None:
    melanie = melanie_as(small_budget_settings, subject)
    assert (await post(small, melanie, CHILD, {"id": "c-hannah"}))["data"]["child"]
    assert (await post(small, melanie, CHILD, {"id": "c-jack"}))["data"]["child"]
    # An id that is no child spends budget too: running out must not tell which ids are real.
    assert codes(await post(small, melanie, CHILD, {"id": "c-no-such-child"})) == ["NOT_FOUND"]
    again = await post(small, melanie, CHILD, {"id": "c-hannah"})
    assert again["data"]["child"]["givenName"] == "Hannah"

    real = await post(small, melanie, CHILD, {"id": "c-ellie"})
    unreal = await post(small, melanie, CHILD, {"id": "c-no-such-child-2"})
    assert real["data"] == {"child": None} and unreal["data"] == {"child": None}
    assert codes(real) == codes(unreal) == ["BROWSING_BUDGET_EXCEEDED"]
    assert real["errors"][0]["message"] == unreal["errors"][0]["message"]
    assert "Ellie" not in str(real)
    # Already read today: still free past the budget.
    assert (await post(small, melanie, CHILD, {"id": "c-jack"}))["data"]["child"]["id"] == "c-jack"

    (alert,) = _alerts_for(sync_driver, subject, "BUDGET_EXCEEDED")
    assert alert["localAuthority"] == "NBR" and alert["state"] == "OPEN"
    assert alert["role"] == "PRACTITIONER" and "3" in alert["detail"]

    # The index team of the viewer's authority sees it; another authority's does not.
    nbr = token(small_budget_settings, Role.INDEX_ADMIN, subject="ia-nbr", local_authority="NBR")
    listed = await post(small, nbr, ALERTS, {"la": "NBR"})
    assert any(a["subject"] == subject for a in listed["data"]["accessAlerts"]["nodes"])
    evl = token(small_budget_settings, Role.INDEX_ADMIN, subject="ia-evl", local_authority="EVL")
    assert codes(await post(small, evl, ALERTS, {"la": "NBR"})) == ["FORBIDDEN"]

    # The refused read is audited, naming the id asked for.
    records, _, _ = sync_driver.execute_query(
        "MATCH (a:AuditEvent {subject: $s}) WHERE any(d IN a.denied WHERE d CONTAINS 'budget')"
        " RETURN a.denied AS denied",
        s=subject,
    )
    denied = [d for r in records for d in r["denied"]]
    assert any(d.startswith("Child:c-ellie:") for d in denied)
    assert any(d.startswith("Child:c-no-such-child-2:") for d in denied)


async def test_aliases_and_fragments_spend_one_place_per_child(
    small: httpx.AsyncClient, small_budget_settings: Any, subject: str
) -> None:
    viewer = melanie_as(small_budget_settings, subject)
    document = """
    fragment F on Child { id givenName }
    query {
      a: child(id: "c-hannah") { ...F }
      b: child(id: "c-hannah") { id }
      c: child(id: "c-jack") { ... on Child { id } }
      d: child(id: "c-ellie") { ...F }
      e: child(id: "c-sam") { ...F }
      f: child(id: "c-x-unknown") { id }
    }
    """
    body = await post(small, viewer, document)
    data = body["data"]
    assert data["a"]["id"] == data["b"]["id"] == "c-hannah"
    assert data["c"]["id"] == "c-jack" and data["d"]["id"] == "c-ellie"
    assert data["e"] is None and data["f"] is None
    refused = {tuple(e["path"]): e["extensions"]["code"] for e in body["errors"]}
    assert refused == {("e",): "BROWSING_BUDGET_EXCEEDED", ("f",): "BROWSING_BUDGET_EXCEEDED"}
    # searchChildren by id spends like child(id): an unknown id is refused the same way.
    search = await post(
        small, viewer, 'query { searchChildren(input: {childId: "c-y"}) { truncated } }'
    )
    assert codes(search) == ["BROWSING_BUDGET_EXCEEDED"] and search["data"] is None


async def test_a_search_spends_on_the_children_it_shows(
    small: httpx.AsyncClient, small_budget_settings: Any, subject: str
) -> None:
    viewer = melanie_as(small_budget_settings, subject)
    search = "query($i: ChildSearchInput!) { searchChildren(input: $i) { matches { id } } }"
    nothing = await post(small, viewer, search, {"i": {"nhsNumber": "9990000018"}})
    assert nothing["data"]["searchChildren"]["matches"] == []
    for child in ("c-hannah", "c-jack", "c-ellie"):
        assert (await post(small, viewer, CHILD, {"id": child}))["data"]["child"]
    # Sam is new today and the budget (3) is spent: the search shows nothing of him.
    sam = await post(small, viewer, search, {"i": {"nhsNumber": "9990001049"}})
    assert (codes(sam) == ["BROWSING_BUDGET_EXCEEDED"] and sam["data"] is None) or (
        sam["data"] == {"searchChildren": None}
    )
    assert "Sam" not in str(sam)
    # Past the budget every search is refused before it runs, even one for a child read
    # today: whether it would have matched must not decide the answer (R4).
    hannah = await post(small, viewer, search, {"i": {"nhsNumber": "9990001014"}})
    assert codes(hannah) == ["BROWSING_BUDGET_EXCEEDED"]
    # ...while re-reading her by id stays free.
    assert (await post(small, viewer, CHILD, {"id": "c-hannah"}))["data"]["child"]


async def test_budgets_differ_by_role(
    small: httpx.AsyncClient, small_budget_settings: Any, subject: str
) -> None:
    lead = token(
        small_budget_settings, Role.SAFEGUARDING_LEAD, subject=subject, local_authority="NBR"
    )
    answers = [await post(small, lead, CHILD, {"id": f"c-lead-probe-{n}"}) for n in range(6)]
    assert [codes(a) for a in answers] == [["NOT_FOUND"]] * 5 + [["BROWSING_BUDGET_EXCEEDED"]]


CONCURRENT = [f"c-concurrent-{n}" for n in range(12)]


async def test_the_budget_holds_across_two_api_processes_and_a_restart(
    settings: Any, subject: str, sync_driver
) -> None:
    viewer = melanie_as(settings, subject)
    env = {"CONTACTGRAPH_BROWSING_BUDGET": "PRACTITIONER=4"}
    with api_process(**env) as one, api_process(**env) as two:
        async with (
            httpx.AsyncClient(base_url=one.url, timeout=60) as a,
            httpx.AsyncClient(base_url=two.url, timeout=60) as b,
        ):
            assert (await post(a, viewer, CHILD, {"id": "c-hannah"}))["data"]["child"]
            assert (await post(b, viewer, CHILD, {"id": "c-jack"}))["data"]["child"]
            # Twelve different ids at once, half to each process: exactly two more fit.
            answers = await asyncio.gather(
                *(
                    post(a if n % 2 else b, viewer, CHILD, {"id": child})
                    for n, child in enumerate(CONCURRENT)
                )
            )
            outcomes = sorted(codes(x)[0] for x in answers)
            assert outcomes == ["BROWSING_BUDGET_EXCEEDED"] * 10 + ["NOT_FOUND"] * 2
            # Each process refuses what the other spent the budget on...
            assert codes(await post(a, viewer, CHILD, {"id": "c-ellie"})) == [
                "BROWSING_BUDGET_EXCEEDED"
            ]
            # ...and re-reads, on either, what the other read.
            assert (await post(a, viewer, CHILD, {"id": "c-jack"}))["data"]["child"]
            assert (await post(b, viewer, CHILD, {"id": "c-hannah"}))["data"]["child"]
        one.process.terminate()
        one.process.wait(timeout=20)
    with api_process(**env) as restarted:
        async with httpx.AsyncClient(base_url=restarted.url, timeout=60) as a:
            assert codes(await post(a, viewer, CHILD, {"id": "c-ellie"})) == [
                "BROWSING_BUDGET_EXCEEDED"
            ]
            assert (await post(a, viewer, CHILD, {"id": "c-jack"}))["data"]["child"]
    assert len(_alerts_for(sync_driver, subject, "BUDGET_EXCEEDED")) == 1
    with contextlib.suppress(Exception):
        sync_driver.execute_query("MATCH (d:BrowsingDay {subject: $s}) DETACH DELETE d", s=subject)


SEARCH = "query($i: ChildSearchInput!) { searchChildren(input: $i) { matches { id } truncated } }"


async def _spend_all(client: httpx.AsyncClient, viewer: str) -> None:
    for child in ("c-jack", "c-ellie", "c-no-such-child-spend"):
        await post(client, viewer, CHILD, {"id": child})
    assert codes(await post(client, viewer, CHILD, {"id": "c-hannah"})) == [
        "BROWSING_BUDGET_EXCEEDED"
    ]


async def test_past_the_budget_a_matching_and_a_missing_search_answer_byte_for_byte_alike(
    small: httpx.AsyncClient, small_budget_settings: Any, subject: str
) -> None:
    viewer = melanie_as(small_budget_settings, subject)
    await _spend_all(small, viewer)
    answers = []
    for nhs in ("9990001049", "9990000018", "9990001014"):
        response = await small.post(
            "/graphql",
            json={"query": SEARCH, "variables": {"i": {"nhsNumber": nhs}}},
            headers={"authorization": f"Bearer {viewer}", "x-purpose": PURPOSE},
        )
        answers.append(response.content)
    assert answers[0] == answers[1] == answers[2]
    assert b"BROWSING_BUDGET_EXCEEDED" in answers[0]


async def test_a_search_past_what_is_left_is_cut_short_not_refused(
    small: httpx.AsyncClient, small_budget_settings: Any, subject: str
) -> None:
    viewer = melanie_as(small_budget_settings, subject)
    for child in ("c-jack", "c-ellie"):
        assert (await post(small, viewer, CHILD, {"id": child}))["data"]["child"]
    # One place left: a search is answered, never refused for what it found.
    found = await post(small, viewer, SEARCH, {"i": {"nhsNumber": "9990001049"}})
    assert "errors" not in found
    assert len(found["data"]["searchChildren"]["matches"]) <= 1


MUTATION = """
mutation { c: appointLeadProfessional(childId: "c-hannah", practitionerId: "p-steve") {
  id address { postcode } involvements { service { name } practitioner { name
  contact { phone } } } carers { name contact { phone } } } }
"""


async def test_past_the_budget_mutation_results_consents_and_aliases_are_refused(
    small: httpx.AsyncClient, small_budget_settings: Any, subject: str
) -> None:
    viewer = melanie_as(small_budget_settings, subject)
    await _spend_all(small, viewer)
    mutated = await post(small, viewer, MUTATION)
    assert "BROWSING_BUDGET_EXCEEDED" in codes(mutated), mutated
    assert not (mutated.get("data") or {}).get("c")
    assert "Hannah" not in str(mutated) and "phone" not in str(mutated.get("data"))
    for child in ("c-hannah", "c-no-such-consent-child"):
        consents = await post(
            small, viewer, f'query {{ a: consents(childId: "{child}") {{ id }} }}'
        )
        assert codes(consents) == ["BROWSING_BUDGET_EXCEEDED"] and consents["data"] is None


CARER_NETWORK = """
query($id: ID!) { carerNetwork(carerId: $id, reason: "tracing the family for review") {
  children { id } } }
"""


async def test_past_the_budget_a_carer_and_an_unknown_carer_answer_byte_for_byte_alike(
    small: httpx.AsyncClient, small_budget_settings: Any, subject: str
) -> None:
    """Found by red-teaming the budget's first fix: carerNetwork refused a carer with
    visible children but answered NOT_FOUND for an unknown id once the budget was spent."""
    lead = token(
        small_budget_settings, Role.SAFEGUARDING_LEAD, subject=subject, local_authority="NBR"
    )
    for child in ("c-jack", "c-ellie", "c-no-such-a", "c-no-such-b", "c-no-such-c"):
        await post(small, lead, CHILD, {"id": child})
    assert codes(await post(small, lead, CHILD, {"id": "c-hannah"})) == ["BROWSING_BUDGET_EXCEEDED"]
    answers = []
    for carer in ("k-karen", "k-no-such-carer"):
        response = await small.post(
            "/graphql",
            json={"query": CARER_NETWORK, "variables": {"id": carer}},
            headers={"authorization": f"Bearer {lead}", "x-purpose": PURPOSE},
        )
        answers.append(response.content)
    assert answers[0] == answers[1]
    assert b"BROWSING_BUDGET_EXCEEDED" in answers[0]


LEAD = 'query { child(id: "c-hannah") { leadProfessional { id } } }'


async def test_past_the_budget_a_mutation_is_refused_before_it_writes(
    small: httpx.AsyncClient, small_budget_settings: Any, subject: str
) -> None:
    """The answer is not all that is refused: nothing is written, so a caller told
    BROWSING_BUDGET_EXCEEDED knows the change was not made."""
    onlooker = melanie_as(small_budget_settings, f"{subject}-onlooker")
    before = (await post(small, onlooker, LEAD))["data"]["child"]["leadProfessional"]
    assert (before or {}).get("id") != "p-steve"
    viewer = melanie_as(small_budget_settings, subject)
    await _spend_all(small, viewer)
    mutated = await post(small, viewer, MUTATION)
    assert codes(mutated) == ["BROWSING_BUDGET_EXCEEDED"], mutated
    after = (await post(small, onlooker, LEAD))["data"]["child"]["leadProfessional"]
    assert after == before

    admin = token(
        small_budget_settings, Role.INDEX_ADMIN, subject=f"{subject}-admin", local_authority="NBR"
    )
    for child in ("c-jack", "c-ellie", "c-no-such-a", "c-no-such-b", "c-no-such-c"):
        await post(small, admin, CHILD, {"id": child})
    shield = await post(
        small,
        admin,
        'mutation { setShielded(childId: "c-hannah", shielded: true, reason: "probe") { id } }',
    )
    assert codes(shield) == ["BROWSING_BUDGET_EXCEEDED"], shield
    still = await post(small, onlooker, 'query { child(id: "c-hannah") { address { postcode } } }')
    assert still["data"]["child"]["address"] is not None  # not shielded: nothing was written


async def test_a_re_read_is_free_even_past_a_budget_lowered_since(
    graph: Any, small: httpx.AsyncClient, small_budget_settings: Any, subject: str
) -> None:
    """Found by the red team: after a restart with a lower budget, a child already read
    that day was refused. A lowered budget stands for new children only."""
    viewer = melanie_as(small_budget_settings, subject)
    for child in ("c-jack", "c-ellie", "c-hannah"):
        assert (await post(small, viewer, CHILD, {"id": child}))["data"]["child"]
    lowered = dataclasses.replace(
        small_budget_settings, browsing_budgets=parse_budgets("PRACTITIONER=1")
    )
    app = create_app(lowered, graph=graph)  # a new process: it remembers nothing counted
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        again = await post(c, viewer, CHILD, {"id": "c-hannah"})
        assert again["data"]["child"]["id"] == "c-hannah", again
        new = await post(c, viewer, CHILD, {"id": "c-sam"})
        assert codes(new) == ["BROWSING_BUDGET_EXCEEDED"]


NETWORK = """
query { involvementNetwork(childId: "c-hannah", reason: "tracing the family for review",
  depth: 2) { children { id } links { from to } truncated } }
"""


async def test_a_network_past_what_is_left_is_cut_short_not_refused(
    small: httpx.AsyncClient, small_budget_settings: Any, subject: str
) -> None:
    """Found by the red team: a network with more new children than places left was
    refused, so whether it was refused told how many children it held."""
    lead = token(
        small_budget_settings, Role.SAFEGUARDING_LEAD, subject=subject, local_authority="NBR"
    )
    whole = await post(
        small,
        token(
            small_budget_settings,
            Role.SAFEGUARDING_LEAD,
            subject=f"{subject}-b",
            local_authority="NBR",
        ),
        NETWORK,
    )
    assert len(whole["data"]["involvementNetwork"]["children"]) > 2, whole
    for child in ("c-sam", "c-no-such-a", "c-no-such-b"):
        await post(small, lead, CHILD, {"id": child})
    # Two places left: Hannah and the nearest other child, cut short and said so.
    cut = await post(small, lead, NETWORK)
    assert "errors" not in cut, cut
    network = cut["data"]["involvementNetwork"]
    shown = [c["id"] for c in network["children"]]
    assert shown[0] == "c-hannah" and len(shown) == 2 and network["truncated"] is True
    assert all(k["from"] in shown for k in network["links"])
    assert all(k["to"] in shown for k in network["links"] if k["to"].startswith("c-"))
    # Now spent: refused before it runs, as a search is.
    assert codes(await post(small, lead, NETWORK)) != []
