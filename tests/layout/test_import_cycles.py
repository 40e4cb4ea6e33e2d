"""The package layers hold: what one layer imports never imports it back.

A cycle between two packages means neither can be read, tested or moved without the
other, and it is what made the seed loader live in graph/ and the schema reach into the
resolvers from inside its methods. The imports are read from the source (ast), so an
import hidden inside a function counts as much as one at the top of a module; only
imports under `if TYPE_CHECKING:` are left out, because they never run.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("api", "bench", "feeds", "graph", "localneo4j", "policies", "seed", "webhooks")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {
        _module_name(path): path
        for package in PACKAGES
        if (REPO / package).is_dir()
        for path in sorted((REPO / package).rglob("*.py"))
    }


def _type_checking_only(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imported(tree: ast.AST, modules: dict[str, Path]) -> tuple[set[str], set[str]]:
    """The first-party modules `tree` may import when it runs: all of them, and those it
    imports as it is itself imported (outside any function)."""
    found: set[str] = set()
    at_import: set[str] = set()
    pending: list[tuple[ast.AST, bool]] = [(tree, True)]
    while pending:
        node, top = pending.pop()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _type_checking_only(child):
                pending.extend((branch, top) for branch in child.orelse)
                continue
            names: list[str] = []
            if isinstance(child, ast.Import):
                names = [alias.name for alias in child.names]
            elif isinstance(child, ast.ImportFrom) and child.level == 0 and child.module:
                for alias in child.names:
                    submodule = f"{child.module}.{alias.name}"
                    names.append(submodule if submodule in modules else child.module)
            found.update(names)
            if top:
                at_import.update(names)
            deferred = isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            pending.append((child, top and not deferred))

    def ours(names: set[str]) -> set[str]:
        return {name for name in names if name.split(".")[0] in PACKAGES}

    return ours(found), ours(at_import)


def _edges() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    modules = _modules()
    read = {
        name: _imported(ast.parse(path.read_text(), str(path)), modules)
        for name, path in modules.items()
    }
    return (
        {name: every for name, (every, _) in read.items()},
        {name: at_import for name, (_, at_import) in read.items()},
    )


EDGES, IMPORT_TIME_EDGES = _edges()


def _imports_between(importer: str, imported: str) -> list[str]:
    """`module -> module` for each import from the `importer` layer into `imported`."""

    def inside(module: str, layer: str) -> bool:
        return module == layer or module.startswith(layer + ".")

    return sorted(
        f"{module} -> {target}"
        for module, targets in EDGES.items()
        if inside(module, importer)
        for target in targets
        if inside(target, imported)
    )


def test_the_import_reader_sees_known_imports() -> None:
    # Guards the test itself: a reader that found nothing would pass everything below.
    assert "graph.load" in EDGES["seed.load"]
    assert "api.root" in IMPORT_TIME_EDGES["api.app"]
    assert "api.shaping" in EDGES["api.schema.child"]  # deferred to Child.assessment
    assert "api.shaping" not in IMPORT_TIME_EDGES["api.schema.child"]


@pytest.mark.parametrize(
    ("upper", "lower"),
    [
        ("seed", "graph"),  # seed writes through graph's Cypher; graph knows no seed data
        # Root fields live beside their resolvers, which build the schema's types: the
        # types never call back into a resolver, not even from inside a method.
        ("api.resolvers", "api.schema"),
        ("api.root", "api.resolvers"),
    ],
)
def test_no_import_cycle_between_layers(upper: str, lower: str) -> None:
    assert _imports_between(lower, upper) == [], (
        f"{lower} must not import {upper} ({upper} imports {lower})"
    )


def test_policies_import_only_policies() -> None:
    outside = [
        f"{module} -> {target}"
        for module, targets in EDGES.items()
        if module.startswith("policies")
        for target in targets
        if not target.startswith("policies")
    ]
    assert outside == []


def test_no_module_imports_itself_back_while_loading() -> None:
    """No cycle of imports made at import time, across every package: each module can be
    loaded on its own, and the order of imports never matters."""
    state: dict[str, int] = {}  # 1 while on the current path, 2 when done
    cycles: list[str] = []

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(IMPORT_TIME_EDGES.get(module, ())):
            if state.get(target) == 1:
                cycles.append(" -> ".join([*path[path.index(target) :], target]))
            elif target not in state and target in IMPORT_TIME_EDGES:
                visit(target, [*path, target])
        state[module] = 2

    for module in sorted(IMPORT_TIME_EDGES):
        if module not in state:
            visit(module, [module])
    assert cycles == []
