"""A synthetic child population with the shape of a real index, and nothing real in it.

Why it looks the way it does:

- Every child has an education setting (early years under 5, school 5 to 15,
  further education 16 and 17) and a GP, as ContactPoint recorded universal
  services for everyone; a quarter have one to four further involvements, some
  ended recently (still visible under R5) and some long ago (hidden). About 3% have
  a CAF, 1% an involvement with a sensitive service (R6), 0.3% are shielded (R4).
- Children come in households of one to four siblings who share one to two carers
  and an address, so network tracing (R12) has links to follow.
- Services and practitioners are generated up front per local authority and are a
  pure function of (local authority, kind, number): their ids and contents do not
  depend on the population size or the seed, so seeding 1,000 and later 100,000
  children upserts the same services instead of duplicating them. Pools of schools,
  early years settings, colleges and GP practices grow with the population (about
  one school per 400 children, one GP practice per 1,500); the other kinds are a
  fixed handful per authority.
- Children, carers, involvements and assessments get ids from (seed, running
  number), and each household draws from its own random stream seeded by (seed,
  household number). Household n is therefore the same whatever the population
  size, and re-running with the same seed upserts the same records.

Nothing can be mistaken for a real person: names come from Faker (en_GB), phones
are in Ofcom's drama ranges (01632 960xxx, 07700 900xxx), emails are at
example.org/.net, NHS numbers are in the 999 test range, and postcodes use areas
that do not exist (NB, EV, SQ, WX).
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from typing import TypeAlias, TypeVar

from faker import Faker

from graph.keys import address_key, name_key, postcode_key
from graph.nhs_number import TEST_PREFIX, check_digit
from seed.hannah import (
    LOCAL_AUTHORITY_CODES,
    Record,
    Scenario,
    add_years,
    local_authorities,
    sensitive_kind,
)

__all__ = [
    "BATCH_SIZE",
    "Batch",
    "ServiceEntry",
    "age_on",
    "generate",
    "school_phase",
    "service_directory",
]

T = TypeVar("T")

Batch: TypeAlias = Scenario
"""A slice of the population: the same shape as a named scenario, so one loader writes both."""

BATCH_SIZE = 5000
"""Children per batch: big enough for fast UNWIND writes, small enough to keep memory flat."""

_LA_SHARE = {"NBR": 0.30, "EVL": 0.25, "SMR": 0.25, "WFD": 0.20}
_LA_NAME = {la["code"]: la["name"] for la in local_authorities()}
_POSTCODE_AREA = {"NBR": "NB", "EVL": "EV", "SMR": "SQ", "WFD": "WX"}
_INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"  # the letters a real inward code may use

# --- Services and practitioners: pure functions of (local authority, kind, k) -----------

# Children per service for the settings every child attends; the pool grows with N.
_CHILDREN_PER_SERVICE = {
    "SCHOOL": 400,
    "EARLY_YEARS": 500,
    "FURTHER_EDUCATION": 6000,
    "GP": 1500,
}
_MINIMUM = {"SCHOOL": 3, "EARLY_YEARS": 2, "FURTHER_EDUCATION": 1, "GP": 2}
# A fixed handful of everything else per authority, including the sensitive kinds.
_FIXED_COUNT = {
    "HEALTH_VISITOR": 2,
    "SCHOOL_NURSE": 2,
    "HOSPITAL": 1,
    "SOCIAL_CARE": 2,
    "YOUTH_SERVICE": 3,
    "YOUTH_OFFENDING": 1,
    "CONNEXIONS": 1,
    "EDUCATION_WELFARE": 1,
    "HOUSING": 1,
    "POLICE": 1,
    "VOLUNTARY": 4,
    "ADULT_SOCIAL_CARE": 1,
    "MENTAL_HEALTH": 2,
    "SEXUAL_HEALTH": 1,
    "SUBSTANCE_MISUSE": 1,
    "OTHER": 1,
}

_PLACES = (
    "Oak", "Ash", "Elm", "Willow", "Beech", "Hazel", "Rowan", "Birch", "Cedar", "Holly",
    "Maple", "Alder", "Larch", "Heather", "Bramble", "Meadow", "Brook", "Mill", "Church",
    "Castle", "Hill", "Park", "Moor", "Dale", "Bridge", "Stone", "Fern", "Orchard", "Kings",
    "Queens", "Abbey", "Priory", "Grange", "Manor", "Fox", "Lark", "Wren", "Heron", "Swan",
)  # fmt: skip
_PLACE_ENDINGS = (
    "field", "side", "bank", "wood", "lea", "gate", "croft", "hurst", "ley", "mead",
    "brook", "ford", "well", "combe", "thorpe", "stead", "holme", "dene",
)  # fmt: skip
_SAINTS = ("Mary", "John", "Peter", "Anne", "Michael", "Paul", "Margaret", "Luke", "Hilda")
_QUARTERS = ("North", "South", "East", "West", "Central", "Riverside")
_STREET_TYPES = (
    "Road", "Street", "Close", "Avenue", "Lane", "Drive", "Way", "Crescent", "Gardens",
    "Grove", "Place", "Terrace", "Court", "Walk", "Rise", "View", "Mews", "Row",
)  # fmt: skip

_TEAM_LABEL = {
    "HEALTH_VISITOR": "Health Visiting Team",
    "SCHOOL_NURSE": "School Nursing Team",
    "HOSPITAL": "General Hospital Children's Unit",
    "SOCIAL_CARE": "Children's Social Care",
    "YOUTH_SERVICE": "Youth Service",
    "YOUTH_OFFENDING": "Youth Justice Service",
    "CONNEXIONS": "Connexions",
    "EDUCATION_WELFARE": "Education Welfare Service",
    "HOUSING": "Housing Options",
    "POLICE": "Police Public Protection Unit",
    "ADULT_SOCIAL_CARE": "Adult Social Care",
    "MENTAL_HEALTH": "CAMHS",
    "SEXUAL_HEALTH": "Young People's Sexual Health Service",
    "SUBSTANCE_MISUSE": "Young People's Substance Misuse Service",
    "OTHER": "Family Information Service",
}
_VOLUNTARY_NAMES = (
    "{la} Young Carers",
    "{place} Family Support Project",
    "{la} Community Mentoring",
    "{place} Youth Club",
    "{place} Parents' Network",
)
_JOB_TITLES = {
    "SCHOOL": ("Class Teacher", "Learning Mentor", "SENCo", "Designated Safeguarding Lead",
               "Head of Year", "Pastoral Lead"),
    "EARLY_YEARS": ("Key Worker", "Nursery Manager", "Early Years Practitioner"),
    "FURTHER_EDUCATION": ("Student Support Adviser", "Personal Tutor", "Safeguarding Officer"),
    "GP": ("GP", "Practice Nurse"),
    "HEALTH_VISITOR": ("Health Visitor", "Community Nursery Nurse"),
    "SCHOOL_NURSE": ("School Nurse",),
    "HOSPITAL": ("Paediatrician", "Paediatric Nurse", "Hospital Social Worker"),
    "SOCIAL_CARE": ("Social Worker", "Senior Social Worker", "Family Support Worker"),
    "YOUTH_SERVICE": ("Youth Worker", "Senior Youth Worker"),
    "YOUTH_OFFENDING": ("Youth Justice Officer", "Case Manager"),
    "CONNEXIONS": ("Personal Adviser",),
    "EDUCATION_WELFARE": ("Education Welfare Officer",),
    "HOUSING": ("Housing Officer", "Housing Options Adviser"),
    "POLICE": ("Police Constable", "Detective Constable"),
    "VOLUNTARY": ("Project Worker", "Family Support Worker", "Volunteer Coordinator"),
    "ADULT_SOCIAL_CARE": ("Social Worker", "Care Coordinator"),
    "MENTAL_HEALTH": ("CAMHS Practitioner", "Clinical Psychologist", "Child Psychiatrist"),
    "SEXUAL_HEALTH": ("Sexual Health Nurse", "Outreach Worker"),
    "SUBSTANCE_MISUSE": ("Substance Misuse Worker",),
    "OTHER": ("Information Officer",),
}  # fmt: skip
# The feed each kind of involvement arrives from (Involvement.source).
_SOURCE = {
    "SCHOOL": "school-mis", "EARLY_YEARS": "early-years", "FURTHER_EDUCATION": "college-mis",
    "GP": "gp-system", "HEALTH_VISITOR": "community-health", "SCHOOL_NURSE": "community-health",
    "HOSPITAL": "hospital-pas", "SOCIAL_CARE": "social-care", "YOUTH_SERVICE": "youth-service",
    "YOUTH_OFFENDING": "youth-justice", "CONNEXIONS": "connexions",
    "EDUCATION_WELFARE": "education-welfare", "HOUSING": "housing", "POLICE": "police",
    "VOLUNTARY": "voluntary", "ADULT_SOCIAL_CARE": "adult-social-care", "MENTAL_HEALTH": "camhs",
    "SEXUAL_HEALTH": "clinic", "SUBSTANCE_MISUSE": "substance-misuse", "OTHER": "other",
}  # fmt: skip


def _slug(kind: str) -> str:
    return kind.lower().replace("_", "-")


def _landline(rng: random.Random) -> str:
    return f"01632 960{rng.randrange(1000):03d}"


def _mobile(rng: random.Random) -> str:
    return f"07700 900{rng.randrange(1000):03d}"


def _postcode(rng: random.Random, la: str) -> str:
    district = rng.randint(2, 19)
    inward = f"{rng.randint(1, 9)}{rng.choice(_INWARD_LETTERS)}{rng.choice(_INWARD_LETTERS)}"
    return f"{_POSTCODE_AREA[la]}{district} {inward}"


def _place(rng: random.Random) -> str:
    return rng.choice(_PLACES) + rng.choice(_PLACE_ENDINGS)


def school_phase(k: int) -> str:
    """Every fourth school (k = 1, 5, 9 ...) is secondary, so even three schools have one."""
    return "secondary" if k % 4 == 1 else "primary"


def _service_name(rng: random.Random, la: str, kind: str, k: int) -> str:
    town = _LA_NAME[la]
    if kind == "SCHOOL":
        if school_phase(k) == "secondary":
            return rng.choice(("{p} Academy", "{p} High School", "{p} School")).format(
                p=_place(rng)
            )
        if rng.random() < 0.2:
            return f"St {rng.choice(_SAINTS)}'s C of E Primary School"
        return rng.choice(("{p} Primary School", "{p} Infant and Junior School")).format(
            p=_place(rng)
        )
    if kind == "EARLY_YEARS":
        return rng.choice(("{p} Nursery", "{p} Children's Centre", "{p} Pre-School")).format(
            p=_place(rng)
        )
    if kind == "FURTHER_EDUCATION":
        return f"{town} College" if k == 0 else f"{_place(rng)} Sixth Form College"
    if kind == "GP":
        return rng.choice(("{p} Surgery", "{p} Medical Practice", "{p} Health Centre")).format(
            p=_place(rng)
        )
    if kind == "VOLUNTARY":
        return _VOLUNTARY_NAMES[k % len(_VOLUNTARY_NAMES)].format(la=town, place=_place(rng))
    name = f"{town} {_TEAM_LABEL[kind]}"
    return name if k == 0 else f"{name} ({_QUARTERS[k % len(_QUARTERS)]})"


@cache
def _staff_names() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Practitioner names, from Faker with a fixed seed: the same for every seed and size."""
    fake = Faker("en_GB")
    fake.seed_instance(20090106)  # fixed on purpose: services do not depend on the seed
    given = tuple(fake.first_name() for _ in range(600))
    family = tuple(fake.last_name() for _ in range(900))
    return given, family


