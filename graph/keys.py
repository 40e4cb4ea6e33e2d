"""Search keys: the normalised forms that names and postcodes are compared by.

R2 allows exact keys only, but "exact" must survive honest typing differences:
"O'Brien" and "obrien", "Zoë" and "Zoe", "sw1a 1aa" and "SW1A1AA" are the same key.
Children are stored with these keys beside the original spelling, so a search is an
index lookup on the key and never a pattern match.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["address_key", "name_key", "postcode_key"]


_NOT_ASCII_ALNUM = re.compile(r"[^0-9A-Za-z]+")


def _fold(text: str) -> str:
    if text.isascii():  # most text: NFKD leaves it as it is, and isalnum() is [0-9A-Za-z]
        return _NOT_ASCII_ALNUM.sub("", text).lower()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if ch.isalnum()).casefold()


def name_key(name: str) -> str:
    """A given or family name reduced to letters and digits, casefolded, accents gone."""
    return _fold(name)


def postcode_key(postcode: str) -> str:
    """A postcode without spaces, upper-cased: 'sw1a 1aa' -> 'SW1A1AA'."""
    return _fold(postcode).upper()


def address_key(line1: str | None, postcode: str | None) -> str | None:
    """First address line and postcode together: children sharing it share an address."""
    if not line1 or not postcode:
        return None
    return f"{_fold(line1)}|{postcode_key(postcode)}"
