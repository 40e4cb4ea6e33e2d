"""The compiled path for the hot queries: the index view without a per-field executor.

graphql-core resolves every field through its generic machinery, which costs more
than everything else in a child-profile request together (design/performance.md).
For a validated document that only reads `child` and `searchChildren` (the index
view), this module compiles the selection once into a small plan and, per request,
runs the very same root resolvers (one Cypher round trip, the same policy decisions,
the same guarded fields recording to the same audit collector), then walks the plan
over the shaped objects building plain dicts. Anything else (mutations, other root
fields, @skip/@include, the CAF content) goes through graphql-core unchanged.

Equivalence is tested: tests/api/test_fastpath.py runs documents both ways on the
same data and viewers and requires identical answers and identical audit events.
"""

from __future__ import annotations

import inspect
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    ExecutionResult,
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
    OperationType,
    SelectionSetNode,
    get_named_type,
)
from graphql.execution.values import get_argument_values, get_variable_values

__all__ = ["CompiledQuery", "FastPath", "Ineligible", "ObjectPlan", "compile_object"]

# Root fields the plan knows how to run, and nested fields it will not compile.
_ROOTS = frozenset({"child", "searchChildren"})
_EXCLUDED = frozenset({"assessment"})


class _Ineligible(Exception):
    pass


@dataclass(frozen=True, slots=True)
class _Field:
    key: str
    name: str
    attr: str
    method: bool
    nullable: bool
    is_list: bool
    serialize: Any  # leaf serializer, or None for objects
    children: tuple[_Field, ...] | None
    type_name: str


class _Info:
    """The slice of strawberry's Info our resolvers use: the request context."""

    __slots__ = ("context",)

    def __init__(self, context: Any) -> None:
        self.context = context


@dataclass(frozen=True, slots=True)
class _Root:
    key: str
    name: str
    node: FieldNode
    field_def: Any
    resolver: Any
    nullable: bool
    plan: _Field


@dataclass(frozen=True)
class CompiledQuery:
    operation: OperationDefinitionNode
    roots: tuple[_Root, ...]

    async def run(
        self, schema: GraphQLSchema, context: Any, raw_variables: dict[str, Any]
    ) -> ExecutionResult:
        coerced = get_variable_values(
            schema, self.operation.variable_definitions or (), raw_variables
        )
        if isinstance(coerced, list):  # variable errors: the same as graphql-core reports them
            return ExecutionResult(data=None, errors=coerced)
        info = _Info(context)
        data: dict[str, Any] | None = {}
        errors: list[GraphQLError] = []
        for root in self.roots:
            try:
                args = get_argument_values(root.field_def, root.node, coerced)
                value = root.resolver(info, **args)
                if inspect.isawaitable(value):
                    value = await value
                shaped = _complete(root.plan, value, info)
            except Exception as exc:  # shaped into a contract error by the endpoint
                errors.append(
                    GraphQLError(str(exc), root.node, path=[root.key], original_error=exc)
                )
                if not root.nullable:
                    data = None
                    break
                shaped = None
            assert data is not None
            data[root.key] = shaped
        return ExecutionResult(data=data, errors=errors or None)


def _complete(field: _Field, value: Any, info: _Info) -> Any:
    if value is None:
        return None
    if field.is_list:
        return [_complete_one(field, item, info) for item in value]
    return _complete_one(field, value, info)


def _complete_one(field: _Field, value: Any, info: _Info) -> Any:
    if field.children is None:
        return field.serialize(value)
    out: dict[str, Any] = {}
    for child in field.children:
        if child.name == "__typename":
            out[child.key] = child.type_name
            continue
        raw = getattr(value, child.attr)
        if child.method:
            raw = raw(info)
        out[child.key] = _complete(child, raw, info)
    return out


def _unwrap(type_: Any) -> tuple[Any, bool, bool]:
    nullable = not isinstance(type_, GraphQLNonNull)
    if not nullable:
        type_ = type_.of_type
    is_list = isinstance(type_, GraphQLList)
    if is_list:
        inner = type_.of_type
        if isinstance(inner, GraphQLNonNull):
            inner = inner.of_type
        if isinstance(inner, GraphQLList):
            raise _Ineligible
    return type_, nullable, is_list


class _Compiler:
    def __init__(self, schema: GraphQLSchema, document: DocumentNode, names: Any) -> None:
        self.schema = schema
        self.names = names
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }

    def collect(
        self, runtime: GraphQLObjectType, sets: list[SelectionSetNode]
    ) -> OrderedDict[str, list[FieldNode]]:
        groups: OrderedDict[str, list[FieldNode]] = OrderedDict()

        def visit(selection_set: SelectionSetNode) -> None:
            for node in selection_set.selections:
                if node.directives:
                    raise _Ineligible
                if isinstance(node, FieldNode):
                    key = node.alias.value if node.alias else node.name.value
                    groups.setdefault(key, []).append(node)
                elif isinstance(node, InlineFragmentNode):
                    condition = node.type_condition
                    if condition is None or condition.name.value == runtime.name:
                        visit(node.selection_set)
                elif isinstance(node, FragmentSpreadNode):
                    fragment = self.fragments[node.name.value]
                    if fragment.directives:
                        raise _Ineligible
                    if fragment.type_condition.name.value == runtime.name:
                        visit(fragment.selection_set)

        for selection_set in sets:
            visit(selection_set)
        return groups

    def attrs(self, runtime: GraphQLObjectType) -> dict[str, tuple[str, bool]]:
        definition = runtime.extensions.get("strawberry-definition")
        if definition is None:
            raise _Ineligible
        out = {}
        for f in definition.fields:
            if f.base_resolver is not None and f.is_async:
                continue
            takes_info = f.base_resolver is not None
            out[self.names.get_graphql_name(f)] = (f.python_name, takes_info)
        return out

    def field(self, key: str, nodes: list[FieldNode], parent: GraphQLObjectType) -> _Field:
        name = nodes[0].name.value
        if name == "__typename":
            return _Field(key, name, "", False, False, False, None, None, parent.name)
        if name in _EXCLUDED or name.startswith("__"):
            raise _Ineligible
        definition = parent.fields[name]
        if definition.args and any(n.arguments for n in nodes):
            raise _Ineligible  # nested arguments are only on fields we do not compile
        attrs = self.attrs(parent)
        if name not in attrs:
            raise _Ineligible
        attr, method = attrs[name]
        type_, nullable, is_list = _unwrap(definition.type)
        named = get_named_type(type_)
        if isinstance(named, GraphQLObjectType):
            sets = [n.selection_set for n in nodes if n.selection_set is not None]
            return _Field(
                key,
                name,
                attr,
                method,
                nullable,
                is_list,
                None,
                self.children(named, sets),
                named.name,
            )
        return _Field(key, name, attr, method, nullable, is_list, named.serialize, None, named.name)

    def children(
        self, runtime: GraphQLObjectType, sets: list[SelectionSetNode]
    ) -> tuple[_Field, ...]:
        return tuple(
            self.field(key, nodes, runtime) for key, nodes in self.collect(runtime, sets).items()
        )


