"""Finding a JDK that can run, and compile the launcher against, the pinned Neo4j."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from localneo4j.errors import NeoServerError
from localneo4j.files import neo4j_version

__all__ = ["find_java", "java_major", "required_java"]


def required_java(version: str) -> int:
    """Neo4j 5.x runs on Java 17; calendar versions (2025.01 and later) need Java 21."""
    return 17 if version.startswith("5.") else 21


def java_major(home: Path) -> int | None:
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
    need = required_java(version)
    found: list[tuple[int, Path]] = []
    for home in _java_candidates():
        major = java_major(home)
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
