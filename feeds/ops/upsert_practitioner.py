"""UPSERT_PRACTITIONER: a practitioner of a service the source maintains (feeds.md, R17).

R6a: staff of a service see its sensitive involvements, so only the source that
maintains a service adds staff to it (policies/sources.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from feeds.codes import Code
from feeds.fields import (
    ContactPayload,
    Invalid,
    P,
    check_keys,
    contact_field,
    contact_row,
    date_field,
    enum_field,
    identifier_field,
    object_field,
    required_text,
    text_field,
)
from feeds.op import Op
from feeds.plan import MISSING, ChunkPlanner, Ref, Reject
from feeds.records import IncomingRecord
from graph.feed_writes.upsert_practitioner import WRITE_PRACTITIONERS, PractitionerRow
from graph.ingest import ChunkKeys
from policies.sources import may_staff, may_upsert
from policies.vocabulary import PractitionerAvailability

__all__ = ["AVAILABILITY_STATUSES", "OP", "PractitionerPayload"]

AVAILABILITY_STATUSES = frozenset(status.value for status in PractitionerAvailability)
"""R17: whether a practitioner can be reached directly; absent means AVAILABLE."""


@dataclass(slots=True)
class PractitionerPayload:
    id: str
    name: str
    job_title: str | None
    service_id: str
    contact: ContactPayload | None
    #: R17: AVAILABLE (also when the feed sends none), UNAVAILABLE until `available_from`,
    #: or LEFT the service.
    availability: str = "AVAILABLE"
    available_from: date | None = None


_AVAILABILITY_KEYS = frozenset({"status", "until"})


def _availability(p: dict[str, Any]) -> tuple[str, date | None]:
    """R17: `{"status": AVAILABLE | UNAVAILABLE | LEFT, "until": date}`, `until` required
    for UNAVAILABLE and only there (a date that has passed is kept: the read side compares
    it with today, so a practitioner back from leave needs no second record)."""
    availability = object_field(p, "availability", P, required=False)
    if availability is None:
        return "AVAILABLE", None
    at = f"{P}.availability"
    check_keys(availability, _AVAILABILITY_KEYS, at)
    status = enum_field(availability, "status", at, AVAILABILITY_STATUSES)
    until = date_field(availability, "until", at, required=False)
    if status == "UNAVAILABLE" and until is None:
        raise Invalid(Code.MISSING_FIELD, f"{at}.until is required when status is UNAVAILABLE")
    if status != "UNAVAILABLE" and until is not None:
        raise Invalid(Code.INVALID_FIELD, f"{at}.until is only for status UNAVAILABLE")
    return status, until


_KEYS = frozenset({"id", "name", "jobTitle", "serviceId", "contact", "availability"})


def read(p: dict[str, Any], today: date) -> PractitionerPayload:
    check_keys(p, _KEYS, P)
    status, until = _availability(p)
    return PractitionerPayload(
        id=identifier_field(p, "id", P) or "",
        name=required_text(p, "name", P),
        job_title=text_field(p, "jobTitle", P, required=False),
        service_id=identifier_field(p, "serviceId", P) or "",
        contact=contact_field(p, P),
        availability=status,
        available_from=until,
    )


def keys(p: PractitionerPayload, keys: ChunkKeys) -> None:
    keys.practitioner_ids.add(p.id)
    keys.service_ids.add(p.service_id)


def plan(
    planner: ChunkPlanner, record: IncomingRecord, p: PractitionerPayload, prior: Ref | None
) -> None:
    source = planner.source
    existing = planner.practitioners.get(p.id)
    if not may_upsert(source, existing is not None, existing[0] if existing else None):
        raise Reject(
            Code.SOURCE_CONFLICT,
            "payload.id names a practitioner maintained by another source or by the index team",
        )
    owner = planner.services.get(p.service_id, MISSING)
    if owner is MISSING:
        raise Reject(Code.UNKNOWN_SERVICE, "payload.serviceId names no service on the index")
    if not may_staff(source, owner):
        raise Reject(
            Code.SOURCE_CONFLICT, "payload.serviceId names a service this source does not maintain"
        )
    row = PractitionerRow(
        p.id, p.service_id, p.name, p.job_title, source, contact_row(p.contact),
        p.availability, p.available_from,
    )  # fmt: skip
    planner.writes.add(WRITE_PRACTITIONERS, row)
    planner.practitioners[p.id] = (source, p.service_id)
    planner.practitioners_written.add(p.id)
    planner.record(record, prior, entity_id=p.id, child_id=None)


OP: Op[PractitionerPayload] = Op("UPSERT_PRACTITIONER", read, keys, plan, (WRITE_PRACTITIONERS,))
