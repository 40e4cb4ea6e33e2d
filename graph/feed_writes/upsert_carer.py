"""UPSERT_CARER's write: a carer and the CARES_FOR that the record stands for."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, LiteralString

from graph.feed_writes import Contact, WriteKind

__all__ = ["CARERS", "WRITE_CARERS", "CarerRow"]

# The CARES_FOR carries the record's (source, sourceRef): a corrected `child` moves it.
CARERS: LiteralString = """
UNWIND $rows AS row
MATCH (c:Child {id: row.childId})
MERGE (k:Carer {id: row.id})
SET k += row.props
MERGE (k)-[r:CARES_FOR]->(c)
SET r += row.rel
WITH k, c, row
CALL (k, c, row) {
  MATCH (k)-[old:CARES_FOR]->(other)
  WHERE old.source = row.rel.source AND old.sourceRef = row.rel.sourceRef AND other <> c
  DELETE old
}
RETURN count(*) AS written
"""


@dataclass(slots=True)
class CarerRow:
    id: str
    child_id: str
    name: str
    source: str
    contact: Contact
    relationship: str
    parental_responsibility: bool
    lives_with_child: bool
    source_ref: str

    def params(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "childId": self.child_id,
            "props": {"name": self.name, "source": self.source, **self.contact.props()},
            "rel": {
                "relationship": self.relationship,
                "parentalResponsibility": self.parental_responsibility,
                "livesWithChild": self.lives_with_child,
                "source": self.source,
                "sourceRef": self.source_ref,
            },
        }

    def needs(self) -> tuple[str | None, ...]:
        return (self.id, self.child_id)

    def creates(self) -> str | None:
        return self.id


WRITE_CARERS: WriteKind[CarerRow] = WriteKind("carers", CARERS, CarerRow)
