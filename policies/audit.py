"""R14: who may read the audit trail of a child."""

from __future__ import annotations

from policies.decision import Decision, Rule, allow, deny
from policies.viewer import Role, Viewer

__all__ = [
    "INBOX_ACTION",
    "MAX_TRAIL",
    "NOTIFICATION_ACTION",
    "may_read_audit_trail",
    "may_read_child_trail",
    "may_read_subject_trail",
    "notification_action",
    "read_only_to_decide",
    "read_to_decide",
    "reads_trail_as_written",
    "reviews_others_acts",
    "showed_no_record_error",
    "tells_notifications",
    "trail_held_to_floor",
]

MAX_TRAIL = 1000

#: What every audit event of a notification's dispatch or delivery is called, then its
#: channel: "Notification.inbox". The trail judges such an event as a whole (R14).
NOTIFICATION_ACTION = "Notification."


def notification_action(channel: str) -> str:
    """The audit action of telling someone a notification through `channel`."""
    return NOTIFICATION_ACTION + channel


#: The audit action of reading the inbox (the `notifications` field): its event tells
#: notifications as a channel's does.
INBOX_ACTION = "notifications"


def _fields(action: str) -> list[str]:
    """A request's audit action lists every root field it asked for, joined by commas."""
    return action.split(",")


def tells_notifications(action: str) -> bool:
    """Does an audit event with this action record notifications told to someone?"""
    return any(
        part.startswith(NOTIFICATION_ACTION) or part == INBOX_ACTION for part in _fields(action)
    )


#: The entry an event of reading a trail discloses: "Child:c-1.auditTrail" or
#: "Subject:p-1.auditTrail".
TRAIL_ENTRY = ".auditTrail"

#: Actions that read reported record errors to decide which the caller may know of.
#: Events written before such reads recorded `read_to_decide` (migration 0044's time)
#: say nothing of which children they showed; they are judged by whether they
#: disclosed any report at all (`showed_no_record_error`).
RECORD_ERROR_READS = frozenset({"recordErrors", "resolveRecordError"})


def reads_trail_as_written(role: str, disclosed: tuple[str, ...]) -> bool:
    """Was this the event of an AUDITOR reading a trail (a child's, or a subject's across
    children)? AUDITOR reads events as written, withheld ones included, so the children
    such an event names, and its purpose, pair each child with what the auditor was
    shown: in a child's trail it is AUDITOR's only."""
    return role == Role.AUDITOR.value and any(e.endswith(TRAIL_ENTRY) for e in disclosed)


#: Actions that list other people's audited acts about a child for review: an access
#: override to review (R9). In a child's trail such an event stands beside the act's own
#: event, which may be withheld (an override recorded at a sensitive service), and alone
#: says that it exists.
ACT_REVIEWS = frozenset({"overridesForReview"})


def reviews_others_acts(action: str, role: str, disclosed: tuple[str, ...]) -> bool:
    """Was this the event of reviewing what others did (an AUDITOR's reading of a trail,
    a safeguarding lead's list of overrides to review)? In a child's trail it is
    AUDITOR's only: it pairs the child with acts whose own events may be withheld."""
    reviews = not ACT_REVIEWS.isdisjoint(_fields(action))
    return reviews or reads_trail_as_written(role, disclosed)


def showed_no_record_error(action: str, disclosed: tuple[str, ...]) -> bool:
    """An event of listing or resolving record errors that disclosed no report showed
    no child anything: it read them only to decide (older events say so no other way)."""
    reads = not RECORD_ERROR_READS.isdisjoint(_fields(action))
    return reads and not any(e.startswith("RecordError:") for e in disclosed)


def read_to_decide(child_id: str) -> str:
    """The entry an audit event keeps, among what it withheld, for a child it read only
    to decide what to show and showed nothing of: what the trail judges the event by in
    that child's trail (policies.disclosure.AuditReadToDecide)."""
    return f"Child:{child_id}.readToDecide"


def may_read_audit_trail(viewer: Viewer) -> Decision:
    """Before anything is looked up: only these roles read any trail at all."""
    if viewer.has(Role.AUDITOR) or viewer.has(Role.INDEX_ADMIN):
        return allow("R14: AUDITOR and INDEX_ADMIN read the audit trail", Rule.R14)
    return deny("R14: only AUDITOR and INDEX_ADMIN read the audit trail", Rule.R14)


def trail_held_to_floor(viewer: Viewer) -> bool:
    """R4, no oracle: whether `viewer`'s answers from a child's trail are held to a floor
    time (the `trail_floor_s` setting).

    A trail read leaves out what this reader may not see (an event made from a sensitive
    service, a review of others' acts, a read only to decide) and reads on to fill the
    page, so the more it leaves out, the longer it takes: asked with `subject` set to a
    clinic nurse, an always-empty answer took longer for the children she acted on. Held
    to a floor that such reads stay under, every answer takes the same time. AUDITOR is
    shown every event as written, so nothing is left out and nothing is held."""
    return not viewer.has(Role.AUDITOR)


def may_read_child_trail(viewer: Viewer, child_local_authority: str | None) -> Decision:
    """R14: AUDITOR reads any child's trail; INDEX_ADMIN only a child of their own local
    authority, whose index they keep."""
    if viewer.has(Role.AUDITOR):
        return allow("R14: AUDITOR reads any child's trail", Rule.R14)
    if (
        viewer.has(Role.INDEX_ADMIN)
        and viewer.local_authority is not None
        and viewer.local_authority == child_local_authority
    ):
        return allow("R14: INDEX_ADMIN of the child's own local authority", Rule.R14)
    return deny("R14: the child belongs to another local authority's index", Rule.R14)


def may_read_subject_trail(viewer: Viewer) -> Decision:
    """R14: following one subject across every child is an auditor's investigation. An
    index admin keeps one authority's index and reads its children's trails, which
    already show who looked; across authorities a subject's trail would show children
    they may not read."""
    if viewer.has(Role.AUDITOR):
        return allow("R14: AUDITOR follows a subject across the trail", Rule.R14)
    return deny("R14: only AUDITOR follows a subject across the trail", Rule.R14)


def read_only_to_decide(
    child_id: str, action: str, disclosed: tuple[str, ...], denied: tuple[str, ...]
) -> bool:
    """Did this event read the child only to decide what to show, and show nothing of
    them? Anyone but AUDITOR who is told of such an event learns of what it withheld: it
    is left out of the child's trail (policies.disclosure.AuditReadToDecide) and of the
    family's subject access report (policies.subject_access)."""
    return read_to_decide(child_id) in denied or showed_no_record_error(action, disclosed)
