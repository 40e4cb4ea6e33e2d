"""R11 through GraphQL: counts that are right, small groups hidden, sensitive kinds coarse."""

from __future__ import annotations

import json
from typing import Any

import pytest

from policies.analytics import ALL, MIN_SHOWN, Cell
from policies.viewer import Role
from tests.analytics.conftest import Population
from tests.policies.test_analytics import _intervals

STATISTICS = """
query($groupBy: [StatisticDimension!]!, $la: String) {
  involvementStatistics(groupBy: $groupBy, localAuthority: $la) { key children suppressed }
}
"""
CO_INVOLVEMENT = """
query($la: String) { coInvolvement(localAuthority: $la) { kindA kindB children suppressed } }
"""
SERVICE_NETWORK = """
query($la: String, $min: Int!) {
  serviceNetwork(localAuthority: $la, minSharedChildren: $min) {
    computedAt
    nodes { id name kind sensitive localAuthority }
    edges { from to children }
  }
}
"""


def _analyst(as_viewer: Any) -> Any:
    return as_viewer(Role.ANALYST, local_authority=None, purpose=None, subject="analyst-1")


async def _rows(caller: Any, group_by: list[str], la: str | None) -> dict[tuple[str, ...], Cell]:
    body = await caller.post(STATISTICS, {"groupBy": group_by, "la": la})
    assert "errors" not in body, body
    rows = body["data"]["involvementStatistics"]
    for row in rows:
        assert (row["children"] is None) is row["suppressed"], row
        assert row["children"] is None or row["children"] >= MIN_SHOWN, row
    return {tuple(r["key"]): Cell(r["children"], r["suppressed"]) for r in rows}


def _counted(p: Population) -> list[dict[str, Any]]:
    """The children R11 counts: live and under 18."""
    from policies.analytics import age_band_limits

    born_after = age_band_limits(p.today)[-1][1]
    return [c for c in p.children if c["archivedOn"] is None and c["dateOfBirth"] > born_after]


def _band(p: Population, child: dict[str, Any]) -> str:
    from policies.analytics import age_band_limits

    return next(b for b, after in age_band_limits(p.today) if child["dateOfBirth"] > after)


def _truth(p: Population, dims: list[str]) -> dict[tuple[str, ...], int]:
    value = {
        "AGE_BAND": lambda c: _band(p, c),
        "GENDER": lambda c: c["gender"],
        "HAS_COMMON_ASSESSMENT": lambda c: "true" if c["caf"] else "false",
        "LOCAL_AUTHORITY": lambda c: c["localAuthority"],
    }
    truth: dict[tuple[str, ...], int] = {}
    for child in _counted(p):
        if child["localAuthority"] != "ZTA":
            continue
        key = tuple(value[d](child) for d in dims)
        truth[key] = truth.get(key, 0) + 1
    return truth


QUESTIONS = [[], ["GENDER"], ["AGE_BAND"], ["AGE_BAND", "GENDER"], ["GENDER", "AGE_BAND"],
             ["HAS_COMMON_ASSESSMENT"], ["AGE_BAND", "GENDER", "HAS_COMMON_ASSESSMENT"],
             ["LOCAL_AUTHORITY", "GENDER"]]  # fmt: skip


@pytest.mark.parametrize("group_by", QUESTIONS)
async def test_counts_are_right_and_small_groups_hidden(
    population: Population, as_viewer: Any, group_by: list[str]
) -> None:
    rows = await _rows(_analyst(as_viewer), group_by, "ZTA")
    truth = _truth(population, group_by)
    assert set(rows) == set(truth), "a row for every non-empty cell, none for empty ones"
    for key, n in truth.items():
        cell = rows[key]
        if 0 < n < MIN_SHOWN:
            assert cell.suppressed, (key, n)
        if not cell.suppressed:
            assert cell.children == n, key


async def test_the_total_excludes_archived_adults_and_is_shown(
    population: Population, as_viewer: Any
) -> None:
    rows = await _rows(_analyst(as_viewer), [], "ZTA")
    assert rows == {(): Cell(59, False)}


