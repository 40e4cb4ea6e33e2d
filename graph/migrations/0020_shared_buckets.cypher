// Budgets shared by every API process (graph/shared_buckets.py): one node per key, so
// MERGE from two processes at once never makes two; forgetAt finds the stale ones.
CREATE CONSTRAINT shared_bucket_key IF NOT EXISTS FOR (b:SharedBucket) REQUIRE b.key IS UNIQUE;
CREATE INDEX shared_bucket_forget_at IF NOT EXISTS FOR (b:SharedBucket) ON (b.forgetAt);
