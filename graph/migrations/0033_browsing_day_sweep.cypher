// Retention sweeps the browsing ledger by day (graph/retention.py: sweep_browsing_days).
CREATE INDEX browsing_day_day IF NOT EXISTS FOR (n:BrowsingDay) ON (n.day);
