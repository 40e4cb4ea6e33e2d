"""The root types and the schema object.

Field descriptions here are the first thing a front-end developer reads in GraphiQL.
"""

from __future__ import annotations

import strawberry
from strawberry.tools import merge_types

from api.resolvers.audit import resolve_audit_trail, resolve_audit_trail_connection
from api.resolvers.child import resolve_child, resolve_search_children
from api.resolvers.viewer import resolve_me
from api.schema.alerts import AlertMutation, AlertQuery
from api.schema.assessment import Assessment, AssessmentMutation, AssessmentQuery
from api.schema.assessment_course import AssessmentCourseMutation
from api.schema.audit import AuditEvent
from api.schema.caf_reports import CafReportQuery
from api.schema.child import Child, ChildSearchResult
from api.schema.consent import ConsentMutation, ConsentQuery
from api.schema.ingest import IngestMutation, IngestQuery
from api.schema.monitoring import MonitoringQuery
from api.schema.network import NetworkQuery
from api.schema.overrides import OverrideMutation, OverrideQuery
from api.schema.pagination import Connection
from api.schema.statistics import StatisticsQuery
from api.schema.suspension import SuspensionMutation, SuspensionQuery
from api.schema.viewer import Viewer


@strawberry.type
class IndexQuery:
    me: Viewer = strawberry.field(resolver=resolve_me, description="Who you are signed in as.")
    child: Child | None = strawberry.field(
        resolver=resolve_child,
        description=(
            "One child by index id (R2, R3), for PRACTITIONER, SAFEGUARDING_LEAD and "
            "INDEX_ADMIN. A child that does not exist and one you may not see both give "
            "NOT_FOUND. Audited."
        ),
    )
    search_children: ChildSearchResult = strawberry.field(
        resolver=resolve_search_children,
        description=(
            "Find a child by exact keys (R2): childId, or nhsNumber, or familyName with "
            "dateOfBirth; givenName and postcode narrow. At most 20 matches. Archived "
            "records are not found. Audited."
        ),
    )
    audit_trail: list[AuditEvent] = strawberry.field(
        resolver=resolve_audit_trail,
        description=(
            "Audit events that concern a child, newest first (R14). AUDITOR reads any "
            "child's trail as written; INDEX_ADMIN only a child of their own local authority, "
            "shaped like any read (R4, R6): events and entries that would show what is "
            "withheld from you are left out, and other children an event named are not "
            "listed. Needs X-Purpose, and is itself audited."
        ),
    )
    audit_trail_connection: Connection[AuditEvent] = strawberry.field(
        resolver=resolve_audit_trail_connection,
        description=(
            "auditTrail a page at a time: the same events, rules and audit, newest first. "
            "`first` is 1 to 1000; pass `pageInfo.endCursor` as `after` for the next page. "
            "Pages count only the events you are shown."
        ),
    )


# Each domain contributes its own root types; they are merged here. Add a domain's
# query or mutation type to these tuples.
QUERY_TYPES: tuple[type, ...] = (
    IndexQuery,
    ConsentQuery,
    OverrideQuery,
    AssessmentQuery,
    CafReportQuery,
    IngestQuery,
    StatisticsQuery,
    NetworkQuery,
    AlertQuery,
    SuspensionQuery,
    MonitoringQuery,
)
MUTATION_TYPES: tuple[type, ...] = (
    ConsentMutation,
    AssessmentMutation,
    AssessmentCourseMutation,
    OverrideMutation,
    IngestMutation,
    AlertMutation,
    SuspensionMutation,
)


def build_schema() -> strawberry.Schema:
    query = merge_types("Query", QUERY_TYPES)
    query.__strawberry_definition__.description = (  # type: ignore[attr-defined]
        "Read the index. Every read of a child needs the X-Purpose header (R2)."
    )
    mutation = None
    if MUTATION_TYPES:
        mutation = merge_types("Mutation", MUTATION_TYPES)
        mutation.__strawberry_definition__.description = (  # type: ignore[attr-defined]
            "Change the index. Every mutation is validated, authorised, runs in one "
            "transaction and is audited; send an Idempotency-Key header to make retries safe."
        )
    return strawberry.Schema(query=query, mutation=mutation, types=[Assessment])
