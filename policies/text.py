"""How long a piece of free text really is, for rules that ask for words (R9, R14).

A justification of twenty zero-width spaces is twenty characters long and says nothing.
What counts is what a reader sees: the text after Unicode normalisation (NFKC, so a
compatibility form counts as the character it stands for), without control and format
characters (zero-width spaces and joiners, direction marks), without combining marks
(which draw on the character before them), with each run of white space counted once.
"""

from __future__ import annotations

import unicodedata

__all__ = ["visible_length", "visible_text"]


def visible_text(text: str) -> str:
    normalised = unicodedata.normalize("NFKC", text)
    kept = (
        ch for ch in normalised if unicodedata.category(ch)[0] not in {"C", "M"} or ch in "\t\n"
    )
    return " ".join("".join(kept).split())


def visible_length(text: str) -> int:
    return len(visible_text(text))
