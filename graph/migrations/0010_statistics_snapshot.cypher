// R11: the one statistics snapshot every analyst question is answered from
// (graph/statistics.py). Unique, so two API processes refreshing at once replace it
// rather than leave two snapshots behind.
CREATE CONSTRAINT statistics_snapshot_id IF NOT EXISTS FOR (n:StatisticsSnapshot) REQUIRE n.id IS UNIQUE;
