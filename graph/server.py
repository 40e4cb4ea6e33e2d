"""A real local Neo4j server on loopback: installed, started and stopped by the project itself.

No Docker and no tarball: the Neo4j Community jars come from Maven Central (through
`graph/launcher/pom.xml` and `mvn`), and `graph/launcher/ContactGraphNeo4j.java` runs them
as an embedded DBMS with the Bolt connector on, so drivers see an ordinary Neo4j server at
`bolt://127.0.0.1:<port>` (and `neo4j://`, which routes to the same address).

Everything lives in the ignored `.local/neo4j/` folder:

    .local/neo4j/<version>/lib/        the jars (fetched once)
    .local/neo4j/<version>/classes/    the compiled launcher
    .local/neo4j/instances/<name>/     data/, logs/, neo4j.log, neo4j.pid, password

Manual use:  python -m graph.server start|stop|status|install|password [--instance dev|test]

Stdlib only, except that `start` checks readiness with the `neo4j` driver.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "HOST",
    "LocalNeo4j",
    "NeoServerError",
    "find_java",
    "install",
    "instance",
    "neo4j_version",
    "password",
    "start",
    "status",
    "stop",
    "uri",
]

HOST = "127.0.0.1"
REPO = Path(__file__).resolve().parent.parent
LAUNCHER_DIR = Path(__file__).resolve().parent / "launcher"
POM = LAUNCHER_DIR / "pom.xml"
LAUNCHER_SOURCE = LAUNCHER_DIR / "ContactGraphNeo4j.java"
LAUNCHER_CLASS = "ContactGraphNeo4j"
NEO4J_ROOT = REPO / ".local" / "neo4j"
READY_MARKER = "ContactGraphNeo4j: ready on"

HEAP_ENV = "CONTACTGRAPH_NEO4J_HEAP"
PAGECACHE_ENV = "CONTACTGRAPH_NEO4J_PAGECACHE"
CONF_ENV = "CONTACTGRAPH_NEO4J_CONF"  # an extra neo4j.conf-style file of settings


class NeoServerError(RuntimeError):
    """The local Neo4j server could not be installed, started or stopped."""


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
PORT_ENV = "CONTACTGRAPH_NEO4J_PORT"
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


# --------------------------------------------------------------------------- version, Java


def neo4j_version() -> str:
    """The Neo4j version pinned in graph/launcher/pom.xml (the one source of truth)."""
    ns = {"m": "http://maven.apache.org/POM/4.0.0"}
    node = ET.parse(POM).getroot().find("m:properties/m:neo4j.version", ns)
    if node is None or not (node.text or "").strip():
        raise NeoServerError(f"{POM} has no <neo4j.version> property")
    return (node.text or "").strip()


def _required_java(version: str) -> int:
    """Neo4j 5.x runs on Java 17; calendar versions (2025.01 and later) need Java 21."""
    return 17 if version.startswith("5.") else 21


def _java_major(home: Path) -> int | None:
    """The major version of the JDK at `home`, or None if it is not a usable JDK."""
    if not (home / "bin" / "java").is_file() or not (home / "bin" / "javac").is_file():
        return None
    version = ""
    release = home / "release"
    if release.is_file():
        found = re.search(r'^JAVA_VERSION="([^"]+)"', release.read_text(), re.MULTILINE)
        version = found.group(1) if found else ""
    if not version:
        try:
            out = subprocess.run(
                [str(home / "bin" / "java"), "-version"],
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
            ).stderr
        except (OSError, subprocess.SubprocessError):
            return None
        found = re.search(r'version "([^"]+)"', out)
        version = found.group(1) if found else ""
    parts = version.split(".")
    if parts[0] == "1" and len(parts) > 1:  # "1.8.0_402" style
        parts = parts[1:]
    try:
        return int(re.sub(r"\D.*", "", parts[0]))
    except ValueError:
        return None


def _java_candidates() -> list[Path]:
    seen: set[Path] = set()
    out: list[Path] = []
    listed: list[Path] = []
    if os.environ.get("JAVA_HOME"):
        listed.append(Path(os.environ["JAVA_HOME"]))
    on_path = shutil.which("java")
    if on_path:
        listed.append(Path(on_path).resolve().parent.parent)
    jvm = Path("/usr/lib/jvm")
    if jvm.is_dir():
        listed.extend(sorted(jvm.iterdir()))
    for home in listed:
        real = home.resolve()
        if real not in seen and real.is_dir():
            seen.add(real)
            out.append(home)
    return out


def find_java() -> Path:
    """The home of a JDK that can run (and compile against) the pinned Neo4j.

    JAVA_HOME wins if it is recent enough; otherwise the newest JDK found on PATH or in
    /usr/lib/jvm. Raises NeoServerError naming what was found and what to install.
    """
    version = neo4j_version()
    need = _required_java(version)
    found: list[tuple[int, Path]] = []
    for home in _java_candidates():
        major = _java_major(home)
        if major is not None:
            found.append((major, home))
    java_home = os.environ.get("JAVA_HOME")
    for major, home in found:
        if java_home and home == Path(java_home) and major >= need:
            return home
    good = [(major, home) for major, home in found if major >= need]
    if good:
        return max(good, key=lambda item: item[0])[1]
    seen = "; ".join(f"Java {major} at {home}" for major, home in found) or "no JDK at all"
    raise NeoServerError(
        f"Neo4j {version} needs a Java {need} or later JDK (java and javac); found {seen} "
        f"(looked at JAVA_HOME, PATH and /usr/lib/jvm). Install a JDK {need}+ (e.g. "
        f"`apt-get install openjdk-{need}-jdk-headless` where the distribution has it, or "
        f"Eclipse Temurin {need}+) and/or point JAVA_HOME at it."
    )


# --------------------------------------------------------------------------- install


def _install_dir(version: str) -> Path:
    return NEO4J_ROOT / version


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive advisory lock, so concurrent callers (e.g. test workers) take turns."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _tail(text: str, lines: int = 40) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:])


def _run_quiet(cmd: list[str], what: str, env: dict[str, str] | None = None) -> None:
    done = subprocess.run(
        cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL, env=env, check=False
    )
    if done.returncode != 0:
        output = _tail(done.stdout + "\n" + done.stderr)
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
    base = _install_dir(version)
    lib, classes = base / "lib", base / "classes"
    lib_marker, classes_marker = base / "lib.complete", base / "classes.stamp"
    java_home = find_java()
    stamp = _launcher_stamp(java_home)
    if lib_marker.is_file() and classes_marker.is_file() and classes_marker.read_text() == stamp:
        return base
    with _locked(NEO4J_ROOT / ".install.lock"):
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
            _run_quiet(
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
            _run_quiet(
                [
                    str(java_home / "bin" / "javac"),
                    "--release",
                    str(_required_java(version)),
                    "-encoding",
                    "UTF-8",
                    "-d",
                    str(partial),
                    "-cp",
                    str(lib / "*"),
                    str(LAUNCHER_SOURCE),
                ],
                "Compiling graph/launcher/ContactGraphNeo4j.java",
            )
            shutil.rmtree(classes, ignore_errors=True)
            partial.rename(classes)
            classes_marker.write_text(stamp)
    return base


# --------------------------------------------------------------------------- password


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


# --------------------------------------------------------------------------- processes


def _is_our_server(pid: int, inst: LocalNeo4j) -> bool:
    """Whether `pid` is a live (not zombie) launcher JVM for this instance's folder."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    if stat.rsplit(")", 1)[-1].split()[0] in ("Z", "X"):
        return False
    args = [part.decode(errors="replace") for part in cmdline]
    return LAUNCHER_CLASS in args and str(inst.folder) in args


