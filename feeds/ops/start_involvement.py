"""START_INVOLVEMENT: a service (and perhaps a practitioner) working with a child (feeds.md).

R6: a sensitive service's involvements come only from the source that maintains it
(policies/sources.py). Re-sending a START with other details moves the involvement; its
end date belongs to the END record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from feeds.codes import Code
from feeds.fields import (
    ChildRef,
    Invalid,
    P,
    bool_field,
    check_keys,
    child_ref_field,
    date_field,
    identifier_field,
    not_future,
)
from feeds.op import Op
from feeds.plan import ChunkPlanner, Ref, Reject, child_ref_keys, derived_id
from feeds.records import IncomingRecord
from graph.feed_writes.start_involvement import (
    WRITE_INVOLVEMENTS_NEW,
    WRITE_INVOLVEMENTS_UPDATE,
    InvolvementRow,
)
from graph.ingest import ChunkKeys
from policies.decision import Rule
from policies.sources import may_involve

__all__ = ["OP", "StartPayload"]


@dataclass(slots=True)
class StartPayload:
    child: ChildRef
    service_id: str
    practitioner_id: str | None
    started_on: date
    is_lead_professional: bool


_KEYS = frozenset({"child", "serviceId", "practitionerId", "startedOn", "isLeadProfessional"})


def read(p: dict[str, Any], today: date) -> StartPayload:
    check_keys(p, _KEYS, P)
    started = date_field(p, "startedOn", P)
    assert started is not None
    # The index says who *is* working with a child: send a planned involvement once it starts.
    not_future(started, today, "payload.startedOn")
    practitioner_id = identifier_field(p, "practitionerId", P, required=False)
    lead = bool_field(p, "isLeadProfessional", P, default=False)
    if lead and practitioner_id is None:
        # The lead professional is a person (graph/lead_professional.py), not a team.
        raise Invalid(
            Code.INVALID_FIELD,
            "payload.isLeadProfessional: a lead professional is a person; "
            "name them in payload.practitionerId",
        )
    return StartPayload(
        child=child_ref_field(p, P),
        service_id=identifier_field(p, "serviceId", P) or "",
        practitioner_id=practitioner_id,
        started_on=started,
        is_lead_professional=lead,
    )


def keys(p: StartPayload, keys: ChunkKeys) -> None:
    child_ref_keys(p.child, keys)
    keys.service_ids.add(p.service_id)
    if p.practitioner_id:
        keys.practitioner_ids.add(p.practitioner_id)


def plan(planner: ChunkPlanner, record: IncomingRecord, p: StartPayload, prior: Ref | None) -> None:
    child_id = planner.child_id(p.child)
    owner = planner.service_maintainer(p.service_id, "payload.serviceId")
    decision = may_involve(planner.source, owner, p.service_id in planner.sensitive_services)
    if not decision:
        raise Reject(
            Code.SOURCE_CONFLICT,
            "payload.serviceId names a sensitive service this source does not maintain"
            if decision.rule is Rule.R6
            else "payload.serviceId names a service maintained by another source",
        )
    if p.practitioner_id is not None:
        known = planner.practitioners.get(p.practitioner_id)
        if known is None:
            raise Reject(
                Code.UNKNOWN_PRACTITIONER,
                "payload.practitionerId names no practitioner on the index",
            )
        if known[1] != p.service_id:
            raise Reject(
                Code.PRACTITIONER_NOT_IN_SERVICE,
                "payload.practitionerId does not work for payload.serviceId",
            )
    ended_on = prior.ended_on if prior is not None else None
    if ended_on is not None and p.started_on > ended_on:
        raise Reject(
            Code.ENDED_BEFORE_STARTED, "payload.startedOn is after the involvement's end date"
        )
    involvement_id = (
        prior.entity_id
        if prior is not None and prior.entity_id
        else derived_id("i-", planner.source, record.source_ref)
    )
    new = prior is None or not prior.exists
    row = InvolvementRow(
        involvement_id, new, child_id, p.service_id, p.practitioner_id, p.started_on,
        p.is_lead_professional, planner.source, record.source_ref,
    )  # fmt: skip
    planner.writes.add(WRITE_INVOLVEMENTS_NEW if new else WRITE_INVOLVEMENTS_UPDATE, row)
    planner.record(
        record,
        prior,
        entity_id=involvement_id,
        child_id=child_id,
        started_on=p.started_on,
        ended_on=ended_on,
    )


OP: Op[StartPayload] = Op(
    "START_INVOLVEMENT", read, keys, plan, (WRITE_INVOLVEMENTS_NEW, WRITE_INVOLVEMENTS_UPDATE)
)
