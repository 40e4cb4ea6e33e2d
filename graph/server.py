"""Deprecated: moved to `localneo4j` (issue 21). Every old name, private ones included, still
resolves here so work in flight keeps running; import from `localneo4j` instead. Removed at
the end of the session."""

# ruff: noqa: F401, F403
import sys

from localneo4j import *
from localneo4j.cli import main
from localneo4j.errors import tail as _tail
from localneo4j.files import LAUNCHER_DIR, LAUNCHER_SOURCE, NEO4J_ROOT, POM, REPO
from localneo4j.files import install_dir as _install_dir
from localneo4j.files import locked as _locked
from localneo4j.install import _launcher_stamp
from localneo4j.install import run_quiet as _run_quiet
from localneo4j.instances import (
    _HEAP_DEFAULTS,
    _NAME,
    _PAGECACHE_DEFAULTS,
    _PORTS,
    HEAP_ENV,
    PAGECACHE_ENV,
    PORT_ENV,
)
from localneo4j.java import _java_candidates
from localneo4j.java import java_major as _java_major
from localneo4j.java import required_java as _required_java
from localneo4j.process import (
    CONF_ENV,
    LAUNCHER_CLASS,
    READY_MARKER,
    _driver_ready,
    _is_our_server,
    _jvm_command,
    _log_since,
    _port_free,
    _port_open,
    _spawn_detached,
    _wait_ready,
)

if __name__ == "__main__":
    sys.exit(main())
