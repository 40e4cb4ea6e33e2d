"""Starting, watching and stopping an instance's server process.

`localneo4j/launcher/ContactGraphNeo4j.java` runs the jars as an embedded DBMS with the
Bolt connector on, so drivers see an ordinary Neo4j server at `bolt://127.0.0.1:<port>`
(and `neo4j://`, which routes to the same address). The JVM is detached from the caller,
so a server outlives the command that started it; the instance's pid file and /proc say
whether it runs.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

from localneo4j.errors import NeoServerError, tail
from localneo4j.files import locked
from localneo4j.install import install
from localneo4j.instances import HOST, LocalNeo4j, password, uri
from localneo4j.java import find_java, java_major

__all__ = ["CONF_ENV", "server_pid", "start", "status", "stop"]

LAUNCHER_CLASS = "ContactGraphNeo4j"
READY_MARKER = "ContactGraphNeo4j: ready on"
CONF_ENV = "CONTACTGRAPH_NEO4J_CONF"  # an extra neo4j.conf-style file of settings


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
    major = java_major(java_home) or 0
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
            log = tail(_log_since(inst, offset or 0), 60)
            raise NeoServerError(
                f"Neo4j ({inst.name}) exited while starting; last lines of {inst.log_file}:\n{log}"
            )
        # Bolt opens a moment before the launcher has set the password: connecting in that
        # gap would fail authentication (and count towards Neo4j's lockout).
        ready_line = offset is None or READY_MARKER in _log_since(inst, offset)
        if ready_line and _port_open(inst.bolt_port) and _driver_ready(inst, secret):
            return
        if time.monotonic() > deadline:
            log = tail(_log_since(inst, offset or 0), 60)
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
    with locked(inst.lock_file):
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
    with locked(inst.lock_file):
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
