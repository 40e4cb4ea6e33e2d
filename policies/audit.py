"""R14: who may read the audit trail."""

from __future__ import annotations

from policies.decision import Decision, allow, deny
from policies.viewer import Role, Viewer

__all__ = ["MAX_TRAIL", "may_read_audit_trail"]

MAX_TRAIL = 1000


def may_read_audit_trail(viewer: Viewer) -> Decision:
    if viewer.has(Role.AUDITOR) or viewer.has(Role.INDEX_ADMIN):
        return allow("R14: AUDITOR and INDEX_ADMIN read the audit trail")
    return deny("R14: only AUDITOR and INDEX_ADMIN read the audit trail")
