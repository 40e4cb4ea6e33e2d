"""GraphQL documents generated from the schema, for the oracle test.

Deterministic: every root field of Query is called (with the arguments `Arguments`
supplies), and every leaf reachable from it (each object type at most once per path,
within the depth limit) is selected in some document. Documents are rendered in four
styles (plain, aliased, inline fragments, named fragments) that must all give the same
answer shape; the response is walked with the `Node` tree the document was rendered
from, so aliases and fragments never hide a value from the walk.

A root variant's leaves start in one document; when the server refuses it as
QUERY_TOO_COMPLEX it is split in two (see `test_oracle.Asker`), so the limits decide
the chunking and every path is still asked.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    get_named_type,
    is_leaf_type,
)

__all__ = [
    "STYLES",
    "Arguments",
    "Node",
    "Path",
    "RootVariant",
    "Sel",
    "child_like_types",
    "child_reaching_roots",
    "halves",
    "leaf_paths",
    "render",
    "render_many",
    "root_variants",
]

MAX_DEPTH = 8  # CONTACTGRAPH_MAX_DEPTH's default: the root field is depth 1
STYLES = ("plain", "aliases", "inline", "named")


# --- Arguments ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ArgValue:
    """One argument as a GraphQL literal, and as the plain value the model reasons about."""

    literal: str
    value: Any


def literal(value: Any, enum: bool = False) -> ArgValue:
    if enum:
        return ArgValue(str(value), value)
    if isinstance(value, dict):
        inner = ", ".join(f"{k}: {literal(v).literal}" for k, v in value.items())
        return ArgValue("{" + inner + "}", value)
    if isinstance(value, list):
        return ArgValue("[" + ", ".join(literal(v).literal for v in value) + "]", value)
    if isinstance(value, bool):
        return ArgValue("true" if value else "false", value)
    if isinstance(value, int):
        return ArgValue(str(value), value)
    return ArgValue(json.dumps(str(value)), value)


Args = tuple[tuple[str, ArgValue], ...]


@dataclass
class Arguments:
    """Which argument values to call fields with.

    `by_field` names values for (type, field, argument); anything else required is
    filled by the argument's name (`by_name`) or, for enums, with each value. A
    required argument nobody can fill fails the test with the field's name, so a new
    root field is never silently skipped.
    """

    by_field: dict[tuple[str, str, str], list[Any]]
    by_name: dict[str, list[Any]]
    enum_lists: bool = True

    def variants(self, parent: str, name: str, args: dict[str, Any]) -> list[Args]:
        choices: list[list[tuple[str, ArgValue]]] = []
        for arg_name, arg in args.items():
            values = self._values(parent, name, arg_name, arg)
            if values is None:
                continue
            choices.append([(arg_name, v) for v in values])
        return [tuple(combo) for combo in itertools.product(*choices)] if choices else [()]

    def _values(self, parent: str, name: str, arg_name: str, arg: Any) -> list[ArgValue] | None:
        required = isinstance(arg.type, GraphQLNonNull)
        named = get_named_type(arg.type)
        key = (parent, name, arg_name)
        if key in self.by_field:
            return [literal(v) for v in self.by_field[key]]
        wanted = required or arg.default_value is None or arg_name in ("first", "depth")
        if arg_name in self.by_name and not isinstance(named, GraphQLInputObjectType) and wanted:
            return [literal(v) for v in self.by_name[arg_name]]
        if not required:
            return None
        if isinstance(named, GraphQLEnumType):
            inner = arg.type.of_type if isinstance(arg.type, GraphQLNonNull) else arg.type
            if isinstance(inner, GraphQLList):
                return [ArgValue(f"[{v}]", [v]) for v in named.values]
            return [literal(v, enum=True) for v in named.values]
        if arg.default_value is not None and not _is_undefined(arg.default_value):
            return None
        raise LookupError(
            f"the oracle does not know how to call {parent}.{name}({arg_name}: {arg.type}); "
            "add values for it to ARGUMENTS in tests/security/test_oracle.py"
        )


def _is_undefined(value: Any) -> bool:
    return type(value).__name__ == "UndefinedType"


def args_text(args: Args) -> str:
    if not args:
        return ""
    return "(" + ", ".join(f"{k}: {v.literal}" for k, v in args) + ")"


# --- The schema walk -------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    field: str
    args: Args = ()


Path = tuple[Step, ...]


def _object(schema: GraphQLSchema, type_name: str) -> GraphQLObjectType:
    named = schema.type_map[type_name]
    if not isinstance(named, GraphQLObjectType):
        raise TypeError(f"the oracle walks object types only; {type_name} is {named}")
    return named


def leaf_paths(
    schema: GraphQLSchema,
    type_name: str,
    arguments: Arguments,
    depth_left: int,
    seen: frozenset[str] = frozenset(),
) -> list[Path]:
    """Every path to a leaf under `type_name`, each object type at most once per path."""
    out: list[Path] = []
    obj = _object(schema, type_name)
    for name, definition in obj.fields.items():
        named = get_named_type(definition.type)
        for args in arguments.variants(type_name, name, definition.args):
            step = Step(name, args)
            if is_leaf_type(named):
                out.append((step,))
            elif named.name not in seen and depth_left > 1:
                for rest in leaf_paths(
                    schema, named.name, arguments, depth_left - 1, seen | {named.name}
                ):
                    out.append((step, *rest))
    return out


def child_like_types(schema: GraphQLSchema) -> set[str]:
    """Types that show a child (they say whether the child is shielded): Child, MatchCandidate."""
    return {
        name
        for name, t in schema.type_map.items()
        if isinstance(t, GraphQLObjectType) and not name.startswith("__") and "shielded" in t.fields
    }


def _reaches(schema: GraphQLSchema, start: str, targets: set[str]) -> bool:
    todo, seen = [start], set()
    while todo:
        name = todo.pop()
        if name in targets:
            return True
        if name in seen:
            continue
        seen.add(name)
        t = schema.type_map[name]
        if isinstance(t, GraphQLObjectType):
            todo.extend(get_named_type(f.type).name for f in t.fields.values())
    return False


def child_reaching_roots(schema: GraphQLSchema) -> set[str]:
    """Query fields that show a child, or take a child's id: each reads a child (R2, R14)."""
    assert schema.query_type is not None
    targets = child_like_types(schema)
    found = set()
    for name, definition in schema.query_type.fields.items():
        named = get_named_type(definition.type)
        if _reaches(schema, named.name, targets) or any(
            a.lower().endswith("childid") for a in definition.args
        ):
            found.add(name)
    return found


