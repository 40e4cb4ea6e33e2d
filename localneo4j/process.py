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
from enum import Enum
from pathlib import Path

from localneo4j.errors import NeoServerError, tail
from localneo4j.files import locked
from localneo4j.install import install, launcher_classes
from localneo4j.instances import HOST, LocalNeo4j, password, uri
from localneo4j.java import find_java, java_major

__all__ = [
    "CONF_ENV",
    "Startup",
    "is_launcher",
    "server_pid",
    "start",
    "startup",
    "status",
    "stop",
]

LAUNCHER_CLASS = "ContactGraphNeo4j"
READY_MARKER = "ContactGraphNeo4j: ready on"
PASSWORD_MARKER = "ContactGraphNeo4j: password not set"
CONF_ENV = "CONTACTGRAPH_NEO4J_CONF"  # an extra neo4j.conf-style file of settings


def _read_process(pid: int) -> tuple[str, bytes] | None:
    """The /proc stat line and raw command line of `pid`; None when there is no such process."""
    try:
        return Path(f"/proc/{pid}/stat").read_text(), Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None


def is_launcher(stat: str, cmdline: bytes, inst: LocalNeo4j, *, spawned: bool = False) -> bool:
    """Whether a process (its /proc stat line and command line) is a live launcher JVM for
    this instance's folder; a zombie is not.

    With `spawned` (a pid this start has just spawned), an empty command line counts as
    the launcher too: while a process is in the middle of `execve` the kernel shows its
    command line as empty, and a start that looked at that moment took a healthy JVM for
    one that had exited (CI, once: "exited while starting" with nothing in the log).
    Never so for a pid found by scanning /proc, where kernel threads have empty ones.
    """
    if stat.rsplit(")", 1)[-1].split()[0] in ("Z", "X"):
        return False
    args = [part.decode(errors="replace") for part in cmdline.split(b"\0")]
    if spawned and not cmdline.strip(b"\0"):
        return True
    return LAUNCHER_CLASS in args and str(inst.folder) in args


def _what_proc_shows(pid: int) -> str:
    """For an error message: what became of a pid (an exit with nothing in the log is
    otherwise a riddle: killed from outside, or not the process it was taken for)."""
    seen = _read_process(pid)
    if seen is None:
        return f"pid {pid} is gone"
    stat, cmdline = seen
    state = stat.rsplit(")", 1)[-1].split()[0]
    args = cmdline.replace(b"\0", b" ").decode(errors="replace").strip()
    return f"pid {pid} is in state {state}, running {args[:200]!r}"


def _is_our_server(pid: int, inst: LocalNeo4j, *, spawned: bool = False) -> bool:
    """Whether `pid` is a live (not zombie) launcher JVM for this instance's folder."""
    seen = _read_process(pid)
    return seen is not None and is_launcher(*seen, inst, spawned=spawned)


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


def _jvm_command(
    inst: LocalNeo4j, java_home: Path, base: Path, password_timeout: float = 120
) -> list[str]:
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
        f"{launcher_classes(base, java_home)}{os.pathsep}{base / 'lib' / '*'}",
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
        "--password-timeout",
        f"{max(1, int(password_timeout))}s",
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


class Startup(Enum):
    """What a start does next, from what it sees of the server (`startup`)."""

    WAIT = "wait"
    TRY_BOLT = "try an authenticated connection"
    EXITED = "the server exited"
    PASSWORD_NOT_SET = "the launcher could not set the password and is stopping"
    STOP = "not ready in time, its password perhaps not set: stop it"
    LEAVE = "not ready in time, its password set: leave it running"


def startup(*, alive: bool, log: str | None, past_deadline: bool) -> Startup:
    """The decision of each turn of a start's wait.

    `log` is what the server wrote since this start spawned it, or None when the start
    found it already running (someone else's start, which set or will set the password).
    Bolt opens before the launcher sets the password, so a server this start spawned is
    connected to only after its ready line (before, a connection would fail
    authentication and count towards Neo4j's lockout), and one still without it at the
    deadline is stopped: it may be answering on the password its user had, on a new store
    the default one. The launcher stops itself when its password step fails or times out
    (its line says so); it is stopped here too, in case it does not finish exiting.
    """
    if log is not None and PASSWORD_MARKER in log:
        return Startup.PASSWORD_NOT_SET
    if not alive:
        return Startup.EXITED
    password_set = log is None or READY_MARKER in log
    if past_deadline:
        return Startup.LEAVE if password_set else Startup.STOP
    return Startup.TRY_BOLT if password_set else Startup.WAIT


