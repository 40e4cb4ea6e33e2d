"""Feed ingest benchmark (issue 5): throughput and peak memory of `contactgraph ingest`.

    # 1. a database already holding 100,000 synthetic children (seed 1), on its own instance
    export CONTACTGRAPH_NEO4J_INSTANCE=feedbench CONTACTGRAPH_NEO4J_PORT=7737 \\
           CONTACTGRAPH_NEO4J_HEAP=3g CONTACTGRAPH_NEO4J_PAGECACHE=3g
    .local/venv/bin/contactgraph migrate
    .local/venv/bin/contactgraph seed --children 100000 --seed 1

    # 2. a mixed feed file, streamed to disk (about 330 bytes a record)
    .local/venv/bin/python -m bench.ingest_bench generate --records 1000000 \\
        --existing 100000 --out .local/bench/feed-1m.ndjson

    # 3. ingest it as a separate process, measuring wall time and peak RSS (VmHWM)
    .local/venv/bin/python -m bench.ingest_bench run .local/bench/feed-1m.ndjson

    # or: the ingest, then the write floor of the same file (bench/write_floor.py), and
    # the ratio of the two, each phase from the same store files (put back from DIR, taken
    # there first if absent), four rounds
    .local/venv/bin/python -m bench.ingest_bench delta .local/bench/feed-1m.ndjson \\
        --snapshot .local/bench/snap-100k --rounds 4

The file is a mix a source system would plausibly send: its own services and staff
first, then children (new ones, and corrections of earlier ones with a new address),
carers, involvements for its own children (`child.ref`, often thousands of lines and
several chunks back) and for children already on the index (`child.nhsNumber` of the
seeded population), ENDs of earlier STARTs, a few CAF registrations, and about 0.3%
broken records (bad NHS check digit, impossible date, unknown service, malformed JSON)
that must be rejected alone. Generation is deterministic for a seed and streams: memory
stays flat whatever --records is.

`run` reports records per second over the whole file (accepted, unchanged, rejected
and held alike: every record is read, validated, looked up and decided), the
ingest process's peak resident set size, read from /proc while it runs, and the CPU time
each record cost the ingest process and the local Neo4j server: on two cores, 20,000
records/s leaves the two together 100 µs a record.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import resource
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import orjson

from bench.procs import cpu_seconds, local_neo4j_pid, steal_seconds
from seed.hannah import add_years
from seed.synthetic.people import nhs_numbers

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / ".local" / "bench"

_LAS = ("NBR", "EVL", "SMR", "WFD")
_AREAS = {"NBR": "NB", "EVL": "EV", "SMR": "SQ", "WFD": "WX"}
_INWARD = "ABDEFGHJLNPQRSTUWXYZ"
_KINDS = ("SCHOOL", "EARLY_YEARS", "YOUTH_SERVICE", "SOCIAL_CARE", "VOLUNTARY", "HOUSING")
_STREETS = ("Road", "Street", "Close", "Avenue", "Lane", "Drive", "Way", "Grove", "Court")
_SYLLABLES = (
    "al", "an", "ar", "ba", "be", "bro", "ca", "cha", "da", "de", "el", "en", "fa", "fer",
    "ga", "gor", "ha", "hol", "in", "ja", "ka", "kel", "la", "le", "lo", "ma", "mer", "mi",
    "na", "ne", "no", "ol", "pa", "per", "ra", "ren", "ro", "sa", "se", "sha", "ta", "ten",
    "tho", "va", "ver", "wa", "wes", "ya", "za", "zel",
)  # fmt: skip
_SUFFIXES = ("ton", "ley", "son", "well", "field", "by", "wood", "more", "ham", "ridge")
_RELATIONSHIPS = (
    ("mother", True),
    ("father", True),
    ("grandparent", False),
    ("foster carer", False),
)
# Record mix, in percent of the file after the services and staff.
_MIX = (
    ("child", 22.0),
    ("child_update", 3.0),
    ("carer", 20.0),
    ("start", 37.0),
    ("end", 15.0),
    ("assessment", 1.0),
    ("invalid", 0.3),
    ("resend", 1.7),
)


def _given(rng: random.Random) -> str:
    return (rng.choice(_SYLLABLES) + rng.choice(_SYLLABLES)).capitalize()


def _family(rng: random.Random) -> str:
    return (rng.choice(_SYLLABLES) + rng.choice(_SYLLABLES) + rng.choice(_SUFFIXES)).capitalize()


def _postcode(rng: random.Random, la: str) -> str:
    return (
        f"{_AREAS[la]}{rng.randint(2, 19)} "
        f"{rng.randint(1, 9)}{rng.choice(_INWARD)}{rng.choice(_INWARD)}"
    )


def _address(rng: random.Random, la: str) -> dict[str, Any]:
    return {
        "line1": f"{rng.randint(1, 200)} {_family(rng)} {rng.choice(_STREETS)}",
        "town": {"NBR": "Northbridge", "EVL": "Eastvale", "SMR": "Southmoor", "WFD": "Westfield"}[
            la
        ],
        "postcode": _postcode(rng, la),
    }


@dataclass
class _Child:
    ref: str
    payload: dict[str, Any]


def _line(source_ref: str, op: str, payload: dict[str, Any]) -> bytes:
    return orjson.dumps({"sourceRef": source_ref, "op": op, "payload": payload}) + b"\n"


def generate(
    records: int, existing: int, seed: int, today: date, population_seed: int = 1
) -> Iterator[bytes]:
    """NDJSON lines of a mixed feed; `existing` seeded children are referred to by NHS number.

    `population_seed` is the --seed the database was seeded with: seed.synthetic hands
    out NHS numbers in a fixed order per seed, so the first `existing` are the seeded
    children's and the file's new children take the numbers after them (no collisions).
    """
    rng = random.Random(f"feed-bench:{seed}")
    numbers = nhs_numbers(population_seed)
    seeded = [next(numbers) for _ in range(existing)]  # children of `contactgraph seed`
    seeded_nhs = [n for n in seeded if n is not None]

    services: list[tuple[str, list[str]]] = []
    emitted = 0
    for la in _LAS:
        for kind in _KINDS:
            for k in range(3):
                service_id = f"s-bench-{la.lower()}-{kind.lower()}-{k}"
                staff = [f"p-bench-{la.lower()}-{kind.lower()}-{k}-{j}" for j in range(4)]
                services.append((service_id, staff))
                yield _line(
                    f"svc:{service_id}",
                    "UPSERT_SERVICE",
                    {
                        "id": service_id,
                        "name": f"{_family(rng)} {kind.replace('_', ' ').title()}",
                        "kind": kind,
                        "localAuthority": la,
                        "contact": {
                            "phone": f"01632 960{rng.randrange(1000):03d}",
                            "email": f"office@{service_id}.example.org",
                            "address": _address(rng, la),
                        },
                    },
                )
                emitted += 1
                for person in staff:
                    yield _line(
                        f"staff:{person}",
                        "UPSERT_PRACTITIONER",
                        {
                            "id": person,
                            "name": f"{_given(rng)} {_family(rng)}",
                            "jobTitle": "Key Worker",
                            "serviceId": service_id,
                            "contact": {
                                "phone": f"07700 900{rng.randrange(1000):03d}",
                                "email": f"{person}@example.org",
                            },
                        },
                    )
                    emitted += 1

    children: deque[_Child] = deque(maxlen=50_000)
    open_starts: deque[tuple[str, date]] = deque(maxlen=50_000)
    sent: deque[bytes] = deque(maxlen=20_000)  # recent lines, re-sent unchanged
    kinds = [k for k, _ in _MIX]
    weights = [w for _, w in _MIX]
    counter = 0
    oldest = add_years(today, -18) + timedelta(days=1)
    span = (today - oldest).days

    def child_ref() -> dict[str, str]:
        if children and (not seeded_nhs or rng.random() < 0.6):
            return {"ref": children[int(rng.random() * len(children))].ref}
        return {"nhsNumber": seeded_nhs[int(rng.random() * len(seeded_nhs))]}

    while emitted < records:
        counter += 1
        kind = rng.choices(kinds, weights)[0]
        if kind in ("child_update", "carer", "start", "assessment") and not children:
            kind = "child"
        if kind == "end" and not open_starts:
            kind = "start"
        if kind == "resend" and not sent:
            kind = "child"
        line: bytes
        if kind == "child":
            la = _LAS[int(rng.random() * 4)]
            born = oldest + timedelta(days=rng.randint(0, span - 1))
            payload: dict[str, Any] = {
                "givenName": _given(rng),
                "familyName": _family(rng),
                "dateOfBirth": born.isoformat(),
                "gender": rng.choice(("FEMALE", "MALE")),
                "address": _address(rng, la),
                "localAuthority": la,
            }
            number = next(numbers)
            if number is not None:
                payload["nhsNumber"] = number
            child = _Child(f"ch-{counter}", payload)
            children.append(child)
            line = _line(child.ref, "UPSERT_CHILD", payload)
        elif kind == "child_update":
            child = children[int(rng.random() * len(children))]
            la = child.payload["localAuthority"]
            child.payload = {**child.payload, "address": _address(rng, la)}  # a house move
            line = _line(child.ref, "UPSERT_CHILD", child.payload)
        elif kind == "carer":
            relationship, responsibility = rng.choice(_RELATIONSHIPS)
            line = _line(
                f"cr-{counter}",
                "UPSERT_CARER",
                {
                    "child": child_ref(),
                    "id": f"carer-{counter}",
                    "name": f"{_given(rng)} {_family(rng)}",
                    "relationship": relationship,
                    "parentalResponsibility": responsibility,
                    "livesWithChild": rng.random() < 0.8,
                    "contact": {"phone": f"07700 900{rng.randrange(1000):03d}"},
                },
            )
        elif kind == "start":
            service_id, staff = services[int(rng.random() * len(services))]
            started = today - timedelta(days=rng.randint(0, 1500))
            payload = {
                "child": child_ref(),
                "serviceId": service_id,
                "startedOn": started.isoformat(),
            }
            if rng.random() < 0.7:
                payload["practitionerId"] = staff[int(rng.random() * len(staff))]
            ref = f"st-{counter}"
            open_starts.append((ref, started))
            line = _line(ref, "START_INVOLVEMENT", payload)
        elif kind == "end":
            index = int(rng.random() * len(open_starts))
            ref, started = open_starts[index]
            del open_starts[index]
            ended = started + timedelta(days=rng.randint(0, max(0, (today - started).days)))
            line = _line(
                f"en-{counter}",
                "END_INVOLVEMENT",
                {"involvementRef": ref, "endedOn": ended.isoformat()},
            )
        elif kind == "assessment":
            _, staff = services[int(rng.random() * len(services))]
            line = _line(
                f"caf-{counter}",
                "REGISTER_ASSESSMENT",
                {
                    "child": child_ref(),
                    "holderPractitionerId": staff[0],
                    "startedOn": (today - timedelta(days=rng.randint(0, 400))).isoformat(),
                    "status": "OPEN",
                },
            )
        elif kind == "resend":
            line = sent[int(rng.random() * len(sent))]
        else:
            line = _invalid(rng, counter, services, today)
        if kind not in ("resend", "invalid"):
            sent.append(line)
        emitted += 1
        yield line


def _invalid(
    rng: random.Random, counter: int, services: list[tuple[str, list[str]]], today: date
) -> bytes:
    choice = rng.randrange(4)
    if choice == 0:
        return (
            b'{"sourceRef": "broken-'
            + str(counter).encode()
            + b'", "op": "UPSERT_CHILD", "payload": {\n'
        )
    if choice == 1:
        return _line(
            f"bad-{counter}",
            "UPSERT_CHILD",
            {
                "nhsNumber": "9990000001",  # fails the modulus 11 check
                "givenName": "Bad",
                "familyName": "Checkdigit",
                "dateOfBirth": "2015-01-01",
                "gender": "FEMALE",
                "address": {"line1": "1 Nowhere Road", "postcode": "NB1 1AA"},
                "localAuthority": "NBR",
            },
        )
    if choice == 2:
        return _line(
            f"bad-{counter}",
            "START_INVOLVEMENT",
            {"child": {"nhsNumber": "9990001014"}, "serviceId": "s-no-such-service",
             "startedOn": today.isoformat()},
        )  # fmt: skip
    return _line(
        f"bad-{counter}",
        "START_INVOLVEMENT",
        {
            "child": {"nhsNumber": "9990001014"},
            "serviceId": services[0][0],
            "startedOn": "2024-02-30",
        },
    )


def cmd_generate(args: argparse.Namespace) -> int:
    out = Path(args.out) if args.out else OUT_DIR / f"feed-{args.records}.ndjson"
    out.parent.mkdir(parents=True, exist_ok=True)
    today = date.fromisoformat(args.today) if args.today else date.today()
    started = time.perf_counter()
    size = 0
    with out.open("wb", buffering=1 << 20) as handle:
        for line in generate(
            args.records, args.existing, args.seed, today, population_seed=args.population_seed
        ):
            handle.write(line)
            size += len(line)
    print(
        f"wrote {args.records:,} records ({size / 1e6:,.0f} MB) to {out} "
        f"in {time.perf_counter() - started:.1f}s"
    )
    return 0


def _peak_rss_kb(pid: int) -> int:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    match = re.search(r"^VmHWM:\s+(\d+) kB", text, re.M)
    return int(match.group(1)) if match else 0


@dataclass(frozen=True)
class IngestRun:
    """One `contactgraph ingest` of a file, as a separate process, measured from outside."""

    lines: int
    wall: float
    peak_rss_kb: int
    ingest_cpu: float  # the ingest process's CPU seconds
    server_cpu: float | None  # the local Neo4j server's, if it is local
    output: str
    returncode: int

    @property
    def rate(self) -> float:
        return self.lines / self.wall

    def summary(self) -> str:
        cpu = f"CPU per record: ingest process {1e6 * self.ingest_cpu / self.lines:,.0f} µs"
        if self.server_cpu is not None:
            cpu += f", Neo4j server {1e6 * self.server_cpu / self.lines:,.0f} µs"
        return (
            f"bench: {self.lines:,} records in {self.wall:.1f}s wall = {self.rate:,.0f} "
            f"records/s (process start and connection included); peak RSS "
            f"{self.peak_rss_kb / 1024:,.0f} MB\nbench: {cpu} ({os.cpu_count()} cores: 1e6 µs "
            "a second each)"
        )


def run_ingest(path: Path, source: str, batch_size: int) -> IngestRun:
    """`contactgraph ingest` of this checkout (python -m api.cli, not whichever checkout
    installed the console script), with its peak RSS read from /proc while it runs."""
    command = [
        sys.executable, "-m", "api.cli", "ingest", str(path), "--source", source,
        "--batch-size", str(batch_size), "--quiet",
    ]  # fmt: skip
    peak = 0
    server = local_neo4j_pid()
    server_cpu = cpu_seconds(server) if server else None
    children_cpu = _children_cpu()
    started = time.perf_counter()
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, text=True, env=os.environ.copy(), cwd=ROOT
    )
    done = threading.Event()

    def watch() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _peak_rss_kb(process.pid))
            done.wait(0.2)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    output, _ = process.communicate()
    peak = max(peak, _peak_rss_kb(process.pid))
    done.set()
    elapsed = time.perf_counter() - started
    ingest_cpu = _children_cpu() - children_cpu
    server_used = cpu_seconds(server) if server else None
    lines = sum(1 for _ in path.open("rb"))
    return IngestRun(
        lines, elapsed, peak, ingest_cpu,
        server_used - server_cpu if server_cpu is not None and server_used is not None else None,
        output, process.returncode,
    )  # fmt: skip


def cmd_run(args: argparse.Namespace) -> int:
    run = run_ingest(Path(args.file), args.source, args.batch_size)
    print(run.output, end="")
    print("\n" + run.summary())
    return run.returncode


def cmd_delta(args: argparse.Namespace) -> int:
    """Ingest throughput against the write floor of the same file, in one sitting.

    First an untimed ingest that keeps every write batch it sends (bench/write_floor.py
    `record`). Then the timed ingest, and the replay of the kept batches alone
    (`measure`): the floor is the file's lines over the replay's wall time, the fastest
    this file's writes went into this server, one transaction after another as an ingest
    sends them, with no reading, validating, lookups, planning, lock or audit. The CPU
    ceiling beside it is what the replay's Neo4j CPU a record would allow if Neo4j had
    every core.

    With --snapshot, every phase starts from the same files (bench/store_snapshot.py: the
    store as it was when the snapshot was taken, put back and the server started cold),
    and each timed phase is preceded by the same warming pass (the first --warm-batches
    kept batches, run and rolled back); --rounds repeats the two timed phases. Without it,
    each phase starts from the store as it was, what the source wrote removed in between
    (`clean`), and the floor's warming pass runs every batch.
    """
    from bench import store_snapshot, write_floor

    path = Path(args.file)
    kept = OUT_DIR / f"{path.stem}.writes.pickle"
    kept.parent.mkdir(parents=True, exist_ok=True)
    snapshot = Path(args.snapshot) if args.snapshot else None

    def fresh() -> None:
        if snapshot is None:
            print(f"delta: clean: {_clean(args.source):.1f}s", flush=True)
        else:
            print(f"delta: store put back: {store_snapshot.restore(snapshot):.1f}s", flush=True)

    if snapshot is not None and not snapshot.is_dir():
        print(f"delta: snapshot taken: {store_snapshot.take(snapshot):.1f}s", flush=True)
    fresh()
    # Without a snapshot the untimed ingest also warms the server for the timed one, as
    # the replay's own warming pass does for the floor.
    recorder = subprocess.run(
        [sys.executable, "-m", "bench.write_floor", "record", str(path), "--out", str(kept),
         "--source", args.source],
        cwd=ROOT, env=os.environ.copy(), stdout=subprocess.PIPE, text=True, check=False,
    )  # fmt: skip
    if recorder.returncode != 0:
        print(recorder.stdout)
        return recorder.returncode
    ratios: list[float] = []
    for n in range(1, args.rounds + 1):
        # With --rounds, every other round takes the floor first: a machine that drifts
        # during a round (a shared VM's steal) favours each phase as often.
        phases: dict[str, Any] = {}
        for phase in ("ingest", "floor") if n % 2 else ("floor", "ingest"):
            fresh()
            stolen = steal_seconds()
            if phase == "ingest":
                if snapshot is not None:
                    seconds = write_floor.warm(kept, args.warm_batches)
                    print(f"delta: warming pass before the ingest: {seconds:.1f}s", flush=True)
                stolen = steal_seconds()
                run = phases["ingest"] = run_ingest(path, args.source, args.batch_size)
                print(run.output, end="")
                print(run.summary(), flush=True)
                if run.returncode != 0:
                    return run.returncode
            else:
                limit = args.warm_batches if snapshot is not None else None
                floor = phases["floor"] = write_floor.measure(kept, warm_limit=limit)
                print(
                    f"write floor: {floor.records:,} records written in {floor.transactions} "
                    f"transactions, {floor.wall:.1f}s (query {floor.in_query:.1f}s, commit "
                    f"{floor.in_commit:.1f}s), Neo4j CPU {1e6 * floor.cpu / floor.records:,.0f} "
                    "µs a record",
                    flush=True,
                )
            print(f"delta: {phase}: steal {steal_seconds() - stolen:.1f}s", flush=True)
        run, floor = phases["ingest"], phases["floor"]
        floor_rate = run.lines / floor.wall
        ratios.append(run.rate / floor_rate)
        ingest_cpu = 1e6 * (run.ingest_cpu + (run.server_cpu or 0.0)) / run.lines
        print(
            f"delta: round {n}: ingest {run.rate:,.0f} records/s; floor {floor_rate:,.0f} "
            f"records/s (the same {run.lines:,} lines); ratio {ratios[-1]:.0%}; by CPU a "
            f"record {1e6 * floor.cpu / floor.records / ingest_cpu:.0%}; CPU ceiling "
            f"{floor.ceiling:,.0f} records/s (ratio {run.rate / floor.ceiling:.0%})",
            flush=True,
        )
    fresh()
    if not args.keep_batches:
        kept.unlink()
    if len(ratios) > 1:
        print(
            f"delta: {len(ratios)} rounds, ratio mean {sum(ratios) / len(ratios):.0%} "
            f"(from {min(ratios):.0%} to {max(ratios):.0%})"
        )
    return 0


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# Everything one source wrote, in the server's own batches (a source's data can be big).
_CLEAN = (
    "MATCH (c:Child) WHERE c.source = $source "
    "CALL (c) { OPTIONAL MATCH (c)<-[:OF|ABOUT]-(x:Involvement|Assessment) DETACH DELETE x, c } "
    "IN TRANSACTIONS OF 2000 ROWS",
    "MATCH (n:Involvement|Assessment|Carer|Practitioner|Service|MatchReview) "
    "WHERE n.source = $source CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 5000 ROWS",
    "MATCH (f:FeedRecord {source: $source}) CALL (f) { DELETE f } IN TRANSACTIONS OF 10000 ROWS",
)


def _clean(source: str) -> float:
    """Remove what one source wrote; returns the seconds it took."""
    import neo4j

    from graph.connection import target_from_env

    target = target_from_env(os.environ.get("CONTACTGRAPH_NEO4J_INSTANCE", "dev"))
    started = time.perf_counter()
    with neo4j.GraphDatabase.driver(target.uri, auth=target.auth) as driver:
        for statement in _CLEAN:
            # The outer query of CALL { } IN TRANSACTIONS lives as long as all its batches.
            query = neo4j.Query(statement, timeout=3600)  # type: ignore[arg-type]
            with driver.session(database=target.database) as session:
                session.run(query, source=source).consume()
    return time.perf_counter() - started


def cmd_clean(args: argparse.Namespace) -> int:
    """Remove what one source wrote, so the next run starts from the seeded database."""
    elapsed = _clean(args.source)
    print(f"removed source {args.source} in {elapsed:.1f}s")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ingest_bench", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    gen = sub.add_parser("generate", help="write a mixed NDJSON feed file")
    gen.add_argument("--records", type=int, default=1_000_000)
    gen.add_argument("--existing", type=int, default=100_000, help="children seeded with --seed")
    gen.add_argument("--seed", type=int, default=1, help="varies the file")
    gen.add_argument(
        "--population-seed", type=int, default=1, help="the --seed of `contactgraph seed`"
    )
    gen.add_argument("--today", default=None)
    gen.add_argument("--out", default=None)
    gen.set_defaults(func=cmd_generate)
    run = sub.add_parser("run", help="ingest a file with `contactgraph ingest`, measured")
    run.add_argument("file")
    run.add_argument("--source", default="bench-mis")
    run.add_argument("--batch-size", type=int, default=5000)
    run.set_defaults(func=cmd_run)
    delta = sub.add_parser("delta", help="ingest a file, then the write floor of the same file")
    delta.add_argument("file")
    delta.add_argument("--source", default="bench-mis")
    delta.add_argument("--batch-size", type=int, default=5000)
    delta.add_argument("--keep-batches", action="store_true", help="keep the recorded batches")
    delta.add_argument(
        "--snapshot",
        default=None,
        help="a folder: every phase starts from the store saved there (taken first if absent)",
    )
    delta.add_argument("--rounds", type=int, default=1, help="timed ingest and floor pairs")
    delta.add_argument(
        "--warm-batches", type=int, default=40, help="with --snapshot: the warming pass's batches"
    )
    delta.set_defaults(func=cmd_delta)
    clean = sub.add_parser("clean", help="remove everything one source wrote")
    clean.add_argument("--source", required=True)
    clean.set_defaults(func=cmd_clean)
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
