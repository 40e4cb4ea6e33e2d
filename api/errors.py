"""The error codes of the contract, and the only messages a client ever sees.

Every GraphQL error leaves with `extensions.code` from this list. Anything that is
not one of these exceptions becomes INTERNAL with a fixed message: no stack trace,
driver message or Cypher text ever reaches a client.
"""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "CODES",
    "BadUserInput",
    "BrowsingBudgetExceeded",
    "ConsentRequired",
    "ContactGraphError",
    "Forbidden",
    "NotFound",
    "PurposeRequired",
    "QueryTooComplex",
    "RateLimited",
    "ServiceUnavailable",
    "Unauthenticated",
]

CODES = (
    "UNAUTHENTICATED",
    "FORBIDDEN",
    "CONSENT_REQUIRED",
    "NOT_FOUND",
    "BAD_USER_INPUT",
    "QUERY_TOO_COMPLEX",
    "RATE_LIMITED",
    "BROWSING_BUDGET_EXCEEDED",
    "SERVICE_UNAVAILABLE",
    "INTERNAL",
)


class ContactGraphError(Exception):
    code: ClassVar[str] = "INTERNAL"
    #: When true the whole response carries no data (a missing purpose, a failed audit).
    fatal: ClassVar[bool] = False

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class Unauthenticated(ContactGraphError):
    code = "UNAUTHENTICATED"
    fatal = True


class Forbidden(ContactGraphError):
    code = "FORBIDDEN"


class ConsentRequired(ContactGraphError):
    code = "CONSENT_REQUIRED"


class NotFound(ContactGraphError):
    code = "NOT_FOUND"


class BadUserInput(ContactGraphError):
    code = "BAD_USER_INPUT"


class PurposeRequired(BadUserInput):
    fatal = True


class BrowsingBudgetExceeded(ContactGraphError):
    """R2: the viewer has read their role's daily number of distinct children. Only the
    field that asked for a new child fails; children already read today still answer."""

    code = "BROWSING_BUDGET_EXCEEDED"


class QueryTooComplex(ContactGraphError):
    code = "QUERY_TOO_COMPLEX"
    fatal = True


class RateLimited(ContactGraphError):
    code = "RATE_LIMITED"
    fatal = True


class ServiceUnavailable(ContactGraphError):
    code = "SERVICE_UNAVAILABLE"
    fatal = True