@dataclass(frozen=True, slots=True)
class ObjectPlan:
    """A selection set on one object type compiled once, walked per value: what the
    subscription path (api/subscription_frames.py) uses to shape each message without
    graphql-core's per-field executor."""

    root: _Field

    def complete(self, value: Any, context: Any = None) -> dict[str, Any]:
        out: dict[str, Any] = _complete_one(self.root, value, _Info(context))
        return out


#: Raised by `compile_object` for what the plan does not know (directives, arguments...).
Ineligible = _Ineligible


def compile_object(
    schema: GraphQLSchema,
    name_converter: Any,
    document: DocumentNode,
    runtime: GraphQLObjectType,
    selection_set: SelectionSetNode | None,
) -> ObjectPlan:
    """The plan for `selection_set` on `runtime` (fragments of `document` resolved);
    raises Ineligible where graphql-core must run it."""
    compiler = _Compiler(schema, document, name_converter)
    fields = compiler.children(runtime, [selection_set] if selection_set else [])
    return ObjectPlan(_Field("", "", "", False, False, False, None, fields, runtime.name))


class FastPath:
    """A cache of compiled plans, keyed by document and operation name."""

    def __init__(self, schema: GraphQLSchema, name_converter: Any, size: int = 512) -> None:
        self.schema = schema
        self.names = name_converter
        self.size = size
        self._plans: OrderedDict[
            tuple[int, str | None], tuple[DocumentNode, CompiledQuery | None]
        ] = OrderedDict()

    def plan(self, document: DocumentNode, operation_name: str | None) -> CompiledQuery | None:
        key = (id(document), operation_name)
        entry = self._plans.get(key)
        # The entry keeps its document alive, so its id cannot be reused by another one
        # while cached; the identity check makes that explicit.
        if entry is not None and entry[0] is document:
            self._plans.move_to_end(key)
            return entry[1]
        try:
            compiled: CompiledQuery | None = self._compile(document, operation_name)
        except _Ineligible:
            compiled = None
        self._plans[key] = (document, compiled)
        if len(self._plans) > self.size:
            self._plans.popitem(last=False)
        return compiled

    def _compile(self, document: DocumentNode, operation_name: str | None) -> CompiledQuery:
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        if operation_name is not None:
            operations = [o for o in operations if o.name and o.name.value == operation_name]
        if len(operations) != 1:
            raise _Ineligible
        (operation,) = operations
        if operation.operation is not OperationType.QUERY or operation.directives:
            raise _Ineligible
        query_type = self.schema.query_type
        assert query_type is not None
        compiler = _Compiler(self.schema, document, self.names)
        roots = []
        for key, nodes in compiler.collect(query_type, [operation.selection_set]).items():
            name = nodes[0].name.value
            if name not in _ROOTS or len(nodes) != 1:
                raise _Ineligible
            field_def = query_type.fields[name]
            type_, nullable, _ = _unwrap(field_def.type)
            named = get_named_type(type_)
            assert isinstance(named, GraphQLObjectType)
            selection = nodes[0].selection_set
            plan = _Field(
                key,
                name,
                "",
                False,
                nullable,
                False,
                None,
                compiler.children(named, [selection] if selection else []),
                named.name,
            )
            roots.append(_Root(key, name, nodes[0], field_def, _RESOLVERS[name], nullable, plan))
        return CompiledQuery(operation, tuple(roots))


async def _search(info: _Info, input: Any) -> Any:
    """Strawberry's input types coerce to their class (out_type); a dict is accepted too."""
    from api.resolvers.child import resolve_search_children
    from api.schema.child import ChildSearchInput

    if isinstance(input, ChildSearchInput):
        return await resolve_search_children(info, input)  # type: ignore[arg-type]
    return await resolve_search_children(
        info,  # type: ignore[arg-type]
        ChildSearchInput(
            child_id=input.get("childId"),
            nhs_number=input.get("nhsNumber"),
            family_name=input.get("familyName"),
            given_name=input.get("givenName"),
            date_of_birth=input.get("dateOfBirth"),
            postcode=input.get("postcode"),
        ),
    )


_RESOLVERS: dict[str, Any] = {}


def _install() -> None:
    from api.resolvers.child import resolve_child

    _RESOLVERS.update({"child": resolve_child, "searchChildren": _search})


_install()
