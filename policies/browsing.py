"""R2's browsing budget: how many distinct children one subject may read in a day.

Looking children up one id at a time is browsing too (R2). Each subject gets a daily
budget of distinct children, set per role; reading a child already read today is free,
and past the budget a read of any other child is refused and the viewer's own local
authority index team is alerted (policies/alerts.py, BUDGET_EXCEEDED).

Why these defaults (README, "Browsing budget"): a practitioner's caseload is about 15 to
25 children, and a duty or front-door worker checks perhaps 30 to 40 new names on a busy
day; 60 leaves room for that and stops a curious insider at a few dozen records rather
than thousands. A safeguarding lead tracing networks (R12: up to depth 3, every child in
the answer counts) needs several networks of 20 to 40 children a day: 200. An index
team resolves match reviews and duplicates across its whole authority: 400. Roles that
may not read children (R2) have no budget at all.

No oracle (R4): a lookup by id spends budget on the id asked for, whether or not such a
child exists or is visible, so when the budget runs out says nothing about which ids are
real. A search spends it only on the children it shows, which the caller sees anyway.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from policies.viewer import READ_CHILD_ROLES, Role, Viewer

__all__ = [
    "DEFAULT_BUDGETS",
    "REFUSALS_BEFORE_ALERT",
    "Budgets",
    "daily_budget",
    "parse_budgets",
]

DEFAULT_BUDGETS: Mapping[Role, int] = {
    Role.PRACTITIONER: 60,
    Role.SAFEGUARDING_LEAD: 200,
    Role.INDEX_ADMIN: 400,
}

REFUSALS_BEFORE_ALERT = 20
"""Refused child reads (not found, not visible, forbidden, over budget) in one day after
which the subject's index team is alerted once (REPEATED_REFUSALS): an honest user
mistypes a few ids; twenty misses in a day is someone probing."""


@dataclass(frozen=True)
class Budgets:
    """The daily budget of each role that may read children."""

    per_role: Mapping[Role, int]

    def get(self, role: Role) -> int | None:
        return self.per_role.get(role)


def parse_budgets(text: str | None) -> Budgets:
    """`PRACTITIONER=60,SAFEGUARDING_LEAD=200`: the roles named replace their defaults.

    Raises ValueError for a role that may not read children, or a budget below one.
    """
    budgets = dict(DEFAULT_BUDGETS)
    for part in (text or "").split(","):
        if not part.strip():
            continue
        name, sep, value = part.partition("=")
        if not sep:
            raise ValueError(f"expected ROLE=N, got {part.strip()!r}")
        role = Role(name.strip().upper())
        if role not in READ_CHILD_ROLES:
            raise ValueError(f"{role.value} may not read children, so it has no budget")
        budget = int(value.strip())
        if budget < 1:
            raise ValueError(f"the budget of {role.value} must be at least 1")
        budgets[role] = budget
    return Budgets(budgets)


def daily_budget(viewer: Viewer, budgets: Budgets) -> int:
    """R2: the most generous budget among the viewer's roles that may read children.

    A viewer with none of them reads no child (visibility.may_read_children refuses
    first); 0 makes that explicit here too.
    """
    held = [b for role in viewer.roles if (b := budgets.get(role)) is not None]
    return max(held, default=0)
