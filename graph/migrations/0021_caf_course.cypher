// The CAF's course (reviews, progress against each need): a review names the needs it
// reports progress on, so every need gets an id and a status. Needs stored before this
// migration are OPEN. The assessor on the CAF form is the practitioner who started it.
MATCH (n:AssessmentNeed) WHERE n.id IS NULL
SET n.id = 'need-' + randomUUID(), n.status = coalesce(n.status, 'OPEN');
MATCH (p:Practitioner)-[:HOLDS]->(a:Assessment) WHERE a.assessorId IS NULL
SET a.assessorId = p.id, a.assessorName = p.name, a.assessorJobTitle = p.jobTitle,
  a.assessorAgency = [(p)-[:WORKS_FOR]->(s:Service) | s.name][0];
CREATE INDEX assessment_next_review IF NOT EXISTS FOR (a:Assessment) ON (a.status, a.nextReviewOn);
CREATE CONSTRAINT assessment_review_id IF NOT EXISTS FOR (r:AssessmentReview) REQUIRE r.id IS UNIQUE;
CREATE CONSTRAINT course_event_id IF NOT EXISTS FOR (e:CourseEvent) REQUIRE e.id IS UNIQUE;
