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
PACKAGES = ("api", "bench", "feeds", "graph", "localneo4j", "policies", "seed")


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


def _imported(tree: ast.AST, modules: dict[str, Path]) -> set[str]:
    """Every first-party module `tree` may import when it runs."""
    found: set[str] = set()
    pending: list[ast.AST] = [tree]
    while pending:
        node = pending.pop()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _type_checking_only(child):
                pending.extend(child.orelse)
                continue
            if isinstance(child, ast.Import):
                found.update(alias.name for alias in child.names)
            elif isinstance(child, ast.ImportFrom) and child.level == 0 and child.module:
                for alias in child.names:
                    submodule = f"{child.module}.{alias.name}"
                    found.add(submodule if submodule in modules else child.module)
            pending.append(child)
    return {name for name in found if name.split(".")[0] in PACKAGES}


def _edges() -> dict[str, set[str]]:
    modules = _modules()
    return {
        name: _imported(ast.parse(path.read_text(), str(path)), modules)
        for name, path in modules.items()
    }


EDGES = _edges()


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
    assert "api.schema.root" in EDGES["api.app"]


@pytest.mark.parametrize(
    ("upper", "lower"),
    [
        ("seed", "graph"),  # seed writes through graph's Cypher; graph knows no seed data
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
