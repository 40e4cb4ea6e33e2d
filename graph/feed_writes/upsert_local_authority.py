"""UPSERT_LOCAL_AUTHORITY's write: a local authority and its index team's contact (R4).

The index-team contact is what a shielded child shows instead of anyone who works with
them (policies/shielding.py): a change to it decides where a worried practitioner's
call goes. So the write itself compares the contact it replaces, and a change to an
authority that was already on the index raises an INDEX_TEAM_CONTACT_CHANGED alert
(policies.alerts.AlertKind) for that authority's index team, in the same transaction:
committed with the change, or not at all. The authority's own address, which the seed
and the index team keep, is not a feed's to change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, LiteralString

from graph.feed_writes import WriteKind
from graph.outbox import ALERT_RAISED

__all__ = ["LOCAL_AUTHORITIES", "WRITE_LOCAL_AUTHORITIES", "LocalAuthorityRow"]

LOCAL_AUTHORITIES: LiteralString = (
    """
UNWIND $rows AS row
MERGE (la:LocalAuthority {code: row.code})
WITH la, row, la.name IS NOT NULL AS existed,
  [coalesce(la.indexTeamPhone, ''), coalesce(la.indexTeamEmail, '')] AS before
SET la.name = row.name, la.indexTeamPhone = row.indexTeamPhone,
  la.indexTeamEmail = row.indexTeamEmail, la.source = row.source
WITH la, row, existed AND before <> [row.indexTeamPhone, row.indexTeamEmail] AS changed
CALL (la, row, changed) {
  WITH la, row WHERE changed
  CREATE (alert:AccessAlert {id: 'alert-' + randomUUID(), kind: 'INDEX_TEAM_CONTACT_CHANGED',
    state: 'OPEN', raisedAt: $now, localAuthority: la.code, subject: $actor.subject,
    role: $actor.role, childIds: [],
    detail: 'R4: UPSERT_LOCAL_AUTHORITY ' + row.sourceRef + ' from source ' + $actor.source
      + ' (request ' + $actor.requestId + ') changed the index team contact that '
      + 'shielded children of ' + la.code + ' show'})
  """
    + ALERT_RAISED
    + """
}
RETURN count(*) AS written
"""
)


@dataclass(slots=True)
class LocalAuthorityRow:
    code: str
    name: str
    index_team_phone: str
    index_team_email: str
    source: str
    source_ref: str

    def params(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "indexTeamPhone": self.index_team_phone,
            "indexTeamEmail": self.index_team_email,
            "source": self.source,
            "sourceRef": self.source_ref,
        }

    def needs(self) -> tuple[str | None, ...]:
        # The code is its FeedRecord's entity id: a chunk still committing that wrote
        # this authority is waited for, so the contact compared is the one it wrote.
        return (self.code,)

    def creates(self) -> str | None:
        return None


WRITE_LOCAL_AUTHORITIES: WriteKind[LocalAuthorityRow] = WriteKind(
    "local_authorities", LOCAL_AUTHORITIES, LocalAuthorityRow
)
