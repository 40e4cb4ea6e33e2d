"""UPSERT_CHILD: a child, matched to the index or held for review (feeds.md, R15, R16, R4).

policies.matching decides which child a record is (R15); a new child must be one the
index would hold (policies.retention, R16). R4: a match to a shielded child never
copies its whereabouts, and matching never compares a shielded child's postcode; the
household rule, which must depend on them, is checked in the chunk's write itself
(graph.ingest), never in anything a feed is told.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from feeds.codes import Code
from feeds.fields import (
    Invalid,
    P,
    check_keys,
    date_field,
    enum_field,
    local_authority_field,
    nhs_number_field,
    not_future,
    object_field,
    postcode_field,
    required_text,
    text_field,
)
from feeds.op import Op
from feeds.plan import ChunkPlanner, Ref, Reject
from feeds.records import IncomingRecord
from feeds.report import ACCEPTED, PENDING_REVIEW
from graph.feed_writes.upsert_child import (
    WRITE_CHILDREN_NEW,
    WRITE_CHILDREN_UPDATE,
    WRITE_REVIEWS,
    WRITE_REVIEWS_CLOSED,
    ChildProps,
    ChildUpdateRow,
    NewChildRow,
    ReviewClosedRow,
    ReviewRow,
    Whereabouts,
)
from graph.ingest import ChildRow, ChunkKeys
from graph.keys import address_key, name_key
from policies.matching import (
    Candidate,
    Incoming,
    MatchKind,
    ReviewReason,
    ReviewStatus,
    match_child,
)
from policies.retention import admissible_new_child
from policies.vocabulary import Gender

__all__ = ["GENDERS", "OP", "ChildPayload", "child_properties"]

GENDERS = frozenset(gender.value for gender in Gender)


@dataclass(slots=True)
class ChildPayload:
    nhs_number: str | None
    given_name: str
    family_name: str
    given_name_key: str
    family_name_key: str
    date_of_birth: date
    gender: str
    line1: str
    line2: str | None
    town: str | None
    postcode: str
    postcode_key: str
    local_authority: str
    date_of_death: date | None


_KEYS = frozenset(
    {
        "nhsNumber", "givenName", "familyName", "dateOfBirth", "gender", "address",
        "localAuthority", "dateOfDeath",
    }
)  # fmt: skip
_ADDRESS_KEYS = frozenset({"line1", "line2", "town", "postcode"})


def read(p: dict[str, Any], today: date) -> ChildPayload:
    check_keys(p, _KEYS, P)
    nhs = nhs_number_field(p, "nhsNumber", P, required=False)
    given = required_text(p, "givenName", P, max_len=100)
    family = required_text(p, "familyName", P, max_len=100)
    given_key, family_key = name_key(given), name_key(family)
    if not given_key:
        raise Invalid(Code.INVALID_FIELD, "payload.givenName must contain letters")
    if not family_key:
        raise Invalid(Code.INVALID_FIELD, "payload.familyName must contain letters")
    born = date_field(p, "dateOfBirth", P)
    assert born is not None
    not_future(born, today, "payload.dateOfBirth")
    gender = enum_field(p, "gender", P, GENDERS)
    address = object_field(p, "address", P, required=True)
    assert address is not None
    at = "payload.address"
    check_keys(address, _ADDRESS_KEYS, at)
    line1 = required_text(address, "line1", at)
    line2 = text_field(address, "line2", at, required=False)
    town = text_field(address, "town", at, required=False)
    postcode, postcode_normalised = postcode_field(address, "postcode", at)
    died = date_field(p, "dateOfDeath", P, required=False)
    if died is not None:
        not_future(died, today, "payload.dateOfDeath")
        if died < born:
            raise Invalid(Code.INVALID_DATE, "payload.dateOfDeath is before payload.dateOfBirth")
    return ChildPayload(
        nhs_number=nhs,
        given_name=given,
        family_name=family,
        given_name_key=given_key,
        family_name_key=family_key,
        date_of_birth=born,
        gender=gender,
        line1=line1,
        line2=line2,
        town=town,
        postcode=postcode,
        postcode_key=postcode_normalised,
        local_authority=local_authority_field(p, "localAuthority", P),
        date_of_death=died,
    )


def child_properties(child: ChildPayload, *, protect_whereabouts: bool) -> ChildProps:
    """The Child properties a feed record sets (shared with match review resolution).

    R4/R15: for a shielded child (`protect_whereabouts`) the address, postcode, search
    keys derived from them and local authority are left as the index team set them.
    """
    whereabouts = (
        None
        if protect_whereabouts
        else Whereabouts(
            child.line1,
            child.line2,
            child.town,
            child.postcode,
            child.postcode_key,
            address_key(child.line1, child.postcode),
            child.local_authority,
        )
    )
    return ChildProps(
        child.given_name, child.family_name, child.given_name_key, child.family_name_key,
        child.date_of_birth, child.gender, child.nhs_number, child.date_of_death, whereabouts,
    )  # fmt: skip


def keys(p: ChildPayload, keys: ChunkKeys) -> None:
    if p.nhs_number:
        keys.nhs_numbers.add(p.nhs_number)
    keys.name_births.add((p.family_name_key, p.date_of_birth))
    keys.local_authorities.add(p.local_authority)


def _candidate(row: ChildRow) -> Candidate:
    return Candidate(
        child_id=row.id,
        nhs_number=row.nhs_number,
        family_name_key=row.family_name_key,
        given_name_key=row.given_name_key,
        date_of_birth=row.date_of_birth,
        postcode_key=row.postcode_key,
        shielded=row.shielded,
    )


def plan(planner: ChunkPlanner, record: IncomingRecord, p: ChildPayload, prior: Ref | None) -> None:
    planner.local_authority(p.local_authority, "payload.localAuthority")
    children = planner.children
    known = None
    if prior is not None and prior.status == ACCEPTED and prior.entity_id is not None:
        known = children.by_id.get(prior.entity_id)
    incoming = Incoming(
        nhs_number=p.nhs_number,
        family_name_key=p.family_name_key,
        given_name_key=p.given_name_key,
        date_of_birth=p.date_of_birth,
        postcode_key=p.postcode_key,
    )
    by_nhs = children.with_nhs_number(p.nhs_number) if p.nhs_number else []
    by_name = children.with_names_and_birth(p.family_name_key, p.given_name_key, p.date_of_birth)
    decision = match_child(
        incoming,
        known=_candidate(known) if known is not None else None,
        by_nhs_number=[_candidate(c) for c in by_nhs],
        by_name_and_birth=[_candidate(c) for c in by_name],
    )
    if decision.kind is MatchKind.REVIEW:
        _review(planner, record, p, prior, decision.review_reason, decision.candidate_ids)
        return
    if decision.kind is MatchKind.CREATE:
        if not admissible_new_child(p.date_of_birth, p.date_of_death, planner.today):
            raise Reject(
                Code.OUT_OF_SCOPE,
                "payload.dateOfBirth: the index holds children up to their 18th birthday",
            )
        child_id = f"c-{uuid.uuid4().hex}"
        props = child_properties(p, protect_whereabouts=False)
        planner.writes.add(
            WRITE_CHILDREN_NEW, NewChildRow(child_id, props, planner.source, record.source_ref)
        )
        row = ChildRow(
            child_id, p.nhs_number, p.family_name_key, p.given_name_key, p.date_of_birth,
            p.postcode_key, False, p.local_authority,
        )  # fmt: skip
    else:
        assert decision.child_id is not None
        child_id = decision.child_id
        before = children.by_id[child_id]
        protect = decision.protect_whereabouts
        props = child_properties(p, protect_whereabouts=protect)
        planner.writes.add(
            WRITE_CHILDREN_UPDATE, ChildUpdateRow(child_id, props, record.source_ref)
        )
        row = ChildRow(
            child_id,
            p.nhs_number or before.nhs_number,
            p.family_name_key,
            p.given_name_key,
            p.date_of_birth,
            before.postcode_key if protect else p.postcode_key,
            before.shielded,
            before.local_authority if protect else p.local_authority,
        )
    children.put(row)
    planner.children_written.add(row.id)
    if prior is not None and prior.status == PENDING_REVIEW and prior.review_id:
        # The source corrected a held record and it now matches cleanly.
        planner.writes.add(
            WRITE_REVIEWS_CLOSED, ReviewClosedRow(prior.review_id, ReviewStatus.SUPERSEDED.value)
        )
    planner.record(record, prior, entity_id=child_id, child_id=child_id)


def _review(
    planner: ChunkPlanner,
    record: IncomingRecord,
    p: ChildPayload,
    prior: Ref | None,
    reason: ReviewReason | None,
    candidate_ids: tuple[str, ...],
) -> None:
    assert reason is not None
    review_id = (
        prior.review_id
        if prior is not None and prior.status == PENDING_REVIEW and prior.review_id
        else f"mr-{uuid.uuid4().hex}"
    )
    row = ReviewRow(
        review_id, tuple(candidate_ids), planner.source, record.source_ref, reason.value,
        record.canonical.decode(), record.payload_hash, p.local_authority,
    )  # fmt: skip
    planner.writes.add(WRITE_REVIEWS, row)
    planner.record(
        record, prior, entity_id=None, child_id=None, status=PENDING_REVIEW, review_id=review_id
    )
    planner.held(record.source_ref)


OP: Op[ChildPayload] = Op(
    "UPSERT_CHILD",
    read,
    keys,
    plan,
    (WRITE_CHILDREN_NEW, WRITE_CHILDREN_UPDATE, WRITE_REVIEWS, WRITE_REVIEWS_CLOSED),
)
