"""R16 retention against the graph: archive at 18, delete six years on, the death rule.

Children are put on the index directly with dates relative to today, the job runs
for today, and each one's fate is checked, with everything that hung on the deleted
ones. Then the job runs again and changes nothing.
"""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import neo4j
import pytest

from api.retention import run_retention
from policies.ages import birthday_in_year
from tests.feeds.conftest import CLI, REPO

TODAY = date.today()


def years_ago(years: int, days: int = 0) -> date:
    return birthday_in_year(TODAY, TODAY.year - years) - timedelta(days=days)


class Population:
    def __init__(self, driver: neo4j.Driver) -> None:
        self.driver = driver
        self.tag = uuid.uuid4().hex[:8]
        self.ids: dict[str, str] = {}

    def child(
        self,
        name: str,
        born: date,
        archived_on: date | None = None,
        died: date | None = None,
    ) -> str:
        child_id = f"c-ret-{self.tag}-{name}"
        self.driver.execute_query(
            "CREATE (c:Child {id: $id, givenName: $name, familyName: 'Retention', "
            "familyNameKey: 'retention', givenNameKey: toLower($name), gender: 'MALE', "
            "shielded: false, localAuthority: 'NBR', dateOfBirth: $born, "
            "archivedOn: $archived, dateOfDeath: $died})",
            id=child_id,
            name=name,
            born=born,
            archived=archived_on,
            died=died,
        )
        self.ids[name] = child_id
        return child_id

    def state(self) -> dict[str, Any]:
        rows = self.driver.execute_query(
            "UNWIND $ids AS id OPTIONAL MATCH (c:Child {id: id}) "
            "RETURN id, c IS NOT NULL AS exists, c.archivedOn AS archived",
            ids=list(self.ids.values()),
        ).records
        by_id = {r["id"]: r for r in rows}
        out: dict[str, Any] = {}
        for name, child_id in self.ids.items():
            row = by_id[child_id]
            if not row["exists"]:
                out[name] = "deleted"
            else:
                archived = row["archived"]
                out[name] = archived.to_native() if archived is not None else "live"
        return out


@pytest.fixture
def population(graph: Any, sync_driver: neo4j.Driver) -> Iterator[Population]:
    pop = Population(sync_driver)
    yield pop
    sync_driver.execute_query(
        "MATCH (n) WHERE n.id STARTS WITH $prefix DETACH DELETE n", prefix=f"c-ret-{pop.tag}"
    )
    sync_driver.execute_query(
        "MATCH (n) WHERE n.id STARTS WITH $prefix DETACH DELETE n", prefix=f"x-ret-{pop.tag}"
    )


def _hang_things_on(driver: neo4j.Driver, tag: str, child_id: str, sibling_id: str) -> None:
    """Everything that hangs on a child: all of it must go with the child, except the
    carer shared with a sibling, the practitioner and service, and the audit event."""
    x = f"x-ret-{tag}"
    driver.execute_query(
        """
        MATCH (c:Child {id: $child}), (sib:Child {id: $sibling})
        MATCH (p:Practitioner {id: 'p-melanie'}), (s:Service {id: 's-oakfield-school'})
        CREATE (i:Involvement {id: $x + '-inv', startedOn: date('2010-01-01'), source: 'test'})
        CREATE (i)-[:OF]->(c), (i)-[:AT]->(s), (i)-[:BY]->(p)
        CREATE (a:Assessment {id: $x + '-caf', status: 'CLOSED', startedOn: date('2011-01-01')})
        CREATE (a)-[:ABOUT]->(c), (p)-[:HOLDS]->(a)
        CREATE (:AssessmentNeed {domain: 'DEVELOPMENT_OF_CHILD', element: 'x', summary: 'y'})
               -[:OF]->(a)
        CREATE (d:DeliveryAction {id: $x + '-action', description: 'z'})-[:OF]->(a)
        CREATE (g:ConsentGrant {id: $x + '-grant', purpose: 'SHARE_CONTACT_DETAILS',
                                state: 'ACTIVE'})
        CREATE (g)-[:ABOUT]->(c), (g)-[:COVERS]->(s), (g)-[:GRANTED_TO]->(p)
        CREATE (o:AccessOverride {id: $x + '-override'})-[:FOR]->(c)
        CREATE (only:Carer {id: $x + '-only-carer', name: 'Only Carer'})-[:CARES_FOR]->(c)
        CREATE (shared:Carer {id: $x + '-shared-carer', name: 'Shared Carer'})-[:CARES_FOR]->(c)
        CREATE (shared)-[:CARES_FOR]->(sib)
        CREATE (p)-[:LEAD_PROFESSIONAL_FOR]->(c)
        CREATE (:FeedRecord {source: $x, sourceRef: 'r1', op: 'UPSERT_CHILD', childId: $child,
                             entityId: $child, payloadHash: 'h', status: 'ACCEPTED'})
        CREATE (e:AuditEvent {id: $x + '-event', seq: -1, action: 'child', childIds: [$child]})
        CREATE (e)-[:CONCERNS]->(c)
        """,
        child=child_id,
        sibling=sibling_id,
        x=x,
    )


def _count(driver: neo4j.Driver, query: str, **params: Any) -> int:
    return int(driver.execute_query(query, params).records[0][0])


