"""R11 for CAF management information: counts of CAFs per local authority, suppressed.

An analyst sees how many CAFs are open, opened and closed each month, how long they run,
how many reviews are overdue and why CAFs closed, per local authority and never finer:
no child, practitioner or CAF is named, and a CAF held from a sensitive service counts
only in its authority's totals (R11). Any count from 1 to 4 is suppressed; where a line
of counts (one authority's months, or its closure outcomes) has exactly one suppressed
cell, the smallest other non-zero cell is suppressed too, so no hidden count can be
worked out by subtraction from a total the analyst could learn elsewhere. A median of
fewer than five CAFs is suppressed (it would be one CAF's duration, or close to it).
No total across authorities or across a line is shown: the lines themselves carry none.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from statistics import median

from policies.analytics import MIN_SHOWN, Cell, primary_suppressed

__all__ = ["LONG_RUNNING_DAYS", "Median", "cell", "line", "median_days"]

#: "Long" CAFs: open for more than six months.
LONG_RUNNING_DAYS = 183


def cell(count: int) -> Cell:
    if primary_suppressed(count):
        return Cell(None, True)
    return Cell(count, False)


def line(counts: Mapping[str, int]) -> dict[str, Cell]:
    """One line of counts (an authority's months, or its closure outcomes), with the
    complementary suppression that stops a lone hidden cell being derived."""
    hidden = {key for key, count in counts.items() if primary_suppressed(count)}
    if len(hidden) == 1:
        others = sorted(
            (count, key) for key, count in counts.items() if key not in hidden and count > 0
        )
        if others:
            hidden.add(others[0][1])
    return {
        key: Cell(None, True) if key in hidden else Cell(count, False)
        for key, count in counts.items()
    }


@dataclass(frozen=True, slots=True)
class Median:
    days: float | None
    suppressed: bool


def median_days(durations: Sequence[int]) -> Median:
    """The median duration in days, or suppressed for fewer than five CAFs."""
    if not durations:
        return Median(None, False)
    if len(durations) < MIN_SHOWN:
        return Median(None, True)
    return Median(float(median(durations)), False)
