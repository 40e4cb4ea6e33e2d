"""A py-spy profile of ContactGraph under load, and its summary by function."""

from __future__ import annotations

import argparse
import collections
import contextlib
import json
import re
import subprocess
import time
from pathlib import Path
from typing import Any

from bench.procs import Server
from bench.run.measure import loadgen, make_spec, stop_loadgen
from bench.run.options import LOCAL, REPO, VENV_BIN


def py_spy_profile(
    args: argparse.Namespace,
    server: Server,
    requests: list[dict[str, str]],
    headers: dict[str, str],
) -> dict[str, Any]:
    """Profile ContactGraph under the profile workload at 8 clients (not part of the table)."""
    py_spy = VENV_BIN / "py-spy"
    if not py_spy.is_file():
        return {"error": "py-spy is not installed: .local/venv/bin/pip install py-spy"}
    seconds = int(args.py_spy)
    spec = make_spec("contactgraph/profile/c8/py-spy", requests, headers, 8, args)
    spec["warmup_s"] = 2.0
    spec["duration_s"] = float(2 * seconds + 4)
    spec_path = LOCAL / "specs" / "py-spy.json"
    spec_path.write_text(json.dumps(spec))
    raw_path, svg_path = LOCAL / "profile.txt", LOCAL / "profile.svg"
    load = loadgen(spec_path)
    out = ""
    try:
        time.sleep(3)
        for fmt, path in (("raw", raw_path), ("flamegraph", svg_path)):
            subprocess.run(
                [
                    str(py_spy),
                    "record",
                    "--pid",
                    str(server.pid),
                    "--duration",
                    str(seconds),
                    "--rate",
                    "200",
                    "--format",
                    fmt,
                    "--output",
                    str(path),
                ],
                capture_output=True,
                timeout=seconds + 60,
                check=False,
            )
        out, _ = load.communicate(timeout=2 * seconds + 80)
    except subprocess.TimeoutExpired:
        pass
    finally:
        stop_loadgen(load)
    summary = summarise_profile(raw_path)
    with contextlib.suppress(ValueError, KeyError):
        summary["load_while_profiling"] = {
            k: json.loads(out)[k] for k in ("rps", "p50_ms", "p95_ms")
        }
    summary["files"] = [str(raw_path.relative_to(REPO)), str(svg_path.relative_to(REPO))]
    (LOCAL / "profile-top.json").write_text(json.dumps(summary, indent=2))
    return summary


_LINE = re.compile(r":\d+\)$")


def summarise_profile(path: Path, top: int = 25) -> dict[str, Any]:
    """Self and inclusive sample shares per function from py-spy's collapsed stacks."""
    self_counts: collections.Counter[str] = collections.Counter()
    incl_counts: collections.Counter[str] = collections.Counter()
    total = 0
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return {"error": f"no profile at {path}"}
    for line in lines:
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_LINE.sub(")", f.strip()) for f in stack.split(";") if f.strip()]
        frames = [re.sub(r"\(\S*/(site-packages|lib/python3\.\d+|main)/", "(", f) for f in frames]
        if not frames:
            continue
        total += count
        self_counts[frames[-1]] += count
        for frame in set(frames):
            incl_counts[frame] += count

    def share(counter: collections.Counter[str]) -> list[list[Any]]:
        return (
            [[name, round(100 * n / total, 1)] for name, n in counter.most_common(top)]
            if total
            else []
        )

    return {
        "samples": total,
        "self_percent": share(self_counts),
        "inclusive_percent": share(incl_counts),
    }
