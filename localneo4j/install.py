"""Installing Neo4j once: the Community jars from Maven Central, the launcher compiled.

No Docker and no tarball: `mvn` fetches the jars `localneo4j/launcher/pom.xml` names, and
`javac` compiles `localneo4j/launcher/ContactGraphNeo4j.java` against them.

Each launcher source (and JDK) is compiled into a folder of its own, named by their
digest, beside the others: worktrees of one machine share `.local/`, and one whose
launcher differs neither recompiles another's (nor removes its classes under a starting
JVM) nor has its own replaced.
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

__all__ = ["install", "launcher_classes", "run_quiet"]


def run_quiet(cmd: list[str], what: str, env: dict[str, str] | None = None) -> None:
    done = subprocess.run(
        cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL, env=env, check=False
    )
    if done.returncode != 0:
        output = tail(done.stdout + "\n" + done.stderr)
        raise NeoServerError(f"{what} failed (exit {done.returncode}):\n{output}")


def launcher_classes(base: Path, java_home: Path) -> Path:
    """The folder of the compiled launcher: one per launcher source and JDK."""
    digest = hashlib.sha256(LAUNCHER_SOURCE.read_bytes())
    digest.update(str(java_home.resolve()).encode())
    return base / "launchers" / digest.hexdigest()[:16]


def install(progress: Callable[[str], None] = print) -> Path:
    """Fetch the Neo4j jars and compile the launcher, once. Returns the install folder.

    A later call only checks two marker files: it downloads and compiles nothing (the
    launcher is recompiled, without downloading, if its source or the JDK changed).
    """
    version = neo4j_version()
    base = install_dir(version)
    lib, lib_marker = base / "lib", base / "lib.complete"
    java_home = find_java()
    classes = launcher_classes(base, java_home)
    if lib_marker.is_file() and classes.is_dir():
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
        if not classes.is_dir():
            progress(f"Compiling the Neo4j launcher with {java_home}...")
            partial = classes.with_name(classes.name + ".partial")
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
            partial.rename(classes)
    return base
