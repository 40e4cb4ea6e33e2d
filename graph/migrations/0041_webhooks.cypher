// Webhooks (issue 20, graph/webhooks.py): endpoints registered for services, and one
// delivery per (notification, endpoint) that workers claim with a lease.
CREATE CONSTRAINT webhook_endpoint_id IF NOT EXISTS FOR (e:WebhookEndpoint) REQUIRE e.id IS UNIQUE;
// The unique id (notification id @ endpoint id) is what makes fan-out safe to repeat.
CREATE CONSTRAINT webhook_delivery_id IF NOT EXISTS FOR (d:WebhookDelivery) REQUIRE d.id IS UNIQUE;
// Workers claim the deliveries due soonest.
CREATE INDEX webhook_delivery_due IF NOT EXISTS FOR (d:WebhookDelivery) ON (d.state, d.nextAttemptAt);
// Disabling an endpoint cancels what waits for it.
CREATE INDEX webhook_delivery_endpoint IF NOT EXISTS FOR (d:WebhookDelivery) ON (d.endpointId, d.state);
// An index team lists its dead letters.
CREATE INDEX webhook_delivery_authority IF NOT EXISTS FOR (d:WebhookDelivery) ON (d.localAuthority, d.state);
CREATE INDEX webhook_endpoint_authority IF NOT EXISTS FOR (e:WebhookEndpoint) ON (e.localAuthority);
