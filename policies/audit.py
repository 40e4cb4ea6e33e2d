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
    "read_to_decide",
    "tells_notifications",
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


def tells_notifications(action: str) -> bool:
    """Does an audit event with this action record notifications told to someone? A
    request's action lists every root field it asked for, joined by commas."""
    return any(
        part.startswith(NOTIFICATION_ACTION) or part == INBOX_ACTION for part in action.split(",")
    )


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
