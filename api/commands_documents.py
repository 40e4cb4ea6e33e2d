"""`contactgraph documents register FILE` and `contactgraph documents list`.

FILE is a GraphQL document (`.graphql`), or a manifest of sha256 hash to document as
graphql-codegen's `persisted-documents.json` or an Apollo persisted-query manifest
(`{"operations": [{"id", "body"}]}`) gives. Each document is checked against the live
schema and its limits before it joins the manifest (CONTACTGRAPH_TRUSTED_DOCUMENTS_FILE,
default `trusted-documents.json`); the server reads the manifest at start-up.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from api.documents import document_id, load_manifest
from api.settings import load_settings

__all__ = ["register"]


def _documents_in(path: Path) -> list[str]:
    text = path.read_text()
    if path.suffix != ".json":
        return [text]
    raw = json.loads(text)
    if isinstance(raw, dict) and isinstance(raw.get("operations"), list):  # Apollo
        return [op["body"] for op in raw["operations"]]
    if isinstance(raw, dict):  # graphql-codegen persisted documents
        return list(raw.values())
    raise SystemExit(f"{path}: not a manifest of documents")


def _operation_names(text: str) -> str:
    from graphql import OperationDefinitionNode, parse

    names = [
        d.name.value if d.name else "(anonymous)"
        for d in parse(text).definitions
        if isinstance(d, OperationDefinitionNode)
    ]
    return ", ".join(names)


def cmd_documents_register(args: argparse.Namespace) -> int:
    from api.limits import DocumentCache, Limits
    from api.root import build_schema

    settings = load_settings()
    limits = Limits(
        max_depth=settings.max_depth,
        max_aliases=settings.max_aliases,
        max_tokens=settings.max_tokens,
        max_cost=settings.max_cost,
        introspection=False,  # what production will accept
    )
    cache = DocumentCache(build_schema()._schema, limits)
    path = settings.trusted_documents_file
    manifest = load_manifest(path)
    failed = 0
    for text in _documents_in(Path(args.file)):
        prepared = cache.prepare(text)
        if prepared.document is None:
            why = "too complex" if prepared.too_complex else "; ".join(prepared.errors)
            print(f"refused: {_operation_names(text) or '?'}: {why}", file=sys.stderr)
            failed += 1
            continue
        key = document_id(text)
        known = key in manifest
        manifest[key] = text
        state = "already registered" if known else "registered"
        print(f"sha256:{key}  {_operation_names(text)}  ({state}, cost {prepared.cost})")
    path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    print(f"{len(manifest)} documents in {path}")
    return 1 if failed else 0


def cmd_documents_list(args: argparse.Namespace) -> int:
    settings = load_settings()
    manifest = load_manifest(settings.trusted_documents_file)
    for key, text in sorted(manifest.items(), key=lambda kv: _operation_names(kv[1])):
        print(f"sha256:{key}  {_operation_names(text)}")
    print(
        f"{len(manifest)} documents in {settings.trusted_documents_file}; "
        f"CONTACTGRAPH_TRUSTED_DOCUMENTS={settings.trusted_documents}"
    )
    return 0


def register(subparsers: Any) -> None:
    documents = subparsers.add_parser("documents", help="trusted documents (persisted queries)")
    action = documents.add_subparsers(dest="action", required=True)
    add = action.add_parser("register", help="check documents and add them to the manifest")
    add.add_argument("file", help="a .graphql document or a JSON manifest of documents")
    add.set_defaults(func=cmd_documents_register)
    action.add_parser("list", help="the registered documents").set_defaults(func=cmd_documents_list)
