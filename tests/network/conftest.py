"""Shared pieces of the network tests: the document, the lead, the audit reader."""

from __future__ import annotations

from typing import Any

import neo4j

from tests.queries import CHILD_FIELDS

NETWORK = f"""
query Network($id: ID!, $depth: Int!, $reason: String!) {{
  involvementNetwork(childId: $id, depth: $depth, reason: $reason) {{
    truncated
    children {{ {CHILD_FIELDS} }}
    links {{ from to kind via }}
  }}
}}
"""

CARER_NETWORK = f"""
query CarerNetwork($id: ID!, $reason: String!) {{
  carerNetwork(carerId: $id, reason: $reason) {{
    truncated
    children {{ {CHILD_FIELDS} }}
    links {{ from to kind via }}
  }}
}}
"""

REASON = "Section 47 enquiry: tracing who else is involved with the family"


def audit_events(driver: neo4j.Driver, request_id: str) -> list[dict[str, Any]]:
    records, _, _ = driver.execute_query(
        "MATCH (a:AuditEvent {clientRequestId: $rid}) RETURN a { .* } AS a", rid=request_id
    )
    return [r["a"] for r in records]
