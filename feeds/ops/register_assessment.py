"""REGISTER_ASSESSMENT: an eCAF system telling the index a CAF exists (feeds.md, R7).

Indicator and holder only, never content. R6/R7: the holder must work for a service
this source maintains (policies/sources.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from feeds.codes import Code
from feeds.fields import (
    ChildRef,
    P,
    check_keys,
    child_ref_field,
    date_field,
    enum_field,
    identifier_field,
    not_future,
)
from feeds.op import Op
from feeds.plan import MISSING, ChunkPlanner, Ref, Reject, child_ref_keys, derived_id
from feeds.records import IncomingRecord
from graph.feed_writes.register_assessment import WRITE_ASSESSMENTS, AssessmentRow
from graph.ingest import ChunkKeys
from policies.sources import may_name_holder
from policies.vocabulary import AssessmentStatus

__all__ = ["ASSESSMENT_STATUSES", "OP", "AssessmentPayload"]

ASSESSMENT_STATUSES = frozenset(status.value for status in AssessmentStatus)


@dataclass(slots=True)
class AssessmentPayload:
    child: ChildRef
    holder_id: str
    started_on: date
    status: str


_KEYS = frozenset({"child", "holderPractitionerId", "startedOn", "status"})


def read(p: dict[str, Any], today: date) -> AssessmentPayload:
    check_keys(p, _KEYS, P)
    started = date_field(p, "startedOn", P)
    assert started is not None
    not_future(started, today, "payload.startedOn")
    return AssessmentPayload(
        child=child_ref_field(p, P),
        holder_id=identifier_field(p, "holderPractitionerId", P) or "",
        started_on=started,
        status=enum_field(p, "status", P, ASSESSMENT_STATUSES),
    )


def keys(p: AssessmentPayload, keys: ChunkKeys) -> None:
    child_ref_keys(p.child, keys)
    keys.practitioner_ids.add(p.holder_id)


def plan(
    planner: ChunkPlanner, record: IncomingRecord, p: AssessmentPayload, prior: Ref | None
) -> None:
    child_id = planner.child_id(p.child)
    # A practitioner of another source's service and one that does not exist get one
    # answer (policies.sources.may_name_holder).
    holder = planner.practitioners.get(p.holder_id)
    service_id = holder[1] if holder is not None else None
    maintainer = planner.services.get(service_id, MISSING) if service_id is not None else None
    if not may_name_holder(planner.source, None if maintainer is MISSING else maintainer):
        raise Reject(
            Code.SOURCE_CONFLICT,
            "payload.holderPractitionerId names no practitioner of a service this source maintains",
        )
    assessment_id = derived_id("a-", planner.source, record.source_ref)
    row = AssessmentRow(
        assessment_id, child_id, p.holder_id, p.status, p.started_on, planner.source,
        record.source_ref,
    )  # fmt: skip
    planner.writes.add(WRITE_ASSESSMENTS, row)
    planner.record(record, prior, entity_id=assessment_id, child_id=child_id)


OP: Op[AssessmentPayload] = Op("REGISTER_ASSESSMENT", read, keys, plan, (WRITE_ASSESSMENTS,))