def _email_local(name: str) -> str:
    return ".".join(name_key(part) for part in name.split())


def _domain(service_name: str) -> str:
    """'St Mary's C of E Primary School' -> 'st-marys-c-of-e-primary-school.example.org'."""
    return "-".join(filter(None, map(name_key, service_name.split()))) + ".example.org"


@dataclass(frozen=True)
class ServiceEntry:
    """One service and the ids of the practitioners who work for it."""

    record: Record
    practitioners: tuple[Record, ...]
    number: int  # k in the id s-{la}-{kind}-{k}

    @property
    def id(self) -> str:
        return str(self.record["id"])


def _service_entry(la: str, kind: str, k: int) -> ServiceEntry:
    rng = random.Random(f"service:{la}:{kind}:{k}")
    service_id = f"s-{la.lower()}-{_slug(kind)}-{k}"
    name = _service_name(rng, la, kind, k)
    domain = _domain(name)
    record: Record = {
        "id": service_id,
        "name": name,
        "kind": kind,
        "sensitive": sensitive_kind(kind),
        "localAuthority": la,
        "phone": _landline(rng),
        "email": f"enquiries@{domain}",
        "addressLine1": f"{rng.randint(1, 120)} {_place(rng)} {rng.choice(_STREET_TYPES)}",
        "addressLine2": None,
        "town": _LA_NAME[la],
        "postcode": _postcode(rng, la),
    }
    given, family = _staff_names()
    staff = []
    for j in range(rng.randint(2, 6)):
        job_title = rng.choice(_JOB_TITLES[kind])
        person = f"{rng.choice(given)} {rng.choice(family)}"
        title = "Dr " if job_title in ("GP", "Paediatrician", "Child Psychiatrist") else ""
        staff.append(
            {
                "id": f"p-{la.lower()}-{_slug(kind)}-{k}-{j}",
                "name": f"{title}{person}",
                "jobTitle": job_title,
                "phone": _landline(rng) if rng.random() < 0.6 else _mobile(rng),
                "email": f"{_email_local(person)}@{domain}",
                "serviceId": service_id,
            }
        )
    return ServiceEntry(record, tuple(staff), k)


