"""Where the local server's files live, which Neo4j the launcher pins, and the file lock.

Everything the tooling writes is under the ignored `.local/neo4j/` folder, so a fresh
clone and a working one differ only there:

    .local/neo4j/<version>/lib/        the jars (fetched once)
    .local/neo4j/<version>/launchers/<digest>/   the compiled launcher (one per source)
    .local/neo4j/instances/<name>/     data/, logs/, neo4j.log, neo4j.pid, password
"""

from __future__ import annotations

import contextlib
import fcntl
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

from localneo4j.errors import NeoServerError

__all__ = [
    "LAUNCHER_DIR",
    "LAUNCHER_SOURCE",
    "NEO4J_ROOT",
    "POM",
    "REPO",
    "install_dir",
    "locked",
    "neo4j_version",
]

REPO = Path(__file__).resolve().parent.parent
LAUNCHER_DIR = Path(__file__).resolve().parent / "launcher"
POM = LAUNCHER_DIR / "pom.xml"
LAUNCHER_SOURCE = LAUNCHER_DIR / "ContactGraphNeo4j.java"
NEO4J_ROOT = REPO / ".local" / "neo4j"


def neo4j_version() -> str:
    """The Neo4j version pinned in localneo4j/launcher/pom.xml (the one source of truth)."""
    ns = {"m": "http://maven.apache.org/POM/4.0.0"}
    node = ET.parse(POM).getroot().find("m:properties/m:neo4j.version", ns)
    if node is None or not (node.text or "").strip():
        raise NeoServerError(f"{POM} has no <neo4j.version> property")
    return (node.text or "").strip()


def install_dir(version: str) -> Path:
    return NEO4J_ROOT / version


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """An exclusive advisory lock, so concurrent callers (e.g. test workers) take turns."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
