// Access alerts (graph/alerts.py, policies/alerts.py): what an index team is told when a
// rule is brought into play (R4's household rule first). One node per alert.
CREATE CONSTRAINT access_alert_id IF NOT EXISTS FOR (n:AccessAlert) REQUIRE n.id IS UNIQUE;
// An index team lists its own alerts, usually the open ones, newest first.
CREATE INDEX access_alert_la_state IF NOT EXISTS FOR (n:AccessAlert) ON (n.localAuthority, n.state);
