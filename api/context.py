"""What one request carries through the resolvers: who, why, and what they were shown."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from api.audit import AuditCollector
from api.errors import PurposeRequired
from api.settings import Settings
from graph.database import Graph, RoundTrips
from policies.viewer import Viewer

__all__ = ["RequestContext"]

MAX_PURPOSE = 500


@dataclass
class RequestContext:
    viewer: Viewer
    graph: Graph
    settings: Settings
    request_id: str
    purpose_header: str | None
    idempotency_key: str | None = None
    audit: AuditCollector = field(default_factory=AuditCollector)
    round_trips: RoundTrips = field(default_factory=RoundTrips)
    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def today(self) -> date:
        return self.now.date()

    def purpose(self) -> str:
        """R2: every read of a child states why. Missing or blank: BAD_USER_INPUT, no data."""
        text = (self.purpose_header or "").strip()
        if not text:
            raise PurposeRequired(
                "state the purpose of this request in the X-Purpose header", field="X-Purpose"
            )
        if len(text) > MAX_PURPOSE:
            raise PurposeRequired(
                f"the X-Purpose header must be at most {MAX_PURPOSE} characters", field="X-Purpose"
            )
        return text
