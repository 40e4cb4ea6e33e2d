"""The monitoring report for auditors: `accessReport` (R2, R14).

Who used the index how over a period, per subject of one local authority, most unusual
first. Built by api/resolvers/monitoring.py from graph/access_report.py's figures and
policies/monitoring.py's ranking.
"""

from __future__ import annotations

from datetime import datetime

import strawberry


@strawberry.type(description="One subject's use of the index over the report's period.")
class AccessReportSubject:
    subject: str = strawberry.field(description="The token subject.")
    role: str = strawberry.field(description="The role they acted in (a Role name).")
    requests: int = strawberry.field(description="Audited requests they made.")
    distinct_children: int = strawberry.field(
        description="Different children their requests concerned."
    )
    shielded_child_reads: int = strawberry.field(
        description="Different shielded children their requests concerned (R4)."
    )
    out_of_area_reads: int = strawberry.field(
        description="Different children of another local authority than theirs."
    )
    overrides: int = strawberry.field(
        description="Requests that recorded an access override or rested on one (R9)."
    )
    refused_reads: int = strawberry.field(
        description=(
            "Reads refused: not found, not visible, forbidden, over the browsing budget, or "
            "while suspended."
        )
    )
    unusualness: float = strawberry.field(
        description=(
            "How far their most unusual figure lies above the norm of their role in this "
            "report, in robust standard deviations (median and MAD); 0 is ordinary, 3 or "
            "more is worth a look. The list is sorted by it, highest first."
        )
    )
    reasons: list[str] = strawberry.field(
        description=(
            "The figures 3 or more deviations above the role's norm, most unusual first "
            "(requests, distinct_children, shielded_reads, out_of_area_reads, overrides, "
            "refused_reads)."
        )
    )


@strawberry.type(description="Per-subject use of the index in one local authority.")
class AccessReport:
    local_authority: str
    from_: datetime = strawberry.field(name="from", description="Start of the period.")
    to: datetime = strawberry.field(description="End of the period (exclusive).")
    subjects: list[AccessReportSubject]
