"""Feeds (R15): the `ingest` mutation for source systems, and the match review queue.

Source systems push records with `ingest`; the few records the index cannot place on
its own (R15: an ambiguous match, a conflicting NHS number, a possible match at another
address) wait in `matchReviews` until an index team resolves them with
`resolveMatchReview`. Instances are built by api/resolvers/ingest.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import strawberry
from strawberry.types import Info

from api.schema.child import Address
from api.schema.enums import Gender, MatchReviewReason, MatchReviewStatus
from api.schema.guard import OPEN, Guard
from feeds.codes import Code
from feeds.ops import NAMES


def _one_of(names: Sequence[str]) -> str:
    """The feed vocabulary (feeds/), as the schema lists it: "A, B or C."."""
    return f"{', '.join(names[:-1])} or {names[-1]}."


@strawberry.input(
    description=(
        "One record of a source system's feed (R15; the ops and their payloads are listed "
        "in the feeds guide). Re-sending a record with the same sourceRef and payload does "
        "nothing and is reported as unchanged; a changed payload updates what the record "
        "wrote."
    )
)
class IngestRecord:
    source_ref: str = strawberry.field(
        description=(
            "The record's reference in the source system: unique within the source and "
            "stable over time. Other records refer to it (child.ref, involvementRef)."
        )
    )
    op: str = strawberry.field(description=_one_of(NAMES))
    payload: str = strawberry.field(description="The op's payload: a JSON object, as a string.")


@strawberry.type(
    description=(
        "Why one record was rejected. The message names the field at fault and never "
        "repeats the value sent."
    )
)
class IngestError:
    source_ref: str = strawberry.field(description="The rejected record's sourceRef.")
    code: str = strawberry.field(description=_one_of([code.value for code in Code]))
    message: str


@strawberry.type(
    description=(
        "What happened to the records of one ingest call. accepted + unchanged + rejected "
        "+ pendingMatchReview is the number of records sent. A rejected record changed "
        "nothing; every other record was written, whatever happened to its neighbours."
    )
)
class IngestReport:
    accepted: int = strawberry.field(description="Records written (created or updated).")
    unchanged: int = strawberry.field(
        description="Records already in the index with the same payload: nothing was written."
    )
    rejected: int
    errors: list[IngestError] = strawberry.field(description="One entry per rejected record.")
    pending_match_review: int = strawberry.field(
        description=(
            "UPSERT_CHILD records the index could not place on its own (R15) and holds for "
            "the index team. Records referring to them (child.ref) are rejected with "
            "CHILD_PENDING_REVIEW until the team resolves them: send those again later."
        )
    )
    held_for_review: list[str] = strawberry.field(
        description="The sourceRefs of the records counted in pendingMatchReview."
    )


@strawberry.type(
    description=(
        "The child as the source system described them. The address is withheld (null) "
        "when a candidate is a shielded child you may not locate (R4): it may be where "
        "that child now lives."
    )
)
class IncomingChild:
    nhs_number: str | None
    given_name: str
    family_name: str
    date_of_birth: date
    gender: Gender
    local_authority: str
    date_of_death: date | None
    _address: strawberry.Private[Address | None] = None
    _guard: strawberry.Private[Guard] = OPEN

    @strawberry.field(description="The address the source sent. Null when withheld (R4).")
    def address(self, info: Info[Any, Any]) -> Address | None:
        return self._guard.reveal(info, self._address)


@strawberry.type(
    description=(
        "A child already on the index that the incoming record might be. Shown as the "
        "index view would show them to you: a shielded child's address and local authority "
        "are null unless you are its own local authority's index team (R4)."
    )
)
class MatchCandidate:
    id: strawberry.ID
    given_name: str
    family_name: str
    date_of_birth: date
    gender: Gender
    shielded: bool
    archived: bool = strawberry.field(description="Archived under R16 (18 or over).")
    same_nhs_number: bool | None = strawberry.field(
        description=(
            "True when the candidate holds the incoming NHS number, false when it holds "
            "another one, null when either has none."
        )
    )
    _local_authority: strawberry.Private[str | None] = None
    _local_authority_guard: strawberry.Private[Guard] = OPEN
    _address: strawberry.Private[Address | None] = None
    _guard: strawberry.Private[Guard] = OPEN

    @strawberry.field(description="The candidate's local authority. Null when withheld (R4).")
    def local_authority(self, info: Info[Any, Any]) -> str | None:
        return self._local_authority_guard.reveal(info, self._local_authority)

    @strawberry.field(description="The candidate's address. Null when withheld (R4).")
    def address(self, info: Info[Any, Any]) -> Address | None:
        return self._guard.reveal(info, self._address)


@strawberry.type(
    description=(
        "An UPSERT_CHILD record held for a person to decide (R15): the index never merges "
        "or duplicates a child by guess."
    )
)
class MatchReview:
    id: strawberry.ID
    source: str = strawberry.field(description="The source system that sent the record.")
    source_ref: str
    status: MatchReviewStatus
    reason: MatchReviewReason
    received_at: datetime
    incoming: IncomingChild
    candidates: list[MatchCandidate] = strawberry.field(
        description="The children it might be, by id. Empty when they have since been deleted."
    )
    resolved_child_id: strawberry.ID | None = strawberry.field(
        description="After resolution: the child the record now updates."
    )
    resolved_at: datetime | None
