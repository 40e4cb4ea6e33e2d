"""Starting, watching and always stopping the servers a benchmark run needs.

Every server the harness starts:
- binds 127.0.0.1 only (each is started with loopback arguments, and `wait_ready` refuses
  a port that something else already holds, so we never measure a stranger);
- gets SIGTERM from the kernel if the harness itself dies (PR_SET_PDEATHSIG), and
  is stopped by `Servers.stop_all` in a `finally` otherwise: SIGTERM, then SIGKILL after
  a grace period. Our own peers also stop by themselves after a maximum lifetime;
- is watched through /proc: peak resident memory (VmHWM) and CPU seconds (utime+stime).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    import localneo4j

__all__ = [
    "HOST",
    "ProcessStats",
    "Server",
    "ServerError",
    "Servers",
    "cpu_seconds",
    "die_with_parent",
    "local_instance",
    "local_neo4j_pid",
    "peak_rss_mb",
    "port_in_use",
    "project_command",
    "rss_mb",
    "steal_seconds",
    "terminate_on_signals",
]

HOST = "127.0.0.1"
_PR_SET_PDEATHSIG = 1
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class ServerError(RuntimeError):
    """A server could not be started, or died while it was being measured."""


def die_with_parent() -> None:
    """Runs in the child between fork and exec: SIGTERM me when the harness goes away."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((HOST, port)) == 0


def _status_kb(pid: int, key: str) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def peak_rss_mb(pid: int) -> float | None:
    """The process's peak resident set size so far (VmHWM), in MiB."""
    kb = _status_kb(pid, "VmHWM")
    return None if kb is None else round(kb / 1024, 1)


def rss_mb(pid: int) -> float | None:
    """The process's resident set size now (VmRSS), in MiB."""
    kb = _status_kb(pid, "VmRSS")
    return None if kb is None else round(kb / 1024, 1)


def cpu_seconds(pid: int) -> float | None:
    """User plus system CPU time the process and its live descendants have used so far
    (a server with `--workers N` is a supervisor whose workers do the work)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, ValueError, IndexError):
        return None
    total = (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS
    return total + sum(cpu_seconds(child) or 0.0 for child in _children(pid))


def steal_seconds() -> float:
    """CPU time the hypervisor gave other guests while this one wanted it, all cores, so
    far (/proc/stat's steal): on a shared VM a phase's figure moves with it."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()
        return int(fields[8]) / _CLOCK_TICKS
    except (OSError, ValueError, IndexError):
        return 0.0


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, ValueError, IndexError):
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                if int(stat[1]) == pid:
                    found.append(int(entry.name))
    return found


def local_instance(name: str | None = None) -> localneo4j.LocalNeo4j:
    """The named local Neo4j instance (default: CONTACTGRAPH_NEO4J_INSTANCE, else "dev")."""
    import localneo4j

    return localneo4j.instance(name or os.environ.get("CONTACTGRAPH_NEO4J_INSTANCE", "dev"))


def local_neo4j_pid(name: str | None = None) -> int | None:
    """The pid of the named local Neo4j instance if it runs on this machine, so a
    benchmark can count the server's CPU too."""
    import localneo4j

    try:
        return localneo4j.server_pid(local_instance(name))
    except localneo4j.NeoServerError:
        return None


@dataclass
class ProcessStats:
    pid: int
    cpu_at_start: float | None = None

    def start(self) -> None:
        self.cpu_at_start = cpu_seconds(self.pid)

    def cores_used(self, seconds: float) -> float | None:
        """Average CPU cores the process used since start() over `seconds` of wall time."""
        now = cpu_seconds(self.pid)
        if now is None or self.cpu_at_start is None or seconds <= 0:
            return None
        return round((now - self.cpu_at_start) / seconds, 2)


@dataclass
class Server:
    """One server process the harness owns."""

    name: str
    argv: Sequence[str]
    port: int
    ready_path: str
    env: Mapping[str, str]
    cwd: Path
    log_path: Path
    process: subprocess.Popen[bytes] | None = None
    _log: object | None = field(default=None, repr=False)

    @property
    def pid(self) -> int:
        assert self.process is not None, f"{self.name} is not started"
        return self.process.pid

    def start(self) -> None:
        if port_in_use(self.port):
            raise ServerError(
                f"{self.name}: port {self.port} on {HOST} is already in use; stop whatever holds "
                "it (the harness only measures servers it started itself)"
            )
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self._log = log
        self.process = subprocess.Popen(
            list(self.argv),
            cwd=self.cwd,
            env=dict(self.env),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=die_with_parent,
            start_new_session=True,  # a Ctrl-C reaches the harness, which stops us in order
        )

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.rstrip().splitlines()[-lines:])

    def wait_ready(self, timeout_s: float = 90.0) -> None:
        """Poll GET ready_path until it answers 200, or fail with the tail of the log."""
        deadline = time.monotonic() + timeout_s
        url = f"http://{HOST}:{self.port}{self.ready_path}"
        with httpx.Client(timeout=2.0) as client:
            while True:
                if not self.alive():
                    code = self.process.returncode if self.process else None
                    raise ServerError(
                        f"{self.name} exited while starting (exit {code}); "
                        f"last lines of {self.log_path}:\n{self.log_tail()}"
                    )
                with contextlib.suppress(httpx.HTTPError):
                    if client.get(url).status_code == 200:
                        return
                if time.monotonic() > deadline:
                    raise ServerError(
                        f"{self.name} not ready on {url} after {timeout_s:.0f}s; last lines of "
                        f"{self.log_path}:\n{self.log_tail()}"
                    )
                time.sleep(0.25)

    def stop(self, grace_s: float = 15.0) -> None:
        """SIGTERM, wait, then SIGKILL. Only ever signals this server's own pid."""
        process = self.process
        if process is not None and process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
            try:
                process.wait(grace_s)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(5)
        if self._log is not None:
            with contextlib.suppress(OSError):
                self._log.close()  # type: ignore[attr-defined]
            self._log = None


class Servers:
    """The set of servers of one run; `with Servers() as s:` stops them all, whatever happens."""

    def __init__(self) -> None:
        self.started: dict[str, Server] = {}

    def __enter__(self) -> Servers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop_all()

    def start(self, server: Server, timeout_s: float = 90.0) -> Server:
        self.started[server.name] = server
        server.start()
        if server.port:
            server.wait_ready(timeout_s)
        return server

    def stop_all(self) -> None:
        for server in reversed(list(self.started.values())):
            server.stop()

    def __iter__(self) -> Iterator[Server]:
        return iter(self.started.values())


def project_command(
    name: str,
    args: Sequence[str],
    env: Mapping[str, str],
    *,
    port: int = 0,
    ready_path: str = "/healthz",
) -> Server:
    """`contactgraph <args>` of this checkout as a harness server, logged to
    .local/bench-logs/<name>.log; without a port it is a worker (`notify run`,
    `webhooks run`) that `Servers.start` does not wait for."""
    import sys

    root = Path(__file__).resolve().parents[1]
    return Server(
        name,
        [sys.executable, "-m", "api.cli", *args],
        port,
        ready_path if port else "",
        env,
        root,
        root / ".local" / "bench-logs" / f"{name}.log",
    )


@contextlib.contextmanager
def terminate_on_signals() -> Iterator[None]:
    """Turn SIGTERM and SIGHUP into SystemExit, so `finally` blocks stop our servers."""

    def handler(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