def _pick(rng: random.Random, pool: Sequence[T]) -> T:
    """One item of a pool whose size grows with the population, using exactly one draw.

    random.choice consumes a varying number of random bits depending on the pool's
    size, which would make everything a household draws afterwards depend on N.
    One draw per pick keeps household n identical for any population size; only
    which school or practitioner it points at changes.
    """
    return pool[int(rng.random() * len(pool))]


def _pool_size(kind: str, children_in_la: int) -> int:
    if kind in _FIXED_COUNT:
        return _FIXED_COUNT[kind]
    return max(_MINIMUM[kind], round(children_in_la / _CHILDREN_PER_SERVICE[kind]))


def service_directory(children: int) -> dict[str, dict[str, list[ServiceEntry]]]:
    """Services per local authority and kind, sized for a population of `children`."""
    directory: dict[str, dict[str, list[ServiceEntry]]] = {}
    for la in LOCAL_AUTHORITY_CODES:
        in_la = math.ceil(children * _LA_SHARE[la])
        kinds = [*_CHILDREN_PER_SERVICE, *_FIXED_COUNT]
        directory[la] = {
            kind: [_service_entry(la, kind, k) for k in range(_pool_size(kind, in_la))]
            for kind in kinds
        }
    return directory


# --- People: names and addresses drawn from pools seeded by the seed -------------------


