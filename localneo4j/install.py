"""Installing Neo4j once: the Community jars from Maven Central, the launcher compiled.

No Docker and no tarball: `mvn` fetches the jars `localneo4j/launcher/pom.xml` names, and
`javac` compiles `localneo4j/launcher/ContactGraphNeo4j.java` against them.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from localneo4j.errors import NeoServerError, tail
from localneo4j.files import (
    LAUNCHER_SOURCE,
    NEO4J_ROOT,
    POM,
    install_dir,
    locked,
    neo4j_version,
)
from localneo4j.java import find_java, required_java

__all__ = ["install", "run_quiet"]


def run_quiet(cmd: list[str], what: str, env: dict[str, str] | None = None) -> None:
    done = subprocess.run(
        cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL, env=env, check=False
    )
    if done.returncode != 0:
        output = tail(done.stdout + "\n" + done.stderr)
        raise NeoServerError(f"{what} failed (exit {done.returncode}):\n{output}")


def _launcher_stamp(java_home: Path) -> str:
    """Changes when the launcher source or the compiling JDK changes."""
    digest = hashlib.sha256(LAUNCHER_SOURCE.read_bytes()).hexdigest()
    return f"{digest} {java_home.resolve()}\n"


def install(progress: Callable[[str], None] = print) -> Path:
    """Fetch the Neo4j jars and compile the launcher, once. Returns the install folder.

    A later call only checks two marker files: it downloads and compiles nothing (the
    launcher is recompiled, without downloading, if its source or the JDK changed).
    """
    version = neo4j_version()
    base = install_dir(version)
    lib, classes = base / "lib", base / "classes"
    lib_marker, classes_marker = base / "lib.complete", base / "classes.stamp"
    java_home = find_java()
    stamp = _launcher_stamp(java_home)
    if lib_marker.is_file() and classes_marker.is_file() and classes_marker.read_text() == stamp:
        return base
    with locked(NEO4J_ROOT / ".install.lock"):
        if not lib_marker.is_file():
            mvn = shutil.which("mvn")
            if mvn is None:
                raise NeoServerError(
                    "Maven (`mvn`) is needed once to fetch the Neo4j jars from Maven Central; "
                    "install it (e.g. `apt-get install maven`)."
                )
            progress(f"Fetching Neo4j {version} jars from Maven Central (about 150 MB, once)...")
            started = time.monotonic()
            partial = base / "lib.partial"
            shutil.rmtree(partial, ignore_errors=True)
            shutil.rmtree(lib, ignore_errors=True)
            partial.mkdir(parents=True)
            run_quiet(
                [
                    mvn,
                    "-q",
                    "-B",
                    "-Dstyle.color=never",
                    "-f",
                    str(POM),
                    "dependency:copy-dependencies",
                    f"-DoutputDirectory={partial}",
                ],
                f"Fetching the Neo4j {version} jars with Maven",
            )
            if not any(partial.glob("neo4j-*.jar")):
                raise NeoServerError(f"Maven ran but put no Neo4j jars in {partial}")
            partial.rename(lib)
            lib_marker.write_text(version + "\n")
            progress(
                f"Fetched {len(list(lib.glob('*.jar')))} jars in {time.monotonic() - started:.0f}s."
            )
        if not classes_marker.is_file() or classes_marker.read_text() != stamp:
            progress(f"Compiling the Neo4j launcher with {java_home}...")
            partial = base / "classes.partial"
            shutil.rmtree(partial, ignore_errors=True)
            partial.mkdir(parents=True)
            run_quiet(
                [
                    str(java_home / "bin" / "javac"),
                    "--release",
                    str(required_java(version)),
                    "-encoding",
                    "UTF-8",
                    "-d",
                    str(partial),
                    "-cp",
                    str(lib / "*"),
                    str(LAUNCHER_SOURCE),
                ],
                "Compiling localneo4j/launcher/ContactGraphNeo4j.java",
            )
            shutil.rmtree(classes, ignore_errors=True)
            partial.rename(classes)
            classes_marker.write_text(stamp)
    return base
