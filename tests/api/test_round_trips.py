"""No N+1: a search returning many children with every nested field costs a constant
number of Cypher round trips, whatever the list sizes."""

from __future__ import annotations

import neo4j

from tests.queries import CHILD_PROFILE, SEARCH

FAMILY = "Roundtrip"
DOB = "2015-05-05"


def _make_family(driver: neo4j.Driver, children: int) -> None:
    driver.execute_query(
        """
        UNWIND range(1, $n) AS k
        MERGE (c:Child {id: 'c-rt-' + k})
        SET c.givenName = 'Kid' + k, c.givenNameKey = 'kid' + k, c.familyName = $family,
            c.familyNameKey = toLower($family), c.dateOfBirth = date($dob), c.gender = 'MALE',
            c.shielded = k % 7 = 0, c.localAuthority = 'NBR', c.addressLine1 = k + ' Test Row',
            c.postcode = 'NB9 9ZZ', c.postcodeKey = 'NB99ZZ'
        WITH c, k
        MATCH (school:Service {id: 's-oakfield-school'}), (youth:Service {id: 's-nbr-youth'}),
              (lee:Practitioner {id: 'p-lee'}), (karen:Carer {id: 'k-karen'})
        MERGE (i1:Involvement {id: 'i-rt-school-' + k}) SET i1.startedOn = date('2020-01-01'),
            i1.isLeadProfessional = false, i1.source = 'test'
        MERGE (i1)-[:OF]->(c) MERGE (i1)-[:AT]->(school)
        MERGE (i2:Involvement {id: 'i-rt-youth-' + k}) SET i2.startedOn = date('2024-01-01'),
            i2.isLeadProfessional = k % 2 = 0, i2.source = 'test'
        MERGE (i2)-[:OF]->(c) MERGE (i2)-[:AT]->(youth) MERGE (i2)-[:BY]->(lee)
        MERGE (karen)-[r:CARES_FOR]->(c) SET r.relationship = 'aunt', r.parentalResponsibility = false,
            r.livesWithChild = false
        MERGE (lee)-[:LEAD_PROFESSIONAL_FOR]->(c)
        """,
        n=children,
        family=FAMILY,
        dob=DOB,
    )


def _remove_family(driver: neo4j.Driver) -> None:
    driver.execute_query(
        "MATCH (n) WHERE n.id STARTS WITH 'c-rt-' OR n.id STARTS WITH 'i-rt-' DETACH DELETE n"
    )


async def test_search_of_25_children_costs_the_same_round_trips_as_one(
    as_viewer, sync_driver
) -> None:
    caller = as_viewer(practitioner_id="p-melanie")
    try:
        _make_family(sync_driver, 1)
        one = await caller.post(SEARCH, {"input": {"familyName": FAMILY, "dateOfBirth": DOB}})
        assert len(one["data"]["searchChildren"]["matches"]) == 1
        _make_family(sync_driver, 25)
        many = await caller.post(SEARCH, {"input": {"familyName": FAMILY, "dateOfBirth": DOB}})
        result = many["data"]["searchChildren"]
        assert len(result["matches"]) == 20 and result["truncated"] is True
        assert all(len(c["involvements"]) == 2 for c in result["matches"] if not c["shielded"])
        # The day's browsing count read before matching (R2: a spent budget refuses any
        # search alike), one read for every child and nested fact, and one write spending
        # the budget on the children shown that are new today, however many; the audit
        # write is outside the count.
        assert one["extensions"]["cypherRoundTrips"] == many["extensions"]["cypherRoundTrips"] == 3
        # Searching again shows nothing new today: the budget costs no write.
        again = await caller.post(SEARCH, {"input": {"familyName": FAMILY, "dateOfBirth": DOB}})
        assert again["extensions"]["cypherRoundTrips"] == 2
    finally:
        _remove_family(sync_driver)


async def test_full_profile_is_one_round_trip(as_viewer) -> None:
    body = await as_viewer(practitioner_id="p-melanie").post(CHILD_PROFILE, {"id": "c-hannah"})
    assert body["data"]["child"]["id"] == "c-hannah"
    assert body["extensions"]["cypherRoundTrips"] == 1
