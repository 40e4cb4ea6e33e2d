// R6b: a consent path to a sensitive service counts only when a practitioner of that
// service recorded the grant, so every grant now carries the services its recorder
// worked for (graph/consent.py writes it for new grants). Grants recorded before this
// migration get their recorder's services as they are now: the best record there is.
// A grant with no practitioner recorder (a legacy import) gets none, so it can no longer
// open a sensitive service: the safe reading.
MATCH (g:ConsentGrant) WHERE g.recordedByServiceIds IS NULL
SET g.recordedByServiceIds = COLLECT {
  MATCH (:Practitioner {id: g.recordedByPractitionerId})-[:WORKS_FOR]->(s:Service)
  WITH DISTINCT s.id AS sid ORDER BY sid
  RETURN sid
};
// R10: a consent recorded by someone whose only standing with the child was an access
// override (R9) expires no later than that override. For active grants recorded before
// this migration: when the recorder held an override for the child at the moment of
// recording and no involvement of theirs (their own, or one of their services') was
// running that day, the grant is clamped to the override, as recordConsent now does.
MATCH (g:ConsentGrant)-[:ABOUT]->(c:Child)
WHERE g.state = 'ACTIVE' AND g.standingUntil IS NULL AND g.recordedByPractitionerId IS NOT NULL
  AND g.recordedOn IS NOT NULL
  AND NOT EXISTS {
    MATCH (i:Involvement)-[:OF]->(c)
    WHERE (i.startedOn IS NULL OR i.startedOn <= date(g.recordedOn))
      AND (i.endedOn IS NULL OR i.endedOn > date(g.recordedOn))
      AND (EXISTS { (i)-[:BY]->(:Practitioner {id: g.recordedByPractitionerId}) }
        OR EXISTS { (i)-[:AT]->(:Service)<-[:WORKS_FOR]-(:Practitioner {id: g.recordedByPractitionerId}) })
  }
MATCH (o:AccessOverride)-[:FOR]->(c)
WHERE o.practitionerId = g.recordedByPractitionerId
  AND o.recordedAt <= g.recordedOn AND g.recordedOn < o.expiresAt
WITH g, o ORDER BY o.expiresAt DESC
WITH g, collect(o)[0] AS o
SET g.standingUntil = o.expiresAt, g.recordedUnderOverrideId = o.id,
  g.expiresOn = CASE
    WHEN g.expiresOn IS NULL OR g.expiresOn > date(datetime({datetime: o.expiresAt, timezone: 'UTC'}))
    THEN date(datetime({datetime: o.expiresAt, timezone: 'UTC'}))
    ELSE g.expiresOn END;
