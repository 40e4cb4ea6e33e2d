"""A bounded loopback soak: the benchmark's mixed workload at a fixed rate, memory sampled.

    .local/venv/bin/python -m bench.soak [--minutes 10] [--rate 100] [--clients 16] [--mode quick]

Issue 8: no errors, and resident memory growth of the API under 10% after warm-up. It
uses the benchmark's dataset, token, request mix and Go load generator (in fixed-rate
mode), starts ContactGraph on loopback, samples its RSS every five seconds, and stops
everything by itself. The verdict and the samples go to bench/results/soak.md.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import threading
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from bench import dataset as ds
from bench.procs import HOST, Servers, terminate_on_signals
from bench.run.options import LOADGEN, LOCAL, PORTS, PURPOSE, REPO, environment, parse_args
from bench.run.prepare import build_loadgen
from bench.run.servers import define_servers
from bench.workloads import Endpoint, requests_for

WARMUP_FRACTION = 0.2
GROWTH_LIMIT = 0.10


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.soak", description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=100.0, help="requests per second")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--mode", choices=["quick", "full"], default="quick")
    own = parser.parse_args(argv)
    if not 0 < own.minutes <= 60 or not 0 < own.rate <= 2000:
        raise SystemExit("a soak is bounded: at most 60 minutes and 2000 requests a second")
    args = parse_args(["--mode", own.mode, "--systems", "contactgraph", "--workloads", "mix"])
    env = environment(args)

    from api.devkeys import issue_token
    from api.settings import load_settings
    from policies.viewer import Role

    duration = own.minutes * 60
    with terminate_on_signals():
        build_loadgen()
        data = ds.ensure_dataset(args.children, args.seed, env)
        sample = ds.sample(data, args.sample, practitioner_id=args.practitioner)
        token = issue_token(
            load_settings(),
            [Role.PRACTITIONER],
            practitioner_id=sample.practitioner_id,
            local_authority=sample.local_authority,
            ttl_seconds=int(duration + 3600),
        )
        headers = {
            "Authorization": f"Bearer {token}",
            "X-Purpose": PURPOSE,
            "Content-Type": "application/json",
        }
        with Servers() as servers:
            defined = define_servers(args, env, lifetime_s=duration + 600)
            api = servers.start(defined["contactgraph"])
            endpoint = Endpoint("contactgraph", f"http://{HOST}:{PORTS['contactgraph']}")
            spec = {
                "name": "soak/contactgraph/mix",
                "headers": headers,
                "requests": requests_for(endpoint, "mix", sample.children, date.today()),
                "concurrency": own.clients,
                "warmup_s": 0,
                "duration_s": duration,
                "max_requests": int(own.rate * duration * 1.1) + 1000,
                "timeout_s": 10,
                "gomaxprocs": 1,
            }
            spec_path = LOCAL / "specs" / "soak.json"
            spec_path.parent.mkdir(parents=True, exist_ok=True)
            spec_path.write_text(json.dumps(spec))
            samples: list[tuple[float, float]] = []
            stop = threading.Event()

            def sampler() -> None:
                start = time.monotonic()
                while not stop.wait(5.0):
                    value = rss_mb(api.pid)
                    if value is not None:
                        samples.append((time.monotonic() - start, value))

            thread = threading.Thread(target=sampler, daemon=True)
            thread.start()
            print(
                f"soaking ContactGraph for {own.minutes:g} min at {own.rate:g} req/s...", flush=True
            )
            done = subprocess.run(
                [str(LOADGEN), "-spec", str(spec_path), "-rate", str(own.rate)],
                capture_output=True,
                text=True,
                timeout=duration + 120,
                cwd=REPO,
            )
            stop.set()
            thread.join()
    if done.returncode != 0:
        raise SystemExit(f"loadgen failed: {done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout)
    after_warmup = [v for t, v in samples if t >= duration * WARMUP_FRACTION]
    baseline = after_warmup[0] if after_warmup else None
    final = samples[-1][1] if samples else None
    growth = (final - baseline) / baseline if baseline and final else None
    ok = result.get("errors", 1) == 0 and growth is not None and growth < GROWTH_LIMIT
    lines = [
        "## Soak (issue 8)",
        "",
        f"- Date: {datetime.now(UTC).isoformat(timespec='seconds')}; {own.minutes:g} min at "
        f"{own.rate:g} req/s, {own.clients} clients, mixed workload (90% profile, 10% search), "
        f"{args.children:,} children",
        f"- Requests: {result.get('count')}, errors: {result.get('errors')}, "
        f"achieved {result.get('rps', 0):.1f} req/s, p50 {result.get('p50_ms', 0):.2f} ms, "
        f"p95 {result.get('p95_ms', 0):.2f} ms, p99 {result.get('p99_ms', 0):.2f} ms",
        f"- API resident memory: {baseline:.1f} MiB after warm-up "
        f"({WARMUP_FRACTION:.0%} of the run), "
        f"{final:.1f} MiB at the end: growth {growth:+.1%} (limit {GROWTH_LIMIT:.0%})"
        if growth is not None
        else "- API resident memory: not sampled",
        f"- Verdict: {'PASS' if ok else 'FAIL'}",
        "",
        "| minute | RSS MiB |",
        "| ---: | ---: |",
        *[f"| {t / 60:.1f} | {v:.1f} |" for t, v in samples[:: max(1, len(samples) // 20)]],
    ]
    text = "\n".join(lines) + "\n"
    out = REPO / "bench" / "results" / "soak.md"
    out.write_text(text)
    print(text)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
