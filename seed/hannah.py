"""Hannah's story (DCSF ICS guidance note, 3.1) as a named, fictional scenario.

The story is the product's acceptance test in prose: a learning mentor looks Hannah
up and finds a youth worker and a social care team she did not know about, a CAF
starts, a lead professional is chosen, a team forms around the child. This module
holds the state *before* Melanie acts: who is involved, who cares for whom, and
which involvements the 365-day rule (R5) must hide. Consent grants, overrides,
the CAF and the lead professional are what the story's steps add, so other code
(tests, the API) creates them and this base stays empty of them.

Everything is built relative to `today`, so "ended six months ago" stays six months
ago whenever the tests run. Ids are fixed and readable because tests name them.
All people, places, phone numbers and emails are fictional: phones are in Ofcom's
drama ranges (01632 960xxx, 07700 900xxx), emails are at example.org/.net, NHS
numbers are in the 999 test range, postcodes use areas that do not exist (NB, EV,
SQ, WX).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from graph.keys import address_key, name_key, postcode_key
from policies.vocabulary import SENSITIVE_KINDS

__all__ = [
    "LOCAL_AUTHORITY_CODES",
    "Record",
    "Scenario",
    "add_years",
    "local_authorities",
    "scenario",
    "sensitive_kind",
]

Record = dict[str, Any]
"""One node or relationship as plain data; keys are graph/model.md property names."""


@dataclass
class Scenario:
    """Records ready for seed.load, grouped by what they become in the graph.

    Node records carry exactly the model's properties. Relationships are given by
    the ids of their ends, under keys that are not node properties and are never
    written onto nodes:

    - practitioners: `serviceId` (WORKS_FOR)
    - cares_for: `carerId`, `childId` plus the relationship's own properties
    - involvements: `childId` (OF), `serviceId` (AT), `practitionerId` (BY, None
      for a service-level involvement)
    - assessments: `childId` (ABOUT), `holderId` (HOLDS), `teamMemberIds`
      (TEAM_MEMBER_OF)
    - lead_professionals: `practitionerId`, `childId`, `since`

    The synthetic generator yields batches of this same shape, so one loader
    writes both.
    """

    local_authorities: list[Record] = field(default_factory=list)
    services: list[Record] = field(default_factory=list)
    practitioners: list[Record] = field(default_factory=list)
    children: list[Record] = field(default_factory=list)
    carers: list[Record] = field(default_factory=list)
    cares_for: list[Record] = field(default_factory=list)
    involvements: list[Record] = field(default_factory=list)
    assessments: list[Record] = field(default_factory=list)
    lead_professionals: list[Record] = field(default_factory=list)


def sensitive_kind(kind: str) -> bool:
    """R6: these service kinds are sensitive, so their involvements are hidden by default."""
    return kind in SENSITIVE_KINDS


def add_years(day: date, years: int) -> date:
    """`day` moved by whole years; 29 February becomes 28 February in other years."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


# The four fictional local authorities. Their index teams are the shieldingContact
# of their shielded children (R4), so each needs a reachable phone, email and address.
_LOCAL_AUTHORITIES: tuple[tuple[str, str, str, str, str], ...] = (
    # code, name, phone, first address line, postcode
    ("NBR", "Northbridge", "01632 960100", "Civic Centre, Market Square", "NB1 1AA"),
    ("EVL", "Eastvale", "01632 960110", "Eastvale Town Hall, High Street", "EV1 1AB"),
    ("SMR", "Southmoor", "01632 960120", "Moorgate House, Station Road", "SQ1 1AD"),
    ("WFD", "Westfield", "01632 960130", "Westfield Council Offices, Bridge Street", "WX1 1AE"),
)

LOCAL_AUTHORITY_CODES: tuple[str, ...] = tuple(row[0] for row in _LOCAL_AUTHORITIES)


