// The lead a feed involvement set is found by the relationship's involvementId
// (graph/lead_professional.py involvement_stand_down, and an own involvement's lead
// moved by a feed's takeover): every START and END of a feed chunk asks for it. Without
// an index the planner scans every LEAD_PROFESSIONAL_FOR relationship once per row, a
// cost that grows with the index (bench/chunk_profile.py: two thirds of a chunk's
// database hits with only a few thousand leads); with it, one seek a row.
CREATE INDEX lead_professional_involvement IF NOT EXISTS
FOR ()-[r:LEAD_PROFESSIONAL_FOR]-() ON (r.involvementId);
