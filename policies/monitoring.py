"""The monitoring report (R2, R14): who used the index how, and who stands out.

An auditor reads, per subject, over a period: requests, distinct children read,
shielded-child reads, out-of-area reads, overrides and refused reads. A long list of
figures hides the one person browsing; so subjects are ranked by how unusual their
figures are against the norm of their own role over the same period (a safeguarding
lead tracing networks reads more children than a school nurse, and that is normal).

The norm is robust: for each figure, the median of the role's subjects and their median
absolute deviation (MAD, scaled by 1.4826 so it estimates a standard deviation for
normal data). A subject's score on a figure is how many such deviations it lies above
the median; the floor of the deviation is 1, or a tenth of the median if larger, so a
role where everyone reads exactly 12 children does not make 13 look alarming. A
subject's unusualness is its highest score, and `reasons` says which figures made it.
With fewer than three subjects in a role there is no norm to speak of: the score is
then against the role's browsing budget for distinct children, and 0 otherwise.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass

__all__ = ["FIGURES", "RankedSubject", "SubjectFigures", "rank"]

FIGURES = (
    "requests",
    "distinct_children",
    "shielded_reads",
    "out_of_area_reads",
    "overrides",
    "refused_reads",
)
_MAD_TO_SD = 1.4826
_UNUSUAL = 3.0  # deviations above the norm worth naming in `reasons`


@dataclass(frozen=True, slots=True)
class SubjectFigures:
    subject: str
    role: str
    local_authority: str | None
    requests: int
    distinct_children: int
    shielded_reads: int
    out_of_area_reads: int
    overrides: int
    refused_reads: int

    def figure(self, name: str) -> int:
        value: int = getattr(self, name)
        return value


@dataclass(frozen=True, slots=True)
class RankedSubject:
    figures: SubjectFigures
    unusualness: float
    #: The figures that lie well above the role's norm, most unusual first.
    reasons: tuple[str, ...]


def _scores(group: list[SubjectFigures], budget: int | None) -> dict[str, dict[str, float]]:
    scores: dict[str, dict[str, float]] = {s.subject: {} for s in group}
    for name in FIGURES:
        values = [s.figure(name) for s in group]
        if len(group) >= 3:
            median = statistics.median(values)
            mad = statistics.median(abs(v - median) for v in values) * _MAD_TO_SD
            spread = max(mad, 1.0, median / 10)
            for s in group:
                scores[s.subject][name] = (s.figure(name) - median) / spread
        elif name == "distinct_children" and budget:
            for s in group:
                scores[s.subject][name] = _UNUSUAL * s.figure(name) / budget
        else:
            for s in group:
                scores[s.subject][name] = 0.0
    return scores


def rank(
    subjects: list[SubjectFigures], budgets: dict[str, int] | None = None
) -> list[RankedSubject]:
    """Most unusual first; ties by subject. `budgets`: each role's daily budget (R2)."""
    by_role: dict[str, list[SubjectFigures]] = defaultdict(list)
    for s in subjects:
        by_role[s.role].append(s)
    ranked = []
    for role, group in by_role.items():
        scores = _scores(group, (budgets or {}).get(role))
        for s in group:
            mine = scores[s.subject]
            top = max(mine.values(), default=0.0)
            reasons = tuple(
                name
                for name, score in sorted(mine.items(), key=lambda kv: -kv[1])
                if score >= _UNUSUAL
            )
            ranked.append(RankedSubject(s, round(max(top, 0.0), 2), reasons))
    ranked.sort(key=lambda r: (-r.unusualness, r.figures.subject))
    return ranked
