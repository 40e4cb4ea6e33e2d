"""A small synthetic population in two test-only local authorities, and a fresh snapshot.

ZTA holds the groups the tests reason about; ZTB is a second authority so that lines
over local authorities have more than one other member. Codes that no real or seeded
authority uses keep the expected counts exact whatever else is in the graph.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import neo4j
import pytest

from api.resolvers.statistics import refresh_snapshot
from seed.hannah import add_years

SERVICES = [
    # id, kind, sensitive, local authority
    ("s-zta-school", "SCHOOL", False, "ZTA"),
    ("s-zta-gp", "GP", False, "ZTA"),
    ("s-zta-camhs", "MENTAL_HEALTH", True, "ZTA"),
    ("s-zta-refuge", "VOLUNTARY", True, "ZTA"),  # an ordinary kind flagged sensitive
    ("s-zta-housing", "HOUSING", False, "ZTA"),
    ("s-ztb-school", "SCHOOL", False, "ZTB"),
    ("s-ztb-gp", "GP", False, "ZTB"),
    ("s-ztb-camhs", "MENTAL_HEALTH", True, "ZTB"),
]


@dataclass
class Population:
    """What the fixture created, so tests can state the true counts."""

    today: date
    children: list[dict[str, Any]] = field(default_factory=list)
    involvements: list[dict[str, Any]] = field(default_factory=list)

    def add(
        self,
        la: str,
        count: int,
        age: int,
        gender: str,
        services: tuple[str, ...],
        caf: bool = False,
        **extra: Any,
    ) -> None:
        for _ in range(count):
            n = len(self.children) + 1
            child_id = f"c-{la.lower()}-{n}"
            born = add_years(self.today, -age) - timedelta(days=30)
            self.children.append(
                {
                    "id": child_id,
                    "givenName": f"Zed{n}",
                    "familyName": "Testcount",
                    "dateOfBirth": born,
                    "gender": gender,
                    "localAuthority": la,
                    "shielded": False,
                    "caf": caf,
                    "archivedOn": extra.get("archived_on"),
                }
            )
            for service in services:
                self.involvements.append(
                    {
                        "id": f"i-{child_id}-{service}",
                        "childId": child_id,
                        "serviceId": service,
                        "endedOn": extra.get("ended_on", {}).get(service),
                    }
                )


def build(today: date) -> Population:
    p = Population(today)
    usual = ("s-zta-school", "s-zta-gp")
    p.add("ZTA", 24, 8, "FEMALE", usual)
    p.add("ZTA", 6, 8, "FEMALE", (*usual, "s-zta-camhs"))
    p.add("ZTA", 23, 7, "MALE", usual)
    p.add("ZTA", 2, 7, "MALE", (*usual, "s-zta-refuge"))
    p.add("ZTA", 3, 13, "MALE", usual, caf=True)
    # Not counted: an ended involvement beyond 365 days (R5), an archived record and an
    # 18-year-old whose record the retention job has not archived yet (R16).
    p.add("ZTA", 1, 9, "FEMALE", (*usual, "s-zta-housing"),
          ended_on={"s-zta-housing": today - timedelta(days=400)})  # fmt: skip
    p.add("ZTA", 1, 9, "FEMALE", usual, archived_on=today - timedelta(days=3))
    p.add("ZTA", 1, 18, "MALE", usual)
    ztb = ("s-ztb-school", "s-ztb-gp")
    p.add("ZTB", 6, 8, "FEMALE", ztb)
    p.add("ZTB", 5, 7, "MALE", (*ztb, "s-ztb-camhs"))
    return p


@pytest.fixture(scope="module")
async def population(
    graph: Any, sync_driver: neo4j.Driver, today: date
) -> AsyncIterator[Population]:
    p = build(today)
    sync_driver.execute_query(
        """
        UNWIND $services AS s
        MERGE (svc:Service {id: s[0]})
        SET svc.name = 'Test ' + s[0], svc.kind = s[1], svc.sensitive = s[2],
            svc.localAuthority = s[3], svc.phone = '01632 960999',
            svc.email = 'test@example.org'
        WITH count(*) AS done
        UNWIND $children AS row
        CREATE (c:Child {id: row.id})
        SET c.givenName = row.givenName, c.familyName = row.familyName,
            c.dateOfBirth = row.dateOfBirth, c.gender = row.gender,
            c.localAuthority = row.localAuthority, c.shielded = row.shielded,
            c.archivedOn = row.archivedOn, c.addressLine1 = '1 Count Street',
            c.postcode = 'ZZ1 1ZZ'
        FOREACH (_ IN CASE WHEN row.caf THEN [1] ELSE [] END |
          CREATE (:Assessment {id: 'a-' + row.id, status: 'OPEN', startedOn: date()})-[:ABOUT]->(c))
        WITH count(*) AS done
        UNWIND $involvements AS row
        MATCH (c:Child {id: row.childId}), (s:Service {id: row.serviceId})
        CREATE (i:Involvement {id: row.id, startedOn: date() - duration('P100D'),
                               endedOn: row.endedOn, isLeadProfessional: false, source: 'test'})
        CREATE (i)-[:OF]->(c)
        CREATE (i)-[:AT]->(s)
        """,
        services=[list(s) for s in SERVICES],
        children=p.children,
        involvements=p.involvements,
    )
    await refresh_snapshot(graph, today)
    yield p
    sync_driver.execute_query(
        """
        MATCH (n) WHERE (n:Child OR n:Involvement OR n:Assessment OR n:Service)
          AND any(prefix IN ['c-zt', 'i-c-zt', 'a-c-zt', 's-zt'] WHERE n.id STARTS WITH prefix)
        DETACH DELETE n
        """
    )
    await refresh_snapshot(graph, today)
