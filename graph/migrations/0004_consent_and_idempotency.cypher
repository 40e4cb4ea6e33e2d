// Idempotency-Key records (graph/idempotency.py): one per (subject, key), so a retried
// mutation and its first attempt serialise on this constraint instead of both writing.
CREATE CONSTRAINT idempotency_record_id IF NOT EXISTS FOR (n:IdempotencyRecord) REQUIRE n.id IS UNIQUE;
// overridesForReview lists the newest overrides first (R9).
CREATE INDEX access_override_recorded_at IF NOT EXISTS FOR (n:AccessOverride) ON (n.recordedAt);
