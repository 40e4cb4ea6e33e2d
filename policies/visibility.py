"""R2, R3, R5, R6, R7 (index view): who may find a child, and which involvements show.

The presence of a sensitive involvement is itself guarded (R6): when it is withheld
it is omitted entirely, with no placeholder and no count that would reveal it.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from policies.consent import consent_path
from policies.decision import Decision, Rule, allow, deny
from policies.facts import ChildFacts, InvolvementFact, PractitionerFact, ServiceFact
from policies.overrides import active_override
from policies.viewer import READ_CHILD_ROLES, Role, Viewer
from policies.vocabulary import ConsentPurpose

__all__ = [
    "ARCHIVE_READ_WINDOW",
    "INVOLVEMENT_WINDOW",
    "SEARCH_LIMIT",
    "involvement_horizon",
    "involvement_visible",
    "may_find",
    "may_read_children",
    "practitioner_visible",
    "sensitive_service_visible",
    "within_window",
]

# R5, R16: an involvement stays listed for a year after it ends.
INVOLVEMENT_WINDOW = timedelta(days=365)
# R16: an archived record stays readable by INDEX_ADMIN for a year.
ARCHIVE_READ_WINDOW = timedelta(days=365)
# R2: no browsing and no bulk export.
SEARCH_LIMIT = 20


def may_read_children(viewer: Viewer) -> Decision:
    if viewer.roles & READ_CHILD_ROLES:
        return allow("R2: role may look a child up")
    return deny("R2: this role may not read children")


def may_find(viewer: Viewer, child: ChildFacts, today: date, *, by_search: bool) -> Decision:
    """R2/R16: archived records are not found; INDEX_ADMIN may still read one for a year."""
    if child.archived_on is None:
        return allow("R2: live record")
    if (
        not by_search
        and viewer.has(Role.INDEX_ADMIN)
        and today - child.archived_on <= ARCHIVE_READ_WINDOW
    ):
        return allow("R16: INDEX_ADMIN reads an archived record within a year")
    return deny("R16: the record is archived")


def involvement_horizon(today: date) -> date:
    """The earliest end date still shown (R5); the graph may skip anything older."""
    return today - INVOLVEMENT_WINDOW


def within_window(involvement: InvolvementFact, today: date) -> bool:
    return involvement.ended_on is None or involvement.ended_on >= involvement_horizon(today)


def sensitive_service_visible(
    viewer: Viewer, child: ChildFacts, service: ServiceFact, today: date, now: datetime
) -> Decision:
    """R6: may the viewer learn that this child is involved with this sensitive service?"""
    if not service.is_sensitive:
        return allow("R5: not a sensitive service", Rule.R5)
    if service.id in viewer.service_ids:
        return allow("R6a: the viewer works for this service", Rule.R6A)
    path = consent_path(
        viewer,
        child.consents,
        purpose=ConsentPurpose.SHARE_CONTACT_DETAILS,
        date_of_birth=child.date_of_birth,
        today=today,
        service_id=service.id,
        now=now,
    )
    if path:
        return allow(path.reason, Rule.R6B)
    override = active_override(viewer, child.overrides, now)
    if override is not None:
        return allow(f"R6c: access override {override.id}", Rule.R6C, override.id)
    return deny("R6: sensitive involvement without consent, own service or override", Rule.R6)


def involvement_visible(
    viewer: Viewer, child: ChildFacts, involvement: InvolvementFact, today: date, now: datetime
) -> Decision:
    if not within_window(involvement, today):
        return deny("R5: ended more than 365 days ago", Rule.R5)
    return sensitive_service_visible(viewer, child, involvement.service, today, now)


def practitioner_visible(
    viewer: Viewer, child: ChildFacts, practitioner: PractitionerFact, today: date, now: datetime
) -> Decision:
    """A lead professional or CAF holder from a sensitive service reveals that involvement,
    so they are shown under the same R6 test as the involvement itself."""
    if practitioner.service is None:
        return allow("R3: practitioner without a service", Rule.R3)
    return sensitive_service_visible(viewer, child, practitioner.service, today, now)