def _wait_ready(
    inst: LocalNeo4j, pid: int, secret: str, offset: int | None, deadline: float, waited: float
) -> None:
    """Wait for the socket, then (for a fresh start) the launcher's ready line, then Bolt."""
    while True:
        log = None if offset is None else _log_since(inst, offset)
        alive = _is_our_server(pid, inst, spawned=offset is not None)
        if not alive:  # A second look: one glimpse of a process in transition is no exit.
            time.sleep(0.5)
            alive = _is_our_server(pid, inst, spawned=offset is not None)
        step = startup(alive=alive, log=log, past_deadline=time.monotonic() > deadline)
        if step is Startup.TRY_BOLT:
            if _port_open(inst.bolt_port) and _driver_ready(inst, secret):
                return
        elif step is not Startup.WAIT:
            last = f"Last lines of {inst.log_file}:\n{tail(_log_since(inst, offset or 0), 60)}"
            if step is Startup.LEAVE:
                raise NeoServerError(
                    f"Neo4j ({inst.name}, pid {pid}) is not ready on {uri(inst)} after "
                    f"{waited:.0f}s; its password is set and it is left running. {last}"
                )
            if alive:
                _terminate(inst, pid)
            if step is Startup.EXITED:
                raise NeoServerError(
                    f"Neo4j ({inst.name}) exited while starting ({_what_proc_shows(pid)}). {last}"
                )
            if step is Startup.PASSWORD_NOT_SET:
                raise NeoServerError(
                    f"Neo4j ({inst.name}) could not set the neo4j user's password from "
                    f"{inst.password_file}, and stopped rather than answer on the password "
                    f"the user had. {last}"
                )
            raise NeoServerError(
                f"Neo4j ({inst.name}, pid {pid}) had not set its password after {waited:.0f}s, "
                f"and was stopped rather than left answering on the password the user had. "
                f"{last}"
            )
        time.sleep(0.25)


def start(inst: LocalNeo4j, wait_seconds: float = 300) -> None:
    """Start the instance's server and wait until Bolt accepts an authenticated connection.

    Idempotent: if it is already running this only waits for it to be ready. Installs
    first if needed. Raises NeoServerError if the port is taken by something else, if the
    JVM dies while starting (with the tail of its log), if the launcher could not set the
    password (it stops itself), or after `wait_seconds` (a server this call started is
    stopped if its password is not set by then, so none is left on the default one).

    Five minutes by default: on a shared two-core machine a start after a crash has spent
    over two minutes before its password was set, and a server that is not ready by the
    deadline is no longer left running for a later start to adopt.
    """
    deadline = time.monotonic() + wait_seconds
    base = install()
    java_home = find_java()
    secret = password(inst)
    with locked(inst.lock_file):
        pid = server_pid(inst)
        if pid is not None:
            inst.pid_file.write_text(f"{pid}\n")
            _wait_ready(inst, pid, secret, None, deadline, wait_seconds)
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
        # The launcher's own bound on its password step: what is left of this wait.
        command = _jvm_command(inst, java_home, base, deadline - time.monotonic())
        pid = _spawn_detached(command, inst.log_file, inst.folder)
        inst.pid_file.write_text(f"{pid}\n")
        _wait_ready(inst, pid, secret, offset, deadline, wait_seconds)


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
        _terminate(inst, pid, timeout)
        return True


def _terminate(inst: LocalNeo4j, pid: int, timeout: float = 60) -> None:
    """SIGTERM, then SIGKILL after `timeout`; the caller holds the instance's lock."""
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


def status(inst: LocalNeo4j) -> str:
    """ "running (pid N) on bolt://127.0.0.1:P", "starting (pid N)" or "stopped"."""
    pid = server_pid(inst)
    if pid is None:
        return "stopped"
    if _port_open(inst.bolt_port):
        return f"running (pid {pid}) on {uri(inst)}"
    return f"starting (pid {pid})"
