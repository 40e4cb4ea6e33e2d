"""What tests check of Sam, Hannah's shielded brother (R4), wherever he turns up."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from seed import hannah

__all__ = ["assert_nothing_of_where", "assert_shielded_view", "sam_secrets"]


def sam_secrets(today: date) -> list[str]:
    """Everything that would say where Sam lives or who he lives with."""
    story = hannah.scenario(today)
    sam = next(c for c in story.children if c["id"] == "c-sam")
    father = next(k for k in story.carers if k["id"] == "k-sam-father")
    return [
        sam["addressLine1"],
        sam["addressLine2"],
        sam["postcode"],
        "k-sam-father",
        father["name"],
        father["name"].split()[0],
        father["phone"],
        father["email"],
    ]


def assert_nothing_of_where(body: Any, today: date) -> None:
    text = json.dumps(body)
    for secret in sam_secrets(today):
        assert secret not in text, secret


def assert_shielded_view(sam: dict[str, Any]) -> None:
    """Sam as any practitioner sees him: flagged, reached through the index team only."""
    assert sam["shielded"] is True
    assert sam["address"] is None
    assert sam["carers"] == []
    assert sam["shieldingContact"]["phone"]
    for involvement in sam["involvements"]:
        assert involvement["service"]["contact"] is None
        assert (involvement["practitioner"] or {}).get("contact") is None
