// Issue 17: one audit chain per writer (graph/audit.py), so no two API processes ever
// contend for a chain head. The single chain from before becomes the chain of writer
// 'main', closed: its events keep their seq, prevHash and hash and verify as they did.
DROP CONSTRAINT audit_event_seq IF EXISTS;
CREATE CONSTRAINT audit_writer_id IF NOT EXISTS FOR (n:AuditWriter) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT audit_link_writer_seq IF NOT EXISTS FOR (n:AuditLink) REQUIRE (n.writer, n.seq) IS UNIQUE;
MATCH (a:AuditEvent) WHERE a.writer IS NULL
CALL (a) { SET a:AuditLink, a.writer = 'main' } IN TRANSACTIONS OF 10000 ROWS;
MATCH (h:AuditChain {id: 'main'}) WHERE h.seq > 0
MERGE (w:AuditWriter {id: 'main'})
  ON CREATE SET w.seq = h.seq, w.lastHash = h.lastHash, w.closedAt = datetime(), w.legacy = true;
MATCH (h:AuditChain) DELETE h;
// A child's events are found through mentions, not CONCERNS relationships: an append
// then takes no lock on the child (which consent, CAF and ingest writes lock).
CREATE INDEX audit_mention_child IF NOT EXISTS FOR (m:AuditMention) ON (m.childId, m.at);
MATCH (a:AuditEvent)-[r:CONCERNS]->(c:Child)
CALL (a, r, c) {
  CREATE (:AuditMention {childId: c.id, at: a.at, writer: a.writer, seq: a.seq})-[:MENTIONED_IN]->(a)
  DELETE r
} IN TRANSACTIONS OF 10000 ROWS;
