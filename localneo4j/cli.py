"""`python -m localneo4j start|stop|status|install|password [--instance NAME]`."""

from __future__ import annotations

import argparse
import sys

from localneo4j.errors import NeoServerError
from localneo4j.install import install
from localneo4j.instances import instance, password
from localneo4j.process import start, status, stop

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m localneo4j", description="Run the project's local Neo4j server."
    )
    parser.add_argument("command", choices=["start", "stop", "status", "install", "password"])
    parser.add_argument("--instance", default="dev")
    args = parser.parse_args(argv)
    try:
        inst = instance(args.instance)
        if args.command == "install":
            print(install())
        elif args.command == "start":
            start(inst)
            print(f"{inst.name}: {status(inst)} (user neo4j, password in {inst.password_file})")
        elif args.command == "stop":
            print(f"{inst.name}: {'stopped' if stop(inst) else 'was not running'}")
        elif args.command == "status":
            print(f"{inst.name}: {status(inst)}")
        else:
            print(password(inst))
    except NeoServerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0
