// Feeds (R15): one FeedRecord per (source, sourceRef), so re-sending is idempotent and a
// crashed ingest re-run finds what was already written in the same transaction.
CREATE CONSTRAINT feed_record_key IF NOT EXISTS FOR (n:FeedRecord) REQUIRE (n.source, n.sourceRef) IS UNIQUE;
// Retention (R16) deletes the feed records of a deleted child with it.
CREATE INDEX feed_record_child IF NOT EXISTS FOR (n:FeedRecord) ON (n.childId);
// R15 matching needs no index of its own: NHS number and (familyNameKey, dateOfBirth)
// from 0001/0002 find every candidate, and the rest is compared in policies/matching.py.
// Records held for a person to decide (R15).
CREATE CONSTRAINT match_review_id IF NOT EXISTS FOR (n:MatchReview) REQUIRE n.id IS UNIQUE;
CREATE INDEX match_review_status IF NOT EXISTS FOR (n:MatchReview) ON (n.status);
// Feed chunks, match resolutions and retention batches take this node's write lock, so
// two writers never both decide "no such child yet" and create the same child twice.
CREATE CONSTRAINT ingest_lock_id IF NOT EXISTS FOR (n:IngestLock) REQUIRE n.id IS UNIQUE;
MERGE (l:IngestLock {id: 'main'});
