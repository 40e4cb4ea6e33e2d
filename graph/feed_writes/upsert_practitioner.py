"""UPSERT_PRACTITIONER's write: a practitioner, working for one service."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, LiteralString

from graph.feed_writes import Contact, WriteKind

__all__ = ["PRACTITIONERS", "WRITE_PRACTITIONERS", "PractitionerRow"]

# A practitioner works for one service: naming another moves them.
PRACTITIONERS: LiteralString = """
UNWIND $rows AS row
MATCH (s:Service {id: row.serviceId})
MERGE (p:Practitioner {id: row.id})
SET p += row.props
MERGE (p)-[:WORKS_FOR]->(s)
WITH p, s
CALL (p, s) {
  MATCH (p)-[old:WORKS_FOR]->(other) WHERE other <> s
  DELETE old
}
RETURN count(*) AS written
"""


@dataclass(slots=True)
class PractitionerRow:
    id: str
    service_id: str
    name: str
    job_title: str | None
    source: str
    contact: Contact
    #: R17, read by the index view (policies): null availableFrom unless UNAVAILABLE.
    availability: str
    available_from: date | None

    def params(self) -> dict[str, Any]:
        props = {
            "name": self.name,
            "jobTitle": self.job_title,
            "source": self.source,
            **self.contact.props(),
            "availability": self.availability,
            "availableFrom": self.available_from,
        }
        return {"id": self.id, "serviceId": self.service_id, "props": props}

    def needs(self) -> tuple[str | None, ...]:
        return (self.id, self.service_id)

    def creates(self) -> str | None:
        return self.id


WRITE_PRACTITIONERS: WriteKind[PractitionerRow] = WriteKind(
    "practitioners", PRACTITIONERS, PractitionerRow
)
