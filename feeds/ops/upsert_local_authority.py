"""UPSERT_LOCAL_AUTHORITY: a local authority and its index team's contact (feeds.md, R4).

Reference data: accepted only from a source configured as a reference-data source
(`CONTACTGRAPH_REFERENCE_SOURCES`, policies.sources.may_maintain_reference_data). Once
an authority is on the index, children and services may name it; before, they are
rejected with UNKNOWN_LOCAL_AUTHORITY. Every authority written is named in the chunk's
audit event, and a change to the index-team contact of one already on the index alerts
that authority's index team (graph/feed_writes/upsert_local_authority.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from feeds.codes import Code
from feeds.fields import (
    Invalid,
    P,
    check_keys,
    local_authority_field,
    object_field,
    required_text,
)
from feeds.op import Op
from feeds.plan import ChunkPlanner, Ref, Reject
from feeds.records import IncomingRecord
from graph.feed_writes.upsert_local_authority import WRITE_LOCAL_AUTHORITIES, LocalAuthorityRow
from graph.ingest import ChunkKeys
from policies.sources import may_maintain_reference_data

__all__ = ["OP", "LocalAuthorityPayload"]


@dataclass(slots=True)
class LocalAuthorityPayload:
    code: str
    name: str
    index_team_phone: str
    index_team_email: str


_KEYS = frozenset({"code", "name", "indexTeam"})
_TEAM_KEYS = frozenset({"phone", "email"})


def read(p: dict[str, Any], today: date) -> LocalAuthorityPayload:
    check_keys(p, _KEYS, P)
    code = local_authority_field(p, "code", P)
    name = required_text(p, "name", P)
    team = object_field(p, "indexTeam", P, required=True)
    assert team is not None
    at = f"{P}.indexTeam"
    check_keys(team, _TEAM_KEYS, at)
    phone = required_text(team, "phone", at, max_len=40)
    email = required_text(team, "email", at, max_len=254)
    if "@" not in email:
        raise Invalid(Code.INVALID_FIELD, f"{at}.email is not an email address")
    return LocalAuthorityPayload(code, name, phone, email)


def keys(p: LocalAuthorityPayload, keys: ChunkKeys) -> None:
    keys.local_authorities.add(p.code)


def plan(
    planner: ChunkPlanner, record: IncomingRecord, p: LocalAuthorityPayload, prior: Ref | None
) -> None:
    if not may_maintain_reference_data(planner.source, planner.reference_sources):
        raise Reject(
            Code.SOURCE_CONFLICT,
            "op UPSERT_LOCAL_AUTHORITY is accepted only from a reference-data source",
        )
    row = LocalAuthorityRow(
        p.code, p.name, p.index_team_phone, p.index_team_email, planner.source, record.source_ref
    )
    planner.writes.add(WRITE_LOCAL_AUTHORITIES, row)
    planner.local_authorities.add(p.code)
    planner.local_authorities_written.add(p.code)
    planner.changed(f"LocalAuthority:{p.code}: name and index team contact")
    planner.record(record, prior, entity_id=p.code, child_id=None)


OP: Op[LocalAuthorityPayload] = Op(
    "UPSERT_LOCAL_AUTHORITY", read, keys, plan, (WRITE_LOCAL_AUTHORITIES,)
)
