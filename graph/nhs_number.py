"""NHS numbers: the modulus 11 check that catches a mistyped digit.

An NHS number is ten digits; the tenth is a check digit over the first nine
(weights 10 down to 2, then 11 minus the remainder mod 11, where 11 means 0 and
10 means the nine digits can never form a valid number). Validating before a
lookup turns a typo into a clear "that is not an NHS number" instead of a silent
"no such child", and the seed data must pass the same check the API applies.

Synthetic data uses only the 999 prefix: NHS England reserves 999 000 0000 to
999 999 9999 for testing, so a generated number can never be a real person's.
"""

from __future__ import annotations

__all__ = ["TEST_PREFIX", "check_digit", "is_synthetic", "is_valid", "with_check_digit"]

TEST_PREFIX = "999"
"""The NHS test range: every synthetic NHS number starts with it."""

_WEIGHTS = (10, 9, 8, 7, 6, 5, 4, 3, 2)
_times = int.__mul__


def _ascii_digits(text: str, length: int) -> bool:
    # str.isdigit() accepts superscripts and other scripts' digits: NHS numbers are ASCII,
    # and for ASCII text isdigit() is exactly 0-9.
    return len(text) == length and text.isascii() and text.isdigit()


def check_digit(nine: str) -> int | None:
    """The check digit for nine ASCII digits, or None when no check digit exists (10)."""
    if not _ascii_digits(nine, 9):
        raise ValueError(f"expected nine digits, got {nine!r}")
    total = sum(map(_times, map(int, nine), _WEIGHTS))
    digit = 11 - total % 11
    if digit == 11:
        return 0
    if digit == 10:
        return None
    return digit


def is_valid(text: str) -> bool:
    """True when `text` is exactly ten ASCII digits whose last digit is the modulus 11 check.

    No spaces or dashes are accepted: callers that take human input strip the
    "943 476 5919" grouping first, so that the stored form is always the bare ten digits.
    """
    if not _ascii_digits(text, 10):
        return False
    return check_digit(text[:9]) == int(text[9])


def with_check_digit(nine: str) -> str | None:
    """The full ten-digit number for nine digits, or None when those nine cannot be valid."""
    digit = check_digit(nine)
    return None if digit is None else f"{nine}{digit}"


def is_synthetic(text: str) -> bool:
    """True for a valid number in the 999 test range, the only numbers seed data may use."""
    return text.startswith(TEST_PREFIX) and is_valid(text)
