"""Before measuring: every system answers the real child, and withholds what it should."""

from __future__ import annotations

import collections
from datetime import date
from typing import Any

import httpx

from bench.workloads import Endpoint, requests_for


def _child_of(system: str, body: dict[str, Any]) -> dict[str, Any] | None:
    data = body.get("data") or {}
    if system == "neo4j-graphql":
        children = data.get("children") or []
        return children[0] if children else None
    return data.get("child")


def _matches_of(system: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    data = body.get("data") or {}
    if system == "neo4j-graphql":
        return list(data.get("children") or [])
    return list((data.get("searchChildren") or {}).get("matches") or [])


def _post(
    client: httpx.Client, spec: dict[str, str], headers: dict[str, str]
) -> tuple[int, Any, str]:
    response = client.post(spec["url"], content=spec["body"], headers=headers)
    try:
        body = response.json()
    except ValueError:
        body = {}
    return response.status_code, body, response.text


def verify(
    endpoints: dict[str, Endpoint],
    headers: dict[str, str],
    children: list[dict[str, str]],
    special: list[dict[str, str]],
) -> list[str]:
    """Check, before measuring, that every system answers the real child, not an error.

    `children` are ordinary sampled children, `special` ones with an active sensitive
    involvement (R6) or shielded (R4). Raises SystemExit if any system fails, or if
    ContactGraph shows a shielded child's address or carers; returns notes on the
    expected differences (the raw peer applies no policy; the @neo4j/graphql peer no R4).
    """
    notes: list[str] = []
    failures: list[str] = []
    today = date.today()
    why = {c["id"]: c.get("why", "") for c in special}
    everyone = children + [c for c in special if c["id"] not in {x["id"] for x in children}]
    seen: dict[str, dict[str, list[str]]] = collections.defaultdict(dict)
    with httpx.Client(timeout=30.0) as client:
        for system, endpoint in endpoints.items():
            # A first request pays for one-off setup (the @neo4j/graphql peer asks the server
            # for its version once): not what we are checking.
            _post(client, requests_for(endpoint, "profile", children[:1], today)[0], headers)
            for kind in ("profile", "search"):
                for spec in requests_for(endpoint, kind, everyone, today):
                    status, body, text = _post(client, spec, headers)
                    child_id = spec["expect"].split('"')[3]
                    if status != 200 or not isinstance(body, dict) or body.get("errors"):
                        failures.append(f"{system} {kind} {child_id}: HTTP {status} {text[:300]}")
                        continue
                    found = (
                        [_child_of(system, body)]
                        if kind == "profile"
                        else [m for m in _matches_of(system, body) if m.get("id") == child_id]
                    )
                    child = found[0] if found else None
                    if not child or child.get("id") != child_id or "involvements" not in child:
                        failures.append(
                            f"{system} {kind} {child_id}: the child is not in the answer"
                        )
                        continue
                    if not child["involvements"]:
                        notes.append(f"{system} {kind} {child_id}: no involvements listed")
                    rt = (body.get("extensions") or {}).get("cypherRoundTrips")
                    if rt is not None and rt != 1:
                        notes.append(f"{system} {kind} {child_id}: {rt} Cypher round trips")
                    if (
                        why.get(child_id) == "shielded"
                        and system == "contactgraph"
                        and (child.get("address") is not None or child.get("carers"))
                    ):
                        failures.append(f"contactgraph showed shielded {child_id}'s whereabouts")
                    if kind == "profile":
                        seen[system][child_id] = sorted(i["id"] for i in child["involvements"])
    if failures:
        raise SystemExit("verification failed:\n  " + "\n  ".join(failures[:20]))
    shielded = [c for c, w in why.items() if w == "shielded"]
    if shielded and "contactgraph" in seen:
        notes.append(
            f"ContactGraph withheld address and carers of the {len(shielded)} shielded children "
            "checked (R4); the peers do not apply R4"
        )
    # ContactGraph and the peer apply R5 and R6 and must agree; raw applies R5 only.
    if "contactgraph" in seen and "neo4j-graphql" in seen:
        cg, ng = seen["contactgraph"], seen["neo4j-graphql"]
        differ = [c for c in cg if cg[c] != ng.get(c)]
        if differ:
            notes.append(
                "ContactGraph and @neo4j/graphql list different involvements for "
                + ", ".join(differ[:5])
            )
        else:
            notes.append(
                f"ContactGraph and @neo4j/graphql list the same involvements for all {len(cg)} "
                "children checked"
            )
    if "raw" in seen:
        for other in ("contactgraph", "neo4j-graphql"):
            if other not in seen:
                continue
            mine, raw = seen[other], seen["raw"]
            extra = [c for c in mine if not set(mine[c]) <= set(raw.get(c, []))]
            if extra:
                notes.append(f"{other} lists involvements the raw peer does not, for {extra[:5]}")
            hidden = sum(len(raw[c]) - len(mine.get(c, [])) for c in raw)
            sensitive = sum(1 for w in why.values() if w == "sensitive")
            notes.append(
                f"{other} withheld {hidden} involvement(s) that the raw peer listed (R6; "
                f"{sensitive} children with an active sensitive involvement checked)"
            )
    return notes
