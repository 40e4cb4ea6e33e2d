// Record errors (graph/record_errors.py): reports of a wrong index record, queued for the
// index team of the child's local authority, who list their open ones oldest first.
CREATE CONSTRAINT record_error_id IF NOT EXISTS FOR (n:RecordError) REQUIRE n.id IS UNIQUE;
CREATE INDEX record_error_la_status IF NOT EXISTS FOR (n:RecordError) ON (n.localAuthority, n.status);
