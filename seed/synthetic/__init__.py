"""A synthetic child population with the shape of a real index, and nothing real in it.

Why it looks the way it does:

- Every child has an education setting (early years under 5, school 5 to 15,
  further education 16 and 17) and a GP, as ContactPoint recorded universal
  services for everyone; a quarter have one to four further involvements, some
  ended recently (still visible under R5) and some long ago (hidden). About 3% have
  a CAF, 1% an involvement with a sensitive service (R6), 0.3% are shielded (R4).
- Children come in households of one to four siblings who share one to two carers
  and an address, so network tracing (R12) has links to follow.
- Services and practitioners are generated up front per local authority and are a
  pure function of (local authority, kind, number): their ids and contents do not
  depend on the population size or the seed, so seeding 1,000 and later 100,000
  children upserts the same services instead of duplicating them. Pools of schools,
  early years settings, colleges and GP practices grow with the population (about
  one school per 400 children, one GP practice per 1,500); the other kinds are a
  fixed handful per authority.
- Children, carers, involvements and assessments get ids from (seed, running
  number), and each household draws from its own random stream seeded by (seed,
  household number). Household n is therefore the same whatever the population
  size, and re-running with the same seed upserts the same records.

Nothing can be mistaken for a real person: names come from Faker (en_GB), phones
are in Ofcom's drama ranges (01632 960xxx, 07700 900xxx), emails are at
example.org/.net, NHS numbers are in the 999 test range, and postcodes use areas
that do not exist (NB, EV, SQ, WX).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from seed.hannah import local_authorities
from seed.synthetic.people import age_on
from seed.synthetic.population import Batch, Population
from seed.synthetic.services import ServiceEntry, school_phase, service_directory

__all__ = [
    "BATCH_SIZE",
    "Batch",
    "ServiceEntry",
    "age_on",
    "generate",
    "school_phase",
    "service_directory",
]

BATCH_SIZE = 5000
"""Children per batch: big enough for fast UNWIND writes, small enough to keep memory flat."""


def _reference_data(directory: dict[str, dict[str, list[ServiceEntry]]]) -> Batch:
    batch = Batch(local_authorities=local_authorities())
    for by_kind in directory.values():
        for entries in by_kind.values():
            for entry in entries:
                batch.services.append(entry.record)
                batch.practitioners.extend(entry.practitioners)
    return batch


def generate(
    children: int, seed: int, today: date, batch_size: int = BATCH_SIZE, id_key: bytes = b""
) -> Iterator[Batch]:
    """Yields a population of `children` in batches of about `batch_size` children.

    The first batch also carries the local authorities, services and practitioners,
    so writing batches in order never refers to a service not yet written. A batch
    ends on a household boundary (siblings stay together) and so may hold a few
    children more than `batch_size`.
    """
    if children < 0:
        raise ValueError("children must be zero or more")
    directory = service_directory(children)
    population = Population(seed, today, directory, id_key)
    batch = _reference_data(directory)
    made = 0
    household = 0
    while made < children:
        household += 1
        made += population.household(household, children - made, batch)
        if len(batch.children) >= batch_size:
            yield batch
            batch = Batch()
    if made == 0 or batch.children:
        yield batch
