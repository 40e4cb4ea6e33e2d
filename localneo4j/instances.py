"""Named local servers: each has its own folder, port, memory and generated password.

Several can run side by side on one machine (dev, test, bench, or any name given a port
through CONTACTGRAPH_NEO4J_PORT), because nothing about one lives outside its folder.
"""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from localneo4j.errors import NeoServerError
from localneo4j.files import NEO4J_ROOT

__all__ = [
    "HEAP_ENV",
    "HOST",
    "PAGECACHE_ENV",
    "PORT_ENV",
    "LocalNeo4j",
    "instance",
    "password",
    "uri",
]

HOST = "127.0.0.1"
HEAP_ENV = "CONTACTGRAPH_NEO4J_HEAP"
PAGECACHE_ENV = "CONTACTGRAPH_NEO4J_PAGECACHE"
PORT_ENV = "CONTACTGRAPH_NEO4J_PORT"


@dataclass(frozen=True)
class LocalNeo4j:
    """One local server: its name picks its folder, its port must be unique per machine."""

    name: str
    bolt_port: int
    heap: str = "1g"  # JVM -Xms/-Xmx
    pagecache: str = "1g"  # server.memory.pagecache.size
    tx_timeout: str = "30s"  # db.transaction.timeout

    @property
    def folder(self) -> Path:
        return NEO4J_ROOT / "instances" / self.name

    @property
    def data_dir(self) -> Path:
        return self.folder / "data"

    @property
    def logs_dir(self) -> Path:
        return self.folder / "logs"

    @property
    def log_file(self) -> Path:
        """The JVM's stdout and stderr: Neo4j's user log plus launcher messages."""
        return self.folder / "neo4j.log"

    @property
    def pid_file(self) -> Path:
        return self.folder / "neo4j.pid"

    @property
    def password_file(self) -> Path:
        return self.folder / "password"

    @property
    def lock_file(self) -> Path:
        return self.folder / ".lock"


_PORTS = {"dev": 7687, "test": 7697, "bench": 7707}
_PAGECACHE_DEFAULTS = {"dev": "1g", "test": "512m", "bench": "4g"}
_HEAP_DEFAULTS = {"bench": "4g"}
_NAME = re.compile(r"^[a-z][a-z0-9-]{0,30}$")


def instance(name: str) -> LocalNeo4j:
    """The named instance ("dev" on 7687 or "test" on 7697), with memory from the environment.

    CONTACTGRAPH_NEO4J_HEAP and CONTACTGRAPH_NEO4J_PAGECACHE (e.g. "2g", "512m") override the
    defaults: 1g heap for both, 1g page cache for dev and 512m for test.
    """
    port_text = os.environ.get(PORT_ENV)
    if not _NAME.match(name) or (name not in _PORTS and not port_text):
        raise NeoServerError(
            f"unknown Neo4j instance {name!r}; known: {', '.join(_PORTS)} "
            f"(another name needs {PORT_ENV})"
        )
    return LocalNeo4j(
        name=name,
        bolt_port=int(port_text) if port_text else _PORTS[name],
        heap=os.environ.get(HEAP_ENV) or _HEAP_DEFAULTS.get(name, "1g"),
        pagecache=os.environ.get(PAGECACHE_ENV) or _PAGECACHE_DEFAULTS.get(name, "512m"),
    )


def uri(inst: LocalNeo4j, scheme: str = "bolt") -> str:
    """`bolt://127.0.0.1:<port>`; pass scheme="neo4j" for a routing URI (same server)."""
    return f"{scheme}://{HOST}:{inst.bolt_port}"


def password(inst: LocalNeo4j) -> str:
    """The `neo4j` user's password: generated once, kept (mode 0600) in the instance folder.

    The launcher sets it on every start, so editing the file and restarting changes it.
    """
    path = inst.password_file
    if not path.is_file():
        inst.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # Another process just made it: use theirs.
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(24) + "\n")
    value = path.read_text().strip()
    if len(value) < 8:
        raise NeoServerError(f"{path} must hold a password of at least 8 characters")
    return value
