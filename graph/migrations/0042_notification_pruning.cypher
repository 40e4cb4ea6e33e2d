// Issue 20's pruning (graph/retention.py prune_notifications): read notifications are
// found by when they were read.
CREATE INDEX notification_read IF NOT EXISTS FOR (n:Notification) ON (n.readAt);
