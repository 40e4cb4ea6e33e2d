// The audit trail is keyed by (at, event id), not by its writer's (writer, seq): a
// writer numbers every event its process writes, so the gap between two events an index
// team was shown counted the withheld events between them (R4, no oracle). A mention
// carries its event's id, and the child trail's keyset (childId, then at and eventId
// newest first) is one index seek; the subject trail likewise on the event itself.
// The new indexes lead with the old ones' properties, which they replace.
CREATE INDEX audit_mention_child_event IF NOT EXISTS FOR (m:AuditMention) ON (m.childId, m.at, m.eventId);
CREATE INDEX audit_event_subject_at_id IF NOT EXISTS FOR (n:AuditEvent) ON (n.subject, n.at, n.id);
MATCH (m:AuditMention)-[:MENTIONED_IN]->(a:AuditEvent) WHERE m.eventId IS NULL
CALL (m, a) { SET m.eventId = a.id } IN TRANSACTIONS OF 10000 ROWS;
DROP INDEX audit_mention_child IF EXISTS;
DROP INDEX audit_event_subject_at IF EXISTS
