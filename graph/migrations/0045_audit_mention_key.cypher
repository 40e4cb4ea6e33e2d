// A mention is one property, `key`: the child's id, the event's `at` as fixed-width text
// (12 digits of epoch seconds, 9 of nanoseconds) and the event's id, separated by spaces
// (graph/audit.py MENTION_AT). A child's trail is one range of one index, read in order;
// a feed chunk's event, which names thousands of children, commits one property and one
// index entry a child instead of three properties and a composite entry.
CREATE INDEX audit_mention_key IF NOT EXISTS FOR (m:AuditMention) ON (m.key);
MATCH (m:AuditMention) WHERE m.key IS NULL AND m.eventId IS NOT NULL
CALL (m) {
  SET m.key = m.childId + ' ' + right('000000000000' + toString(m.at.epochSeconds), 12)
    + right('000000000' + toString(m.at.nanosecond), 9) + ' ' + m.eventId
  REMOVE m.childId, m.at, m.eventId, m.writer, m.seq
} IN TRANSACTIONS OF 10000 ROWS;
DROP INDEX audit_mention_child_event IF EXISTS
