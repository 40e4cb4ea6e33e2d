"""The index-view profile in process, to compare two checkouts of ContactGraph in one run.

    python bench/profile_ab.py --base ../base-checkout [--rounds 3] [--requests 600]

Each round runs this file once in the base checkout and once in this one (alternating, so
machine drift hits both), against the same Neo4j (the instance the environment names;
Hannah's story must be loaded: `contactgraph up` or the test fixtures do it). Each run
builds the app, warms up, then times `--requests` full-profile reads of Hannah and of Sam
as Melanie, through the whole endpoint (token, limits, policy, shaping, audit group
commit), one at a time. The figure is the ratio of medians, this checkout over the base,
per round (and of p95s): it says what a change costs per request, not what the service
can sustain (bench/run/ measures that against its peers).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

# The contract's own fields only, so that both checkouts answer the same document.
DOCUMENT = """
query Profile($id: ID!) { child(id: $id) {
  id givenName familyName dateOfBirth gender shielded
  address { line1 line2 town postcode }
  shieldingContact { phone email }
  carers { id name relationship parentalResponsibility livesWithChild contact { phone email } }
  involvements { id startedOn endedOn active isLeadProfessional source
    service { id name kind sensitive localAuthority contact { phone email } }
    practitioner { id name jobTitle contact { phone email } service { id name } } }
  leadProfessional { id name contact { phone } }
  hasCommonAssessment
  commonAssessments { id status startedOn holder { id name contact { phone } } }
} }
"""


async def _measure(requests: int) -> dict[str, float]:
    import httpx

    from api.app import create_app
    from api.devkeys import issue_token
    from api.settings import load_settings
    from policies.viewer import Role

    # One subject sends every request: the per-subject rate limit would refuse it within
    # seconds (bench/run/servers.py raises it the same way); the limiter still runs.
    settings = dataclasses.replace(load_settings(), rate_limit_cost_per_minute=10**12)
    token = issue_token(settings, [Role.PRACTITIONER], practitioner_id="p-melanie")
    headers = {"Authorization": f"Bearer {token}", "X-Purpose": "benchmark"}
    app = create_app(settings)
    timings: list[float] = []
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            for n in range(requests + 100):
                child = "c-hannah" if n % 2 == 0 else "c-sam"
                started = time.perf_counter()
                response = await client.post(
                    "/graphql",
                    json={"query": DOCUMENT, "variables": {"id": child}},
                    headers=headers,
                )
                elapsed = (time.perf_counter() - started) * 1000
                if "errors" in response.json():
                    raise RuntimeError(response.text[:300])
                if n >= 100:  # the first hundred warm the caches and the JIT of Neo4j
                    timings.append(elapsed)
    return {
        "p50_ms": statistics.median(timings),
        "p95_ms": statistics.quantiles(timings, n=20)[18],
        "mean_ms": statistics.fmean(timings),
    }


def _run(tree: Path, requests: int) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--measure", str(requests)],
        cwd=tree,
        env={**os.environ, "PYTHONPATH": str(tree)},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base", type=Path, help="the other checkout (e.g. a git worktree)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=600)
    parser.add_argument("--measure", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        sys.path.insert(0, os.getcwd())
        print(json.dumps(asyncio.run(_measure(args.measure))))
        return 0
    here = Path(__file__).resolve().parent.parent
    for n in range(1, args.rounds + 1):
        base = _run(args.base.resolve(), args.requests)
        this = _run(here, args.requests)
        ratio = this["p50_ms"] / base["p50_ms"]
        tail = this["p95_ms"] / base["p95_ms"]
        print(
            f"round {n}: base p50 {base['p50_ms']:.2f} ms p95 {base['p95_ms']:.2f} ms, "
            f"this p50 {this['p50_ms']:.2f} ms p95 {this['p95_ms']:.2f} ms, "
            f"ratio p50 {ratio:.2f} p95 {tail:.2f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
