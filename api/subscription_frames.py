"""Subscription messages built without graphql-core's executor (issue 20, the socket's cost).

At 100 events/s with 1,000 sockets the API process spent most of its time running each
delivered notification through strawberry and graphql-core: a task and a wait per
message, the executor's per-field machinery, then a JSON dump. For a valid document
whose one root field is `notifications` (no directives, no variables), the selection is
compiled once per document text (api/fastpath.py's compiler, so fragments and aliases
mean the same) and each message is a plain walk over the Notification followed by one
`json.dumps` of the whole `next` frame. Anything else goes through strawberry as before.

Only the rendering changes: what a message holds is the delivery the hub decided for
that socket's viewer (notify.delivery's re-check, audited per poll), as before.
Equivalence with graphql-core is tested (tests/notify/test_subscription_frames.py).
"""

from __future__ import annotations

import json
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import strawberry
from graphql import (
    FieldNode,
    GraphQLError,
    GraphQLObjectType,
    OperationDefinitionNode,
    OperationType,
    get_named_type,
    get_operation_ast,
    parse,
    validate,
)

from api.fastpath import Ineligible, ObjectPlan, compile_object
from api.resolvers.notifications import notification_from
from graph.notifications import NotificationRecord

__all__ = ["FramePlan", "SubscriptionFrames"]

_ROOT = "notifications"


@dataclass(frozen=True, slots=True)
class FramePlan:
    """One subscription document, compiled: renders a delivery as its `next` frame."""

    key: str
    plan: ObjectPlan

    def data(self, record: NotificationRecord, payload: dict[str, Any]) -> dict[str, Any]:
        return {self.key: self.plan.complete(notification_from(record, payload))}

    def frame(self, ident: str, record: NotificationRecord, payload: dict[str, Any]) -> str:
        """The text frame, serialised as starlette's `send_json` would."""
        body = {"id": ident, "type": "next", "payload": {"data": self.data(record, payload)}}
        return json.dumps(body, separators=(",", ":"), ensure_ascii=False)


class SubscriptionFrames:
    """Compiled plans by document text and operation name (None: strawberry runs it)."""

    def __init__(self, schema: strawberry.Schema, size: int = 64) -> None:
        self.schema = schema._schema
        self.names = schema.config.name_converter
        self.size = size
        self._plans: OrderedDict[tuple[str, str | None], FramePlan | None] = OrderedDict()

    def plan(self, query: Any, operation_name: Any, variables: Any) -> FramePlan | None:
        if not isinstance(query, str) or variables not in (None, {}):
            return None
        if operation_name is not None and not isinstance(operation_name, str):
            return None
        key = (query, operation_name)
        if key in self._plans:
            self._plans.move_to_end(key)
            return self._plans[key]
        compiled = self._compile(query, operation_name)
        self._plans[key] = compiled
        if len(self._plans) > self.size:
            self._plans.popitem(last=False)
        return compiled

    def _compile(self, query: str, operation_name: str | None) -> FramePlan | None:
        try:
            document = parse(query)
        except GraphQLError:
            return None
        if validate(self.schema, document):
            return None  # strawberry reports the errors, as it always did
        operation = get_operation_ast(document, operation_name)
        subscription = self.schema.subscription_type
        if (
            not isinstance(operation, OperationDefinitionNode)
            or operation.operation is not OperationType.SUBSCRIPTION
            or operation.directives
            or operation.variable_definitions
            or subscription is None
            or len(operation.selection_set.selections) != 1
        ):
            return None
        (root,) = operation.selection_set.selections
        if (
            not isinstance(root, FieldNode)
            or root.directives
            or root.arguments
            or root.name.value != _ROOT
        ):
            return None
        runtime = get_named_type(subscription.fields[_ROOT].type)
        if not isinstance(runtime, GraphQLObjectType):
            return None
        try:
            plan = compile_object(
                self.schema,
                self.names,
                document,
                runtime,
                root.selection_set,
            )
        except Ineligible:
            return None
        return FramePlan(root.alias.value if root.alias else _ROOT, plan)