async def test_archive_at_18_delete_after_six_years_and_the_death_rule(
    graph: Any, population: Population, sync_driver: neo4j.Driver
) -> None:
    pop = population
    pop.child("turns18today", years_ago(18))
    pop.child("turned18yesterday", years_ago(18, days=1))
    pop.child("turns18tomorrow", years_ago(18, days=-1))
    pop.child("young", years_ago(9))
    doomed = pop.child("archived6yearsago", years_ago(24), archived_on=years_ago(6))
    sibling = pop.child("sibling", years_ago(16))
    pop.child("archived6yearsless1day", years_ago(24), archived_on=years_ago(6, days=-1))
    pop.child("died1yearago", years_ago(10), died=years_ago(1))
    pop.child("died364daysago", years_ago(10), died=TODAY - timedelta(days=364))
    pop.child("over18diedat17recently", years_ago(18, days=50), died=TODAY - timedelta(days=100))
    pop.child("loadedlate", years_ago(30))
    _hang_things_on(sync_driver, pop.tag, doomed, sibling)

    dry = await run_retention(graph, as_of=TODAY, dry_run=True)
    assert pop.state()["turns18today"] == "live"  # a dry run changes nothing ...
    assert dry.audit_event_id is None  # ... and so is not an event
    assert dry.archived_at_18 >= 2 and dry.deleted_children >= 2

    summary = await run_retention(graph, as_of=TODAY, batch_size=3)
    assert pop.state() == {
        "turns18today": TODAY,
        "turned18yesterday": TODAY - timedelta(days=1),
        "turns18tomorrow": "live",
        "young": "live",
        "archived6yearsago": "deleted",
        "sibling": "live",
        "archived6yearsless1day": years_ago(6, days=-1),
        "died1yearago": TODAY,
        "died364daysago": "live",
        "over18diedat17recently": "live",
        "loadedlate": "deleted",
    }
    x = f"x-ret-{pop.tag}"
    for label in ("Involvement", "Assessment", "DeliveryAction", "ConsentGrant", "AccessOverride"):
        assert (
            _count(sync_driver, f"MATCH (n:{label}) WHERE n.id STARTS WITH $x RETURN count(n)", x=x)
            == 0
        )
    assert (
        _count(sync_driver, "MATCH (n:AssessmentNeed {element: 'x', summary: 'y'}) RETURN count(n)")
        == 0
    )
    assert (
        _count(sync_driver, "MATCH (k:Carer {id: $id}) RETURN count(k)", id=f"{x}-only-carer") == 0
    )
    assert (
        _count(sync_driver, "MATCH (k:Carer {id: $id}) RETURN count(k)", id=f"{x}-shared-carer")
        == 1
    )
    assert _count(sync_driver, "MATCH (f:FeedRecord {source: $x}) RETURN count(f)", x=x) == 0
    # What does not hang only on the child stays: practitioner, service, the audit event.
    assert _count(sync_driver, "MATCH (p:Practitioner {id: 'p-melanie'}) RETURN count(p)") == 1
    assert (
        _count(
            sync_driver,
            "MATCH (e:AuditEvent {id: $id}) WHERE $c IN e.childIds RETURN count(e)",
            id=f"{x}-event",
            c=doomed,
        )
        == 1
    )

    assert summary.deleted["involvements"] >= 1 and summary.deleted["carers"] >= 1
    assert summary.archived_after_death >= 1
    event = sync_driver.execute_query(
        "MATCH (e:AuditEvent {id: $id}) "
        "RETURN e.action AS action, e.childIds AS ids, e.role AS role",
        id=summary.audit_event_id,
    ).records[0]
    assert event["action"] == "retention" and event["role"] == "INDEX_ADMIN"
    assert set(event["ids"]) >= {
        pop.ids["turns18today"],
        pop.ids["turned18yesterday"],
        pop.ids["died1yearago"],
        doomed,
        pop.ids["loadedlate"],
    }
    assert pop.ids["turns18tomorrow"] not in event["ids"]

    # Safe to re-run: nothing more to do today.
    before = pop.state()
    again = await run_retention(graph, as_of=TODAY)
    assert pop.state() == before
    assert again.audit_event_id is not None
    event = sync_driver.execute_query(
        "MATCH (e:AuditEvent {id: $id}) RETURN e.childIds AS ids", id=again.audit_event_id
    ).records[0]
    assert not set(event["ids"]) & set(pop.ids.values())

    # Tomorrow the one who turns 18 tomorrow goes too (the job as run on that day).
    tomorrow = await run_retention(graph, as_of=TODAY + timedelta(days=1))
    assert pop.state()["turns18tomorrow"] == TODAY + timedelta(days=1)
    assert tomorrow.archived_at_18 >= 1


async def test_archived_children_are_not_found_after_retention(
    graph: Any, population: Population, as_viewer: Any
) -> None:
    from tests.queries import SEARCH

    child_id = population.child("adult", years_ago(18, days=3))
    caller = as_viewer(practitioner_id="p-melanie")
    found = await caller.post(SEARCH, {"input": {"childId": child_id}})
    assert [m["id"] for m in found["data"]["searchChildren"]["matches"]] == [child_id]
    await run_retention(graph, as_of=TODAY)
    gone = await caller.post(SEARCH, {"input": {"childId": child_id}})
    assert gone["data"]["searchChildren"]["matches"] == []


async def test_retention_command_dry_run_prints_and_changes_nothing(
    population: Population,
) -> None:
    population.child("cliadult", years_ago(19))
    result = subprocess.run(
        [
            *CLI,
            "retention",
            "run",
            "--dry-run",
            "--as-of",
            TODAY.isoformat(),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert f"retention dry run as of {TODAY.isoformat()}" in result.stdout
    assert "archived at 18th birthday" in result.stdout
    assert population.state()["cliadult"] == "live"
    bad = subprocess.run(
        [
            *CLI,
            "retention",
            "run",
            "--as-of",
            "31/12/2025",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2 and "--as-of" in bad.stderr