def server_pid(inst: LocalNeo4j) -> int | None:
    """The pid of this instance's running server: from the pid file, else from /proc."""
    with contextlib.suppress(OSError, ValueError):
        pid = int(inst.pid_file.read_text().strip())
        if _is_our_server(pid, inst):
            return pid
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and _is_our_server(int(entry.name), inst):
            return int(entry.name)
    return None


def _port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1.0)
        return sock.connect_ex((HOST, port)) == 0


def _port_free(port: int) -> bool:
    """Whether a server could listen on 127.0.0.1:port (also false if 0.0.0.0 holds it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
    return not _port_open(port)


def _log_since(inst: LocalNeo4j, offset: int) -> str:
    try:
        with inst.log_file.open("rb") as handle:
            handle.seek(offset)
            return handle.read().decode(errors="replace")
    except OSError:
        return ""


def _jvm_command(inst: LocalNeo4j, java_home: Path, base: Path) -> list[str]:
    major = _java_major(java_home) or 0
    cmd = [
        str(java_home / "bin" / "java"),
        f"-Xms{inst.heap}",
        f"-Xmx{inst.heap}",
        # The JVM options a packaged Neo4j server starts with (those that matter here).
        "-XX:+UseG1GC",
        "-XX:-OmitStackTraceInFastThrow",
        "-XX:+DisableExplicitGC",
        "-XX:+ExitOnOutOfMemoryError",
        "-Djdk.nio.maxCachedBufferSize=1024",
        "-Dio.netty.tryReflectionSetAccessible=true",
        "-Dlog4j2.disable.jmx=true",
        "--add-opens=java.base/java.nio=ALL-UNNAMED",
        "--add-opens=java.base/java.io=ALL-UNNAMED",
        "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
        "--enable-native-access=ALL-UNNAMED",
    ]
    if major >= 23:  # Quiet the sun.misc.Unsafe deprecation warnings of newer JDKs.
        cmd.append("--sun-misc-unsafe-memory-access=allow")
    cmd += [
        "-cp",
        f"{base / 'classes'}{os.pathsep}{base / 'lib' / '*'}",
        LAUNCHER_CLASS,
        "--home",
        str(inst.folder),
        "--port",
        str(inst.bolt_port),
        "--password-file",
        str(inst.password_file),
        "--pagecache",
        inst.pagecache,
        "--tx-timeout",
        inst.tx_timeout,
    ]
    if extra := os.environ.get(CONF_ENV):
        conf = Path(extra).resolve()
        if not conf.is_file():
            raise NeoServerError(f"{CONF_ENV} names {conf}, which is not a file")
        cmd += ["--config", str(conf)]
    return cmd


def _spawn_detached(cmd: list[str], log_file: Path, cwd: Path) -> int:
    """Start `cmd` in a new session with output appended to `log_file`; return its pid.

    A throwaway shell starts it in the background and exits at once, so the JVM is not our
    child: it outlives this process and never lingers here as a zombie.
    """
    script = 'log="$1"; shift; "$@" >>"$log" 2>&1 </dev/null & echo $!'
    done = subprocess.run(
        ["/bin/sh", "-c", script, "sh", str(log_file), *cmd],
        capture_output=True,
        text=True,
        cwd=cwd,
        start_new_session=True,
        check=True,
    )
    return int(done.stdout.strip())


def _driver_ready(inst: LocalNeo4j, secret: str) -> bool:
    """A real authenticated Bolt round trip."""
    from neo4j import GraphDatabase
    from neo4j.exceptions import AuthError, Neo4jError, ServiceUnavailable, SessionExpired

    try:
        with GraphDatabase.driver(
            uri(inst), auth=("neo4j", secret), connection_timeout=5.0
        ) as driver:
            driver.verify_connectivity()
    except AuthError as exc:
        raise NeoServerError(
            f"Neo4j on {uri(inst)} refused the password in {inst.password_file}: {exc}"
        ) from exc
    except (ServiceUnavailable, SessionExpired, Neo4jError, OSError):
        return False
    return True


def _wait_ready(
    inst: LocalNeo4j, pid: int, secret: str, offset: int | None, deadline: float
) -> None:
    """Wait for the socket, then (for a fresh start) the launcher's ready line, then Bolt."""
    while True:
        if not _is_our_server(pid, inst):
            log = _tail(_log_since(inst, offset or 0), 60)
            raise NeoServerError(
                f"Neo4j ({inst.name}) exited while starting; last lines of {inst.log_file}:\n{log}"
            )
        # Bolt opens a moment before the launcher has set the password: connecting in that
        # gap would fail authentication (and count towards Neo4j's lockout).
        ready_line = offset is None or READY_MARKER in _log_since(inst, offset)
        if ready_line and _port_open(inst.bolt_port) and _driver_ready(inst, secret):
            return
        if time.monotonic() > deadline:
            log = _tail(_log_since(inst, offset or 0), 60)
            raise NeoServerError(
                f"Neo4j ({inst.name}, pid {pid}) is not ready on {uri(inst)} after waiting; "
                f"it is left running. Last lines of {inst.log_file}:\n{log}"
            )
        time.sleep(0.25)


