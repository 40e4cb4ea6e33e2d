"""The scheduled retention job (R16): scan, ask the policy, archive and delete in batches.

policies/retention.py decides for each child; graph/retention.py finds the candidates
and writes. The job is safe to re-run: a record already archived is not archived
again, a deleted one is not found, and the decisions are a pure function of the
record's dates and `as_of`. Each run prints its progress and a summary and writes one
audit event (R14) naming every child archived or deleted. A dry run reports what a
real run would do and changes nothing (and so writes no event). The same run prunes
issue 20's records that have served (finished webhook deliveries, read notifications,
fanned-out outbox events: policies.retention.NotificationRetention), in bounded batches.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from time import perf_counter

from graph import retention as store
from graph.audit import AuditRecord, append_events
from graph.database import Graph
from policies.retention import (
    BROWSING_DAYS_KEPT,
    NotificationRetention,
    RetentionStep,
    adults_born_on_or_before,
    browsing_days_forgotten_before,
    involvement_out_of_view_before,
    retention_step,
)

__all__ = ["RetentionSummary", "run_retention"]

SUBJECT = "contactgraph-retention"
# The job acts for the index team: AuditEvent.role must be one of the contract's roles.
ROLE = "INDEX_ADMIN"


@dataclass
class RetentionSummary:
    as_of: date
    dry_run: bool
    examined: int = 0
    archived_at_18: int = 0
    archived_after_death: int = 0
    deleted_children: int = 0
    deleted: Counter[str] = field(default_factory=Counter)
    involvements_out_of_view: int = 0
    browsing_days_trimmed: int = 0
    browsing_days_deleted: int = 0
    #: Issue 20's records pruned (or, on a dry run, due): {what: how many}.
    notifications_pruned: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    audit_event_id: str | None = None

    def lines(self) -> list[str]:
        verb = "would be" if self.dry_run else "were"
        out = [
            f"retention {'dry run ' if self.dry_run else ''}as of {self.as_of.isoformat()} "
            f"in {self.seconds:.1f}s: {self.examined:,} records examined",
            f"  archived at 18th birthday      {self.archived_at_18:>10,}  ({verb} archived)",
            f"  archived a year after death    {self.archived_after_death:>10,}",
            f"  deleted six years after archive{self.deleted_children:>10,}",
        ]
        for name, count in sorted(self.deleted.items()):
            if name != "children":
                out.append(f"    with their {name:<28}{count:>10,}")
        out.append(
            f"  involvements out of view (ended over 365 days ago, kept until the child goes): "
            f"{self.involvements_out_of_view:,}"
        )
        out.append(
            f"  browsing ledger (R2): {self.browsing_days_trimmed:,} past days {verb} cleared "
            f"of the children read, {self.browsing_days_deleted:,} days over "
            f"{BROWSING_DAYS_KEPT} days old {verb} deleted"
        )
        if self.notifications_pruned:
            pruned = ", ".join(f"{n:,} {what}" for what, n in self.notifications_pruned.items())
            out.append(f"  notifications (issue 20): {pruned} {verb} deleted")
        if self.audit_event_id:
            out.append(f"  audit event {self.audit_event_id}")
        return out


async def run_retention(
    graph: Graph,
    *,
    as_of: date,
    dry_run: bool = False,
    batch_size: int = 2000,
    progress: Callable[[str], None] | None = None,
    subject: str = SUBJECT,
    notifications: NotificationRetention | None = None,
) -> RetentionSummary:
    started = perf_counter()
    summary = RetentionSummary(as_of=as_of, dry_run=dry_run)
    touched: list[str] = []
    after = ""
    adults_born_by = adults_born_on_or_before(as_of)
    while True:
        page = await store.scan_children(
            graph, after=after, adults_born_by=adults_born_by, page=batch_size
        )
        if not page:
            break
        after = page[-1].id
        summary.examined += len(page)
        to_archive: list[tuple[str, date]] = []
        after_death: set[str] = set()
        to_delete: list[str] = []
        for child in page:
            decision = retention_step(
                child.date_of_birth, child.archived_on, child.date_of_death, as_of
            )
            if decision.step is RetentionStep.ARCHIVE:
                assert decision.archive_on is not None
                to_archive.append((child.id, decision.archive_on))
                if decision.after_death:
                    after_death.add(child.id)
            elif decision.step is RetentionStep.DELETE:
                to_delete.append(child.id)
        archived = [child_id for child_id, _ in to_archive]
        if not dry_run:
            if to_archive:
                # Another writer may have archived some since the scan: count what changed.
                archived = await store.archive_children(graph, to_archive)
            if to_delete:
                counts = await store.delete_children(graph, to_delete)
                summary.deleted.update(counts)
                summary.deleted_children += counts.get("children", 0)
        else:
            summary.deleted_children += len(to_delete)
        for child_id in archived:
            if child_id in after_death:
                summary.archived_after_death += 1
            else:
                summary.archived_at_18 += 1
        touched.extend(archived)
        touched.extend(to_delete)
        if progress is not None and (to_archive or to_delete):
            progress(
                f"retention: {summary.examined:,} examined, "
                f"{summary.archived_at_18 + summary.archived_after_death:,} archived, "
                f"{summary.deleted_children:,} deleted"
            )
        if len(page) < batch_size:
            break
    summary.involvements_out_of_view = await store.count_out_of_view_involvements(
        graph, involvement_out_of_view_before(as_of)
    )
    # The ledger's days count in UTC days as they pass, whatever date the run is as of:
    # a run as of a later date must not clear today's budget.
    ledger_today = min(as_of, datetime.now(UTC).date())
    (
        summary.browsing_days_trimmed,
        summary.browsing_days_deleted,
    ) = await store.sweep_browsing_days(
        graph, ledger_today, browsing_days_forgotten_before(ledger_today), dry_run=dry_run
    )
    # Like the ledger: a run as of a later date prunes nothing that is not yet due.
    moment = min(datetime.now(UTC), datetime.combine(as_of, time.max, tzinfo=UTC))
    summary.notifications_pruned = await store.prune_notifications(
        graph, (notifications or NotificationRetention()).cutoffs(moment), dry_run=dry_run
    )
    if not dry_run:
        record = AuditRecord(
            id=str(uuid.uuid4()),
            at=datetime.now(UTC),
            subject=subject,
            role=ROLE,
            action="retention",
            purpose=f"R16 retention run as of {as_of.isoformat()}",
            child_ids=touched,
            disclosed=[],
            denied=[],
            request_id=f"retention-{uuid.uuid4().hex[:12]}",
            reason=(
                f"archived {summary.archived_at_18 + summary.archived_after_death}, "
                f"deleted {summary.deleted_children}"
            ),
        )
        await append_events(graph, [record])
        summary.audit_event_id = record.id
    summary.seconds = perf_counter() - started
    return summary
