"""R11: what an ANALYST may learn. Aggregates only, small counts suppressed.

Analysts explore involvement networks; they never see a child, carer or practitioner.
Aggregates are for ANALYST only (`may_see_aggregates`): the other roles reach children
through their own audited doors (R2, R12) and have no need of counts. Everything else
here is a pure function of counts that `graph/statistics.py` aggregated in Cypher, so
the same rules can be tested on small synthetic tables without a database.

Primary suppression
    Any count from 1 to 4 (`MIN_SHOWN` is 5) is suppressed: it leaves as `null` with
    `suppressed: true`. Zero is not a count of anybody and is simply absent: a row that
    is not in the answer means no children.

Secondary suppression
    A suppressed cell must not be recoverable by subtraction. Every additive table is
    completed with all its margins (the totals over each dimension, marked `ALL`), and
    every "line" (the cells that differ in one dimension only, with their total) is an
    equation `total = sum(members)`. In each line:

    - never exactly one unknown: a hidden total with every member shown, or one hidden
      member beside a shown total, is recovered by subtraction;
    - when the total is shown, the hidden members together must leave each of them able
      to be `MIN_SHOWN` or more (their sum minus one for each other hidden member), so
      the line says no more than "suppressed" already does: two hidden 1s beside a shown
      total would otherwise both be recovered.

    When a line breaks a rule the smallest shown member is hidden too (the least
    information lost), or the total when no member is left. Lines combine, though: a
    cell safe in each of its lines can be pinned through a neighbouring one. So the
    result is then audited as a whole (`bounds`: interval propagation over every
    equation at once, what an analyst holding every answer could prove), and any hidden
    cell that could be pinned to one value, or proved to be below `MIN_SHOWN`, gets one
    more hidden neighbour; rules and audit repeat until the audit passes.

    Suppression is computed once on the whole cube (every local authority, every
    margin) and every answer is a slice of that one suppressed cube, so two different
    questions (by gender; by gender and age band; for one local authority) can never be
    subtracted from each other either. The counts themselves come from one snapshot
    (graph/statistics.py), so neither can two questions asked while it is current
    (one child added between two questions would otherwise show as a difference of 1).

Service kinds are not additive
    A child involved with a school and a GP is counted once under each kind, so the
    kinds of one child do not sum to that child. No equation runs along SERVICE_KIND
    and none is needed; each kind is its own additive cube over the other dimensions.
    `coInvolvement` pairs are additive only over local authorities, and are suppressed
    along that line. Pairs are not a breakdown by personal characteristics, so
    sensitive kinds take part in them, at local authority level.

Sensitive services (R6, R11)
    MENTAL_HEALTH, SEXUAL_HEALTH and SUBSTANCE_MISUSE appear in aggregates only at the
    level of the local authority: when a question breaks service kinds down by age
    band, gender or CAF, the rows of a sensitive kind carry `ALL` ("*") in those
    positions and count the whole local authority (or every authority, when the
    question has no LOCAL_AUTHORITY). A service of an ordinary kind that is flagged
    sensitive (a refuge outreach team recorded as VOLUNTARY) could not be told apart
    inside its kind's rows but would still be counted below local authority level,
    so its involvements are left out of service-kind statistics altogether.

The service network (nodes are services, edges the children two services share)
    Edges of 1 to 4 children are left out. Edges are not margins of each other, but the
    edges between services of kinds A and B add up to about the coInvolvement count of
    A and B, so the same line rule runs over each group of edges with the same pair of
    kinds and local authorities: the omitted edges of a group must add up to at least
    `MIN_SHOWN` plus one for each other omitted edge, or the smallest shown edge of the
    group is omitted too. Edges of sensitive services are never drawn: their
    co-involvement is available at local authority level from `coInvolvement`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from itertools import combinations

from policies.decision import Decision, allow, deny
from policies.facts import SENSITIVE_KINDS
from policies.viewer import Role, Viewer

__all__ = [
    "AGE_BANDS",
    "ALL",
    "DIMENSIONS",
    "MIN_SHOWN",
    "PERSON_DIMENSIONS",
    "Cell",
    "Edge",
    "Line",
    "StatisticDimension",
    "age_band_limits",
    "bounds",
    "co_involvement_cube",
    "complete_cube",
    "is_sensitive_kind",
    "kind_cube",
    "lines",
    "may_see_aggregates",
    "person_cube",
    "primary_suppressed",
    "statistic_rows",
    "suppress",
    "suppress_edges",
]

MIN_SHOWN = 5
"""R11: the smallest count ever shown; 1 to 4 are suppressed."""

ALL = "*"
"""The value of a dimension that a row or total does not break down: all of its values."""


class StatisticDimension(StrEnum):
    """What a breakdown is by (the contract's StatisticDimension), in cube order.

    SERVICE_KIND is not a person dimension: it selects which cube a row comes from (see
    the module docstring).
    """

    SERVICE_KIND = "SERVICE_KIND"
    LOCAL_AUTHORITY = "LOCAL_AUTHORITY"
    AGE_BAND = "AGE_BAND"
    GENDER = "GENDER"
    HAS_COMMON_ASSESSMENT = "HAS_COMMON_ASSESSMENT"


DIMENSIONS: tuple[str, ...] = tuple(dimension.value for dimension in StatisticDimension)
PERSON_DIMENSIONS: tuple[str, ...] = DIMENSIONS[1:]

AGE_BANDS: tuple[tuple[str, int, int], ...] = (
    # The stages of the CAF guide's continuum of needs: early years (0 to 4), primary
    # school (5 to 10), secondary school (11 to 15), and post-16 (16 and 17, the last
    # years on the index before R16 archives the record at 18).
    ("0-4", 0, 4),
    ("5-10", 5, 10),
    ("11-15", 11, 15),
    ("16-17", 16, 17),
)

Key = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Cell:
    """One count as the analyst may see it: `children` is None exactly when suppressed."""

    children: int | None
    suppressed: bool


def may_see_aggregates(viewer: Viewer) -> Decision:
    """R11: aggregates are for ANALYST. Other roles have their own, audited, ways in."""
    if viewer.has(Role.ANALYST):
        return allow("R11: ANALYST sees aggregates")
    return deny("R11: only ANALYST may read aggregate statistics")


def is_sensitive_kind(kind: str) -> bool:
    return kind in SENSITIVE_KINDS


def primary_suppressed(count: int) -> bool:
    """R11: 1 to 4 children could be recognised; 0 and 5 or more may be shown."""
    return 0 < count < MIN_SHOWN


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year + years, day=28)


def age_band_limits(today: date) -> tuple[tuple[str, date], ...]:
    """(band, born after) pairs, youngest first: a child is in the first band whose date
    they were born after. The last date is the 18th birthday limit: older records are
    archived (R16) and not counted even if the retention job has not run yet."""
    return tuple((name, _add_years(today, -(oldest + 1))) for name, _, oldest in AGE_BANDS)


# ----------------------------------------------------------------------------- cubes


def complete_cube(finest: Mapping[Key, int], additive: Sequence[bool]) -> dict[Key, int]:
    """The finest cells plus every margin over the additive dimensions.

    `additive[d]` says whether dimension d may be summed over. A margin's key has ALL in
    the summed positions; zero counts are dropped (absent means none).
    """
    cube: dict[Key, int] = {}
    for key, count in finest.items():
        if count <= 0:
            continue
        # A position already ALL (a sensitive kind's age band) is not summed again.
        free = [d for d, yes in enumerate(additive) if yes and key[d] != ALL]
        for size in range(len(free) + 1):
            for summed in combinations(free, size):
                margin = tuple(ALL if d in summed else v for d, v in enumerate(key))
                cube[margin] = cube.get(margin, 0) + count
    return cube


@dataclass(frozen=True, slots=True)
class Line:
    """An equation `total = sum(members)` along one dimension."""

    total: Key
    members: tuple[Key, ...]


def lines(cube: Mapping[Key, int], additive: Sequence[bool]) -> list[Line]:
    """Every line of a completed cube: for each cell and each additive dimension it
    breaks down, the cells that differ only there, with their ALL total."""
    groups: dict[tuple[Key, int], list[Key]] = {}
    for key in cube:
        for d, value in enumerate(key):
            if additive[d] and value != ALL:
                total = (*key[:d], ALL, *key[d + 1 :])
                groups.setdefault((total, d), []).append(key)
    return [
        Line(total, tuple(sorted(members)))
        for (total, _), members in sorted(groups.items())
        if total in cube
    ]


def _line_holds(line: Line, cube: Mapping[Key, int], hidden: set[Key]) -> bool:
    members_hidden = [m for m in line.members if m in hidden]
    if line.total in hidden:
        return bool(members_hidden)  # a hidden total beside all members shown is their sum
    if not members_hidden:
        return True
    if len(members_hidden) == 1:
        return False
    # Each hidden member lies between 1 and (their sum - the other hidden members).
    spread = sum(cube[m] for m in members_hidden) - (len(members_hidden) - 1)
    return spread >= MIN_SHOWN


def _cheapest_to_hide(
    candidates: Iterable[Line], cube: Mapping[Key, int], hidden: set[Key]
) -> Key | None:
    """The smallest shown member of these lines (the least information lost), else a
    shown total; ties broken by key so that the answer is stable."""
    members = {m for line in candidates for m in line.members if m not in hidden}
    if members:
        return min(members, key=lambda m: (cube[m], m))
    totals = {line.total for line in candidates if line.total not in hidden}
    return min(totals, key=lambda t: (cube[t], t)) if totals else None


_UNKNOWN = 10**12


def bounds(
    cube: Mapping[Key, int], hidden: set[Key], all_lines: Sequence[Line]
) -> dict[Key, tuple[int, int]]:
    """What someone holding every shown cell could prove about each hidden one.

    Interval propagation over every line equation until nothing tightens: a hidden cell
    starts at [1, unknown] (zero cells are absent, so a listed one is at least 1) and
    each equation narrows it by the bounds of the others. This is the audit the
    secondary suppression must pass (see `suppress`).
    """
    b = {k: ((1, _UNKNOWN) if k in hidden else (n, n)) for k, n in cube.items()}
    changed = True
    while changed:
        changed = False
        for line in all_lines:
            if line.total not in hidden and not any(m in hidden for m in line.members):
                continue
            t_lo, t_hi = b[line.total]
            lo_sum = sum(b[m][0] for m in line.members)
            hi_sum = sum(b[m][1] for m in line.members)
            for m in line.members:
                if m not in hidden:
                    continue
                lo, hi = b[m]
                new = (max(lo, t_lo - (hi_sum - hi)), min(hi, t_hi - (lo_sum - lo)))
                if new != (lo, hi):
                    b[m] = new
                    lo_sum += new[0] - lo
                    hi_sum += new[1] - hi
                    changed = True
            if line.total in hidden:
                new_total = (max(t_lo, lo_sum), min(t_hi, hi_sum))
                if new_total != (t_lo, t_hi):
                    b[line.total] = new_total
                    changed = True
    return b


def _exposed(bounded: Mapping[Key, tuple[int, int]], hidden: set[Key]) -> list[Key]:
    """Hidden cells someone could pin to one value, or prove to be below MIN_SHOWN."""
    return sorted(k for k in hidden if bounded[k][0] >= bounded[k][1] or bounded[k][1] < MIN_SHOWN)


def suppress(cube: Mapping[Key, int], additive: Sequence[bool]) -> dict[Key, Cell]:
    """Primary and secondary suppression over a completed cube (see module docstring).

    First the line rules, cheaply, until every line holds; then the audit (`bounds`)
    over all lines at once, because equations combine: a cell safe in each of its lines
    can still be pinned through a neighbouring one. Each exposed cell gets one more
    hidden neighbour in one of its lines (or, when all of those are hidden already, the
    smallest shown cell anywhere is hidden), and both steps repeat until the audit
    passes (at worst everything is hidden, which proves nothing).
    """
    hidden = {key for key, count in cube.items() if primary_suppressed(count)}
    all_lines = lines(cube, additive)
    lines_of: dict[Key, list[Line]] = {}
    for line in all_lines:
        for key in (line.total, *line.members):
            lines_of.setdefault(key, []).append(line)
    while True:
        changed = True
        while changed:
            changed = False
            for line in all_lines:
                while not _line_holds(line, cube, hidden):
                    extra = _cheapest_to_hide([line], cube, hidden)
                    if extra is None:
                        break
                    hidden.add(extra)
                    changed = True
        exposed = _exposed(bounds(cube, hidden, all_lines), hidden)
        if not exposed:
            break
        added = False
        for key in exposed:
            extra = _cheapest_to_hide(lines_of.get(key, ()), cube, hidden)
            if extra is not None:
                hidden.add(extra)
                added = True
        if not added:
            # Every line through the exposed cells is hidden already, yet cells further
            # off still bound them (absent cells are known zeros: a sparse cube pins a
            # lot). Hide the smallest shown cell anywhere, and audit again.
            shown = [k for k in cube if k not in hidden]
            if not shown:
                break
            hidden.add(min(shown, key=lambda k: (cube[k], k)))
    return {
        key: Cell(None, True) if key in hidden else Cell(count, False)
        for key, count in cube.items()
    }


KIND = 0
LOCAL_AUTHORITY = DIMENSIONS.index("LOCAL_AUTHORITY")
_PERSON_ADDITIVE = (False, True, True, True, True)


def person_cube(finest: Mapping[Key, int]) -> dict[Key, Cell]:
    """Children by local authority, age band, gender and CAF, with every margin, suppressed.

    `finest` is keyed by PERSON_DIMENSIONS; the cube's keys follow DIMENSIONS with
    SERVICE_KIND always ALL, because this cube counts each child once.
    """
    keyed = {(ALL, *key): count for key, count in finest.items()}
    return suppress(complete_cube(keyed, _PERSON_ADDITIVE), _PERSON_ADDITIVE)


def kind_cube(finest: Mapping[Key, int]) -> dict[Key, Cell]:
    """Children by service kind and the person dimensions, suppressed per kind.

    A sensitive kind is first folded to local authority level (R11), so no count of it
    below that level ever exists to be shown or subtracted.
    """
    folded: dict[Key, int] = {}
    for key, count in finest.items():
        if is_sensitive_kind(key[KIND]):
            key = tuple(v if d in (KIND, LOCAL_AUTHORITY) else ALL for d, v in enumerate(key))
        folded[key] = folded.get(key, 0) + count
    return suppress(complete_cube(folded, _PERSON_ADDITIVE), _PERSON_ADDITIVE)


def statistic_rows(
    cells: Mapping[Key, Cell], group_by: Sequence[str], local_authority: str | None
) -> list[tuple[Key, Cell]]:
    """The rows answering one question, as a slice of an already suppressed cube.

    Keys follow `group_by`. A row of a sensitive kind carries ALL where the question asks
    for a breakdown finer than local authority (R11). A local authority filter selects
    that authority's cells whether or not LOCAL_AUTHORITY is in `group_by`.
    """
    wanted = [DIMENSIONS.index(name) for name in group_by]
    rows = []
    for key, cell in cells.items():
        kind = key[KIND]
        allowed = set(wanted)
        if kind != ALL and is_sensitive_kind(kind):
            allowed &= {KIND, LOCAL_AUTHORITY}
        ok = True
        for d, value in enumerate(key):
            if d == LOCAL_AUTHORITY and local_authority is not None:
                ok = value == local_authority
            elif d in allowed:
                ok = value != ALL
            else:
                ok = value == ALL
            if not ok:
                break
        if ok:
            rows.append((tuple(key[d] if d in allowed else ALL for d in wanted), cell))
    rows.sort(key=lambda row: row[0])
    return rows


def co_involvement_cube(finest: Mapping[Key, int]) -> dict[Key, Cell]:
    """Children with both kinds of a pair, by (kindA, kindB, local authority), suppressed
    along local authorities (the only dimension pairs add up over)."""
    additive = (False, False, True)
    return suppress(complete_cube(finest, additive), additive)


# -------------------------------------------------------------------- service network


@dataclass(frozen=True, slots=True)
class Edge:
    """Children shared by two services. `group` names the kind and local authority of each
    end ("SCHOOL|NBR/GP|NBR"): the edges of one group add up to about a coInvolvement count."""

    source: str
    target: str
    children: int
    group: str


def suppress_edges(
    edges: Iterable[Edge],
    small: Mapping[str, tuple[int, int]],
    sensitive: frozenset[str],
) -> list[Edge]:
    """The edges an analyst may see (module docstring).

    `edges` are the candidates of MIN_SHOWN children or more; `small` gives, per group,
    how many edges of 1 to 4 children there are and how many children they add up to:
    all that the secondary rule needs to know of them. Never an edge of a sensitive
    service, never one of 1 to 4 children.
    """
    groups: dict[str, list[Edge]] = {}
    for edge in edges:
        if edge.source in sensitive or edge.target in sensitive:
            continue
        if primary_suppressed(edge.children) or edge.children <= 0:
            continue
        groups.setdefault(edge.group, []).append(edge)
    shown: list[Edge] = []
    for group, members in groups.items():
        members.sort(key=lambda e: (e.children, e.source, e.target))
        hidden_edges, hidden_children = small.get(group, (0, 0))
        while members and hidden_edges:
            spread = hidden_children - (hidden_edges - 1)
            if hidden_edges >= 2 and spread >= MIN_SHOWN:
                break
            smallest = members.pop(0)
            hidden_edges += 1
            hidden_children += smallest.children
        shown.extend(members)
    shown.sort(key=lambda e: (e.source, e.target))
    return shown