def start(inst: LocalNeo4j, wait_seconds: float = 120) -> None:
    """Start the instance's server and wait until Bolt accepts an authenticated connection.

    Idempotent: if it is already running this only waits for it to be ready. Installs
    first if needed. Raises NeoServerError if the port is taken by something else, if the
    JVM dies while starting (with the tail of its log), or after `wait_seconds`.
    """
    deadline = time.monotonic() + wait_seconds
    base = install()
    java_home = find_java()
    secret = password(inst)
    with _locked(inst.lock_file):
        pid = server_pid(inst)
        if pid is not None:
            inst.pid_file.write_text(f"{pid}\n")
            _wait_ready(inst, pid, secret, None, deadline)
            return
        if not _port_free(inst.bolt_port):
            raise NeoServerError(
                f"Port {inst.bolt_port} on {HOST} is already in use by another process (not "
                f"this project's '{inst.name}' Neo4j server); stop it or free the port."
            )
        for folder in (inst.data_dir, inst.logs_dir):  # The instance folder is 0700.
            folder.mkdir(parents=True, exist_ok=True)
        inst.log_file.touch()
        offset = inst.log_file.stat().st_size
        pid = _spawn_detached(_jvm_command(inst, java_home, base), inst.log_file, inst.folder)
        inst.pid_file.write_text(f"{pid}\n")
        _wait_ready(inst, pid, secret, offset, deadline)


