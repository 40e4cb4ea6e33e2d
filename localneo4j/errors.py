"""The one error the local server tooling raises, so callers catch one thing."""

from __future__ import annotations

__all__ = ["NeoServerError", "tail"]


class NeoServerError(RuntimeError):
    """The local Neo4j server could not be installed, started or stopped."""


def tail(text: str, lines: int = 40) -> str:
    """The last lines of a tool's output or a log: what an error message quotes."""
    return "\n".join(text.rstrip().splitlines()[-lines:])