@dataclass(frozen=True)
class _Names:
    """Name and street pools drawn once from Faker, so each household only indexes into them.

    Drawing with repetition keeps Faker's weighting (common names stay common), and
    picking from a pool is a hundred times faster than asking Faker per person.
    """

    female: tuple[str, ...]
    male: tuple[str, ...]
    family: tuple[str, ...]
    streets: dict[str, tuple[tuple[str, str], ...]]  # la -> (street, postcode)
    localities: dict[str, tuple[str, ...]]

    @classmethod
    def for_seed(cls, seed: int) -> _Names:
        fake = Faker("en_GB")
        fake.seed_instance(seed)
        rng = random.Random(f"names:{seed}")
        streets = {}
        localities = {}
        for la in LOCAL_AUTHORITY_CODES:
            seen: dict[str, str] = {}
            while len(seen) < 1500:
                ending = rng.choice(_STREET_TYPES)
                stem = fake.last_name() if rng.random() < 0.5 else _place(rng)
                seen.setdefault(f"{stem} {ending}", _postcode(rng, la))
            streets[la] = tuple(seen.items())
            localities[la] = tuple(
                f"{rng.choice(('Upper ', 'Lower ', 'Old ', ''))}{_place(rng)}" for _ in range(12)
            )
        return cls(
            female=tuple(fake.first_name_female() for _ in range(3000)),
            male=tuple(fake.first_name_male() for _ in range(3000)),
            family=tuple(fake.last_name() for _ in range(5000)),
            streets=streets,
            localities=localities,
        )


def _nhs_numbers(seed: int) -> Iterator[str | None]:
    """Unique valid NHS numbers in the test range, in a seed-dependent order.

    Walks 999 000 000 to 999 999 999 with a stride coprime to 10**6, so every
    nine-digit stem is visited once; stems whose check digit would be 10 are skipped,
    and 999 000 0000-0999 stay free for named scenarios such as Hannah's. That leaves
    about 909,000 numbers per seed; children beyond that get no NHS number (it is
    optional in the model, as for a newborn not yet registered).
    """
    stride = 387_799
    offset = random.Random(f"nhs:{seed}").randrange(10**6)
    for k in range(10**6):
        stem = (offset + k * stride) % 10**6
        if stem < 1000:
            continue
        nine = f"{TEST_PREFIX}{stem:06d}"
        digit = check_digit(nine)
        if digit is not None:
            yield f"{nine}{digit}"
    while True:
        yield None