def local_authorities() -> list[Record]:
    """The four local authorities, shared by Hannah's story and the synthetic population."""
    return [
        {
            "code": code,
            "name": name,
            "indexTeamPhone": phone,
            "indexTeamEmail": f"index.team@{name.lower()}.example.org",
            "addressLine1": line1,
            "addressLine2": None,
            "town": name,
            "postcode": postcode,
        }
        for code, name, phone, line1, postcode in _LOCAL_AUTHORITIES
    ]


def _service(
    id: str,
    name: str,
    kind: str,
    phone: str,
    email: str,
    line1: str,
    postcode: str,
    town: str = "Northbridge",
    local_authority: str = "NBR",
) -> Record:
    return {
        "id": id,
        "name": name,
        "kind": kind,
        "sensitive": sensitive_kind(kind),
        "localAuthority": local_authority,
        "phone": phone,
        "email": email,
        "addressLine1": line1,
        "addressLine2": None,
        "town": town,
        "postcode": postcode,
    }


def _services() -> list[Record]:
    return [
        _service(
            "s-oakfield-school",
            "Oakfield Academy",
            "SCHOOL",
            "01632 960201",
            "office@oakfield-academy.example.org",
            "Oakfield Lane",
            "NB3 2LP",
        ),
        _service(
            "s-nbr-youth",
            "Northbridge Youth Service",
            "YOUTH_SERVICE",
            "01632 960202",
            "youth@northbridge.example.org",
            "The Hub, 22 Canal Street",
            "NB2 4HT",
        ),
        _service(
            "s-nbr-social-care",
            "Northbridge Children's Social Care",
            "SOCIAL_CARE",
            "01632 960203",
            "childrens.social.care@northbridge.example.org",
            "Civic Centre, Market Square",
            "NB1 1AA",
        ),
        _service(
            "s-nbr-housing",
            "Northbridge Housing Options",
            "HOUSING",
            "01632 960204",
            "housing.options@northbridge.example.org",
            "Civic Centre, Market Square",
            "NB1 1AA",
        ),
        _service(
            "s-young-carers",
            "Northbridge Young Carers",
            "VOLUNTARY",
            "01632 960205",
            "hello@northbridge-young-carers.example.org",
            "Unit 4, Mill Yard",
            "NB2 6RW",
        ),
        _service(
            "s-riverside-gp",
            "Riverside Medical Practice",
            "GP",
            "01632 960206",
            "reception@riverside-medical.example.org",
            "3 Riverside Walk",
            "NB4 1DF",
        ),
        _service(
            "s-nbr-sexual-health",
            "Northbridge Sexual Health Clinic",
            "SEXUAL_HEALTH",
            "01632 960207",
            "clinic@northbridge-sexual-health.example.org",
            "Northbridge Health Centre, Hope Street",
            "NB1 3GS",
        ),
        _service(
            "s-nbr-camhs",
            "Northbridge CAMHS",
            "MENTAL_HEALTH",
            "01632 960208",
            "camhs@northbridge-nhs.example.org",
            "Northbridge Health Centre, Hope Street",
            "NB1 3GS",
        ),
        _service(
            "s-eastvale-school",
            "Eastvale High",
            "SCHOOL",
            "01632 960209",
            "office@eastvale-high.example.org",
            "College Road",
            "EV2 3NP",
            town="Eastvale",
            local_authority="EVL",
        ),
    ]


# id, name, job title, service id, phone
_PRACTITIONERS: tuple[tuple[str, str, str, str, str], ...] = (
    ("p-melanie", "Melanie Hart", "Learning Mentor", "s-oakfield-school", "01632 960311"),
    ("p-john", "John Okafor", "Social Worker", "s-nbr-social-care", "01632 960312"),
    ("p-lee", "Lee Brennan", "Youth Worker", "s-nbr-youth", "07700 900313"),
    ("p-steve", "Steve Marsh", "Housing Officer", "s-nbr-housing", "01632 960314"),
    ("p-libby", "Libby Quinn", "Young Carers Worker", "s-young-carers", "07700 900315"),
    ("p-nurse", "Asha Patel", "Sexual Health Nurse", "s-nbr-sexual-health", "01632 960316"),
    ("p-old-sw", "Ruth Evans", "Social Worker", "s-nbr-social-care", "01632 960317"),
    ("p-gp", "Dr Tom Reyes", "GP", "s-riverside-gp", "01632 960318"),
    ("p-camhs", "Nina Shah", "CAMHS Practitioner", "s-nbr-camhs", "01632 960319"),
    ("p-eastvale", "Omar Khan", "Teacher", "s-eastvale-school", "01632 960320"),
)


