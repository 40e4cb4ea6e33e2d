"""Builders for policy facts: small, explicit, no database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from policies.facts import ChildFacts, ConsentFact, InvolvementFact, OverrideFact, ServiceFact
from policies.viewer import Role, Viewer

TODAY = date(2026, 11, 23)
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def years_ago(years: int, days: int = 0) -> date:
    return date(TODAY.year - years, TODAY.month, TODAY.day) - timedelta(days=days)


def viewer(
    role: Role = Role.PRACTITIONER,
    practitioner_id: str | None = "p-me",
    services: frozenset[str] = frozenset({"s-school"}),
    la: str | None = "NBR",
    subject: str = "me",
) -> Viewer:
    return Viewer(subject, frozenset({role}), practitioner_id, la, None, services)


def service(
    id: str = "s-clinic", kind: str = "SEXUAL_HEALTH", sensitive: bool = True
) -> ServiceFact:
    return ServiceFact(id, id, kind, sensitive, "NBR", None)


def involvement(
    svc: ServiceFact | None = None, ended_days_ago: int | None = None, id: str = "i-1"
) -> InvolvementFact:
    ended = TODAY - timedelta(days=ended_days_ago) if ended_days_ago is not None else None
    return InvolvementFact(
        id, svc or service(), None, TODAY - timedelta(days=900), ended, False, "x"
    )


def grant(
    id: str = "g-1",
    purpose: str = "SHARE_CONTACT_DETAILS",
    state: str = "ACTIVE",
    by_child: bool = True,
    competent: bool = True,
    carer_pr: bool = False,
    covers: frozenset[str] = frozenset({"s-clinic"}),
    to_practitioners: frozenset[str] = frozenset({"p-me"}),
    to_services: frozenset[str] = frozenset(),
    expires: date | None = None,
    recorded: datetime = NOW - timedelta(days=10),
    covers_assessment: str | None = None,
    recorded_by: frozenset[str] | None = None,
    standing_until: datetime | None = None,
) -> ConsentFact:
    """A grant; by default recorded by a practitioner of the services it covers (R6b)."""
    return ConsentFact(
        id,
        purpose,
        state,
        by_child,
        competent,
        carer_pr,
        recorded,
        expires,
        covers,
        covers_assessment,
        to_practitioners,
        to_services,
        recorded_by_service_ids=covers if recorded_by is None else recorded_by,
        standing_until=standing_until,
    )


def override(
    hours_ago: float = 1, lifts: bool = False, practitioner_id: str = "p-me", id: str = "o-1"
) -> OverrideFact:
    at = NOW - timedelta(hours=hours_ago)
    return OverrideFact(id, practitioner_id, "me", at, at + timedelta(hours=72), lifts)


def child(
    dob: date | None = None,
    shielded: bool = False,
    consents: tuple[ConsentFact, ...] = (),
    overrides: tuple[OverrideFact, ...] = (),
    la: str = "NBR",
    archived_on: date | None = None,
) -> ChildFacts:
    return ChildFacts(
        id="c-1",
        given_name="A",
        family_name="B",
        date_of_birth=dob or years_ago(15),
        gender="FEMALE",
        shielded=shielded,
        local_authority=la,
        address=None,
        archived_on=archived_on,
        consents=consents,
        overrides=overrides,
    )