# --- Root variants and documents --------------------------------------------------------------


@dataclass(frozen=True)
class RootVariant:
    """One call of one root field: `child(id: "c-sam")`, with every leaf under it."""

    field: str
    args: Args
    type_name: str | None  # None for a leaf root
    leaves: tuple[Path, ...]

    @property
    def label(self) -> str:
        shown = ", ".join(f"{k}: {json.dumps(v.value)}" for k, v in self.args)
        return f"{self.field}({shown})" if shown else self.field

    def arg(self, name: str) -> Any:
        return next((v.value for k, v in self.args if k == name), None)


def root_variants(
    schema: GraphQLSchema, arguments: Arguments, max_depth: int = MAX_DEPTH
) -> list[RootVariant]:
    assert schema.query_type is not None
    out = []
    for name, definition in schema.query_type.fields.items():
        named = get_named_type(definition.type)
        for args in arguments.variants(schema.query_type.name, name, definition.args):
            if is_leaf_type(named):
                out.append(RootVariant(name, args, None, ()))
            else:
                leaves = leaf_paths(schema, named.name, arguments, max_depth - 1, frozenset())
                out.append(RootVariant(name, args, named.name, tuple(leaves)))
    return out


@dataclass
class Sel:
    """One field in a rendered selection: its response key, and the tree below it."""

    key: str
    field: str
    args: Args
    node: Node | None

    def arg(self, name: str) -> Any:
        return next((v.value for k, v in self.args if k == name), None)


@dataclass
class Node:
    type_name: str
    sels: list[Sel] = field(default_factory=list)

    def values(self, obj: dict[str, Any], name: str) -> list[tuple[Sel, Any]]:
        """Every (selection, value) of field `name` in this object, whatever its alias."""
        return [(s, obj.get(s.key)) for s in self.sels if s.field == name and s.key in obj]


