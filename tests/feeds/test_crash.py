"""Crash safety (R15): `contactgraph ingest` killed with SIGKILL part way, then run again.

The real command runs as a subprocess on a generated NDJSON file, in small chunks so
that several commit before the kill. After the re-run every valid record is in the
index exactly once, nothing is duplicated, and the report's `unchanged` is what the
killed run had already committed.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from graph.audit import verify_audit
from graph.nhs_number import with_check_digit
from tests.feeds.conftest import CLI, REPO

CHILDREN = 1500
BATCH = 100


def _write_feed(path: Path, family: str) -> int:
    """Per child: UPSERT_CHILD, UPSERT_CARER, START_INVOLVEMENT and (every other) END."""
    lines = 0
    born = date.today() - timedelta(days=2000)
    with path.open("w") as out:
        for n in range(CHILDREN):
            nhs = with_check_digit(f"99985{n:04d}")
            child: dict[str, Any] = {
                "givenName": f"Kid{n}",
                "familyName": family,
                "dateOfBirth": (born - timedelta(days=n % 900)).isoformat(),
                "gender": "MALE",
                "address": {"line1": f"{n} Crash Road", "postcode": "NB8 3LE"},
                "localAuthority": "NBR",
            }
            if nhs:
                child["nhsNumber"] = nhs
            rows = [
                ("UPSERT_CHILD", f"child-{n}", child),
                (
                    "UPSERT_CARER",
                    f"carer-{n}",
                    {
                        "child": {"ref": f"child-{n}"},
                        "id": f"parent-{n}",
                        "name": f"Parent {n}",
                        "relationship": "father",
                        "parentalResponsibility": True,
                    },
                ),
                (
                    "START_INVOLVEMENT",
                    f"start-{n}",
                    {
                        "child": {"ref": f"child-{n}"},
                        "serviceId": "s-oakfield-school",
                        "startedOn": "2024-09-02",
                    },
                ),
            ]
            if n % 2 == 0:
                rows.append(
                    (
                        "END_INVOLVEMENT",
                        f"end-{n}",
                        {"involvementRef": f"start-{n}", "endedOn": "2025-07-20"},
                    )
                )
            for op, ref, payload in rows:
                out.write(json.dumps({"sourceRef": ref, "op": op, "payload": payload}) + "\n")
                lines += 1
    return lines


def _command(path: Path, source: str) -> list[str]:
    return [
        *CLI,
        "ingest",
        str(path),
        "--source",
        source,
        "--batch-size",
        str(BATCH),
        "--quiet",
    ]


def _feed_records(cypher: Any, source: str) -> int:
    return int(cypher("MATCH (f:FeedRecord {source: $s}) RETURN count(f) AS n", s=source)[0]["n"])


def _wait_until_the_server_is_done_with_it(cypher: Any) -> None:
    """A killed client can leave a commit in flight (a pipelined feed has one chunk
    committing while the next is written): the server finishes or rolls back what the
    dead connection left once it notices. Counting before that would race it."""
    deadline = time.monotonic() + 30
    while True:
        others = cypher(
            "SHOW TRANSACTIONS YIELD transactionId, currentQuery "
            "WHERE NOT currentQuery STARTS WITH 'SHOW TRANSACTIONS' RETURN count(*) AS n"
        )[0]["n"]
        if others == 0:
            return
        assert time.monotonic() < deadline, "the killed ingest's transactions never ended"
        time.sleep(0.05)


def _audited_children(cypher: Any, source: str) -> int:
    """Children of `source` that an ingest audit event names and mentions."""
    return int(
        cypher(
            "MATCH (e:AuditEvent {action: 'ingest', role: 'FEED'}), (m:AuditMention) "
            "WHERE m.key ENDS WITH ' ' + e.id "
            "MATCH (c:Child {id: split(m.key, ' ')[0]}) "
            "WHERE c.source = $s AND c.id IN e.childIds RETURN count(DISTINCT c) AS n",
            s=source,
        )[0]["n"]
    )


async def test_kill_minus_nine_then_rerun_loses_nothing_and_duplicates_nothing(
    graph: Any, tmp_path: Path, feed_source: str, clean_source: Any, cypher: Any
) -> None:
    clean_source(feed_source)
    family = f"Crashtest{feed_source[-6:].replace('-', 'x')}"
    path = tmp_path / "feed.ndjson"
    total = _write_feed(path, family)
    env = dict(os.environ)

    process = subprocess.Popen(
        _command(path, feed_source),
        env=env,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    try:
        # Kill once a few chunks are committed and well before the end.
        while _feed_records(cypher, feed_source) < 3 * BATCH:
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            assert time.monotonic() < deadline, "the ingest made no progress"
            time.sleep(0.05)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(30)
    assert process.returncode == -signal.SIGKILL
    _wait_until_the_server_is_done_with_it(cypher)
    written_before = _feed_records(cypher, feed_source)
    assert 0 < written_before < total, "the kill must land part way through the file"
    # Chunks are all or nothing: every committed record has its FeedRecord and vice versa.
    children_before = cypher(
        "MATCH (c:Child) WHERE c.source = $s RETURN count(c) AS n", s=feed_source
    )[0]["n"]
    child_records = cypher(
        "MATCH (f:FeedRecord {source: $s, op: 'UPSERT_CHILD'}) RETURN count(f) AS n", s=feed_source
    )[0]["n"]
    assert children_before == child_records
    # ... and so is each chunk's audit event (R14), which commits in the chunk's transaction.
    assert _audited_children(cypher, feed_source) == children_before

    rerun = subprocess.run(
        _command(path, feed_source), env=env, cwd=REPO, capture_output=True, text=True, timeout=240
    )
    assert rerun.returncode == 0, rerun.stderr
    report = {
        name: int(count.replace(",", ""))
        for name, count in re.findall(
            r"^\s+(accepted|unchanged|rejected)\s+([\d,]+)", rerun.stdout, re.M
        )
    }
    assert report == {
        "accepted": total - written_before,
        "unchanged": written_before,
        "rejected": 0,
    }, rerun.stdout

    assert _feed_records(cypher, feed_source) == total
    counts = cypher(
        """
        MATCH (c:Child) WHERE c.source = $s
        OPTIONAL MATCH (c)<-[:OF]-(i:Involvement)
        OPTIONAL MATCH (c)<-[:CARES_FOR]-(k:Carer)
        RETURN count(DISTINCT c) AS children, count(DISTINCT c.nhsNumber) AS numbers,
               count(DISTINCT c.givenName) AS names, count(DISTINCT i) AS involvements,
               count(DISTINCT k) AS carers,
               count(DISTINCT CASE WHEN i.endedOn IS NOT NULL THEN i END) AS ended
        """,
        s=feed_source,
    )[0]
    with_numbers = sum(1 for n in range(CHILDREN) if with_check_digit(f"99985{n:04d}"))
    assert counts == {
        "children": CHILDREN,
        "numbers": with_numbers,
        "names": CHILDREN,
        "involvements": CHILDREN,
        "carers": CHILDREN,
        "ended": CHILDREN // 2,
    }
    assert _audited_children(cypher, feed_source) == CHILDREN
    chain = await verify_audit(graph)
    assert chain.ok, chain
