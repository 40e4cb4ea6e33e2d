"""The synthetic population: deterministic, realistic in shape, and never real. No database."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import date, timedelta
from typing import Any

import pytest

from graph import load
from graph.keys import address_key, name_key, postcode_key
from graph.nhs_number import is_valid
from seed import hannah
from seed.hannah import Scenario
from seed.synthetic import age_on, generate

TODAY = date(2025, 3, 14)
N = 20_000
KINDS = [
    "local_authorities",
    "services",
    "practitioners",
    "children",
    "carers",
    "cares_for",
    "involvements",
    "assessments",
    "lead_professionals",
]
EDUCATION = {"EARLY_YEARS", "SCHOOL", "FURTHER_EDUCATION"}
PHONE = re.compile(r"^(01632 960|07700 900)\d{3}$")
EMAIL = re.compile(r"^[a-z0-9.\-]+@([a-z0-9\-]+\.)*example\.(org|net)$")


def merged(batches: list[Scenario]) -> Scenario:
    whole = Scenario()
    for batch in batches:
        for kind in KINDS:
            getattr(whole, kind).extend(getattr(batch, kind))
    return whole


@pytest.fixture(scope="module")
def batches() -> list[Scenario]:
    return list(generate(N, seed=7, today=TODAY))


@pytest.fixture(scope="module")
def population(batches: list[Scenario]) -> Scenario:
    return merged(batches)


@pytest.fixture(scope="module")
def services(population: Scenario) -> dict[str, dict[str, Any]]:
    return {s["id"]: s for s in population.services}


@pytest.fixture(scope="module")
def by_child(population: Scenario) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for involvement in population.involvements:
        grouped[involvement["childId"]].append(involvement)
    return grouped


def share(count: int, total: int = N) -> float:
    return count / total


# --- Determinism ----------------------------------------------------------------------


def test_same_seed_gives_the_same_population() -> None:
    first = list(generate(3000, seed=11, today=TODAY))
    second = list(generate(3000, seed=11, today=TODAY))
    assert first == second


def test_another_seed_gives_other_children_but_the_same_services() -> None:
    one = merged(list(generate(2000, seed=1, today=TODAY)))
    two = merged(list(generate(2000, seed=2, today=TODAY)))
    assert [c["givenName"] for c in one.children] != [c["givenName"] for c in two.children]
    assert one.services == two.services
    assert one.practitioners == two.practitioners
    assert one.local_authorities == two.local_authorities


def test_a_smaller_population_is_a_prefix_of_a_larger_one() -> None:
    """Seeding 1,000 then 5,000 with one seed upserts the first 1,000 instead of duplicating."""
    small = merged(list(generate(1000, seed=5, today=TODAY)))
    large = merged(list(generate(5000, seed=5, today=TODAY)))
    large_children = {c["id"]: c for c in large.children}
    assert all(large_children[c["id"]] == c for c in small.children)
    large_carers = {k["id"]: k for k in large.carers}
    assert all(large_carers[k["id"]] == k for k in small.carers)
    # Involvements keep their ids, children and dates; only which school or GP of the
    # (larger) pool they point at may differ.
    moved = {"serviceId", "practitionerId"}
    large_involvements = {i["id"]: i for i in large.involvements}
    for involvement in small.involvements:
        other = large_involvements[involvement["id"]]
        assert {k: v for k, v in involvement.items() if k not in moved} == {
            k: v for k, v in other.items() if k not in moved
        }
    # Service records never depend on the population size.
    large_services = {s["id"]: s for s in large.services}
    assert all(large_services[s["id"]] == s for s in small.services)


def test_children_have_ids_no_one_can_walk(population: Scenario) -> None:
    """Children's ids look like a feed's (c-<32 hex>), not c-s7-1, c-s7-2 ... (issue 16);
    the other records, which no query reaches without a child, stay readable."""
    ids = [c["id"] for c in population.children]
    assert all(re.fullmatch(r"c-[0-9a-f]{32}", i) for i in ids)
    assert len(set(ids)) == len(ids)
    again = [c["id"] for batch in generate(N, seed=7, today=TODAY) for c in batch.children]
    assert again == ids  # the same key, seed and number give the same id
    keyed = [
        c["id"] for batch in generate(N, seed=7, today=TODAY, id_key=b"x") for c in batch.children
    ]
    assert not set(keyed) & set(ids)  # another install's key gives other ids
    assert all(re.fullmatch(r"k-s7-\d+", k["id"]) for k in population.carers)
    assert all(re.fullmatch(r"i-s7-\d+", i["id"]) for i in population.involvements)
    assert all(re.fullmatch(r"a-s7-\d+", a["id"]) for a in population.assessments)
    assert all(re.fullmatch(r"s-[a-z]{3}-[a-z\-]+-\d+", s["id"]) for s in population.services)
    for kind in ("children", "carers", "involvements", "assessments", "services", "practitioners"):
        ids = [record["id"] for record in getattr(population, kind)]
        assert len(ids) == len(set(ids)), kind


def test_batches_are_about_five_thousand_children_and_keep_siblings_together(
    batches: list[Scenario],
) -> None:
    assert len(batches) == 4
    assert all(5000 <= len(b.children) < 5004 for b in batches[:-1])
    assert sum(len(b.children) for b in batches) == N
    assert batches[0].services and not any(b.services for b in batches[1:])
    carers_by_batch = [{r["carerId"] for r in b.cares_for} for b in batches]
    for i, carers in enumerate(carers_by_batch):
        for later in carers_by_batch[i + 1 :]:
            assert not carers & later  # a household never straddles two batches


# --- Shape and proportions ------------------------------------------------------------


def test_ages_run_from_newborn_to_seventeen(population: Scenario) -> None:
    ages = Counter(age_on(c["dateOfBirth"], TODAY) for c in population.children)
    assert set(ages) == set(range(18))
    assert all(0.04 < share(count) < 0.075 for count in ages.values())  # about 1/18 each


def test_children_are_spread_over_the_four_local_authorities(population: Scenario) -> None:
    spread = Counter(c["localAuthority"] for c in population.children)
    assert set(spread) == {"NBR", "EVL", "SMR", "WFD"}
    assert all(0.15 < share(count) < 0.35 for count in spread.values())


def test_every_child_has_an_education_setting_for_their_age_and_a_gp(
    population: Scenario, services: dict[str, dict[str, Any]], by_child: dict[str, list[Any]]
) -> None:
    for child in population.children:
        age = age_on(child["dateOfBirth"], TODAY)
        expected = "EARLY_YEARS" if age < 5 else "SCHOOL" if age < 16 else "FURTHER_EDUCATION"
        kinds = [services[i["serviceId"]]["kind"] for i in by_child[child["id"]]]
        education = [k for k in kinds if k in EDUCATION]
        assert education == [expected], child["id"]
        gps = [i for i in by_child[child["id"]] if services[i["serviceId"]]["kind"] == "GP"]
        assert len(gps) == 1 and gps[0]["practitionerId"] is None and gps[0]["endedOn"] is None


def test_a_quarter_have_further_involvements_some_ended(
    population: Scenario, services: dict[str, dict[str, Any]], by_child: dict[str, list[Any]]
) -> None:
    further = {
        child: [i for i in rows if services[i["serviceId"]]["kind"] not in EDUCATION | {"GP"}]
        for child, rows in by_child.items()
    }
    with_further = [rows for rows in further.values() if rows]
    assert 0.20 <= share(len(with_further)) <= 0.30
    assert all(1 <= len(rows) <= 4 for rows in with_further)
    rows = [i for group in with_further for i in group]
    assert share(sum(i["practitionerId"] is not None for i in rows), len(rows)) > 0.75
    ended_days = [(TODAY - i["endedOn"]).days for i in rows if i["endedOn"] is not None]
    recent = sum(1 for d in ended_days if 0 < d < 365)
    old = sum(1 for d in ended_days if d > 365)
    assert recent + old == len(ended_days)  # never exactly on the 365-day boundary
    assert share(recent, len(rows)) > 0.15 and share(old, len(rows)) > 0.08


def test_dates_make_sense(population: Scenario) -> None:
    born = {c["id"]: c["dateOfBirth"] for c in population.children}
    for involvement in population.involvements:
        assert born[involvement["childId"]] <= involvement["startedOn"] <= TODAY
        if involvement["endedOn"] is not None:
            assert involvement["startedOn"] <= involvement["endedOn"] < TODAY
    for child in population.children:
        assert TODAY - timedelta(days=18 * 366) < child["dateOfBirth"] <= TODAY
        assert age_on(child["dateOfBirth"], TODAY) <= 17  # R16: archived at 18


def test_about_three_percent_have_a_caf_held_by_an_involved_practitioner(
    population: Scenario, by_child: dict[str, list[Any]]
) -> None:
    assert 0.02 < share(len(population.assessments)) < 0.04
    assert len({a["childId"] for a in population.assessments}) == len(population.assessments)
    statuses = Counter(a["status"] for a in population.assessments)
    assert statuses["OPEN"] > 0.7 * len(population.assessments)
    assert set(statuses) <= {"OPEN", "CLOSED", "TRANSFERRED_TO_SOCIAL_CARE"}
    for caf in population.assessments:
        involved = {i["practitionerId"] for i in by_child[caf["childId"]] if i["practitionerId"]}
        assert caf["holderId"] in involved
        assert set(caf["teamMemberIds"]) <= involved - {caf["holderId"]}
        if caf["status"] == "OPEN":
            assert caf["closedOn"] is None and caf["nextReviewOn"] > TODAY
        else:
            assert caf["startedOn"] <= caf["closedOn"] <= TODAY and caf["closeReason"]


def test_lead_professionals_have_an_active_involvement(
    population: Scenario, by_child: dict[str, list[Any]]
) -> None:
    leads = population.lead_professionals
    assert 0.005 < share(len(leads)) < 0.06
    assert len({lead["childId"] for lead in leads}) == len(leads)  # one per child
    for lead in leads:
        active = [
            i
            for i in by_child[lead["childId"]]
            if i["practitionerId"] == lead["practitionerId"] and i["endedOn"] is None
        ]
        assert active and lead["since"] <= TODAY


def test_about_one_percent_are_involved_with_a_sensitive_service(
    population: Scenario, services: dict[str, dict[str, Any]]
) -> None:
    sensitive = {
        i["childId"] for i in population.involvements if services[i["serviceId"]]["sensitive"]
    }
    assert 0.006 < share(len(sensitive)) < 0.015
    kinds = {s["kind"] for s in services.values() if s["sensitive"]}
    assert kinds == {"MENTAL_HEALTH", "SEXUAL_HEALTH", "SUBSTANCE_MISUSE"}
    assert all(s["sensitive"] == (s["kind"] in kinds) for s in services.values())


def test_about_point_three_percent_are_shielded(population: Scenario) -> None:
    shielded = sum(c["shielded"] for c in population.children)
    assert 0.001 < share(shielded) < 0.006


def test_service_pools_match_the_population(population: Scenario) -> None:
    kinds = Counter(s["kind"] for s in population.services)
    assert 35 <= kinds["SCHOOL"] <= 65  # about one per 400 children
    assert 10 <= kinds["GP"] <= 20  # about one per 1,500
    assert all(kinds[k] >= 4 for k in ("SOCIAL_CARE", "MENTAL_HEALTH", "SEXUAL_HEALTH"))
    per_service = Counter(p["serviceId"] for p in population.practitioners)
    assert set(per_service) == {s["id"] for s in population.services}
    assert all(2 <= count <= 6 for count in per_service.values())


def test_involvements_point_at_real_services_and_their_own_staff(population: Scenario) -> None:
    works_for = {p["id"]: p["serviceId"] for p in population.practitioners}
    services = {s["id"] for s in population.services}
    children = {c["id"] for c in population.children}
    for involvement in population.involvements:
        assert involvement["childId"] in children
        assert involvement["serviceId"] in services
        if involvement["practitionerId"] is not None:
            assert works_for[involvement["practitionerId"]] == involvement["serviceId"]


# --- Households -----------------------------------------------------------------------


def test_siblings_share_carers_and_an_address(population: Scenario) -> None:
    children = {c["id"]: c for c in population.children}
    cared_for: dict[str, list[str]] = defaultdict(list)
    for rel in population.cares_for:
        cared_for[rel["carerId"]].append(rel["childId"])
    sizes: Counter[int] = Counter()
    for carer, kids in cared_for.items():
        assert 1 <= len(kids) <= 4, carer
        assert len({children[k]["addressKey"] for k in kids}) == 1, carer
        sizes[len(kids)] += 1
    assert sizes[1] and sizes[2] and sizes[3] and sizes[4]
    # ... and only siblings share an address: no two households at one address.
    households = {frozenset(kids) for kids in cared_for.values()}
    by_address = Counter(children[next(iter(h))]["addressKey"] for h in households)
    assert max(by_address.values()) == 1


def test_every_child_has_one_or_two_carers_mostly_with_parental_responsibility(
    population: Scenario,
) -> None:
    per_child = Counter(rel["childId"] for rel in population.cares_for)
    assert set(per_child) == {c["id"] for c in population.children}
    assert set(per_child.values()) <= {1, 2}
    relationships = Counter(rel["relationship"] for rel in population.cares_for)
    assert set(relationships) == {"mother", "father", "grandparent", "foster carer"}
    with_pr = sum(rel["parentalResponsibility"] for rel in population.cares_for)
    assert share(with_pr, len(population.cares_for)) > 0.8
    assert not any(
        rel["parentalResponsibility"]
        for rel in population.cares_for
        if rel["relationship"] == "foster carer"
    )


# --- Identity and keys ----------------------------------------------------------------


def test_nhs_numbers_are_valid_unique_and_in_the_test_range(population: Scenario) -> None:
    numbers = [c["nhsNumber"] for c in population.children]
    assert all(is_valid(n) and n.startswith("999") for n in numbers)
    assert len(set(numbers)) == len(numbers)
    # 999 000 0000-0999 is kept for named scenarios such as Hannah's.
    assert not any(n.startswith("9990000") for n in numbers)
    assert not {c["nhsNumber"] for c in hannah.scenario(TODAY).children} & set(numbers)


def test_search_keys_are_the_normalised_names_and_address(population: Scenario) -> None:
    for child in population.children:
        assert child["givenNameKey"] == name_key(child["givenName"])
        assert child["familyNameKey"] == name_key(child["familyName"])
        assert child["postcodeKey"] == postcode_key(child["postcode"])
        assert child["addressKey"] == address_key(child["addressLine1"], child["postcode"])
        assert child["gender"] in {"FEMALE", "MALE", "OTHER", "NOT_KNOWN"}


def test_contact_details_are_in_fictional_ranges(population: Scenario) -> None:
    for kind in ("carers", "practitioners", "services"):
        for record in getattr(population, kind):
            assert record["phone"] is None or PHONE.match(record["phone"]), record
            assert record["email"] is None or EMAIL.match(record["email"]), record
    for la in population.local_authorities:
        assert PHONE.match(la["indexTeamPhone"]) and EMAIL.match(la["indexTeamEmail"])
    # Postcode areas NB, EV, SQ and WX do not exist in the UK.
    assert all(re.match(r"^(NB|EV|SQ|WX)\d", c["postcode"]) for c in population.children)


# --- The loader's contract ------------------------------------------------------------


def _written_keys(cypher: str) -> set[str]:
    return set(re.findall(r"row\.(\w+)", cypher))


@pytest.mark.parametrize(
    ("kind", "cypher"),
    [
        ("local_authorities", load.LOCAL_AUTHORITIES),
        ("services", load.SERVICES),
        ("practitioners", load.PRACTITIONERS),
        ("children", load.CHILDREN),
        ("carers", load.CARERS),
        ("cares_for", load.CARES_FOR),
        ("involvements", load.INVOLVEMENTS),
        ("assessments", load.ASSESSMENTS),
        ("lead_professionals", load.LEAD_PROFESSIONALS),
    ],
)
def test_the_loader_writes_every_key_it_is_given(
    kind: str, cypher: str, population: Scenario
) -> None:
    """A key the loader does not mention would be silently dropped: records and Cypher agree."""
    records = getattr(population, kind) + getattr(hannah.scenario(TODAY), kind)
    assert records
    keys = set().union(*(record.keys() for record in records))
    assert keys == _written_keys(cypher)
