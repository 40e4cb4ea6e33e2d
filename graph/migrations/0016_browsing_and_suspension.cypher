// R2's browsing budget (graph/browsing.py): one node per subject and day, found by key
// on every read of a child new to the subject that day.
CREATE CONSTRAINT browsing_day_key IF NOT EXISTS FOR (n:BrowsingDay) REQUIRE n.key IS UNIQUE;
CREATE INDEX browsing_day_subject IF NOT EXISTS FOR (n:BrowsingDay) ON (n.subject);
// Suspended subjects (graph/suspensions.py): asked about on every request.
CREATE CONSTRAINT subject_suspension_subject IF NOT EXISTS FOR (n:SubjectSuspension) REQUIRE n.subject IS UNIQUE;
