"""Before measuring: the Go load generator built, the npm peer installed, the git state."""

from __future__ import annotations

import os
import shutil
import subprocess

from bench.run.options import LOADGEN, LOADGEN_SRC, LOCAL, NPM_PEER, PURPOSE, REPO


def build_loadgen() -> None:
    go = shutil.which("go")
    if go is None:
        raise SystemExit("the load generator needs Go (https://go.dev/dl/); `go` is not on PATH")
    LOCAL.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, GOFLAGS="-mod=mod", GOPROXY="off", GOTOOLCHAIN="local", CGO_ENABLED="0")
    done = subprocess.run(
        [go, "build", "-o", str(LOADGEN), "."],
        cwd=LOADGEN_SRC,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"building bench/loadgen failed:\n{done.stdout}{done.stderr}")


def install_npm_peer() -> None:
    """`npm ci` when node_modules is missing or older than package-lock.json."""
    installed = NPM_PEER / "node_modules" / ".package-lock.json"
    lock = NPM_PEER / "package-lock.json"
    if installed.is_file() and installed.stat().st_mtime >= lock.stat().st_mtime:
        return
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        raise SystemExit("the @neo4j/graphql peer needs Node 20+ and npm on PATH")
    print("installing the @neo4j/graphql peer (npm ci)...", flush=True)
    done = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund"], cwd=NPM_PEER, timeout=900, check=False
    )
    if done.returncode != 0:
        raise SystemExit("npm ci in bench/neo4j-graphql failed")


def git_state() -> str:
    def git(*a: str) -> str:
        out = subprocess.run(["git", *a], cwd=REPO, capture_output=True, text=True, check=False)
        return out.stdout.strip()

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--untracked-files=no")
    return f"{head}{' with uncommitted changes' if dirty else ''}"


def viewer_headers(
    practitioner_id: str, local_authority: str | None, ttl_seconds: int
) -> dict[str, str]:
    """The benchmark viewer's request headers: a dev token for the sampled practitioner."""
    from api.devkeys import issue_token
    from api.settings import load_settings
    from policies.viewer import Role

    token = issue_token(
        load_settings(),
        [Role.PRACTITIONER],
        practitioner_id=practitioner_id,
        local_authority=local_authority,
        ttl_seconds=ttl_seconds,
    )
    return {
        "Authorization": f"Bearer {token}",
        "X-Purpose": PURPOSE,
        "Content-Type": "application/json",
    }
