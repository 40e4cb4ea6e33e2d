"""UPSERT_SERVICE's write: a service, as its maintaining source describes it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, LiteralString

from graph.feed_writes import Contact, WriteKind

__all__ = ["SERVICES", "WRITE_SERVICES", "ServiceRow"]

SERVICES: LiteralString = """
UNWIND $rows AS row
MERGE (s:Service {id: row.id})
SET s += row.props
RETURN count(*) AS written
"""


@dataclass(slots=True)
class ServiceRow:
    id: str
    name: str
    kind: str
    sensitive: bool
    local_authority: str
    source: str
    contact: Contact

    def params(self) -> dict[str, Any]:
        props = {
            "name": self.name,
            "kind": self.kind,
            "sensitive": self.sensitive,
            "localAuthority": self.local_authority,
            "source": self.source,
            **self.contact.props(),
        }
        return {"id": self.id, "props": props}

    def needs(self) -> tuple[str | None, ...]:
        return (self.id,)

    def creates(self) -> str | None:
        return self.id


WRITE_SERVICES: WriteKind[ServiceRow] = WriteKind("services", SERVICES, ServiceRow)
