"""CAFs and lead professionals: who holds a child's CAF, who joins its team, who leads.

Functions of the household's random stream and the child's own involvements; they return
records rather than writing into a batch, so the population decides where they go.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from seed.hannah import Record
from seed.synthetic.services import ServiceEntry

__all__ = ["assessment", "social_worker_lead"]

_STRENGTHS = (
    "Attends school regularly",
    "Close relationship with a grandparent",
    "Enjoys football and plays for a local team",
    "Parent is keen to engage with support",
    "Good friendships at school",
    "Takes pride in caring for younger siblings",
    "Creative: enjoys art and music",
    "Stable housing",
)
_CLOSE_REASONS = ("Needs met", "Family moved out of the area", "Consent withdrawn by family")


def assessment(
    rng: random.Random,
    assessment_id: str,
    child_id: str,
    born: date,
    today: date,
    own: list[tuple[Record, ServiceEntry]],
) -> tuple[Record, Record | None]:
    """A CAF held by one of the child's practitioners, often with them as lead professional.

    Returns the assessment and, when the holder also leads, the lead professional record.
    """
    candidates = [
        record
        for record, service in own
        if record["practitionerId"]
        and record["endedOn"] is None
        and not service.record["sensitive"]
    ]
    holder = rng.choice(candidates)
    status = rng.choices(("OPEN", "CLOSED", "TRANSFERRED_TO_SOCIAL_CARE"), (80, 15, 5))[0]
    started = max(born, today - timedelta(days=rng.randint(14, 700)), holder["startedOn"])
    closed = close_reason = next_review = None
    if status == "OPEN":
        next_review = started + timedelta(days=91)
        while next_review <= today:
            next_review += timedelta(days=91)
    else:
        closed = min(today, started + timedelta(days=rng.randint(30, 400)))
        close_reason = (
            "Referred to children's social care"
            if status == "TRANSFERRED_TO_SOCIAL_CARE"
            else rng.choice(_CLOSE_REASONS)
        )
    team = [r["practitionerId"] for r in candidates if r is not holder] if status == "OPEN" else []
    record = {
        "id": assessment_id,
        "status": status,
        "startedOn": started,
        "closedOn": closed,
        "closeReason": close_reason,
        "nextReviewOn": next_review,
        "strengths": rng.sample(_STRENGTHS, rng.randint(1, 3)),
        "childId": child_id,
        "holderId": holder["practitionerId"],
        "teamMemberIds": sorted(set(team)),
    }
    lead = None
    if status == "OPEN" and rng.random() < 0.75:
        since = min(today, started + timedelta(days=rng.randint(0, 30)))
        lead = _lead(holder, child_id, since)
    return record, lead


def social_worker_lead(
    rng: random.Random, child_id: str, own: list[tuple[Record, ServiceEntry]]
) -> Record | None:
    """A child in need usually has their social worker as lead professional."""
    for record, service in own:
        if (
            service.record["kind"] == "SOCIAL_CARE"
            and record["practitionerId"]
            and record["endedOn"] is None
            and rng.random() < 0.5
        ):
            return _lead(record, child_id, record["startedOn"])
    return None


def _lead(involvement: Record, child_id: str, since: date) -> Record:
    """The LEAD_PROFESSIONAL_FOR record of the involvement's practitioner (the involvement
    says nothing itself: graph/lead_professional.py derives its flag)."""
    return {"practitionerId": involvement["practitionerId"], "childId": child_id, "since": since}
