// An auditor follows one subject's events across the index (Query.auditTrailOfSubject):
// newest first within a subject, so the index answers a page without a scan.
CREATE INDEX audit_event_subject_at IF NOT EXISTS FOR (n:AuditEvent) ON (n.subject, n.at);
