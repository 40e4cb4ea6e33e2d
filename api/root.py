"""The schema object: every domain's root fields merged into Query and Mutation.

Root fields live beside their resolvers (api/resolvers/*), the types they return in
api/schema/, so the schema never imports a resolver. Field descriptions there are the
first thing a front-end developer reads in GraphiQL.
"""

from __future__ import annotations

import strawberry
from strawberry.tools import merge_types

from api.resolvers.alerts import AlertMutation, AlertQuery
from api.resolvers.assessment import AssessmentMutation, AssessmentQuery
from api.resolvers.assessment_course import AssessmentCourseMutation
from api.resolvers.audit import AuditQuery
from api.resolvers.caf_reports import CafReportQuery
from api.resolvers.child import ChildQuery
from api.resolvers.consent import ConsentMutation, ConsentQuery
from api.resolvers.ingest import IngestMutation, IngestQuery
from api.resolvers.involvement import InvolvementMutation
from api.resolvers.lead_professional import LeadProfessionalMutation
from api.resolvers.monitoring import MonitoringQuery
from api.resolvers.network import NetworkQuery
from api.resolvers.notifications import (
    NotificationMutation,
    NotificationQuery,
    NotificationSubscription,
)
from api.resolvers.overrides import OverrideMutation, OverrideQuery
from api.resolvers.record_errors import RecordErrorMutation, RecordErrorQuery
from api.resolvers.statistics import StatisticsQuery
from api.resolvers.suspension import SuspensionMutation, SuspensionQuery
from api.resolvers.viewer import ViewerQuery
from api.resolvers.webhooks import WebhookMutation, WebhookQuery
from api.schema.assessment import Assessment

__all__ = ["MUTATION_TYPES", "QUERY_TYPES", "build_schema"]


# Each domain contributes its own root types; they are merged here. Add a domain's
# query or mutation type to these tuples.
QUERY_TYPES: tuple[type, ...] = (
    ViewerQuery,
    ChildQuery,
    AuditQuery,
    ConsentQuery,
    OverrideQuery,
    AssessmentQuery,
    CafReportQuery,
    IngestQuery,
    RecordErrorQuery,
    StatisticsQuery,
    NetworkQuery,
    AlertQuery,
    SuspensionQuery,
    MonitoringQuery,
    NotificationQuery,
    WebhookQuery,
)
MUTATION_TYPES: tuple[type, ...] = (
    ConsentMutation,
    AssessmentMutation,
    AssessmentCourseMutation,
    LeadProfessionalMutation,
    InvolvementMutation,
    OverrideMutation,
    IngestMutation,
    RecordErrorMutation,
    AlertMutation,
    SuspensionMutation,
    NotificationMutation,
    WebhookMutation,
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
    subscription = merge_types("Subscription", (NotificationSubscription,))
    subscription.__strawberry_definition__.description = (  # type: ignore[attr-defined]
        "Hear of changes as they happen, over WebSocket (graphql-transport-ws)."
    )
    return strawberry.Schema(
        query=query, mutation=mutation, subscription=subscription, types=[Assessment]
    )
