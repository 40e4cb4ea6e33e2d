"""The four fictional local authorities: how the population divides between them, and
the made-up places, streets, postcodes and phone numbers everything in them uses.

Phones are in Ofcom's drama ranges (01632 960xxx, 07700 900xxx) and postcodes use areas
that do not exist (NB, EV, SQ, WX), so nothing here can reach a real person or place.
"""

from __future__ import annotations

import random

from seed.hannah import local_authorities

__all__ = [
    "LA_NAME",
    "LA_SHARE",
    "STREET_TYPES",
    "landline",
    "mobile",
    "place_name",
    "postcode_in",
]

LA_SHARE = {"NBR": 0.30, "EVL": 0.25, "SMR": 0.25, "WFD": 0.20}
LA_NAME = {la["code"]: la["name"] for la in local_authorities()}
_POSTCODE_AREA = {"NBR": "NB", "EVL": "EV", "SMR": "SQ", "WFD": "WX"}
_INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"  # the letters a real inward code may use

_PLACES = (
    "Oak", "Ash", "Elm", "Willow", "Beech", "Hazel", "Rowan", "Birch", "Cedar", "Holly",
    "Maple", "Alder", "Larch", "Heather", "Bramble", "Meadow", "Brook", "Mill", "Church",
    "Castle", "Hill", "Park", "Moor", "Dale", "Bridge", "Stone", "Fern", "Orchard", "Kings",
    "Queens", "Abbey", "Priory", "Grange", "Manor", "Fox", "Lark", "Wren", "Heron", "Swan",
)  # fmt: skip
_PLACE_ENDINGS = (
    "field", "side", "bank", "wood", "lea", "gate", "croft", "hurst", "ley", "mead",
    "brook", "ford", "well", "combe", "thorpe", "stead", "holme", "dene",
)  # fmt: skip
STREET_TYPES = (
    "Road", "Street", "Close", "Avenue", "Lane", "Drive", "Way", "Crescent", "Gardens",
    "Grove", "Place", "Terrace", "Court", "Walk", "Rise", "View", "Mews", "Row",
)  # fmt: skip


def landline(rng: random.Random) -> str:
    return f"01632 960{rng.randrange(1000):03d}"


def mobile(rng: random.Random) -> str:
    return f"07700 900{rng.randrange(1000):03d}"


def postcode_in(rng: random.Random, la: str) -> str:
    district = rng.randint(2, 19)
    inward = f"{rng.randint(1, 9)}{rng.choice(_INWARD_LETTERS)}{rng.choice(_INWARD_LETTERS)}"
    return f"{_POSTCODE_AREA[la]}{district} {inward}"


def place_name(rng: random.Random) -> str:
    return rng.choice(_PLACES) + rng.choice(_PLACE_ENDINGS)
