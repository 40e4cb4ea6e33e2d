// Notifications (issue 20): a transactional outbox and the notifications fanned out of it.
// An :OutboxEvent is written in the transaction of the change it announces; dispatchers
// claim PENDING ones with a lease and mark them DONE in the transaction that writes
// their :Notification nodes (graph/outbox.py, graph/notifications.py).
CREATE CONSTRAINT outbox_event_id IF NOT EXISTS FOR (e:OutboxEvent) REQUIRE e.id IS UNIQUE;
// Dispatchers claim the oldest pending events first.
CREATE INDEX outbox_event_state IF NOT EXISTS FOR (e:OutboxEvent) ON (e.state, e.occurredAt);
CREATE CONSTRAINT notification_id IF NOT EXISTS FOR (n:Notification) REQUIRE n.id IS UNIQUE;
// One notification per (event, recipient): a dispatcher that crashed after writing them
// and is taken over writes none twice.
CREATE CONSTRAINT notification_event_recipient IF NOT EXISTS FOR (n:Notification) REQUIRE (n.eventId, n.recipient) IS UNIQUE;
// A recipient's inbox, newest first.
CREATE INDEX notification_recipient IF NOT EXISTS FOR (n:Notification) ON (n.recipient, n.createdAt);
// Subscription pollers in every API process read what was written since their cursor.
CREATE INDEX notification_created IF NOT EXISTS FOR (n:Notification) ON (n.createdAt);
// The consent-expiry sweep finds active grants with an expiry date it has not announced.
CREATE INDEX consent_grant_expiry IF NOT EXISTS FOR (g:ConsentGrant) ON (g.state, g.expiresOn);
// Retention (R16) deletes a child's notifications and events with the child.
CREATE INDEX notification_child IF NOT EXISTS FOR (n:Notification) ON (n.childId);
CREATE INDEX outbox_event_child IF NOT EXISTS FOR (e:OutboxEvent) ON (e.childId);
