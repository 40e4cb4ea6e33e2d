"""Network tracing (R12): who is linked to a child, or to a carer, in one round trip.

The traversal returns the raw neighbourhood as plain facts: the ids of the live
children within `depth` steps of the root (a step is a shared carer or a shared
address key), and every link among them with the carer's residence on each side.
It decides nothing: `policies/network.py` chooses which links may be followed (R4),
and only the children it reaches are then fetched, shaped and audited, all together
in one more round trip (graph.children.fetch_children).

The depth is unrolled (at most three steps) rather than a variable-length pattern,
because a step is either a two-hop path through a carer or an index seek on
`addressKey`, which one pattern cannot express; each step is capped so that one
address shared by a hostel's worth of records cannot flood the answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import LiteralString

from graph.database import Graph
from policies.network import CARES_FOR, LIVES_WITH, SHARES_ADDRESS, SHARES_CARER, CarerTie, RawLink

__all__ = ["CarerHousehold", "Neighbourhood", "carer_household", "neighbourhood"]

# One step out from every child of the frontier: children sharing a carer, and children
# whose address key is the same (an index seek on child_address_key).
_STEP: LiteralString = """
CALL (frontier, reached) {
  UNWIND frontier AS x
  CALL (x) {
    MATCH (x)<-[:CARES_FOR]-(:Carer)-[:CARES_FOR]->(y:Child)
    WHERE y.archivedOn IS NULL
    RETURN y LIMIT $limit
    UNION
    MATCH (y:Child)
    WHERE x.addressKey IS NOT NULL AND y.addressKey = x.addressKey AND y.archivedOn IS NULL
    RETURN y LIMIT $limit
  }
  WITH DISTINCT y WHERE NOT y IN reached
  RETURN collect(y) AS found
}
WITH reached, truncated, found[..($limit - size(reached))] AS found, size(found) AS offered
WITH reached + found AS reached, found AS frontier, truncated OR size(found) < offered AS truncated
"""

NEIGHBOURHOOD: LiteralString = (
    """
MATCH (root:Child {id: $childId})
WHERE root.archivedOn IS NULL
WITH [root] AS reached, [root] AS frontier, false AS truncated
"""
    + _STEP
    + """
WITH reached, CASE WHEN $depth >= 2 THEN frontier ELSE [] END AS frontier, truncated
"""
    + _STEP
    + """
WITH reached, CASE WHEN $depth >= 3 THEN frontier ELSE [] END AS frontier, truncated
"""
    + _STEP
    + """
CALL (reached) {
  UNWIND reached AS x
  CALL (x, reached) {
    MATCH (x)<-[rx:CARES_FOR]-(k:Carer)-[ry:CARES_FOR]->(y:Child)
    WHERE x.id < y.id AND y IN reached
    RETURN {a: x.id, b: y.id, kind: 'SHARES_CARER', carer: k.id,
            aLives: rx.livesWithChild, bLives: ry.livesWithChild} AS link
    UNION ALL
    MATCH (y:Child)
    WHERE x.addressKey IS NOT NULL AND y.addressKey = x.addressKey
      AND x.id < y.id AND y IN reached
    RETURN {a: x.id, b: y.id, kind: 'SHARES_ADDRESS', carer: null,
            aLives: null, bLives: null} AS link
  }
  RETURN collect(link) AS links
}
RETURN [c IN reached | c.id] AS ids, links, truncated
"""
)

# A carer's children (CARES_FOR) and the households of the children they live with: the
# children whose address key is that of a child the carer lives with.
CARER_HOUSEHOLD: LiteralString = """
MATCH (k:Carer {id: $carerId})
CALL (k) {
  OPTIONAL MATCH (k)-[r:CARES_FOR]->(c:Child)
  WHERE c.archivedOn IS NULL
  WITH c, r ORDER BY c.id LIMIT $limit
  RETURN collect(CASE WHEN c IS NULL THEN null
                 ELSE {child: c.id, lives: r.livesWithChild} END) AS cared
}
CALL (k) {
  OPTIONAL MATCH (k)-[r:CARES_FOR]->(home:Child)
  WHERE r.livesWithChild AND home.archivedOn IS NULL AND home.addressKey IS NOT NULL
  OPTIONAL MATCH (m:Child)
  WHERE m.addressKey = home.addressKey AND m.archivedOn IS NULL AND m <> home
    AND NOT EXISTS { (k)-[:CARES_FOR]->(m) }
  WITH home, m ORDER BY m.id LIMIT $limit
  RETURN collect(CASE WHEN m IS NULL THEN null ELSE {child: m.id, via: home.id} END) AS household
}
RETURN k.id AS id, cared, household
"""


@dataclass(frozen=True)
class Neighbourhood:
    """Live children within `depth` raw steps of the root, and the links among them."""

    child_ids: list[str]
    links: list[RawLink]
    truncated: bool


@dataclass(frozen=True)
class CarerHousehold:
    carer_id: str
    ties: list[CarerTie]


async def neighbourhood(graph: Graph, child_id: str, depth: int, limit: int) -> Neighbourhood:
    records = await graph.read(NEIGHBOURHOOD, childId=child_id, depth=depth, limit=limit)
    if not records:
        return Neighbourhood([], [], False)
    record = records[0]
    links = []
    for m in record["links"]:
        kind = SHARES_CARER if m["kind"] == "SHARES_CARER" else SHARES_ADDRESS
        links.append(RawLink(m["a"], m["b"], kind, m["carer"], m["aLives"], m["bLives"]))
    return Neighbourhood(list(record["ids"]), links, bool(record["truncated"]))


async def carer_household(graph: Graph, carer_id: str, limit: int) -> CarerHousehold | None:
    records = await graph.read(CARER_HOUSEHOLD, carerId=carer_id, limit=limit)
    if not records:
        return None
    record = records[0]
    ties = [CarerTie(m["child"], CARES_FOR, lives_with_child=m["lives"]) for m in record["cared"]]
    ties.extend(CarerTie(m["child"], LIVES_WITH, via=m["via"]) for m in record["household"])
    return CarerHousehold(record["id"], ties)
