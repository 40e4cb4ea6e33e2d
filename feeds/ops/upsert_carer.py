"""UPSERT_CARER: a carer of a child this source refers to (feeds.md).

The carer's id is derived from (source, id): stable across re-sends, and never the
source's own reference in the index's ids.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from feeds.fields import (
    ChildRef,
    ContactPayload,
    P,
    bool_field,
    check_keys,
    child_ref_field,
    contact_field,
    contact_row,
    identifier_field,
    required_text,
)
from feeds.op import Op
from feeds.plan import ChunkPlanner, Ref, child_ref_keys, derived_id
from feeds.records import IncomingRecord
from graph.feed_writes.upsert_carer import WRITE_CARERS, CarerRow
from graph.ingest import ChunkKeys

__all__ = ["OP", "CarerPayload"]


@dataclass(slots=True)
class CarerPayload:
    child: ChildRef
    id: str
    name: str
    relationship: str
    parental_responsibility: bool
    lives_with_child: bool
    contact: ContactPayload | None


_KEYS = frozenset(
    {"child", "id", "name", "relationship", "parentalResponsibility", "livesWithChild", "contact"}
)


def read(p: dict[str, Any], today: date) -> CarerPayload:
    check_keys(p, _KEYS, P)
    return CarerPayload(
        child=child_ref_field(p, P),
        id=identifier_field(p, "id", P) or "",
        name=required_text(p, "name", P),
        relationship=required_text(p, "relationship", P, max_len=60),
        parental_responsibility=bool_field(p, "parentalResponsibility", P, default=False),
        lives_with_child=bool_field(p, "livesWithChild", P, default=False),
        contact=contact_field(p, P),
    )


def keys(p: CarerPayload, keys: ChunkKeys) -> None:
    child_ref_keys(p.child, keys)


def plan(planner: ChunkPlanner, record: IncomingRecord, p: CarerPayload, prior: Ref | None) -> None:
    child_id = planner.child_id(p.child)
    carer_id = derived_id("k-", planner.source, p.id)
    row = CarerRow(
        carer_id, child_id, p.name, planner.source, contact_row(p.contact), p.relationship,
        p.parental_responsibility, p.lives_with_child, record.source_ref,
    )  # fmt: skip
    planner.writes.add(WRITE_CARERS, row)
    planner.record(record, prior, entity_id=carer_id, child_id=child_id)


OP: Op[CarerPayload] = Op("UPSERT_CARER", read, keys, plan, (WRITE_CARERS,))