def _tree(schema: GraphQLSchema, type_name: str, paths: Iterable[Path]) -> dict[Step, Any]:
    tree: dict[Step, Any] = {}
    obj = _object(schema, type_name)
    if "id" in obj.fields:
        tree[Step("id")] = None  # every object says who it is, so the walk can judge it
    for path in paths:
        level = tree
        for step in path[:-1]:
            level = level.setdefault(step, {})
        level.setdefault(path[-1], None)
    return tree


@dataclass
class _Renderer:
    schema: GraphQLSchema
    style: str
    aliases_left: int = 10
    fragments: list[str] = field(default_factory=list)
    counter: itertools.count = field(default_factory=itertools.count)

    def key(self, step: Step) -> str:
        n = next(self.counter)
        if step.args:
            return f"{step.field}_{n}"
        if self.style == "aliases" and self.aliases_left > 0 and step.field != "id":
            self.aliases_left -= 1
            return f"x{n}_{step.field}"
        return step.field

    def selection(self, type_name: str, tree: dict[Step, Any]) -> tuple[str, Node]:
        node = Node(type_name)
        parts = []
        obj = _object(self.schema, type_name)
        for step, sub in tree.items():
            key = self.key(step)
            head = step.field if key == step.field else f"{key}: {step.field}"
            head += args_text(step.args)
            if sub is None:
                node.sels.append(Sel(key, step.field, step.args, None))
                parts.append(head)
                continue
            inner_type = get_named_type(obj.fields[step.field].type).name
            inner_text, inner_node = self.selection(
                inner_type, _with_id(self.schema, inner_type, sub)
            )
            node.sels.append(Sel(key, step.field, step.args, inner_node))
            parts.append(f"{head} {{ {self.wrap(inner_type, inner_text)} }}")
        return " ".join(parts), node

    def wrap(self, type_name: str, text: str) -> str:
        if self.style == "inline":
            return f"__typename ... on {type_name} {{ {text} }}"
        if self.style == "named":
            name = f"F{len(self.fragments)}_{type_name}"
            self.fragments.append(f"fragment {name} on {type_name} {{ {text} }}")
            return f"...{name}"
        return text


def _with_id(schema: GraphQLSchema, type_name: str, sub: dict[Step, Any]) -> dict[Step, Any]:
    obj = _object(schema, type_name)
    if "id" in obj.fields and Step("id") not in sub:
        return {Step("id"): None, **sub}
    return sub


def render(
    schema: GraphQLSchema, variant: RootVariant, leaves: Sequence[Path], style: str, name: str
) -> tuple[str, Sel]:
    """The document for `leaves` of `variant` in `style`, and the tree to walk its answer."""
    r = _Renderer(schema, style)
    root_key = f"r_{variant.field}" if style == "aliases" or variant.args else variant.field
    head = variant.field if root_key == variant.field else f"{root_key}: {variant.field}"
    head += args_text(variant.args)
    if variant.type_name is None:
        return f"query {name} {{ {head} }}", Sel(root_key, variant.field, variant.args, None)
    text, node = r.selection(variant.type_name, _tree(schema, variant.type_name, leaves))
    body = f"query {name} {{ {head} {{ {r.wrap(variant.type_name, text)} }} }}"
    document = " ".join([body, *r.fragments])
    return document, Sel(root_key, variant.field, variant.args, node)


def render_many(
    schema: GraphQLSchema,
    parts: Sequence[tuple[RootVariant, Sequence[Path]]],
    style: str,
    name: str,
) -> tuple[str, list[Sel]]:
    """One document calling several root variants side by side under aliases r0_, r1_...:
    the same field with different arguments in one request."""
    r = _Renderer(schema, style, aliases_left=0)
    bodies, roots = [], []
    for n, (variant, leaves) in enumerate(parts):
        key = f"r{n}_{variant.field}"
        head = f"{key}: {variant.field}{args_text(variant.args)}"
        if variant.type_name is None:
            bodies.append(head)
            roots.append(Sel(key, variant.field, variant.args, None))
            continue
        text, node = r.selection(variant.type_name, _tree(schema, variant.type_name, leaves))
        bodies.append(f"{head} {{ {r.wrap(variant.type_name, text)} }}")
        roots.append(Sel(key, variant.field, variant.args, node))
    return " ".join([f"query {name} {{ {' '.join(bodies)} }}", *r.fragments]), roots


def halves(leaves: Sequence[Path]) -> list[Sequence[Path]]:
    middle = len(leaves) // 2
    return [leaves[:middle], leaves[middle:]]
