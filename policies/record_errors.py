"""Record errors: who reports that a child's index record is wrong, and who deals with it.

ContactPoint explained: practitioners who find a record wrong tell the local authority's
index team, who correct it or ask the source system to. Whoever may look a child up (R2)
may report on a child they can find; a child they cannot find is answered as unknown
(R4's no-oracle rule). The queue is the index team's of the child's local authority, as
the match review queue is (R15).
"""

from __future__ import annotations

from policies.decision import Decision, allow, deny
from policies.viewer import Role, Viewer
from policies.visibility import may_read_children

__all__ = ["may_report_record_error", "may_withdraw_record_error", "may_work_record_errors"]


def may_report_record_error(viewer: Viewer) -> Decision:
    """R2: those who may look a child up may say what is wrong with what they found."""
    return may_read_children(viewer)


def may_work_record_errors(viewer: Viewer, local_authority: str | None) -> Decision:
    """Only an index team works the queue, and each team only its own local authority's."""
    if not viewer.has(Role.INDEX_ADMIN):
        return deny("only INDEX_ADMIN works the record error queue")
    if not viewer.local_authority:
        return deny("an INDEX_ADMIN token must name its local authority")
    if local_authority is not None and local_authority != viewer.local_authority:
        return deny("INDEX_ADMIN works the queue of their own local authority only")
    return allow("INDEX_ADMIN of this local authority")


def may_withdraw_record_error(viewer: Viewer, reported_by: str) -> Decision:
    """The reporter alone may take their report back. A report the team may not know of
    (R6: made from a sensitive service) is otherwise never closed, and stays in the queue
    for good; its reporter, told to call the team instead, can close it here. Anyone else
    is answered as for an unknown report (no oracle)."""
    if not may_report_record_error(viewer):
        return deny("your role may not report on records, nor withdraw a report")
    if viewer.subject != reported_by:
        return deny("only the practitioner who reported it withdraws a report")
    return allow("the reporter withdraws their own report")
