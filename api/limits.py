"""Guard the door: parse, validate and price a document before anything executes.

Depth, aliases (counted through fragments, each time a fragment is spread), tokens
and a cost estimate, with defaults at least as strict as GraphQL Armor's. A refusal
says QUERY_TOO_COMPLEX and never the limit, so probing reveals nothing. Parsed and
validated documents are cached by their text: front ends send the same few queries.

While introspection is on (development), a document that asks only about the schema
(`__schema`, `__type`, `__typename` at its root) is exempt from the depth, alias and cost
limits, as GraphQL Armor exempts it: the standard introspection query nests `ofType`
deeper than any data query may, and GraphiQL, graphql-codegen and Postman all send it.
Such a document reads no child; the token limit still bounds its size. With
introspection off (production) it is refused like any other.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
    parse,
    specified_rules,
    validate,
)
from graphql.error import GraphQLSyntaxError
from graphql.validation import NoSchemaIntrospectionCustomRule

__all__ = [
    "ONE_TRAIL",
    "DocumentCache",
    "Limits",
    "PreparedDocument",
    "asks_only_about_the_schema",
]

# How many items a list field is assumed to return, for the cost estimate.
_LIST_FACTOR = 3
_FACTORS = {"matches": 20}  # R2: a search returns at most 20 children
# Fields whose answer is made, not read: their work, priced in the cost estimate (and so
# in the rate limit). A family's copy of a CAF is a PDF rendered on request.
_MADE = {"familyCopy": 1000}
_SUGGESTION = re.compile(r"\s*Did you mean .*$", re.DOTALL)
_SCHEMA_FIELDS = frozenset({"__schema", "__type", "__typename"})
# A child's audit trail answers no sooner than a floor (R4, no oracle: reading on past
# withheld events takes time), held per field: two in one request read side by side and
# their extra work adds up past it, so a request asks for one.
_ONE_PER_REQUEST = frozenset({"auditTrail", "auditTrailConnection"})
ONE_TRAIL = (
    "ask for one child's audit trail (auditTrail or auditTrailConnection) per request: "
    "each is answered no sooner than a set time, which two at once would not keep"
)


@dataclass(frozen=True)
class Limits:
    max_depth: int = 8
    max_aliases: int = 15
    max_tokens: int = 1000
    max_cost: int = 8000
    introspection: bool = True
    suggestions: bool = True


@dataclass(frozen=True)
class PreparedDocument:
    document: DocumentNode | None
    errors: tuple[str, ...] = ()
    too_complex: bool = False
    cost: int = 1


class _TooComplex(Exception):
    pass


class _TwoTrails(Exception):
    pass


class _Walker:
    """Walks an operation with fragments expanded, measuring depth, aliases and cost."""

    def __init__(self, schema: GraphQLSchema, document: DocumentNode, limits: Limits) -> None:
        self.schema = schema
        self.limits = limits
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.aliases = 0
        self.expansions = 0
        self.trails = 0

    def operation(self, op: OperationDefinitionNode) -> int:
        self.trails = 0
        root = {
            "query": self.schema.query_type,
            "mutation": self.schema.mutation_type,
            "subscription": self.schema.subscription_type,
        }[op.operation.value]
        if root is None:
            return 0
        cost = self.selection(op.selection_set, root, 1, ())
        if cost > self.limits.max_cost:
            raise _TooComplex
        return cost

    def selection(
        self,
        selection_set: SelectionSetNode | None,
        parent: GraphQLObjectType | None,
        depth: int,
        seen: tuple[str, ...],
    ) -> int:
        if selection_set is None:
            return 0
        if depth > self.limits.max_depth:
            raise _TooComplex
        cost = 0
        for node in selection_set.selections:
            self.expansions += 1
            if self.expansions > 10_000:
                raise _TooComplex
            if isinstance(node, FieldNode):
                cost += self.field(node, parent, depth, seen)
            elif isinstance(node, InlineFragmentNode):
                target = parent
                if node.type_condition is not None:
                    named = self.schema.get_type(node.type_condition.name.value)
                    if isinstance(named, GraphQLObjectType):
                        target = named
                cost += self.selection(node.selection_set, target, depth, seen)
            elif isinstance(node, FragmentSpreadNode):
                name = node.name.value
                if name in seen:  # cycles are a validation error; do not loop on them
                    continue
                fragment = self.fragments.get(name)
                if fragment is None:
                    continue
                named = self.schema.get_type(fragment.type_condition.name.value)
                target = named if isinstance(named, GraphQLObjectType) else None
                cost += self.selection(fragment.selection_set, target, depth, (*seen, name))
        return cost

    def field(
        self,
        node: FieldNode,
        parent: GraphQLObjectType | None,
        depth: int,
        seen: tuple[str, ...],
    ) -> int:
        if node.alias is not None:
            self.aliases += 1
            if self.aliases > self.limits.max_aliases:
                raise _TooComplex
        name = node.name.value
        if name in _ONE_PER_REQUEST:
            self.trails += 1
            if self.trails > 1:
                raise _TwoTrails
        definition = parent.fields.get(name) if parent is not None else None
        factor, named = 1, None
        if definition is not None:
            field_type = definition.type
            if isinstance(field_type, GraphQLNonNull):
                field_type = field_type.of_type
            if isinstance(field_type, GraphQLList):
                factor = _FACTORS.get(name, _LIST_FACTOR)
            named = get_named_type(definition.type)
        # Unknown fields are still walked, so depth and aliases are refused before
        # validation spends time on a hostile document.
        child_type = named if isinstance(named, GraphQLObjectType) else None
        inner = self.selection(node.selection_set, child_type, depth + 1, seen)
        cost = 1 + factor * inner + _MADE.get(name, 0)
        if cost > self.limits.max_cost:
            raise _TooComplex
        return cost


def asks_only_about_the_schema(document: DocumentNode) -> bool:
    """True when every operation is a query whose root fields are all introspection.

    Fragments spread at the root are followed; below `__schema` and `__type` only
    introspection types exist, so nothing there can reach the graph.
    """
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }

    def root_fields_are_meta(selection_set: SelectionSetNode, seen: frozenset[str]) -> bool:
        for node in selection_set.selections:
            if isinstance(node, FieldNode):
                if node.name.value not in _SCHEMA_FIELDS:
                    return False
            elif isinstance(node, InlineFragmentNode):
                if not root_fields_are_meta(node.selection_set, seen):
                    return False
            elif isinstance(node, FragmentSpreadNode):
                fragment = fragments.get(node.name.value)
                if fragment is None or node.name.value in seen:
                    return False
                if not root_fields_are_meta(fragment.selection_set, seen | {node.name.value}):
                    return False
        return True

    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    return bool(operations) and all(
        op.operation.value == "query" and root_fields_are_meta(op.selection_set, frozenset())
        for op in operations
    )


class DocumentCache:
    def __init__(self, schema: GraphQLSchema, limits: Limits, size: int = 512) -> None:
        self.schema = schema
        self.limits = limits
        self.size = size
        self._cache: OrderedDict[str, PreparedDocument] = OrderedDict()
        self._pinned: dict[str, PreparedDocument] = {}  # trusted documents, never evicted
        self._rules = list(specified_rules)
        if not limits.introspection:
            self._rules.append(NoSchemaIntrospectionCustomRule)

    def pin(self, query: str) -> PreparedDocument:
        """Prepare a trusted document once and keep it for the life of the process."""
        prepared = self._pinned[query] = self._prepare(query)
        return prepared

    def prepare(self, query: str) -> PreparedDocument:
        pinned = self._pinned.get(query)
        if pinned is not None:
            return pinned
        cached = self._cache.get(query)
        if cached is not None:
            self._cache.move_to_end(query)
            return cached
        prepared = self._prepare(query)
        self._cache[query] = prepared
        if len(self._cache) > self.size:
            self._cache.popitem(last=False)
        return prepared

    def _message(self, error: GraphQLError) -> str:
        message = error.message
        if not self.limits.suggestions:
            message = _SUGGESTION.sub("", message)
        return message

    def _prepare(self, query: str) -> PreparedDocument:
        if len(query) > self.limits.max_tokens * 40:
            return PreparedDocument(None, too_complex=True)
        try:
            document = parse(query, max_tokens=self.limits.max_tokens)
        except GraphQLSyntaxError as exc:
            if "parsing aborted" in exc.message.lower():  # the token limit
                return PreparedDocument(None, too_complex=True)
            return PreparedDocument(None, (self._message(exc),))
        if self.limits.introspection and asks_only_about_the_schema(document):
            errors = validate(self.schema, document, self._rules)
            if errors:
                return PreparedDocument(None, tuple(self._message(e) for e in errors))
            return PreparedDocument(document)
        # Priced before validation, so a hostile document is refused cheaply.
        walker = _Walker(self.schema, document, self.limits)
        cost = 0
        try:
            for definition in document.definitions:
                if isinstance(definition, OperationDefinitionNode):
                    cost = max(cost, walker.operation(definition))
        except _TooComplex:
            return PreparedDocument(None, too_complex=True)
        except _TwoTrails:
            return PreparedDocument(None, (ONE_TRAIL,))
        errors = validate(self.schema, document, self._rules)
        if errors:
            return PreparedDocument(None, tuple(self._message(e) for e in errors))
        return PreparedDocument(document, cost=max(cost, 1))
