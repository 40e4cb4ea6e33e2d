"""UPSERT_CHILD's writes: a child created or updated, or the record held for review (R15).

R4/R15: for a shielded child the address, postcode, search keys derived from them and
local authority are left as the index team set them (policies/matching.py says why):
`ChildProps.whereabouts` is then None and those properties are not in the row at all.
An NHS number or date of death is only ever added or corrected, never erased by a
source that does not hold one. `shielded`, `archivedOn` and the creating source are
not a feed's to change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, LiteralString

from graph.feed_writes import WriteKind
from graph.outbox import emit
from policies.vocabulary import EventKind

__all__ = [
    "CHILDREN_NEW",
    "CHILDREN_UPDATE",
    "REVIEWS",
    "REVIEWS_CLOSED",
    "WRITE_CHILDREN_NEW",
    "WRITE_CHILDREN_UPDATE",
    "WRITE_REVIEWS",
    "WRITE_REVIEWS_CLOSED",
    "ChildProps",
    "ChildUpdateRow",
    "NewChildRow",
    "ReviewClosedRow",
    "ReviewRow",
    "Whereabouts",
]

CHILDREN_NEW: LiteralString = """
UNWIND $rows AS row
CREATE (c:Child)
SET c = row
RETURN count(*) AS written
"""

CHILDREN_UPDATE: LiteralString = """
UNWIND $rows AS row
MATCH (c:Child {id: row.id})
SET c += row.props
RETURN count(*) AS written
"""

# Issue 20: a review newly waiting is announced to its index team (graph/outbox.py).
REVIEWS: LiteralString = (
    """
UNWIND $rows AS row
MERGE (r:MatchReview {id: row.id})
ON CREATE SET r.announce = true
SET r += row.props, r.receivedAt = $now
WITH r, row
CALL (r) {
  WITH r WHERE r.announce
  REMOVE r.announce
  """
    + emit(
        EventKind.MATCH_REVIEW_WAITING,
        subject="r.id",
        local_authority="r.localAuthority",
        actor="'feed:' + r.source",
    )
    + """}
CALL (r, row) {
  MATCH (r)-[old:CANDIDATE]->(c) WHERE NOT c.id IN row.candidateIds
  DELETE old
}
CALL (r, row) {
  UNWIND row.candidateIds AS candidateId
  MATCH (c:Child {id: candidateId})
  MERGE (r)-[:CANDIDATE]->(c)
}
RETURN count(*) AS written
"""
)

REVIEWS_CLOSED: LiteralString = """
UNWIND $rows AS row
MATCH (r:MatchReview {id: row.id})
SET r.status = row.status, r.closedAt = $now
RETURN count(*) AS written
"""


@dataclass(slots=True)
class Whereabouts:
    """Where a child lives, and the keys matching and the household rule read."""

    line1: str
    line2: str | None
    town: str | None
    postcode: str
    postcode_key: str
    address_key: str | None
    local_authority: str


@dataclass(slots=True)
class ChildProps:
    """The Child properties a feed record sets (also a match review's resolution)."""

    given_name: str
    family_name: str
    given_name_key: str
    family_name_key: str
    date_of_birth: date
    gender: str
    nhs_number: str | None
    date_of_death: date | None
    whereabouts: Whereabouts | None

    def props(self) -> dict[str, Any]:
        props: dict[str, Any] = {
            "givenName": self.given_name,
            "familyName": self.family_name,
            "givenNameKey": self.given_name_key,
            "familyNameKey": self.family_name_key,
            "dateOfBirth": self.date_of_birth,
            "gender": self.gender,
        }
        if self.nhs_number is not None:
            props["nhsNumber"] = self.nhs_number
        if self.date_of_death is not None:
            props["dateOfDeath"] = self.date_of_death
        where = self.whereabouts
        if where is not None:
            props["addressLine1"] = where.line1
            props["addressLine2"] = where.line2
            props["town"] = where.town
            props["postcode"] = where.postcode
            props["postcodeKey"] = where.postcode_key
            props["addressKey"] = where.address_key
            props["localAuthority"] = where.local_authority
        return props


@dataclass(slots=True)
class NewChildRow:
    id: str
    child: ChildProps
    source: str
    source_ref: str

    def params(self) -> dict[str, Any]:
        props = self.child.props()
        props["id"] = self.id
        props["shielded"] = False
        props["source"] = self.source
        props["sourceRef"] = self.source_ref
        return props

    def needs(self) -> tuple[str | None, ...]:
        return ()

    def creates(self) -> str | None:
        return self.id


@dataclass(slots=True)
class ChildUpdateRow:
    id: str
    child: ChildProps
    source_ref: str  # for a household alert (R4)

    def params(self) -> dict[str, Any]:
        return {"id": self.id, "props": self.child.props(), "sourceRef": self.source_ref}

    def needs(self) -> tuple[str | None, ...]:
        return (self.id,)

    def creates(self) -> str | None:
        return self.id


@dataclass(slots=True)
class ReviewRow:
    """An UPSERT_CHILD held for the index team: the payload as sent, and its candidates."""

    id: str
    candidate_ids: tuple[str, ...]
    source: str
    source_ref: str
    reason: str
    payload: str
    payload_hash: str
    local_authority: str

    def params(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "candidateIds": list(self.candidate_ids),
            "props": {
                "source": self.source,
                "sourceRef": self.source_ref,
                "status": "PENDING",
                "reason": self.reason,
                "payload": self.payload,
                "payloadHash": self.payload_hash,
                "localAuthority": self.local_authority,
            },
        }

    def needs(self) -> tuple[str | None, ...]:
        return (self.id, *self.candidate_ids)

    def creates(self) -> str | None:
        return self.id


@dataclass(slots=True)
class ReviewClosedRow:
    id: str
    status: str

    def params(self) -> dict[str, Any]:
        return {"id": self.id, "status": self.status}

    def needs(self) -> tuple[str | None, ...]:
        return (self.id,)

    def creates(self) -> str | None:
        return self.id


WRITE_CHILDREN_NEW: WriteKind[NewChildRow] = WriteKind("children_new", CHILDREN_NEW, NewChildRow)
WRITE_CHILDREN_UPDATE: WriteKind[ChildUpdateRow] = WriteKind(
    "children_update", CHILDREN_UPDATE, ChildUpdateRow
)
WRITE_REVIEWS: WriteKind[ReviewRow] = WriteKind("reviews", REVIEWS, ReviewRow)
WRITE_REVIEWS_CLOSED: WriteKind[ReviewClosedRow] = WriteKind(
    "reviews_closed", REVIEWS_CLOSED, ReviewClosedRow
)
