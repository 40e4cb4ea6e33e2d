"""Services and practitioners: pure functions of (local authority, kind, number).

Their ids and contents do not depend on the population size or the seed, so seeding 1,000
and later 100,000 children upserts the same services instead of duplicating them. Pools of
schools, early years settings, colleges and GP practices grow with the population; the
other kinds are a fixed handful per authority.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import TypeVar

from faker import Faker

from graph.keys import name_key
from seed.hannah import LOCAL_AUTHORITY_CODES, Record, sensitive_kind
from seed.synthetic.places import (
    LA_NAME,
    LA_SHARE,
    STREET_TYPES,
    landline,
    mobile,
    place_name,
    postcode_in,
)

__all__ = ["SOURCE", "ServiceEntry", "pick", "school_phase", "service_directory"]

T = TypeVar("T")

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

_SAINTS = ("Mary", "John", "Peter", "Anne", "Michael", "Paul", "Margaret", "Luke", "Hilda")
_QUARTERS = ("North", "South", "East", "West", "Central", "Riverside")

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
SOURCE = {
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


def school_phase(k: int) -> str:
    """Every fourth school (k = 1, 5, 9 ...) is secondary, so even three schools have one."""
    return "secondary" if k % 4 == 1 else "primary"


def _service_name(rng: random.Random, la: str, kind: str, k: int) -> str:
    town = LA_NAME[la]
    if kind == "SCHOOL":
        if school_phase(k) == "secondary":
            return rng.choice(("{p} Academy", "{p} High School", "{p} School")).format(
                p=place_name(rng)
            )
        if rng.random() < 0.2:
            return f"St {rng.choice(_SAINTS)}'s C of E Primary School"
        return rng.choice(("{p} Primary School", "{p} Infant and Junior School")).format(
            p=place_name(rng)
        )
    if kind == "EARLY_YEARS":
        return rng.choice(("{p} Nursery", "{p} Children's Centre", "{p} Pre-School")).format(
            p=place_name(rng)
        )
    if kind == "FURTHER_EDUCATION":
        return f"{town} College" if k == 0 else f"{place_name(rng)} Sixth Form College"
    if kind == "GP":
        return rng.choice(("{p} Surgery", "{p} Medical Practice", "{p} Health Centre")).format(
            p=place_name(rng)
        )
    if kind == "VOLUNTARY":
        return _VOLUNTARY_NAMES[k % len(_VOLUNTARY_NAMES)].format(la=town, place=place_name(rng))
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
        "phone": landline(rng),
        "email": f"enquiries@{domain}",
        "addressLine1": f"{rng.randint(1, 120)} {place_name(rng)} {rng.choice(STREET_TYPES)}",
        "addressLine2": None,
        "town": LA_NAME[la],
        "postcode": postcode_in(rng, la),
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
                "phone": landline(rng) if rng.random() < 0.6 else mobile(rng),
                "email": f"{_email_local(person)}@{domain}",
                "serviceId": service_id,
            }
        )
    return ServiceEntry(record, tuple(staff), k)


def pick(rng: random.Random, pool: Sequence[T]) -> T:
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
        in_la = math.ceil(children * LA_SHARE[la])
        kinds = [*_CHILDREN_PER_SERVICE, *_FIXED_COUNT]
        directory[la] = {
            kind: [_service_entry(la, kind, k) for k in range(_pool_size(kind, in_la))]
            for kind in kinds
        }
    return directory
