"""`contactgraph schema print`: the schema as SDL, for codegen and for review.

`schema.graphql` at the repository root is this command's output, committed; a test
fails when it is stale, and another checks it against the published contract
(`../shared/design/contract.graphql`) for breaking changes.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from api.settings import ROOT

__all__ = ["SCHEMA_FILE", "register", "schema_sdl"]

SCHEMA_FILE = ROOT / "schema.graphql"


def schema_sdl() -> str:
    """The live schema as SDL, with descriptions, ending in one newline."""
    from graphql import print_schema

    from api.root import build_schema

    return print_schema(build_schema()._schema).rstrip("\n") + "\n"


def cmd_schema_print(args: argparse.Namespace) -> int:
    sdl = schema_sdl()
    if args.output == "-":
        sys.stdout.write(sdl)
    else:
        Path(args.output).write_text(sdl)
        print(f"wrote {args.output}")
    return 0


def register(subparsers: Any) -> None:
    schema = subparsers.add_parser("schema", help="the GraphQL schema as SDL")
    action = schema.add_subparsers(dest="action", required=True)
    printer = action.add_parser("print", help="write the schema's SDL (default: schema.graphql)")
    printer.add_argument(
        "--output", default=str(SCHEMA_FILE), help="a file to write, or - for standard output"
    )
    printer.set_defaults(func=cmd_schema_print)
