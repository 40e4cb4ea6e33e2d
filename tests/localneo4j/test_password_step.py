"""The launcher never leaves a server answering on a password it could not set.

Bolt opens before the launcher sets the neo4j user's password. When that step fails or
does not finish in time, the launcher exits (status 3, a line saying why) and a start
that spawned it stops it; a start that waited past its deadline for the password stops
the server too. `startup` is that decision, checked case by case; the launcher itself is
run once, for real, with a password Neo4j refuses (too short).
"""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

from localneo4j import LocalNeo4j
from localneo4j.install import install
from localneo4j.java import find_java
from localneo4j.process import PASSWORD_MARKER, READY_MARKER, Startup, _jvm_command, startup

READY = f"... INFO Started.\n{READY_MARKER} bolt://127.0.0.1:7697\n"
STARTING = "... INFO Bolt enabled on 127.0.0.1:7697.\n"
REFUSED = f"{PASSWORD_MARKER}: it did not finish within 120s; stopping rather than serve\n"


def test_a_server_this_start_spawned_is_tried_only_once_its_password_is_set() -> None:
    assert startup(alive=True, log=STARTING, past_deadline=False) is Startup.WAIT
    assert startup(alive=True, log=READY, past_deadline=False) is Startup.TRY_BOLT


def test_one_still_setting_its_password_at_the_deadline_is_stopped() -> None:
    assert startup(alive=True, log=STARTING, past_deadline=True) is Startup.STOP
    assert startup(alive=True, log="", past_deadline=True) is Startup.STOP


def test_one_whose_password_is_set_is_left_running_at_the_deadline() -> None:
    assert startup(alive=True, log=READY, past_deadline=True) is Startup.LEAVE


def test_a_failed_password_step_is_reported_as_such_while_the_server_exits_and_after() -> None:
    for alive in (True, False):
        for past in (True, False):
            step = startup(alive=alive, log=STARTING + REFUSED, past_deadline=past)
            assert step is Startup.PASSWORD_NOT_SET


def test_a_server_that_exits_otherwise_is_reported_as_exited() -> None:
    assert startup(alive=False, log=STARTING, past_deadline=False) is Startup.EXITED
    assert startup(alive=False, log=READY, past_deadline=False) is Startup.EXITED


def test_one_found_already_running_is_someone_elses_start_and_is_never_stopped() -> None:
    """Its log is not this start's to read: the start that spawned it decides."""
    assert startup(alive=True, log=None, past_deadline=False) is Startup.TRY_BOLT
    assert startup(alive=True, log=None, past_deadline=True) is Startup.LEAVE
    assert startup(alive=False, log=None, past_deadline=False) is Startup.EXITED


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_the_launcher_exits_with_status_3_when_neo4j_refuses_the_password(
    tmp_path: Path,
) -> None:
    """A real launcher on a new store of its own: Neo4j refuses a 3-character password,
    and the launcher says so and exits instead of serving on the default one."""
    home, secret = tmp_path / "home", tmp_path / "password"
    home.mkdir()
    secret.write_text("abc\n")
    port = _free_port()
    command = _jvm_command(
        LocalNeo4j("launchertest", port, heap="512m", pagecache="64m"), find_java(), install()
    )
    command[command.index("--home") + 1] = str(home)
    command[command.index("--password-file") + 1] = str(secret)
    done = subprocess.run(
        command, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=600, check=False
    )
    assert done.returncode == 3, done.stdout[-3000:] + done.stderr[-3000:]
    assert f"{PASSWORD_MARKER}: " in done.stdout
    assert READY_MARKER not in done.stdout
    assert "ContactGraphNeo4j: stopped" in done.stdout
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", port)) != 0
