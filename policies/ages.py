"""Age in whole years: consent (R10) and retention (R16) both turn on birthdays."""

from __future__ import annotations

from datetime import date

__all__ = ["age_on", "birthday_in_year"]


def birthday_in_year(born: date, year: int) -> date:
    """The birthday in `year`; 29 February falls on 1 March in other years."""
    try:
        return born.replace(year=year)
    except ValueError:
        return date(year, 3, 1)


def age_on(born: date, day: date) -> int:
    years = day.year - born.year
    if day < birthday_in_year(born, day.year):
        years -= 1
    return years
