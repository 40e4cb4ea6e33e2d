"""A decision is a yes or no with the reason, so the audit trail can say why."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Decision", "allow", "deny"]


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    reason: str

    def __bool__(self) -> bool:
        return self.allowed


def allow(reason: str) -> Decision:
    return Decision(True, reason)


def deny(reason: str) -> Decision:
    return Decision(False, reason)
