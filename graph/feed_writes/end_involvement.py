"""END_INVOLVEMENT's write: the end date of an involvement a START of the same source made."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, LiteralString

from graph.feed_writes import WriteKind

__all__ = ["ENDS", "WRITE_ENDS", "EndRow"]

ENDS: LiteralString = """
UNWIND $rows AS row
MATCH (i:Involvement {id: row.id})
SET i.endedOn = row.endedOn
RETURN count(*) AS written
"""


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
