"""START_INVOLVEMENT's writes: an involvement of a child with a service, created or moved."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, LiteralString

from graph.feed_writes import WriteKind
from graph.lead_professional import FEED_STAND_DOWN, SET_LEAD
from graph.outbox import feed_involvement_event
from policies.vocabulary import EventKind

# The feed's isLeadProfessional (graph/lead_professional.py): the flag makes the
# involvement's practitioner the child's lead; a START re-sent without it stands down the
# lead this involvement had set, and no other.
# A START that took over a practitioner's own involvement (`ownId`, else null) and does
# not say who leads moves the lead the practitioner recorded on it to the feed's
# involvement: kept, and from then on stood down as any the feed set (its END, or a
# START re-sent without the flag).
_LEAD: LiteralString = (
    """WITH row, i, c, p, ownId
CALL (row, i, ownId) {
  WITH row, i WHERE NOT row.lead AND ownId IS NULL
"""
    + FEED_STAND_DOWN
    + """}
CALL (row, i, c, ownId) {
  WITH row, i, c, ownId WHERE NOT row.lead AND ownId IS NOT NULL
  MATCH ()-[moved:LEAD_PROFESSIONAL_FOR {involvementId: ownId}]->(c)
  SET moved.involvementId = i.id
}
CALL (row, i, c, p) {
  WITH row, i, c, p AS lead WHERE row.lead AND p IS NOT NULL
  WITH row, i, c, lead, i.startedOn AS leadSince, 'feed:' + i.source AS leadSetBy,
    i.id AS leadInvolvementId, 'feed:' + i.source AS leadActor
"""
    + SET_LEAD
    + "}\n"
)

__all__ = [
    "INVOLVEMENTS_NEW",
    "INVOLVEMENTS_UPDATE",
    "WRITE_INVOLVEMENTS_NEW",
    "WRITE_INVOLVEMENTS_UPDATE",
    "InvolvementRow",
]

# A new START takes over the practitioner's own record of the same involvement (the
# same child, service and practitioner, or the service alone for a team's, still open):
# it becomes the feed's, under the id the feed's records name it by, rather than a
# second involvement beside it (issue 19; graph/own_involvement.py wrote it, and
# announced it then). A new one is announced (issue 20, graph/outbox.py), in this write.
INVOLVEMENTS_NEW: LiteralString = (
    """
UNWIND $rows AS row
MATCH (c:Child {id: row.childId})
MATCH (s:Service {id: row.serviceId})
OPTIONAL MATCH (p:Practitioner {id: row.practitionerId})
WITH row, c, s, p WHERE row.practitionerId IS NULL OR p IS NOT NULL
CALL (c, s, p) {
  OPTIONAL MATCH (own:Involvement)-[:OF]->(c)
  WHERE own.source STARTS WITH 'practitioner:' AND own.endedOn IS NULL
    AND EXISTS { (own)-[:AT]->(s) }
    AND CASE WHEN p IS NULL THEN NOT EXISTS { (own)-[:BY]->() }
        ELSE EXISTS { (own)-[:BY]->(p) } END
  RETURN own ORDER BY own.startedOn LIMIT 1
}
CALL (row, c, s, p, own) {
  WITH row, own WHERE own IS NOT NULL
  WITH row, own, own.id AS ownId
  SET own = row.props
  RETURN own AS i, ownId
UNION
  WITH row, c, s, p, own WHERE own IS NULL
  CREATE (i:Involvement)
  SET i = row.props
  CREATE (i)-[:OF]->(c)
  CREATE (i)-[:AT]->(s)
  FOREACH (_ IN CASE WHEN p IS NULL THEN [] ELSE [1] END | CREATE (i)-[:BY]->(p))
  """
    + feed_involvement_event(EventKind.INVOLVEMENT_STARTED, "row.practitionerId")
    + """RETURN i, null AS ownId
}
"""
    + _LEAD
    + "RETURN count(*) AS written\n"
)

# An updated START moves the involvement to the child, service and practitioner it now
# names; it never touches endedOn, which belongs to the END record. A move (another
# child, service or practitioner than before) is announced in this write (issue 20:
# INVOLVEMENT_MOVED, about the involvement as it now is); a correction of its dates is not.
INVOLVEMENTS_UPDATE: LiteralString = (
    """
UNWIND $rows AS row
MATCH (c:Child {id: row.childId})
MATCH (s:Service {id: row.serviceId})
OPTIONAL MATCH (p:Practitioner {id: row.practitionerId})
WITH row, c, s, p WHERE row.practitionerId IS NULL OR p IS NOT NULL
MERGE (i:Involvement {id: row.id})
WITH row, c, s, p, i, [(i)-[:OF]->(x) | x.id] + ['|'] + [(i)-[:AT]->(x) | x.id] + ['|']
  + [(i)-[:BY]->(x) | x.id] AS was, EXISTS { (i)-[:AT]->() } AS existed
SET i += row.props
MERGE (i)-[:OF]->(c)
MERGE (i)-[:AT]->(s)
FOREACH (_ IN CASE WHEN p IS NULL THEN [] ELSE [1] END | MERGE (i)-[:BY]->(p))
WITH row, i, c, s, p, was, existed
CALL (i, c, s, p) {
  MATCH (i)-[old:OF|AT|BY]->(other)
  WHERE (type(old) = 'OF' AND other <> c)
     OR (type(old) = 'AT' AND other <> s)
     OR (type(old) = 'BY' AND (p IS NULL OR other <> p))
  DELETE old
}
CALL (row, i, c, s, p, was, existed) {
  WITH * WHERE existed
    AND was <> [c.id, '|', s.id, '|'] + CASE WHEN p IS NULL THEN [] ELSE [p.id] END
  """
    + feed_involvement_event(EventKind.INVOLVEMENT_MOVED, "row.practitionerId")
    + """}
WITH row, i, c, p, null AS ownId
"""
    + _LEAD
    + "RETURN count(*) AS written\n"
)


@dataclass(slots=True)
class InvolvementRow:
    """`new`: the involvement is created; otherwise it is found by id and updated."""

    id: str
    new: bool
    child_id: str
    service_id: str
    practitioner_id: str | None
    started_on: date
    is_lead_professional: bool
    source: str
    source_ref: str

    def params(self) -> dict[str, Any]:
        props: dict[str, Any] = {
            "startedOn": self.started_on,
            "source": self.source,
            "sourceRef": self.source_ref,
        }
        row: dict[str, Any] = {
            "childId": self.child_id,
            "serviceId": self.service_id,
            "practitionerId": self.practitioner_id,
            "lead": self.is_lead_professional,
        }
        if self.new:
            props["id"] = self.id
        else:
            row["id"] = self.id
        row["props"] = props
        return row

    def needs(self) -> tuple[str | None, ...]:
        if self.new:
            return (self.child_id, self.service_id, self.practitioner_id)
        return (self.id, self.child_id, self.service_id, self.practitioner_id)

    def creates(self) -> str | None:
        return self.id


WRITE_INVOLVEMENTS_NEW: WriteKind[InvolvementRow] = WriteKind(
    "involvements_new", INVOLVEMENTS_NEW, InvolvementRow
)
WRITE_INVOLVEMENTS_UPDATE: WriteKind[InvolvementRow] = WriteKind(
    "involvements_update", INVOLVEMENTS_UPDATE, InvolvementRow
)
