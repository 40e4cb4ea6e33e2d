"""A decision is a yes or no with the rule that made it, and the reason in words.

Code acts on `rule` and `override_id`, never on `reason`: the reason is for people
(error messages, the audit trail), and its wording may change without changing what
the index does.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["Decision", "Rule", "allow", "deny"]


class Rule(StrEnum):
    """The policy rule (../shared/design/policy.md) that decided."""

    R2 = "R2"
    R3 = "R3"
    R4 = "R4"
    R5 = "R5"
    R6 = "R6"
    R6A = "R6a"
    R6B = "R6b"
    R6C = "R6c"
    R7 = "R7"
    R8 = "R8"
    R9 = "R9"
    R10 = "R10"
    R12 = "R12"
    R14 = "R14"
    R15 = "R15"
    R16 = "R16"
    R17 = "R17"


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    reason: str
    rule: Rule | None = None
    #: The access override (R9) this decision rests on: the audit event names it.
    override_id: str | None = None

    def __bool__(self) -> bool:
        return self.allowed


def allow(reason: str, rule: Rule | None = None, override_id: str | None = None) -> Decision:
    return Decision(True, reason, rule, override_id)


def deny(reason: str, rule: Rule | None = None) -> Decision:
    return Decision(False, reason, rule)
