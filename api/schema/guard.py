"""A guarded value: the policy decision travels with the value, and reading it is audited.

`policies.disclosure.decide` decides before the value is shaped (api/shaping.py); the
field resolver only reveals or withholds, and notes which one happened in the
request's audit collector (R14), with the override the decision rests on (R9). An
aliased or repeated field is recorded once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from strawberry.types import Info

from policies.decision import Decision

__all__ = ["OPEN", "Guard"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Guard:
    allowed: bool
    #: The audit name of the guarded item, e.g. "Involvement:i-1.contact"; None outside a child.
    item: str | None = None
    override_id: str | None = None

    @classmethod
    def of(cls, decision: Decision, item: str) -> Guard:
        return cls(decision.allowed, item, decision.override_id)

    def reveal(self, info: Info[Any, Any], value: T | None) -> T | None:
        if self.item is None:
            return value if self.allowed else None
        audit = info.context.audit
        if not self.allowed:
            audit.deny(self.item)
            return None
        if value is not None:
            audit.disclose(self.item)
            if self.override_id is not None:
                audit.override(self.override_id)
        return value


OPEN = Guard(True)
