"""NHS number check digits (modulus 11), table-driven."""

from __future__ import annotations

import pytest

from graph.nhs_number import check_digit, is_synthetic, is_valid, with_check_digit

VALID = [
    "9434765919",  # the NHS's own published example
    "9434765870",  # check digit 0 (11 - remainder 0 = 11 -> 0)
    "9990001014",  # Hannah's, in the 999 test range
    "4010232137",
]

INVALID = [
    ("9434765918", "wrong check digit"),
    ("9434765911", "wrong check digit"),
    ("4010232138", "wrong check digit"),
    ("1000000010", "remainder gives check 10: no valid number has these nine digits"),
    ("943476591", "nine digits"),
    ("94347659190", "eleven digits"),
    ("943 476 5919", "spaces are stripped by callers, not here"),
    ("943-476-5919", "dashes"),
    ("", "empty"),
    ("94347659l9", "a letter"),
    ("943476591\u0669", "an Arabic-Indic digit is not an ASCII digit"),
    ("\u00b9434765919", "a superscript one is not a digit"),
]


@pytest.mark.parametrize("number", VALID)
def test_valid_numbers_pass(number: str) -> None:
    assert is_valid(number)


@pytest.mark.parametrize(("number", "why"), INVALID)
def test_invalid_numbers_fail(number: str, why: str) -> None:
    assert not is_valid(number), why


@pytest.mark.parametrize(
    ("nine", "expected"),
    [
        ("943476591", "9434765919"),
        ("943476587", "9434765870"),
        ("999000101", "9990001014"),
        ("000000010", "0000000108"),
    ],
)
def test_with_check_digit_appends_the_check(nine: str, expected: str) -> None:
    assert with_check_digit(nine) == expected


# 1*10 + 1*2 = 12 -> 11 - 1 = 10; 999000000: 9*10 + 9*9 + 9*8 = 243 -> 11 - 1 = 10.
@pytest.mark.parametrize("nine", ["100000001", "999000000", "999000014", "000000006"])
def test_nine_digits_whose_check_would_be_ten_have_no_number(nine: str) -> None:
    assert check_digit(nine) is None
    assert with_check_digit(nine) is None
    assert not any(is_valid(f"{nine}{digit}") for digit in range(10))


@pytest.mark.parametrize("nine", ["99900010", "9990001010", "99900010a", ""])
def test_check_digit_needs_exactly_nine_digits(nine: str) -> None:
    with pytest.raises(ValueError):
        check_digit(nine)


def test_every_number_made_with_a_check_digit_is_valid() -> None:
    for stem in range(999_000_000, 999_002_000):
        number = with_check_digit(str(stem))
        if number is not None:
            assert is_valid(number)
            assert is_synthetic(number)


@pytest.mark.parametrize(
    ("number", "synthetic"),
    [("9990001014", True), ("9434765919", False), ("9990001015", False)],
)
def test_only_valid_999_numbers_are_synthetic(number: str, synthetic: bool) -> None:
    assert is_synthetic(number) is synthetic