def _practitioners(services: list[Record]) -> list[Record]:
    domain = {s["id"]: s["email"].split("@", 1)[1] for s in services}
    records = []
    for id, name, job_title, service_id, phone in _PRACTITIONERS:
        local = ".".join(name_key(part) for part in name.removeprefix("Dr ").split())
        records.append(
            {
                "id": id,
                "name": name,
                "jobTitle": job_title,
                "phone": phone,
                "email": f"{local}@{domain[service_id]}",
                "serviceId": service_id,
            }
        )
    return records


_HOME = ("14 Alder Close", None, "Northbridge", "NB4 7QT")
# Sam lives with his father's family in Eastvale; the placement is at risk, so he is
# shielded (R4) and this address must never be shown outside the index team.
_SAMS_HOME = ("3 Kestrel Way", "Hollins Park", "Eastvale", "EV2 5HD")


def _child(
    id: str,
    nhs_number: str,
    given: str,
    family: str,
    born: date,
    gender: str,
    home: tuple[str, str | None, str, str],
    shielded: bool = False,
) -> Record:
    line1, line2, town, postcode = home
    return {
        "id": id,
        "nhsNumber": nhs_number,
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
        "localAuthority": "NBR",
        "shielded": shielded,
        "archivedOn": None,
        "dateOfDeath": None,
        "source": "scenario",
        "sourceRef": f"hannah:{id}",
    }


def _born(today: date, years: int, extra_days: int) -> date:
    """A date of birth that makes the child `years` old today, `extra_days` past the birthday."""
    return add_years(today, -years) - timedelta(days=extra_days)


def _children(today: date) -> list[Record]:
    # NHS numbers 999 000 1xx: the synthetic generator never uses 999 000 0000-0999.
    return [
        _child(
            "c-hannah", "9990001014", "Hannah", "Whitlock", _born(today, 15, 122), "FEMALE", _HOME
        ),
        _child("c-jack", "9990001022", "Jack", "Whitlock", _born(today, 12, 200), "MALE", _HOME),
        _child("c-ellie", "9990001030", "Ellie", "Whitlock", _born(today, 9, 61), "FEMALE", _HOME),
        _child(
            "c-sam", "9990001049", "Sam", "Whitlock", _born(today, 6, 275), "MALE", _SAMS_HOME, True
        ),
    ]


def _carers() -> list[Record]:
    line1, line2, town, postcode = _HOME
    sam_line1, sam_line2, sam_town, sam_postcode = _SAMS_HOME
    return [
        {
            "id": "k-karen",
            "name": "Karen Whitlock",
            "phone": "07700 900123",
            "email": "karen.whitlock@example.net",
            "addressLine1": line1,
            "addressLine2": line2,
            "town": town,
            "postcode": postcode,
        },
        {
            "id": "k-sam-father",
            "name": "Daniel Price",
            "phone": "07700 900456",
            "email": "daniel.price@example.net",
            "addressLine1": sam_line1,
            "addressLine2": sam_line2,
            "town": sam_town,
            "postcode": sam_postcode,
        },
    ]


def _cares_for() -> list[Record]:
    # Hannah's own father left and is not recorded: the story says she no longer sees him.
    mother = [
        {
            "carerId": "k-karen",
            "childId": child,
            "relationship": "mother",
            "parentalResponsibility": True,
            "livesWithChild": child != "c-sam",
        }
        for child in ("c-hannah", "c-jack", "c-ellie", "c-sam")
    ]
    father = {
        "carerId": "k-sam-father",
        "childId": "c-sam",
        "relationship": "father",
        "parentalResponsibility": True,
        "livesWithChild": True,
    }
    return [*mother, father]


