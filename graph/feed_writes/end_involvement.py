"""END_INVOLVEMENT's write: the end date of an involvement a START of the same source made."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, LiteralString

from graph.feed_writes import WriteKind
from graph.lead_professional import FEED_STAND_DOWN
from graph.outbox import feed_involvement_event
from policies.vocabulary import EventKind

__all__ = ["ENDS", "WRITE_ENDS", "EndRow"]

# Issue 20: the child's other practitioners hear of it (graph/outbox.py), in this write;
# the lead this involvement made (its START's isLeadProfessional) stands down with it.
ENDS: LiteralString = (
    """
UNWIND $rows AS row
MATCH (i:Involvement {id: row.id})
SET i.endedOn = row.endedOn
WITH i
CALL (i) {
  MATCH (i)-[:OF]->(c:Child)
  OPTIONAL MATCH (i)-[:BY]->(bp:Practitioner)
  """
    + feed_involvement_event(EventKind.INVOLVEMENT_ENDED, "bp.id")
    + """}
"""
    + FEED_STAND_DOWN
    + "RETURN count(*) AS written\n"
)


@dataclass(slots=True)
class EndRow:
    id: str
    ended_on: date

    def params(self) -> dict[str, Any]:
        return {"id": self.id, "endedOn": self.ended_on}

    def needs(self) -> tuple[str | None, ...]:
        return (self.id,)

    def creates(self) -> str | None:
        return self.id


WRITE_ENDS: WriteKind[EndRow] = WriteKind("ends", ENDS, EndRow)
