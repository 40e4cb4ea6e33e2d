"""R16: how long a child's record lives, and what a feed may still add.

The index holds children up to their 18th birthday (ContactPoint explained; CAF
managers' guide 2.12). So:

- On the 18th birthday the record is archived: no longer found by search, still
  readable by INDEX_ADMIN for a year (policies.visibility.may_find).
- Six years after archiving it is deleted, with everything that hangs only on that
  child (graph/retention.py lists what). Audit events stay: they are append-only.
- After a child's death the record stays live for one year (a serious case review
  needs to know who was involved), then is archived. The year is kept even when the
  18th birthday falls inside it: "stays live for one year" is the stronger promise.
  A death recorded after the record was archived changes nothing.
- The archive date recorded is the day the rule fell due, not the day the job ran,
  so a job that did not run for a week does not extend anybody's retention. When the
  deletion date has also passed (a record loaded late), the decision is to delete.
- Involvements drop from view 365 days after they end (R5); the read side applies
  that on every request. The job does not delete them early: an ended involvement is
  kept until its child's record is deleted, so a source can still correct its end
  date (an END re-sent with the right date brings it back into view), and the
  disclosures named in audit events keep pointing at something. The job reports how
  many are out of view.

What the index keeps about who read whom is retained too. The browsing ledger's
day (R2: the distinct children a subject read that day) is needed only on that day:
once it has passed, the list of children goes and the count stays; the day itself
goes after `BROWSING_DAYS_KEPT`, longer than accessReport's longest period, so a
report never misses a subject's authority. The audit trail (R14) keeps what was read.

A feed may not create a child who is already past retention: someone 18 or over, or
a child whose death was more than a year ago, is out of the index's scope. An update
to a child already on the index is accepted; it does not bring an archived record
back to life.

Notifications (issue 20) are kept while they serve. A webhook delivery that has
finished (DELIVERED, DEAD, WITHHELD, CANCELLED) goes after `webhook_days` (long enough
for an admin to replay a dead letter); a notification its recipient has read goes after
`read_days`, once no delivery of it is kept; an outbox event goes `outbox_days` after it
was fanned out, once none of its notifications is kept (every delivery re-reads the
event's facts, so an event goes only after the last notification that needs it). An
unread notification is kept: it is what the inbox is for. Each is configurable
(`NotificationRetention`, `contactgraph retention run --*-days`).

Everything here is a pure function of dates; `today` is the job's `--as-of` date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from policies.ages import birthday_in_year
from policies.decision import Decision, allow, deny
from policies.visibility import INVOLVEMENT_WINDOW

__all__ = [
    "ADULT_AGE",
    "BROWSING_DAYS_KEPT",
    "DELETE_AFTER_YEARS",
    "LIVE_AFTER_DEATH_YEARS",
    "NotificationCutoffs",
    "NotificationRetention",
    "RetentionDecision",
    "RetentionStep",
    "admissible_new_child",
    "adults_born_on_or_before",
    "archive_due",
    "browsing_days_forgotten_before",
    "delete_due",
    "involvement_out_of_view_before",
    "retention_step",
]

ADULT_AGE = 18
DELETE_AFTER_YEARS = 6
LIVE_AFTER_DEATH_YEARS = 1
#: Days a browsing ledger day is kept: more than accessReport's 366-day period.
BROWSING_DAYS_KEPT = 400


class RetentionStep(StrEnum):
    KEEP = "KEEP"
    ARCHIVE = "ARCHIVE"
    DELETE = "DELETE"


@dataclass(frozen=True, slots=True)
class RetentionDecision:
    step: RetentionStep
    reason: str
    #: For ARCHIVE: the date the rule fell due, recorded as the child's archivedOn.
    archive_on: date | None = None
    #: For ARCHIVE: the death rule fell due, not the 18th birthday.
    after_death: bool = False


def _years_after(day: date, years: int) -> date:
    """`day` plus whole years; 29 February falls on 1 March, as birthdays do (ages.py)."""
    return birthday_in_year(day, day.year + years)


def archive_due(date_of_birth: date, date_of_death: date | None) -> date:
    """The day a live record is archived: the 18th birthday, or a year after death."""
    if date_of_death is not None:
        eighteenth = _years_after(date_of_birth, ADULT_AGE)
        if date_of_death < eighteenth:
            return _years_after(date_of_death, LIVE_AFTER_DEATH_YEARS)
    return _years_after(date_of_birth, ADULT_AGE)


def delete_due(archived_on: date) -> date:
    return _years_after(archived_on, DELETE_AFTER_YEARS)


def retention_step(
    date_of_birth: date, archived_on: date | None, date_of_death: date | None, today: date
) -> RetentionDecision:
    """What the scheduled job does with one child's record today (R16)."""
    if archived_on is not None:
        if delete_due(archived_on) <= today:
            return RetentionDecision(RetentionStep.DELETE, "R16: six years after archiving")
        return RetentionDecision(RetentionStep.KEEP, "R16: archived, not yet six years")
    due = archive_due(date_of_birth, date_of_death)
    if due > today:
        return RetentionDecision(RetentionStep.KEEP, "R16: live record")
    if delete_due(due) <= today:
        return RetentionDecision(
            RetentionStep.DELETE, "R16: archiving fell due more than six years ago"
        )
    if due != _years_after(date_of_birth, ADULT_AGE):
        return RetentionDecision(
            RetentionStep.ARCHIVE,
            "R16: a year after the child's death",
            archive_on=due,
            after_death=True,
        )
    return RetentionDecision(RetentionStep.ARCHIVE, "R16: 18th birthday", archive_on=due)


def adults_born_on_or_before(today: date) -> date:
    """The latest date of birth whose 18th birthday has come by `today` (a scan bound)."""
    bound = birthday_in_year(today, today.year - ADULT_AGE)
    # birthday_in_year moves 29 February to 1 March; a child born on 1 March turns 18
    # on 1 March, so for a 29 February `today` the bound is the 28th.
    if (today.month, today.day) == (2, 29):
        bound = date(today.year - ADULT_AGE, 2, 28)
    return bound


def admissible_new_child(date_of_birth: date, date_of_death: date | None, today: date) -> Decision:
    """May a feed create this child? Not if R16 would already have archived them."""
    if archive_due(date_of_birth, date_of_death) <= today:
        return deny("R16: the index holds children up to their 18th birthday")
    return allow("R16: within the index's scope")


def involvement_out_of_view_before(today: date) -> date:
    """Involvements that ended before this date are no longer shown (R5, R16)."""
    return today - INVOLVEMENT_WINDOW


def browsing_days_forgotten_before(today: date) -> date:
    """Browsing ledger days before this date are deleted (R2 figures kept for reports)."""
    return today - timedelta(days=BROWSING_DAYS_KEPT)


@dataclass(frozen=True, slots=True)
class NotificationCutoffs:
    """Records of issue 20 older than these moments may go (see the module's text)."""

    webhook_deliveries_before: datetime
    read_notifications_before: datetime
    outbox_events_before: datetime


@dataclass(frozen=True, slots=True)
class NotificationRetention:
    """How long issue 20's records are kept once they have served, in days."""

    webhook_days: int = 30
    read_days: int = 90
    outbox_days: int = 30

    def __post_init__(self) -> None:
        for name in ("webhook_days", "read_days", "outbox_days"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")

    def cutoffs(self, now: datetime) -> NotificationCutoffs:
        return NotificationCutoffs(
            webhook_deliveries_before=now - timedelta(days=self.webhook_days),
            read_notifications_before=now - timedelta(days=self.read_days),
            outbox_events_before=now - timedelta(days=self.outbox_days),
        )
