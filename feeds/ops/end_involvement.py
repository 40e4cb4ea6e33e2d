"""END_INVOLVEMENT: the end of an involvement this source started (feeds.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from feeds.codes import Code
from feeds.fields import MAX_SOURCE_REF, P, check_keys, date_field, text_field
from feeds.op import Op
from feeds.plan import ChunkPlanner, Ref, Reject
from feeds.records import IncomingRecord
from feeds.report import ACCEPTED
from graph.feed_writes.end_involvement import WRITE_ENDS, EndRow
from graph.ingest import ChunkKeys

__all__ = ["OP", "EndPayload"]

START_INVOLVEMENT = "START_INVOLVEMENT"
"""The op whose sourceRef `involvementRef` names."""


@dataclass(slots=True)
class EndPayload:
    involvement_ref: str
    ended_on: date


_KEYS = frozenset({"involvementRef", "endedOn"})


def read(p: dict[str, Any], today: date) -> EndPayload:
    check_keys(p, _KEYS, P)
    ref = text_field(p, "involvementRef", P, max_len=MAX_SOURCE_REF)
    ended = date_field(p, "endedOn", P)
    assert ref is not None and ended is not None
    return EndPayload(involvement_ref=ref, ended_on=ended)


def keys(p: EndPayload, keys: ChunkKeys) -> None:
    keys.source_refs.add(p.involvement_ref)


def plan(planner: ChunkPlanner, record: IncomingRecord, p: EndPayload, prior: Ref | None) -> None:
    target = planner.refs.get(p.involvement_ref)
    if (
        target is None
        or target.op != START_INVOLVEMENT
        or target.status != ACCEPTED
        or not target.exists
        or target.entity_id is None
    ):
        raise Reject(
            Code.END_BEFORE_START,
            "payload.involvementRef names no START_INVOLVEMENT received from this source "
            "(an END before its START)",
        )
    if target.started_on is not None and p.ended_on < target.started_on:
        raise Reject(
            Code.ENDED_BEFORE_STARTED, "payload.endedOn is before the involvement's startedOn"
        )
    planner.writes.add(WRITE_ENDS, EndRow(target.entity_id, p.ended_on))
    target.ended_on = p.ended_on
    planner.refs_written.add(p.involvement_ref)
    planner.record(record, prior, entity_id=target.entity_id, child_id=target.child_id)


OP: Op[EndPayload] = Op("END_INVOLVEMENT", read, keys, plan, (WRITE_ENDS,))
