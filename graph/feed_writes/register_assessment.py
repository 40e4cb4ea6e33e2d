"""REGISTER_ASSESSMENT's write: a CAF's indicator and holder (R7), never its content."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, LiteralString

from graph.feed_writes import WriteKind

__all__ = ["ASSESSMENTS", "WRITE_ASSESSMENTS", "AssessmentRow"]

# A registered CAF is an indicator and a holder, never content (feeds.md, R7).
ASSESSMENTS: LiteralString = """
UNWIND $rows AS row
MATCH (c:Child {id: row.childId})
MATCH (h:Practitioner {id: row.holderId})
MERGE (a:Assessment {id: row.id})
  ON CREATE SET a.strengths = []
SET a += row.props
MERGE (a)-[:ABOUT]->(c)
MERGE (h)-[:HOLDS]->(a)
WITH a, c, h
CALL (a, c) {
  MATCH (a)-[old:ABOUT]->(other) WHERE other <> c
  DELETE old
}
CALL (a, h) {
  MATCH (other)-[old:HOLDS]->(a) WHERE other <> h
  DELETE old
}
RETURN count(*) AS written
"""


@dataclass(slots=True)
class AssessmentRow:
    id: str
    child_id: str
    holder_id: str
    status: str
    started_on: date
    source: str
    source_ref: str

    def params(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "childId": self.child_id,
            "holderId": self.holder_id,
            "props": {
                "status": self.status,
                "startedOn": self.started_on,
                "source": self.source,
                "sourceRef": self.source_ref,
            },
        }

    def needs(self) -> tuple[str | None, ...]:
        return (self.id, self.child_id, self.holder_id)

    def creates(self) -> str | None:
        return self.id


WRITE_ASSESSMENTS: WriteKind[AssessmentRow] = WriteKind("assessments", ASSESSMENTS, AssessmentRow)