def stop(inst: LocalNeo4j, timeout: float = 60) -> bool:
    """Stop the server with SIGTERM (a clean shutdown); SIGKILL if it outlasts `timeout`.

    Returns True if a server was running, False if there was nothing to stop.
    """
    inst.folder.mkdir(parents=True, exist_ok=True)
    with _locked(inst.lock_file):
        pid = server_pid(inst)
        if pid is None:
            inst.pid_file.unlink(missing_ok=True)
            return False
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while _is_our_server(pid, inst):
            if time.monotonic() > deadline:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                kill_deadline = time.monotonic() + 10
                while _is_our_server(pid, inst) and time.monotonic() < kill_deadline:
                    time.sleep(0.1)
                break
            time.sleep(0.1)
        inst.pid_file.unlink(missing_ok=True)
        return True


def status(inst: LocalNeo4j) -> str:
    """ "running (pid N) on bolt://127.0.0.1:P", "starting (pid N)" or "stopped"."""
    pid = server_pid(inst)
    if pid is None:
        return "stopped"
    if _port_open(inst.bolt_port):
        return f"running (pid {pid}) on {uri(inst)}"
    return f"starting (pid {pid})"


# --------------------------------------------------------------------------- CLI


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m graph.server", description="Run the project's local Neo4j server."
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


if __name__ == "__main__":
    sys.exit(main())
