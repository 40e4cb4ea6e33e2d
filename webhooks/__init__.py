"""Webhooks for supplier systems (issue 20): signing, secret storage and the delivery
worker. The rules (URLs, retries, who manages endpoints) are in policies/webhooks.py, the
Cypher in graph/webhooks.py."""
