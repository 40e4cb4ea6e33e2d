"""`neo4j-admin database import full` for the project's local Neo4j (contactgraph load --initial).

The local server is not a tarball (localneo4j/process.py), so there is no `neo4j-admin` script:
the import tool's jar (`org.neo4j:neo4j-import-tool`, pinned beside the DBMS in
localneo4j/launcher/pom.xml) sits in the same `.local/neo4j/<version>/lib/` and its command
class is run through Neo4j's own admin entry point, `org.neo4j.cli.AdminTool`, with
NEO4J_HOME set to the instance folder: the tool then writes the store exactly where the
launcher reads it (`<instance>/data`).

The import replaces the database's store, so it runs only while the instance is stopped,
holding the instance's lock so that nobody starts it meanwhile.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from localneo4j.errors import NeoServerError, tail
from localneo4j.files import LAUNCHER_DIR, locked, neo4j_version
from localneo4j.install import install, run_quiet
from localneo4j.instances import LocalNeo4j
from localneo4j.java import find_java
from localneo4j.process import CONF_ENV, server_pid

__all__ = ["ADMIN_MAIN", "ImportFiles", "import_full", "install_import_tool"]

ADMIN_MAIN = "org.neo4j.cli.AdminTool"
POM = LAUNCHER_DIR / "pom.xml"
MAX_OFF_HEAP_ENV = "CONTACTGRAPH_IMPORT_OFF_HEAP"
"""The import tool's page cache and caches; its default, 90% of free memory, is not for
a shared machine."""


def _jar(lib: Path) -> Path:
    return lib / f"neo4j-import-tool-{neo4j_version()}.jar"


def install_import_tool(progress: object = print) -> Path:
    """The lib folder, with the import tool's jar in it (fetched if an older install lacks it)."""
    base = install(progress=progress if callable(progress) else (lambda _: None))
    lib = base / "lib"
    if _jar(lib).is_file():
        return lib
    with locked(base.parent / ".install.lock"):
        if not _jar(lib).is_file():
            if callable(progress):
                progress(f"Fetching neo4j-import-tool {neo4j_version()} from Maven Central...")
            # The pom names the tool; copy-dependencies adds only the jars lib/ lacks.
            run_quiet(
                [
                    "mvn", "-q", "-B", "-Dstyle.color=never", "-f", str(POM),
                    "dependency:copy-dependencies", f"-DoutputDirectory={lib}",
                ],
                "Fetching neo4j-import-tool with Maven",
            )  # fmt: skip
        if not _jar(lib).is_file():
            raise NeoServerError(f"Maven ran but {_jar(lib).name} is not in {lib}")
    return lib


@dataclass(frozen=True)
class ImportFiles:
    """CSV files with their headers: (labels such as "Child" or "A:B", file) per node file,
    (relationship type, file) per relationship file."""

    nodes: list[tuple[str, Path]]
    relationships: list[tuple[str, Path]]


def _command(
    inst: LocalNeo4j, java_home: Path, lib: Path, files: ImportFiles, database: str, report: Path
) -> list[str]:
    cmd = [
        str(java_home / "bin" / "java"),
        f"-Xmx{inst.heap}",
        "-XX:+UseG1GC",
        "--add-opens=java.base/java.nio=ALL-UNNAMED",
        "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
        "--enable-native-access=ALL-UNNAMED",
        "-cp",
        f"{lib / '*'}",
        ADMIN_MAIN,
        "database",
        "import",
        "full",
        database,
        # The database exists (a server start creates it) and holds nothing of worth: the
        # caller has checked that it is empty.
        "--overwrite-destination=true",
        f"--max-off-heap-memory={os.environ.get(MAX_OFF_HEAP_ENV) or inst.pagecache}",
        f"--report-file={report}",
        "--bad-tolerance=0",  # any bad entry is a bug in the CSV writer: stop
        "--id-type=string",
        "--skip-duplicate-nodes=false",
        "--skip-bad-relationships=false",
    ]
    if extra := os.environ.get(CONF_ENV):
        cmd.append(f"--additional-config={Path(extra).resolve()}")
    cmd += [f"--nodes={labels}={path.resolve()}" for labels, path in files.nodes]
    cmd += [f"--relationships={kind}={path.resolve()}" for kind, path in files.relationships]
    return cmd


def import_full(
    inst: LocalNeo4j, files: ImportFiles, *, database: str = "neo4j", log: Path | None = None
) -> str:
    """Replace `database`'s store with the CSV files; returns the tool's closing summary.

    Raises NeoServerError if the server is running (stop it first) or the tool fails,
    with the tail of its output (the whole of it goes to `log`); the database is then
    removed, so the server starts with it empty (the caller checked that it was).
    """
    lib = install_import_tool(progress=None)
    java_home = find_java()
    log = log or inst.folder / "import.log"
    report = log.with_suffix(".report")
    with locked(inst.lock_file):
        if server_pid(inst) is not None:
            raise NeoServerError(
                f"Neo4j ({inst.name}) is running: the import tool needs it stopped"
            )
        env = {
            **os.environ,
            "NEO4J_HOME": str(inst.folder),
            "NEO4J_CONF": str(_conf_dir(inst)),
        }
        with log.open("w") as out:
            done = subprocess.run(
                _command(inst, java_home, lib, files, database, report),
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                cwd=inst.folder,
                check=False,
            )
    text = log.read_text(errors="replace")
    if done.returncode != 0:
        # The tool leaves a half-written store that the server would fail to open. It
        # replaced an empty database: removing it lets the server make a new empty one.
        for folder in ("databases", "transactions"):
            shutil.rmtree(inst.data_dir / folder / database, ignore_errors=True)
        raise NeoServerError(
            f"neo4j-admin database import full failed (exit {done.returncode}); "
            f"{log} has its output:\n{tail(text, 30)}"
        )
    summary = text[text.rfind("IMPORT DONE") :] if "IMPORT DONE" in text else tail(text, 8)
    return summary.strip()


def _conf_dir(inst: LocalNeo4j) -> Path:
    """The admin tool requires a conf folder; the launcher's settings are its defaults
    (data and logs under NEO4J_HOME), so an empty neo4j.conf says all there is to say."""
    conf = inst.folder / "conf"
    conf.mkdir(parents=True, exist_ok=True)
    (conf / "neo4j.conf").touch()
    return conf
