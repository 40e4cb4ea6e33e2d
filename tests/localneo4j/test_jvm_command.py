"""The local server's command line: extra settings from CONTACTGRAPH_NEO4J_CONF.

Starting the server is exercised by every other test; these check only how the command
is built, so a missing file is refused with its name instead of a JVM stack trace.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from localneo4j import LocalNeo4j, NeoServerError, process


def _command(tmp_path: Path) -> list[str]:
    return process._jvm_command(LocalNeo4j("conftest", 7999), tmp_path, tmp_path)


def test_no_extra_settings_without_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(process.CONF_ENV, raising=False)
    assert "--config" not in _command(tmp_path)


def test_extra_settings_file_is_passed_to_the_launcher(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    conf = tmp_path / "extra.conf"
    conf.write_text("db.index_sampling.background_enabled=false\n")
    monkeypatch.setenv(process.CONF_ENV, str(conf))
    command = _command(tmp_path)
    assert command[command.index("--config") + 1] == str(conf.resolve())


def test_missing_extra_settings_file_is_refused_by_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(process.CONF_ENV, str(tmp_path / "nope.conf"))
    with pytest.raises(NeoServerError, match=r"CONTACTGRAPH_NEO4J_CONF names .*nope\.conf"):
        _command(tmp_path)
