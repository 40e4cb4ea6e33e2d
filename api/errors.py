"""The error codes of the contract, and the only messages a client ever sees.

Every GraphQL error leaves with `extensions.code` from this list. Anything that is
not one of these exceptions becomes INTERNAL with a fixed message: no stack trace,
driver message or Cypher text ever reaches a client.
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

__all__ = [
    "CODES",
    "BadUserInput",
    "BrowsingBudgetExceeded",
    "ConsentRequired",
    "ContactGraphError",
    "ErrorCode",
    "Forbidden",
    "NotFound",
    "PurposeRequired",
    "QueryTooComplex",
    "RateLimited",
    "ServiceUnavailable",
    "Unauthenticated",
]


class ErrorCode(StrEnum):
    """`extensions.code` of every error the API answers with (README: every error code and
    what to do)."""

    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    CONSENT_REQUIRED = "CONSENT_REQUIRED"
    NOT_FOUND = "NOT_FOUND"
    BAD_USER_INPUT = "BAD_USER_INPUT"
    QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"
    RATE_LIMITED = "RATE_LIMITED"
    BROWSING_BUDGET_EXCEEDED = "BROWSING_BUDGET_EXCEEDED"
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
    INTERNAL = "INTERNAL"


CODES: tuple[str, ...] = tuple(code.value for code in ErrorCode)


class ContactGraphError(Exception):
    code: ClassVar[str] = ErrorCode.INTERNAL
    #: When true the whole response carries no data (a missing purpose, a failed audit).
    fatal: ClassVar[bool] = False

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class Unauthenticated(ContactGraphError):
    code = ErrorCode.UNAUTHENTICATED
    fatal = True


class Forbidden(ContactGraphError):
    code = ErrorCode.FORBIDDEN


class ConsentRequired(ContactGraphError):
    code = ErrorCode.CONSENT_REQUIRED


class NotFound(ContactGraphError):
    code = ErrorCode.NOT_FOUND


class BadUserInput(ContactGraphError):
    code = ErrorCode.BAD_USER_INPUT


class PurposeRequired(BadUserInput):
    fatal = True


class BrowsingBudgetExceeded(ContactGraphError):
    """R2: the viewer has read their role's daily number of distinct children. Only the
    field that asked for a new child fails; children already read today still answer."""

    code = ErrorCode.BROWSING_BUDGET_EXCEEDED


class QueryTooComplex(ContactGraphError):
    code = ErrorCode.QUERY_TOO_COMPLEX
    fatal = True


class RateLimited(ContactGraphError):
    code = ErrorCode.RATE_LIMITED
    fatal = True


class ServiceUnavailable(ContactGraphError):
    code = ErrorCode.SERVICE_UNAVAILABLE
    fatal = True
