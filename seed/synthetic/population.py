"""The population: households of siblings who share carers, an address and usual settings,
and each child's involvements, drawn from the household's own random stream.

Children, carers, involvements and assessments get ids from (seed, running number), and
household n draws from a stream seeded by (seed, n), so household n is the same whatever
the population size, and re-running with the same seed upserts the same records.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TypeAlias

from graph.keys import address_key, name_key, postcode_key
from seed.hannah import Record, Scenario, add_years
from seed.synthetic.assessments import assessment, social_worker_lead
from seed.synthetic.people import Names, age_on, nhs_numbers, school_start
from seed.synthetic.places import LA_NAME, LA_SHARE, mobile
from seed.synthetic.services import SOURCE, ServiceEntry, pick, school_phase

__all__ = ["Batch", "Population"]

Batch: TypeAlias = Scenario
"""A slice of the population: the same shape as a named scenario, so one loader writes both."""

_HOUSEHOLD_SIZES = ((1, 2, 3, 4), (40, 35, 17, 8))
_HOUSEHOLD_KINDS = (
    ("two_parents", "separated", "mother_only", "father_only", "grandparents", "foster"),
    (55, 10, 22, 4, 5, 4),
)
_GENDERS = (("FEMALE", "MALE", "OTHER", "NOT_KNOWN"), (490, 490, 5, 15))
# Further involvements: kind, weight, youngest and oldest age it applies to.
_FURTHER = (
    ("SOCIAL_CARE", 14, 0, 17),
    ("HEALTH_VISITOR", 10, 0, 4),
    ("SCHOOL_NURSE", 8, 5, 15),
    ("HOSPITAL", 8, 0, 17),
    ("YOUTH_SERVICE", 10, 11, 17),
    ("YOUTH_OFFENDING", 3, 10, 17),
    ("CONNEXIONS", 5, 13, 17),
    ("EDUCATION_WELFARE", 6, 5, 15),
    ("HOUSING", 5, 0, 17),
    ("POLICE", 3, 8, 17),
    ("VOLUNTARY", 10, 0, 17),
    ("ADULT_SOCIAL_CARE", 1, 16, 17),
    ("OTHER", 2, 0, 17),
)
_SENSITIVE = (
    ("MENTAL_HEALTH", 6, 5, 17),
    ("SEXUAL_HEALTH", 3, 13, 17),
    ("SUBSTANCE_MISUSE", 2, 12, 17),
)
P_SHIELDED_HOUSEHOLD = 0.003
P_CAF = 0.03
P_SENSITIVE = 0.013  # of children aged 5+, about 72% of children: ~0.95% overall
P_FURTHER = 0.235
P_FURTHER_WITH_CAF = 0.6


@dataclass
class _Counters:
    child: int = 0
    carer: int = 0
    involvement: int = 0
    assessment: int = 0


@dataclass
class _Household:
    """What siblings share: local authority, address, carers, usual settings and GP."""

    la: str
    family_name: str
    home: tuple[str, str | None, str, str]  # line1, line2, town, postcode
    shielded: bool
    carers: list[tuple[str, str, bool, bool]] = field(default_factory=list)
    # ^ carer id, relationship, parentalResponsibility, livesWithChild
    settings: dict[str, ServiceEntry] = field(default_factory=dict)


# The key of the children's ids when no install key is given (tests, benches).
_DEMO_ID_KEY = b"contactgraph synthetic children"


class Population:
    """Turns household numbers into records, keeping the running numbers that ids use."""

    def __init__(
        self,
        seed: int,
        today: date,
        directory: dict[str, dict[str, list[ServiceEntry]]],
        id_key: bytes = b"",
    ):
        self.seed = seed
        self.id_key = id_key or _DEMO_ID_KEY
        self.today = today
        self.directory = directory
        self.names = Names.for_seed(seed)
        self.nhs = nhs_numbers(seed)
        self.count = _Counters()
        self.addresses_used: set[tuple[str, int]] = set()  # no two households at one address
        self.oldest_born = add_years(today, -18) + timedelta(days=1)  # R16: 18 is archived
        self.primaries = {
            la: [s for s in by_kind["SCHOOL"] if school_phase(s.number) == "primary"]
            for la, by_kind in directory.items()
        }
        self.secondaries = {
            la: [s for s in by_kind["SCHOOL"] if school_phase(s.number) == "secondary"]
            for la, by_kind in directory.items()
        }

    def _id(self, prefix: str, n: int) -> str:
        return f"{prefix}-s{self.seed}-{n}"

    def _child_id(self, n: int) -> str:
        """Children's ids look like the ones feeds create (c-<32 hex>), not a sequence one
        could walk (c-s1-1, c-s1-2 ...): a keyed hash of seed and number, the same on
        every run with the same key (`contactgraph seed` keeps one per install)."""
        digest = hashlib.blake2b(
            f"{self.seed}:{n}".encode(), key=self.id_key, digest_size=16
        ).hexdigest()
        return f"c-{digest}"

    # Households ------------------------------------------------------------------------

    def household(self, number: int, size: int | None, batch: Batch) -> int:
        """Adds household `number` to `batch`; returns how many children it has.

        `size` truncates the household when the population is nearly complete.
        """
        rng = random.Random(f"{self.seed}:household:{number}")
        drawn = rng.choices(*_HOUSEHOLD_SIZES)[0]
        la = rng.choices(list(LA_SHARE), weights=list(LA_SHARE.values()))[0]
        home = self._address(rng, la)
        house = _Household(
            la=la,
            family_name=rng.choice(self.names.family),
            home=home,
            shielded=rng.random() < P_SHIELDED_HOUSEHOLD,
        )
        self._carers(rng, house, batch)
        house.settings = self._usual_settings(rng, la)
        other_surname = rng.choice(self.names.family)
        kind_of_home = house.carers[0][1] if house.carers else ""
        born: date | None = None
        children = drawn if size is None else min(drawn, size)
        for _ in range(children):
            twin = born is not None and rng.random() < 0.02
            if not twin:
                born = self.today - timedelta(
                    days=rng.randint(0, (self.today - self.oldest_born).days)
                )
            assert born is not None
            family = house.family_name
            if kind_of_home == "mother" and len(house.carers) == 1 and rng.random() < 0.25:
                family = other_surname  # a father's surname in a single-parent household
            self._child(rng, house, born, family, batch)
        return children

    def _address(self, rng: random.Random, la: str) -> tuple[str, str | None, str, str]:
        streets = self.names.streets[la]
        while True:
            street, postcode = rng.choice(streets)
            number = rng.randint(1, 160)
            if (street, number) not in self.addresses_used:
                self.addresses_used.add((street, number))
                break
        line2 = rng.choice(self.names.localities[la]) if rng.random() < 0.3 else None
        return f"{number} {street}", line2, LA_NAME[la], postcode

    def _carers(self, rng: random.Random, house: _Household, batch: Batch) -> None:
        kind = rng.choices(*_HOUSEHOLD_KINDS)[0]
        if kind == "two_parents":
            roles = [("mother", True, True), ("father", rng.random() < 0.93, True)]
        elif kind == "separated":
            roles = [("mother", True, True), ("father", rng.random() < 0.85, False)]
        elif kind == "mother_only":
            roles = [("mother", True, True)]
        elif kind == "father_only":
            roles = [("father", True, True)]
        elif kind == "grandparents":
            count = rng.choice((1, 2))
            roles = [("grandparent", rng.random() < 0.4, True)] * count
        else:
            count = rng.choice((1, 2))
            roles = [("foster carer", False, True)] * count
        foster_name = rng.choice(self.names.family)
        for relationship, responsibility, lives_with in roles:
            self.count.carer += 1
            carer_id = self._id("k", self.count.carer)
            female = relationship == "mother" or (relationship != "father" and rng.random() < 0.6)
            given = rng.choice(self.names.female if female else self.names.male)
            if relationship == "foster carer":
                family = foster_name
            elif relationship == "grandparent" and rng.random() < 0.5:
                family = rng.choice(self.names.family)
            else:
                family = house.family_name
            home = house.home if lives_with else self._address(rng, house.la)
            line1, line2, town, postcode = home
            email = None
            if rng.random() < 0.7:
                email = f"{name_key(given)}.{name_key(family)}{rng.randint(1, 99)}@example.net"
            batch.carers.append(
                {
                    "id": carer_id,
                    "name": f"{given} {family}",
                    "phone": mobile(rng) if rng.random() < 0.95 else None,
                    "email": email,
                    "addressLine1": line1,
                    "addressLine2": line2,
                    "town": town,
                    "postcode": postcode,
                }
            )
            house.carers.append((carer_id, relationship, responsibility, lives_with))
        if kind == "foster":
            house.family_name = rng.choice(self.names.family)  # the children keep their own

    def _usual_settings(self, rng: random.Random, la: str) -> dict[str, ServiceEntry]:
        services = self.directory[la]
        return {
            "EARLY_YEARS": pick(rng, services["EARLY_YEARS"]),
            "primary": pick(rng, self.primaries[la]),
            "secondary": pick(rng, self.secondaries[la]),
            "FURTHER_EDUCATION": pick(rng, services["FURTHER_EDUCATION"]),
            "GP": pick(rng, services["GP"]),
        }

    # Children --------------------------------------------------------------------------

    def _child(
        self, rng: random.Random, house: _Household, born: date, family: str, batch: Batch
    ) -> None:
        self.count.child += 1
        child_id = self._child_id(self.count.child)
        gender = rng.choices(*_GENDERS)[0]
        if gender == "FEMALE" or (gender != "MALE" and rng.random() < 0.5):
            given = rng.choice(self.names.female)
        else:
            given = rng.choice(self.names.male)
        line1, line2, town, postcode = house.home
        batch.children.append(
            {
                "id": child_id,
                "nhsNumber": next(self.nhs),
                "givenName": given,
                "familyName": family,
                "givenNameKey": name_key(given),
                "familyNameKey": name_key(family),
                "dateOfBirth": born,
                "gender": gender,
                "addressLine1": line1,
                "addressLine2": line2,
                "town": town,
                "postcode": postcode,
                "postcodeKey": postcode_key(postcode),
                "addressKey": address_key(line1, postcode),
                "localAuthority": house.la,
                "shielded": house.shielded,
                "archivedOn": None,
                "dateOfDeath": None,
                "source": "synthetic",
                "sourceRef": child_id,
            }
        )
        for carer_id, relationship, responsibility, lives_with in house.carers:
            batch.cares_for.append(
                {
                    "carerId": carer_id,
                    "childId": child_id,
                    "relationship": relationship,
                    "parentalResponsibility": responsibility,
                    "livesWithChild": lives_with,
                }
            )
        self._involvements(rng, house, child_id, born, batch)

    def _involvements(
        self, rng: random.Random, house: _Household, child_id: str, born: date, batch: Batch
    ) -> None:
        age = age_on(born, self.today)
        has_caf = rng.random() < P_CAF
        sensitive = age >= 5 and rng.random() < P_SENSITIVE
        further = sensitive or rng.random() < (P_FURTHER_WITH_CAF if has_caf else P_FURTHER)

        own: list[tuple[Record, ServiceEntry]] = []
        setting, started = self._education(rng, house, born, age)
        # A CAF needs a practitioner to hold it; in schools that is often a learning mentor.
        named = has_caf or rng.random() < 0.1
        own.append(self._involvement(rng, child_id, setting, started, None, named))
        gp = (
            house.settings["GP"]
            if rng.random() < 0.95
            else pick(rng, self.directory[house.la]["GP"])
        )
        gp_started = min(self.today, born + timedelta(days=rng.randint(0, 60)))
        if rng.random() < 0.3:  # moved practice since birth
            gp_started = self.today - timedelta(days=rng.randint(0, (self.today - born).days))
        own.append(self._involvement(rng, child_id, gp, gp_started, None, named=False))

        if further:
            kinds = self._further_kinds(rng, age, sensitive)
            for kind in kinds:
                service = pick(rng, self.directory[house.la][kind])
                started, ended = self._period(rng, born)
                own.append(
                    self._involvement(rng, child_id, service, started, ended, rng.random() < 0.85)
                )
        if has_caf:
            self.count.assessment += 1
            caf, lead = assessment(
                rng, self._id("a", self.count.assessment), child_id, born, self.today, own
            )
            batch.assessments.append(caf)
        else:
            lead = social_worker_lead(rng, child_id, own)
        if lead is not None:
            batch.lead_professionals.append(lead)
        batch.involvements.extend(record for record, _ in own)

    def _education(
        self, rng: random.Random, house: _Household, born: date, age: int
    ) -> tuple[ServiceEntry, date]:
        services = self.directory[house.la]
        shared = rng.random() < 0.9  # siblings usually go to the same setting
        if age < 5:
            entry = house.settings["EARLY_YEARS"] if shared else pick(rng, services["EARLY_YEARS"])
            days = (self.today - born).days
            # Most start at a few months old; a newborn's setting started since birth.
            return entry, born + timedelta(days=rng.randint(90 if days >= 90 else 0, days))
        if age >= 16:
            entry = (
                house.settings["FURTHER_EDUCATION"]
                if shared
                else pick(rng, services["FURTHER_EDUCATION"])
            )
            start = school_start(born, 12)
        else:
            secondary_start = school_start(born, 7)
            phase = "secondary" if secondary_start <= self.today else "primary"
            pool = self.secondaries[house.la] if phase == "secondary" else self.primaries[house.la]
            entry = house.settings[phase] if shared else pick(rng, pool)
            start = secondary_start if phase == "secondary" else school_start(born, 0)
        while start > self.today:
            start = start.replace(year=start.year - 1)
        return entry, start

    def _further_kinds(self, rng: random.Random, age: int, sensitive: bool) -> list[str]:
        eligible = [(kind, weight) for kind, weight, low, high in _FURTHER if low <= age <= high]
        count = rng.choices((1, 2, 3, 4), weights=(50, 30, 14, 6))[0]
        chosen: list[str] = []
        if sensitive:
            options = [
                (kind, weight) for kind, weight, low, high in _SENSITIVE if low <= age <= high
            ]
            chosen.append(rng.choices([k for k, _ in options], [w for _, w in options])[0])
        while len(chosen) < count and len(chosen) < len(eligible) + (1 if sensitive else 0):
            kind = rng.choices([k for k, _ in eligible], [w for _, w in eligible])[0]
            if kind not in chosen:
                chosen.append(kind)
        return chosen

    def _period(self, rng: random.Random, born: date) -> tuple[date, date | None]:
        """Active, ended within the last year (R5: visible) or ended long ago (hidden)."""
        age_days = (self.today - born).days
        state = rng.choices(("active", "recent", "old"), weights=(60, 25, 15))[0]
        if state == "old" and age_days < 400:
            state = "recent"
        if state == "recent" and age_days < 2:
            state = "active"
        if state == "active":
            started = self.today - timedelta(days=rng.randint(0, min(1800, age_days)))
            return max(started, born), None
        if state == "recent":
            ended = self.today - timedelta(days=rng.randint(1, min(364, age_days)))
        else:
            ended = self.today - timedelta(days=rng.randint(366, min(2000, age_days)))
        started = max(born, ended - timedelta(days=rng.randint(14, 700)))
        return started, ended

    def _involvement(
        self,
        rng: random.Random,
        child_id: str,
        service: ServiceEntry,
        started: date,
        ended: date | None,
        named: bool,
    ) -> tuple[Record, ServiceEntry]:
        self.count.involvement += 1
        involvement_id = self._id("i", self.count.involvement)
        kind = service.record["kind"]
        practitioner = pick(rng, service.practitioners)["id"] if named else None
        record = {
            "id": involvement_id,
            "startedOn": started,
            "endedOn": ended,
            "source": SOURCE[kind],
            "sourceRef": involvement_id,
            "childId": child_id,
            "serviceId": service.id,
            "practitionerId": practitioner,
        }
        return record, service
