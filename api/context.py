"""What one request carries through the resolvers: who, why, and what they were shown."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from api.audit import AuditCollector
from api.browsing import BrowsingLedger, Watch
from api.errors import PurposeRequired
from api.settings import Settings
from graph.database import Graph, RoundTrips
from policies.viewer import Viewer

__all__ = ["RequestContext", "SuspensionSeen"]

MAX_PURPOSE = 500


@dataclass
class SuspensionSeen:
    """The answer to "is this subject suspended?" once some query of the request asked."""

    checked: bool = False
    reason: str | None = None

    def saw(self, reason: str | None) -> None:
        self.checked = True
        self.reason = self.reason or reason


@dataclass
class RequestContext:
    viewer: Viewer
    graph: Graph
    settings: Settings
    request_id: str
    purpose_header: str | None
    idempotency_key: str | None = None
    #: Why the X-Purpose header could not be read (not UTF-8), if it could not.
    purpose_problem: str | None = None
    #: The caller's own X-Request-Id, kept beside the server's (R14), never in its place.
    client_request_id: str | None = None
    audit: AuditCollector = field(default_factory=AuditCollector)
    round_trips: RoundTrips = field(default_factory=RoundTrips)
    #: R2: the process's memory of children already counted today (api/browsing.py).
    ledger: BrowsingLedger = field(default_factory=BrowsingLedger)
    #: Whether this request has asked if its subject is suspended, and the answer.
    suspension: SuspensionSeen = field(default_factory=lambda: SuspensionSeen())
    watch: Watch = field(default_factory=Watch)
    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def today(self) -> date:
        return self.now.date()

    def purpose(self) -> str:
        """R2: every read of a child states why. Missing or blank: BAD_USER_INPUT, no data."""
        if self.purpose_problem is not None:
            raise PurposeRequired(self.purpose_problem, field="X-Purpose")
        text = (self.purpose_header or "").strip()
        if any(unicodedata.category(ch) == "Cc" for ch in text):
            raise PurposeRequired(
                "the X-Purpose header must not contain control characters", field="X-Purpose"
            )
        if not text:
            raise PurposeRequired(
                "state the purpose of this request in the X-Purpose header", field="X-Purpose"
            )
        if len(text) > MAX_PURPOSE:
            raise PurposeRequired(
                f"the X-Purpose header must be at most {MAX_PURPOSE} characters", field="X-Purpose"
            )
        return text
