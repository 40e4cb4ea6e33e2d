"""Whether a pid is this instance's server, from what /proc shows of it.

A start once took a healthy JVM for one that had exited ("exited while starting", with
nothing in the log): it looked at the process while the kernel was replacing its image
(`execve`), when /proc shows an empty command line. A pid the start has just spawned
counts as alive then; a pid found by scanning /proc never does (kernel threads have empty
command lines). The real process is checked once too: this test's own interpreter.
"""

from __future__ import annotations

import os
from pathlib import Path

from localneo4j import LocalNeo4j
from localneo4j.process import LAUNCHER_CLASS, is_launcher

INST = LocalNeo4j(name="probe", bolt_port=7999)
RUNNING = "4242 (java) S 1 4242 4242 0 -1 4194560 ..."
ZOMBIE = "4242 (java) Z 1 4242 4242 0 -1 4194560 ..."


def _cmdline(*args: str) -> bytes:
    return b"\0".join(a.encode() for a in args) + b"\0"


LAUNCHER = _cmdline("java", "-Xmx1g", LAUNCHER_CLASS, "--home", str(INST.folder), "--port", "7999")


def test_the_launcher_of_this_folder_is_ours_while_it_lives() -> None:
    assert is_launcher(RUNNING, LAUNCHER, INST)
    assert not is_launcher(ZOMBIE, LAUNCHER, INST)
    assert not is_launcher(ZOMBIE, LAUNCHER, INST, spawned=True)


def test_another_instance_or_program_is_not() -> None:
    other = _cmdline("java", LAUNCHER_CLASS, "--home", str(INST.folder) + "2")
    assert not is_launcher(RUNNING, other, INST)
    assert not is_launcher(RUNNING, _cmdline("python", "-m", "pytest"), INST, spawned=True)


def test_an_empty_command_line_is_alive_only_for_the_pid_just_spawned() -> None:
    assert is_launcher(RUNNING, b"", INST, spawned=True)
    assert not is_launcher(RUNNING, b"", INST)


def test_read_from_a_real_process() -> None:
    stat = Path(f"/proc/{os.getpid()}/stat").read_text()
    cmdline = Path(f"/proc/{os.getpid()}/cmdline").read_bytes()
    assert not is_launcher(stat, cmdline, INST)
