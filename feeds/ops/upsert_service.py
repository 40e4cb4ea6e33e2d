"""UPSERT_SERVICE: a service the source maintains (feeds.md).

A source never rewrites another source's service, nor one the index team set up
(policies/sources.py); R6: some kinds are sensitive whatever the feed says.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from feeds.codes import Code
from feeds.fields import (
    ContactPayload,
    P,
    bool_field,
    check_keys,
    contact_field,
    contact_row,
    enum_field,
    identifier_field,
    local_authority_field,
    required_text,
)
from feeds.op import Op
from feeds.plan import MISSING, ChunkPlanner, Ref, Reject
from feeds.records import IncomingRecord
from graph.feed_writes.upsert_service import WRITE_SERVICES, ServiceRow
from graph.ingest import ChunkKeys
from policies.facts import SENSITIVE_KINDS
from policies.sources import may_upsert
from policies.vocabulary import ServiceKind

__all__ = ["OP", "SERVICE_KINDS", "ServicePayload"]

SERVICE_KINDS = frozenset(kind.value for kind in ServiceKind)


@dataclass(slots=True)
class ServicePayload:
    id: str
    name: str
    kind: str
    sensitive: bool
    local_authority: str
    contact: ContactPayload | None


_KEYS = frozenset({"id", "name", "kind", "sensitive", "localAuthority", "contact"})


def read(p: dict[str, Any], today: date) -> ServicePayload:
    check_keys(p, _KEYS, P)
    kind = enum_field(p, "kind", P, SERVICE_KINDS)
    # R6: these kinds are sensitive whatever the feed says; others default to not.
    sensitive = (
        bool_field(p, "sensitive", P, default=kind in SENSITIVE_KINDS) or kind in SENSITIVE_KINDS
    )
    return ServicePayload(
        id=identifier_field(p, "id", P) or "",
        name=required_text(p, "name", P),
        kind=kind,
        sensitive=sensitive,
        local_authority=local_authority_field(p, "localAuthority", P),
        contact=contact_field(p, P),
    )


def keys(p: ServicePayload, keys: ChunkKeys) -> None:
    keys.service_ids.add(p.id)
    keys.local_authorities.add(p.local_authority)


def plan(
    planner: ChunkPlanner, record: IncomingRecord, p: ServicePayload, prior: Ref | None
) -> None:
    owner = planner.services.get(p.id, MISSING)
    if not may_upsert(planner.source, owner is not MISSING, owner):
        raise Reject(
            Code.SOURCE_CONFLICT,
            "payload.id names a service maintained by another source or by the index team",
        )
    planner.local_authority(p.local_authority, "payload.localAuthority")
    row = ServiceRow(
        p.id, p.name, p.kind, p.sensitive, p.local_authority, planner.source, contact_row(p.contact)
    )
    planner.writes.add(WRITE_SERVICES, row)
    planner.services[p.id] = planner.source
    planner.services_written.add(p.id)
    planner.record(record, prior, entity_id=p.id, child_id=None)


OP: Op[ServicePayload] = Op("UPSERT_SERVICE", read, keys, plan, (WRITE_SERVICES,))
