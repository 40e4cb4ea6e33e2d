"""What a feed did: per chunk (`ChunkOutcome`) and over a whole call or file (`IngestReport`).

R4 (no oracle): nothing here depends on a shielded child's whereabouts. The household
alerts a chunk's write raised are kept on its outcome for that chunk's audit event only.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from feeds.records import Rejection
from graph.alerts import HouseholdAlert
from graph.ingest import ChunkFacts

__all__ = ["ACCEPTED", "PENDING_REVIEW", "ChunkOutcome", "IngestReport"]

ACCEPTED = "ACCEPTED"
PENDING_REVIEW = "PENDING_REVIEW"


@dataclass
class ChunkOutcome:
    accepted: int = 0
    unchanged: int = 0
    pending: int = 0
    rejections: list[Rejection] = field(default_factory=list)
    held: list[str] = field(default_factory=list)
    child_ids: dict[str, None] = field(default_factory=dict)  # ordered set, for the audit
    #: Reference data the chunk wrote ("LocalAuthority:<code>: ..."), for its audit event.
    changed: list[str] = field(default_factory=list)
    written: ChunkFacts | None = field(default=None, repr=False)  # for planning the next
    #: R4: household alerts the chunk's write raised; set when it commits, for the audit
    #: event only (the report never shows them: no oracle).
    alerts: list[HouseholdAlert] = field(default_factory=list)

    def audited_child_ids(self) -> list[str]:
        """R4/R14: the children the chunk's audit event names: those it wrote, and every
        child a household alert it raised names, the shielded ones included."""
        named = dict(self.child_ids)
        for alert in self.alerts:
            named.update(dict.fromkeys(alert.child_ids))
        return list(named)


@dataclass
class IngestReport:
    """Totals over every chunk. `max_errors` caps the rejections kept (the CLI's memory)."""

    accepted: int = 0
    unchanged: int = 0
    rejected: int = 0
    pending_match_review: int = 0
    errors: list[Rejection] = field(default_factory=list)
    held: list[str] = field(default_factory=list)
    rejected_by_code: Counter[str] = field(default_factory=Counter)
    max_errors: int | None = None

    def add(self, outcome: ChunkOutcome) -> None:
        self.accepted += outcome.accepted
        self.unchanged += outcome.unchanged
        self.pending_match_review += outcome.pending
        self.rejected += len(outcome.rejections)
        for rejection in outcome.rejections:
            self.rejected_by_code[rejection.code] += 1
        room = None if self.max_errors is None else max(0, self.max_errors - len(self.errors))
        self.errors.extend(outcome.rejections if room is None else outcome.rejections[:room])
        room = None if self.max_errors is None else max(0, self.max_errors - len(self.held))
        self.held.extend(outcome.held if room is None else outcome.held[:room])

    @property
    def total(self) -> int:
        return self.accepted + self.unchanged + self.rejected + self.pending_match_review
