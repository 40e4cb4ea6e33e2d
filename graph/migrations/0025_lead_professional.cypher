// One source of truth for the lead professional (graph/lead_professional.py): the
// LEAD_PROFESSIONAL_FOR relationship. A feed's START_INVOLVEMENT used to leave its
// isLeadProfessional on the involvement alone, so the index never showed that lead. A
// child with no lead yet gets the practitioner of its latest active involvement so
// flagged, remembered as set by that involvement's feed; then the flag goes from every
// involvement (it is derived from the relationship on every read).
MATCH (i:Involvement {isLeadProfessional: true})-[:OF]->(c:Child)
WHERE (i.endedOn IS NULL OR i.endedOn > date())
  AND NOT EXISTS { ()-[:LEAD_PROFESSIONAL_FOR]->(c) }
MATCH (i)-[:BY]->(p:Practitioner)
WITH c, i, p ORDER BY i.startedOn DESC, i.id
WITH c, collect({i: i, p: p})[0] AS latest
WITH c, latest.i AS i, latest.p AS p
MERGE (p)-[l:LEAD_PROFESSIONAL_FOR]->(c)
  ON CREATE SET l.since = i.startedOn,
    l.setBy = CASE WHEN i.source STARTS WITH 'practitioner:' THEN i.source
      ELSE 'feed:' + coalesce(i.source, 'unknown') END,
    l.involvementId = i.id;
MATCH (i:Involvement) WHERE i.isLeadProfessional IS NOT NULL
REMOVE i.isLeadProfessional;