def _involvement(
    id: str,
    child: str,
    service: str,
    practitioner: str | None,
    started: date,
    ended: date | None,
    source: str,
    source_ref: str,
) -> Record:
    return {
        "id": id,
        "startedOn": started,
        "endedOn": ended,
        "source": source,
        "sourceRef": source_ref,
        "childId": child,
        "serviceId": service,
        "practitionerId": practitioner,
    }


def _involvements(today: date, children: list[Record]) -> list[Record]:
    def ago(days: int) -> date:
        return today - timedelta(days=days)

    born = {c["id"]: c["dateOfBirth"] for c in children}
    i = _involvement
    return [
        # Hannah: what Melanie finds on the index, and what she must not find.
        i("i-hannah-school", "c-hannah", "s-oakfield-school", "p-melanie", ago(1100), None,
          "school-mis", "MIS-HW-0415"),
        i("i-hannah-youth", "c-hannah", "s-nbr-youth", "p-lee", ago(335), None,
          "youth-service", "YS-20931"),
        # John's involvement ended six months ago: still visible under R5 (365 days).
        i("i-hannah-sc-recent", "c-hannah", "s-nbr-social-care", "p-john", ago(730), ago(182),
          "social-care", "ICS-77120"),
        # An earlier episode that ended fourteen months ago: R5 must hide it.
        i("i-hannah-sc-old", "c-hannah", "s-nbr-social-care", "p-old-sw", ago(1600), ago(425),
          "social-care", "ICS-51877"),
        i("i-hannah-gp", "c-hannah", "s-riverside-gp", None, born["c-hannah"] + timedelta(days=21),
          None, "gp-system", "GP-HW-1"),
        i("i-hannah-housing", "c-hannah", "s-nbr-housing", "p-steve", ago(60), None,
          "housing", "HO-3321"),
        i("i-hannah-young-carers", "c-hannah", "s-young-carers", "p-libby", ago(30), None,
          "voluntary", "YC-0097"),
        # Sensitive (R6): hidden from everyone outside the clinic unless consent or override.
        i("i-hannah-clinic", "c-hannah", "s-nbr-sexual-health", "p-nurse", ago(90), None,
          "clinic", "SHC-4410"),
        # Her brothers and sister.
        i("i-jack-school", "c-jack", "s-oakfield-school", None, ago(330), None,
          "school-mis", "MIS-JW-0733"),
        i("i-jack-gp", "c-jack", "s-riverside-gp", None, born["c-jack"] + timedelta(days=19),
          None, "gp-system", "GP-JW-1"),
        i("i-jack-camhs", "c-jack", "s-nbr-camhs", "p-camhs", ago(120), None,
          "camhs", "CAMHS-2208"),
        i("i-ellie-school", "c-ellie", "s-oakfield-school", None, ago(1500), None,
          "school-mis", "MIS-EW-1021"),
        i("i-ellie-gp", "c-ellie", "s-riverside-gp", None, born["c-ellie"] + timedelta(days=24),
          None, "gp-system", "GP-EW-1"),
        i("i-sam-school", "c-sam", "s-eastvale-school", "p-eastvale", ago(400), None,
          "school-mis", "EVH-5512"),
        i("i-sam-gp", "c-sam", "s-riverside-gp", None, born["c-sam"] + timedelta(days=17),
          None, "gp-system", "GP-SW-1"),
    ]  # fmt: skip


def scenario(today: date) -> Scenario:
    """Hannah's family, the services around them and their involvements, as of `today`."""
    services = _services()
    children = _children(today)
    return Scenario(
        local_authorities=local_authorities(),
        services=services,
        practitioners=_practitioners(services),
        children=children,
        carers=_carers(),
        cares_for=_cares_for(),
        involvements=_involvements(today, children),
    )
