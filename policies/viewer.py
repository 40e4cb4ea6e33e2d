"""Who is asking: the facts about the caller that every rule is a function of (R1)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

__all__ = ["READ_CHILD_ROLES", "Role", "Viewer"]


class Role(str, Enum):  # noqa: UP042 - str() and JSON must stay the bare name
    PRACTITIONER = "PRACTITIONER"
    SAFEGUARDING_LEAD = "SAFEGUARDING_LEAD"
    ANALYST = "ANALYST"
    INDEX_ADMIN = "INDEX_ADMIN"
    FEED = "FEED"
    AUDITOR = "AUDITOR"


# R2: only these roles may look a child up.
READ_CHILD_ROLES = frozenset({Role.PRACTITIONER, Role.SAFEGUARDING_LEAD, Role.INDEX_ADMIN})


@dataclass(frozen=True)
class Viewer:
    """The authenticated caller, as the verified token describes them.

    `service_ids` is filled from the graph (the services the practitioner works
    for) because consent may be granted to a service rather than a person (R6b).
    """

    subject: str
    roles: frozenset[Role]
    practitioner_id: str | None = None
    local_authority: str | None = None
    source: str | None = None
    service_ids: frozenset[str] = frozenset()

    def has(self, role: Role) -> bool:
        return role in self.roles

    @property
    def primary_role(self) -> Role:
        """The role recorded in the audit event: the most powerful one held."""
        for role in (
            Role.INDEX_ADMIN,
            Role.SAFEGUARDING_LEAD,
            Role.PRACTITIONER,
            Role.AUDITOR,
            Role.ANALYST,
            Role.FEED,
        ):
            if role in self.roles:
                return role
        raise ValueError("a viewer always has at least one role")
