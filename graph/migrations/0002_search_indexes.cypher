// R2 search keys: NHS number, and family name + date of birth (normalised, graph/keys.py).
CREATE INDEX child_nhs_number IF NOT EXISTS FOR (n:Child) ON (n.nhsNumber);
CREATE INDEX child_family_dob IF NOT EXISTS FOR (n:Child) ON (n.familyNameKey, n.dateOfBirth);
// R12 shared addresses; R16 retention sweeps by date of birth and archive date.
CREATE INDEX child_address_key IF NOT EXISTS FOR (n:Child) ON (n.addressKey);
CREATE INDEX child_date_of_birth IF NOT EXISTS FOR (n:Child) ON (n.dateOfBirth);
CREATE INDEX child_archived_on IF NOT EXISTS FOR (n:Child) ON (n.archivedOn);
CREATE INDEX involvement_source_ref IF NOT EXISTS FOR (n:Involvement) ON (n.source, n.sourceRef);
CREATE INDEX involvement_ended_on IF NOT EXISTS FOR (n:Involvement) ON (n.endedOn);
CREATE INDEX consent_state IF NOT EXISTS FOR (n:ConsentGrant) ON (n.state);
CREATE INDEX audit_event_at IF NOT EXISTS FOR (n:AuditEvent) ON (n.at);