async def test_secondary_suppression_end_to_end(population: Population, as_viewer: Any) -> None:
    """Three 13-year-olds in ZTA are hidden; with the ZTA total shown and only two age
    bands, the 56 younger children must be hidden too, or 59 - 56 gives the 3 away."""
    caller = _analyst(as_viewer)
    by_age = await _rows(caller, ["AGE_BAND"], "ZTA")
    assert by_age[("11-15",)].suppressed
    assert by_age[("5-10",)].suppressed
    # And no hidden cell of the age-by-gender table can be worked out from all of the
    # answers together (interval audit over every line within ZTA).
    answers: dict[tuple[str, ...], Cell] = {}
    for dims in (["AGE_BAND", "GENDER"], ["AGE_BAND"], ["GENDER"], []):
        for key, cell in (await _rows(caller, dims, "ZTA")).items():
            full = (
                key[dims.index("AGE_BAND")] if "AGE_BAND" in dims else ALL,
                key[dims.index("GENDER")] if "GENDER" in dims else ALL,
            )
            answers[full] = cell
    truth = {
        (a, g): n
        for dims in (["AGE_BAND", "GENDER"], ["AGE_BAND"], ["GENDER"], [])
        for key, n in _truth(population, dims).items()
        for a, g in [
            (
                key[dims.index("AGE_BAND")] if "AGE_BAND" in dims else ALL,
                key[dims.index("GENDER")] if "GENDER" in dims else ALL,
            )
        ]
    }
    assert set(answers) == set(truth)
    bounds = _intervals(truth, answers, (True, True))
    for key, cell in answers.items():
        if cell.suppressed:
            lo, hi = bounds[key]
            assert lo < hi and hi >= MIN_SHOWN, (key, truth[key], lo, hi)


async def test_sensitive_kinds_only_at_local_authority_level(
    population: Population, as_viewer: Any
) -> None:
    caller = _analyst(as_viewer)
    for la in ("ZTA", None):
        rows = await _rows(caller, ["SERVICE_KIND", "AGE_BAND", "GENDER"], la)
        sensitive = {k: c for k, c in rows.items() if k[0] == "MENTAL_HEALTH"}
        assert list(sensitive) == [("MENTAL_HEALTH", ALL, ALL)], rows.keys()
        for key in rows:
            if key[0] in ("MENTAL_HEALTH", "SEXUAL_HEALTH", "SUBSTANCE_MISUSE"):
                assert key[1:] == (ALL, ALL), key
    zta = await _rows(caller, ["SERVICE_KIND", "AGE_BAND", "GENDER"], "ZTA")
    # Ordinary kinds are broken down as asked.
    assert zta[("SCHOOL", "5-10", "FEMALE")] == Cell(31, False)
    assert zta[("GP", "5-10", "FEMALE")] == Cell(31, False)
    by_la = await _rows(caller, ["SERVICE_KIND", "LOCAL_AUTHORITY"], None)
    assert by_la[("MENTAL_HEALTH", "ZTA")] == Cell(6, False)
    # Jack's CAMHS involvement makes NBR's count 1: hidden, and with it the smaller of
    # the other authorities (ZTB's 5), so the total cannot give Jack's 1 away.
    assert by_la[("MENTAL_HEALTH", "NBR")].suppressed
    assert by_la[("MENTAL_HEALTH", "ZTB")].suppressed


async def test_flagged_sensitive_services_and_old_involvements_are_not_counted(
    population: Population, as_viewer: Any
) -> None:
    rows = await _rows(_analyst(as_viewer), ["SERVICE_KIND"], "ZTA")
    kinds = {key[0] for key in rows}
    assert "VOLUNTARY" not in kinds  # the refuge outreach team is flagged sensitive
    assert "HOUSING" not in kinds  # ended 400 days ago (R5)
    assert rows[("SCHOOL",)] == Cell(59, False)
    assert rows[("MENTAL_HEALTH",)] == Cell(6, False)


async def test_co_involvement(population: Population, as_viewer: Any) -> None:
    body = await _analyst(as_viewer).post(CO_INVOLVEMENT, {"la": "ZTA"})
    assert "errors" not in body, body
    rows = {(r["kindA"], r["kindB"]): r for r in body["data"]["coInvolvement"]}
    assert rows[("GP", "SCHOOL")]["children"] == 59
    assert rows[("GP", "MENTAL_HEALTH")]["children"] in (6, None)
    assert ("GP", "VOLUNTARY") not in rows
    for row in rows.values():
        assert row["kindA"] < row["kindB"]
        assert row["children"] is None or row["children"] >= MIN_SHOWN
        assert (row["children"] is None) is row["suppressed"]


async def test_service_network(population: Population, as_viewer: Any) -> None:
    body = await _analyst(as_viewer).post(SERVICE_NETWORK, {"la": "ZTA", "min": 5})
    assert "errors" not in body, body
    net = body["data"]["serviceNetwork"]
    nodes = {n["id"]: n for n in net["nodes"]}
    assert set(nodes) == {s for s in nodes if s.startswith("s-zta-")} and len(nodes) == 5
    assert nodes["s-zta-camhs"]["sensitive"] is True
    assert nodes["s-zta-refuge"]["sensitive"] is True
    assert nodes["s-zta-camhs"]["kind"] == "MENTAL_HEALTH"
    edges = {(e["from"], e["to"]): e["children"] for e in net["edges"]}
    assert edges == {("s-zta-gp", "s-zta-school"): 59}
    text = json.dumps(body)
    assert "01632 960999" not in text and "example.org" not in text
    heavier = await _analyst(as_viewer).post(SERVICE_NETWORK, {"la": "ZTA", "min": 60})
    assert heavier["data"]["serviceNetwork"]["edges"] == []


