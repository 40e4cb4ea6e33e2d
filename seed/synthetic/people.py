"""People: name and street pools seeded by the seed, NHS numbers, ages and school years."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from faker import Faker

from graph.nhs_number import TEST_PREFIX, check_digit
from seed.hannah import LOCAL_AUTHORITY_CODES
from seed.synthetic.places import STREET_TYPES, place_name, postcode_in

__all__ = ["Names", "age_on", "nhs_numbers", "school_start"]


@dataclass(frozen=True)
class Names:
    """Name and street pools drawn once from Faker, so each household only indexes into them.

    Drawing with repetition keeps Faker's weighting (common names stay common), and
    picking from a pool is a hundred times faster than asking Faker per person.
    """

    female: tuple[str, ...]
    male: tuple[str, ...]
    family: tuple[str, ...]
    streets: dict[str, tuple[tuple[str, str], ...]]  # la -> (street, postcode)
    localities: dict[str, tuple[str, ...]]

    @classmethod
    def for_seed(cls, seed: int) -> Names:
        fake = Faker("en_GB")
        fake.seed_instance(seed)
        rng = random.Random(f"names:{seed}")
        streets = {}
        localities = {}
        for la in LOCAL_AUTHORITY_CODES:
            seen: dict[str, str] = {}
            while len(seen) < 1500:
                ending = rng.choice(STREET_TYPES)
                stem = fake.last_name() if rng.random() < 0.5 else place_name(rng)
                seen.setdefault(f"{stem} {ending}", postcode_in(rng, la))
            streets[la] = tuple(seen.items())
            localities[la] = tuple(
                f"{rng.choice(('Upper ', 'Lower ', 'Old ', ''))}{place_name(rng)}"
                for _ in range(12)
            )
        return cls(
            female=tuple(fake.first_name_female() for _ in range(3000)),
            male=tuple(fake.first_name_male() for _ in range(3000)),
            family=tuple(fake.last_name() for _ in range(5000)),
            streets=streets,
            localities=localities,
        )


def nhs_numbers(seed: int) -> Iterator[str | None]:
    """Unique valid NHS numbers in the test range, in a seed-dependent order.

    Walks 999 000 000 to 999 999 999 with a stride coprime to 10**6, so every
    nine-digit stem is visited once; stems whose check digit would be 10 are skipped,
    and 999 000 0000-0999 stay free for named scenarios such as Hannah's. That leaves
    about 909,000 numbers per seed; children beyond that get no NHS number (it is
    optional in the model, as for a newborn not yet registered).
    """
    stride = 387_799
    offset = random.Random(f"nhs:{seed}").randrange(10**6)
    for k in range(10**6):
        stem = (offset + k * stride) % 10**6
        if stem < 1000:
            continue
        nine = f"{TEST_PREFIX}{stem:06d}"
        digit = check_digit(nine)
        if digit is not None:
            yield f"{nine}{digit}"
    while True:
        yield None


def age_on(born: date, today: date) -> int:
    """Age in whole years on `today`."""
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def school_start(born: date, years_after_reception: int) -> date:
    """The 1 September on which a child born on `born` starts a school year.

    England's school year runs from 1 September: a child born September to August
    starts reception in the September after their fourth birthday, Year 7
    (secondary) seven years later, and post-16 education twelve years later.
    """
    cohort = born.year + (1 if born.month >= 9 else 0)
    return date(cohort + 4 + years_after_reception, 9, 1)