def age_on(born: date, today: date) -> int:
    """Age in whole years on `today`."""
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _school_start(born: date, years_after_reception: int) -> date:
    """The 1 September on which a child born on `born` starts a school year.

    England's school year runs from 1 September: a child born September to August
    starts reception in the September after their fourth birthday, Year 7
    (secondary) seven years later, and post-16 education twelve years later.
    """
    cohort = born.year + (1 if born.month >= 9 else 0)
    return date(cohort + 4 + years_after_reception, 9, 1)


# --- The population ---------------------------------------------------------------------

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
_STRENGTHS = (
    "Attends school regularly",
    "Close relationship with a grandparent",
    "Enjoys football and plays for a local team",
    "Parent is keen to engage with support",
    "Good friendships at school",
    "Takes pride in caring for younger siblings",
    "Creative: enjoys art and music",
    "Stable housing",
)
_CLOSE_REASONS = ("Needs met", "Family moved out of the area", "Consent withdrawn by family")

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


class _Population:
    """Turns household numbers into records, keeping the running numbers that ids use."""

    def __init__(self, seed: int, today: date, directory: dict[str, dict[str, list[ServiceEntry]]]):
        self.seed = seed
        self.today = today
        self.directory = directory
        self.names = _Names.for_seed(seed)
        self.nhs = _nhs_numbers(seed)
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

    # Households ------------------------------------------------------------------------

    def household(self, number: int, size: int | None, batch: Batch) -> int:
        """Adds household `number` to `batch`; returns how many children it has.

        `size` truncates the household when the population is nearly complete.
        """
        rng = random.Random(f"{self.seed}:household:{number}")
        drawn = rng.choices(*_HOUSEHOLD_SIZES)[0]
        la = rng.choices(list(_LA_SHARE), weights=list(_LA_SHARE.values()))[0]
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
        return f"{number} {street}", line2, _LA_NAME[la], postcode

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
                    "phone": _mobile(rng) if rng.random() < 0.95 else None,
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
            "EARLY_YEARS": _pick(rng, services["EARLY_YEARS"]),
            "primary": _pick(rng, self.primaries[la]),
            "secondary": _pick(rng, self.secondaries[la]),
            "FURTHER_EDUCATION": _pick(rng, services["FURTHER_EDUCATION"]),
            "GP": _pick(rng, services["GP"]),
        }

    # Children --------------------------------------------------------------------------

    def _child(
        self, rng: random.Random, house: _Household, born: date, family: str, batch: Batch
    ) -> None:
        self.count.child += 1
        child_id = self._id("c", self.count.child)
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
            else _pick(rng, self.directory[house.la]["GP"])
        )
        gp_started = min(self.today, born + timedelta(days=rng.randint(0, 60)))
        if rng.random() < 0.3:  # moved practice since birth
            gp_started = self.today - timedelta(days=rng.randint(0, (self.today - born).days))
        own.append(self._involvement(rng, child_id, gp, gp_started, None, named=False))

        if further:
            kinds = self._further_kinds(rng, age, sensitive)
            for kind in kinds:
                service = _pick(rng, self.directory[house.la][kind])
                started, ended = self._period(rng, born)
                own.append(
                    self._involvement(rng, child_id, service, started, ended, rng.random() < 0.85)
                )
        if has_caf:
            self._assessment(rng, child_id, born, own, batch)
        else:
            self._social_worker_lead(rng, child_id, own, batch)
        batch.involvements.extend(record for record, _ in own)

    def _education(
        self, rng: random.Random, house: _Household, born: date, age: int
    ) -> tuple[ServiceEntry, date]:
        services = self.directory[house.la]
        shared = rng.random() < 0.9  # siblings usually go to the same setting
        if age < 5:
            entry = house.settings["EARLY_YEARS"] if shared else _pick(rng, services["EARLY_YEARS"])
            days = (self.today - born).days
            # Most start at a few months old; a newborn's setting started since birth.
            return entry, born + timedelta(days=rng.randint(90 if days >= 90 else 0, days))
        if age >= 16:
            entry = (
                house.settings["FURTHER_EDUCATION"]
                if shared
                else _pick(rng, services["FURTHER_EDUCATION"])
            )
            start = _school_start(born, 12)
        else:
            secondary_start = _school_start(born, 7)
            phase = "secondary" if secondary_start <= self.today else "primary"
            pool = self.secondaries[house.la] if phase == "secondary" else self.primaries[house.la]
            entry = house.settings[phase] if shared else _pick(rng, pool)
            start = secondary_start if phase == "secondary" else _school_start(born, 0)
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
        practitioner = _pick(rng, service.practitioners)["id"] if named else None
        record = {
            "id": involvement_id,
            "startedOn": started,
            "endedOn": ended,
            "isLeadProfessional": False,
            "source": _SOURCE[kind],
            "sourceRef": involvement_id,
            "childId": child_id,
            "serviceId": service.id,
            "practitionerId": practitioner,
        }
        return record, service

    def _assessment(
        self,
        rng: random.Random,
        child_id: str,
        born: date,
        own: list[tuple[Record, ServiceEntry]],
        batch: Batch,
    ) -> None:
        """A CAF held by one of the child's practitioners, often with them as lead professional."""
        candidates = [
            record
            for record, service in own
            if record["practitionerId"]
            and record["endedOn"] is None
            and not service.record["sensitive"]
        ]
        holder = rng.choice(candidates)
        self.count.assessment += 1
        status = rng.choices(("OPEN", "CLOSED", "TRANSFERRED_TO_SOCIAL_CARE"), (80, 15, 5))[0]
        started = max(born, self.today - timedelta(days=rng.randint(14, 700)), holder["startedOn"])
        closed = close_reason = next_review = None
        if status == "OPEN":
            next_review = started + timedelta(days=91)
            while next_review <= self.today:
                next_review += timedelta(days=91)
        else:
            closed = min(self.today, started + timedelta(days=rng.randint(30, 400)))
            close_reason = (
                "Referred to children's social care"
                if status == "TRANSFERRED_TO_SOCIAL_CARE"
                else rng.choice(_CLOSE_REASONS)
            )
        team = (
            [r["practitionerId"] for r in candidates if r is not holder] if status == "OPEN" else []
        )
        batch.assessments.append(
            {
                "id": self._id("a", self.count.assessment),
                "status": status,
                "startedOn": started,
                "closedOn": closed,
                "closeReason": close_reason,
                "nextReviewOn": next_review,
                "strengths": rng.sample(_STRENGTHS, rng.randint(1, 3)),
                "childId": child_id,
                "holderId": holder["practitionerId"],
                "teamMemberIds": sorted(set(team)),
            }
        )
        if status == "OPEN" and rng.random() < 0.75:
            since = min(self.today, started + timedelta(days=rng.randint(0, 30)))
            self._lead(holder, child_id, since, batch)

    def _social_worker_lead(
        self,
        rng: random.Random,
        child_id: str,
        own: list[tuple[Record, ServiceEntry]],
        batch: Batch,
    ) -> None:
        """A child in need usually has their social worker as lead professional."""
        for record, service in own:
            if (
                service.record["kind"] == "SOCIAL_CARE"
                and record["practitionerId"]
                and record["endedOn"] is None
                and rng.random() < 0.5
            ):
                self._lead(record, child_id, record["startedOn"], batch)
                return

    def _lead(self, involvement: Record, child_id: str, since: date, batch: Batch) -> None:
        involvement["isLeadProfessional"] = True
        batch.lead_professionals.append(
            {"practitionerId": involvement["practitionerId"], "childId": child_id, "since": since}
        )


def _reference_data(directory: dict[str, dict[str, list[ServiceEntry]]]) -> Batch:
    batch = Batch(local_authorities=local_authorities())
    for by_kind in directory.values():
        for entries in by_kind.values():
            for entry in entries:
                batch.services.append(entry.record)
                batch.practitioners.extend(entry.practitioners)
    return batch


def generate(
    children: int, seed: int, today: date, batch_size: int = BATCH_SIZE
) -> Iterator[Batch]:
    """Yields a population of `children` in batches of about `batch_size` children.

    The first batch also carries the local authorities, services and practitioners,
    so writing batches in order never refers to a service not yet written. A batch
    ends on a household boundary (siblings stay together) and so may hold a few
    children more than `batch_size`.
    """
    if children < 0:
        raise ValueError("children must be zero or more")
    directory = service_directory(children)
    population = _Population(seed, today, directory)
    batch = _reference_data(directory)
    made = 0
    household = 0
    while made < children:
        household += 1
        made += population.household(household, children - made, batch)
        if len(batch.children) >= batch_size:
            yield batch
            batch = Batch()
    if made == 0 or batch.children:
        yield batch