@pytest.mark.parametrize(("name", "variables"), [("min 4", {"min": 4}), ("min 1", {"min": 1})])
async def test_service_network_never_goes_below_five(
    population: Population, as_viewer: Any, name: str, variables: dict[str, Any]
) -> None:
    body = await _analyst(as_viewer).post(SERVICE_NETWORK, {"la": "ZTA", **variables})
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", name
    assert body["errors"][0]["extensions"]["field"] == "minSharedChildren"


async def test_bad_questions(population: Population, as_viewer: Any) -> None:
    caller = _analyst(as_viewer)
    body = await caller.post(STATISTICS, {"groupBy": ["GENDER", "GENDER"], "la": None})
    assert body["errors"][0]["extensions"]["field"] == "groupBy"
    body = await caller.post(STATISTICS, {"groupBy": ["GENDER"], "la": "   "})
    assert body["errors"][0]["extensions"]["field"] == "localAuthority"
    body = await caller.post(STATISTICS, {"groupBy": ["NAME"], "la": None})
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    unknown = await caller.post(STATISTICS, {"groupBy": ["GENDER"], "la": "NOPE"})
    assert unknown["data"]["involvementStatistics"] == []


@pytest.mark.parametrize(
    ("role", "extra"),
    [
        (Role.PRACTITIONER, {"practitioner_id": "p-melanie"}),
        (Role.SAFEGUARDING_LEAD, {}),
        (Role.INDEX_ADMIN, {}),
        (Role.AUDITOR, {}),
        (Role.FEED, {"source": "school-mis"}),
    ],
)
async def test_aggregates_are_for_analysts_only(
    population: Population, as_viewer: Any, role: Role, extra: dict[str, str]
) -> None:
    caller = as_viewer(role, **extra)
    for query, variables in (
        (STATISTICS, {"groupBy": ["GENDER"], "la": "ZTA"}),
        (CO_INVOLVEMENT, {"la": "ZTA"}),
        (SERVICE_NETWORK, {"la": "ZTA", "min": 5}),
        ("{ statisticsSnapshot { computedAt } }", {}),
    ):
        body = await caller.post(query, variables)
        assert {e["extensions"]["code"] for e in body["errors"]} == {"FORBIDDEN"}, (role, query)
        assert body["data"] is None


async def test_answers_come_from_one_snapshot(
    population: Population, as_viewer: Any, graph: Any, sync_driver: Any
) -> None:
    """A child added after the snapshot does not change any answer until the next
    refresh: no minute-by-minute differencing (R11). And a request finding no snapshot
    at all counts one before answering."""
    caller = _analyst(as_viewer)
    body = await caller.post("{ statisticsSnapshot { asOf computedAt } }")
    taken = body["data"]["statisticsSnapshot"]["computedAt"]
    sync_driver.execute_query(
        "CREATE (:Child {id: 'c-zta-late', gender: 'FEMALE', localAuthority: 'ZTA',"
        " dateOfBirth: date() - duration('P8Y'), shielded: false})"
    )
    assert await _rows(caller, [], "ZTA") == {(): Cell(59, False)}
    sync_driver.execute_query("MATCH (s:StatisticsSnapshot) DETACH DELETE s")
    assert await _rows(caller, [], "ZTA") == {(): Cell(60, False)}
    body = await caller.post("{ statisticsSnapshot { computedAt } }")
    assert body["data"]["statisticsSnapshot"]["computedAt"] > taken
    sync_driver.execute_query("MATCH (c:Child {id: 'c-zta-late'}) DETACH DELETE c")
    from api.resolvers.statistics import refresh_snapshot

    await refresh_snapshot(graph, population.today)


async def test_a_stale_snapshot_answers_while_a_new_one_is_counted(
    population: Population, graph: Any
) -> None:
    from datetime import UTC, datetime, timedelta

    from api.resolvers import statistics as resolvers

    hour = timedelta(hours=1)
    first = await resolvers.current_snapshot(graph, population.today, datetime.now(UTC), hour)
    later = datetime.now(UTC) + 2 * hour
    stale = await resolvers.current_snapshot(graph, population.today, later, hour)
    assert stale.computed_at == first.computed_at  # answered at once, from the old counts
    refreshing = resolvers._SNAPSHOTS[graph].refreshing
    assert refreshing is not None
    await refreshing
    fresh = await resolvers.current_snapshot(graph, population.today, later, 100 * hour)
    assert fresh.computed_at > first.computed_at
