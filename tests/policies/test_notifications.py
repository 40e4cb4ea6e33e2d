"""policies.notifications: who is told of an event, and what each is told, without a database.

The decisions are the disclosure decision point's; these rows pin down that a notification
never says more than a read would, and that an event a recipient may not see is not told
to them at all.
"""

from __future__ import annotations

import dataclasses

import pytest

from policies.facts import (
    AssessmentSummaryFact,
    ChildFacts,
    InvolvementFact,
    PractitionerFact,
    ServiceFact,
)
from policies.notifications import (
    Candidate,
    EventContext,
    EventFact,
    mailboxes,
    practitioner_viewer,
    recipients,
    role_viewer,
    shape,
)
from policies.viewer import Role, Viewer
from policies.vocabulary import EventKind
from tests.policies.conftest import NOW, TODAY, child, grant, override, service, viewer

SCHOOL = ServiceFact("s-school", "Oakfield", "SCHOOL", False, "NBR", None)
YOUTH = ServiceFact("s-youth", "Youth", "YOUTH_SERVICE", False, "NBR", None)
CLINIC = service("s-clinic")
LEE = PractitionerFact("p-lee", "Lee", None, YOUTH, None)
NURSE = PractitionerFact("p-nurse", "Nurse", None, CLINIC, None)
AT_YOUTH = InvolvementFact("i-youth", YOUTH, LEE, TODAY, None, False, "feed")
AT_CLINIC = InvolvementFact("i-clinic", CLINIC, NURSE, TODAY, None, False, "feed")
MELANIE = Candidate("p-me", frozenset({"s-school"}), "NBR", frozenset({"involved"}))
LEE_C = Candidate("p-lee", frozenset({"s-youth"}), "NBR", frozenset({"involved"}))
NURSE_C = Candidate("p-nurse", frozenset({"s-clinic"}), "NBR", frozenset({"involved"}))


def event(
    kind: EventKind, subject: str | None = None, practitioner: str | None = None, **kw: str
) -> EventFact:
    return EventFact(
        "evt-1", kind, NOW, "c-1", subject, practitioner, kw.get("la"), kw.get("actor")
    )


def ctx(
    kind: EventKind, the_child: ChildFacts, subject: str | None = None, **kw: object
) -> EventContext:
    practitioner = kw.pop("practitioner", None)
    return EventContext(
        event(kind, subject, practitioner),  # type: ignore[arg-type]
        the_child,
        candidates=kw.pop("candidates", (MELANIE, LEE_C, NURSE_C)),  # type: ignore[arg-type]
        **kw,  # type: ignore[arg-type]
    )


def with_involvements(c: ChildFacts, *found: InvolvementFact) -> ChildFacts:
    return dataclasses.replace(c, involvements=found)


def test_an_ordinary_involvement_is_told_to_the_others_not_to_its_practitioner() -> None:
    c = ctx(
        EventKind.INVOLVEMENT_STARTED,
        with_involvements(child(), AT_YOUTH),
        "i-youth",
        practitioner="p-lee",
    )
    assert [r.key for r in recipients(c)] == ["p-me", "p-nurse"]
    told = shape(c, practitioner_viewer(MELANIE), NOW)
    assert told is not None
    assert told.payload["involvement"]["service"]["id"] == "s-youth"
    assert "Involvement:i-youth" in told.disclosed


def test_a_sensitive_involvement_is_told_only_with_r6_standing() -> None:
    base = with_involvements(child(), AT_CLINIC)
    c = ctx(EventKind.INVOLVEMENT_STARTED, base, "i-clinic", practitioner="p-nurse")
    assert shape(c, practitioner_viewer(MELANIE), NOW) is None
    # A consent path naming her (recorded by the clinic) opens it ...
    consented = dataclasses.replace(base, consents=(grant(),))
    c2 = ctx(EventKind.INVOLVEMENT_STARTED, consented, "i-clinic", practitioner="p-nurse")
    assert shape(c2, practitioner_viewer(MELANIE), NOW) is not None
    # ... withdrawn or expired, it does not.
    for stale in (grant(state="WITHDRAWN"), grant(expires=TODAY.replace(year=TODAY.year - 1))):
        c3 = ctx(
            EventKind.INVOLVEMENT_STARTED,
            dataclasses.replace(base, consents=(stale,)),
            "i-clinic",
        )
        assert shape(c3, practitioner_viewer(MELANIE), NOW) is None
    # An override of her own opens it, and the notification names the override.
    overridden = dataclasses.replace(base, overrides=(override(),))
    c4 = ctx(EventKind.INVOLVEMENT_STARTED, overridden, "i-clinic")
    told = shape(c4, practitioner_viewer(MELANIE), NOW)
    assert told is not None and told.override_ids == ("o-1",)


def test_nothing_about_a_shielded_childs_whereabouts_is_told() -> None:
    sam = with_involvements(child(shielded=True), AT_YOUTH)
    for kind in (
        EventKind.INVOLVEMENT_STARTED,
        EventKind.INVOLVEMENT_ENDED,
        EventKind.INVOLVEMENT_MOVED,
    ):
        c = ctx(kind, sam, "i-youth")
        assert all(shape(c, r.viewer, NOW) is None for r in recipients(c))
    # Only his own index team would see it; they are not a recipient of such events.
    admin = role_viewer(Role.INDEX_ADMIN, "NBR")
    assert shape(ctx(EventKind.INVOLVEMENT_STARTED, sam, "i-youth"), admin, NOW) is not None


@pytest.mark.parametrize("kind", [EventKind.OVERRIDE_RECORDED, EventKind.SHIELD_LIFTED])
def test_overrides_go_to_the_childs_safeguarding_leads(kind: EventKind) -> None:
    c = ctx(kind, child(la="NBR"), "o-9")
    (only,) = recipients(c)
    assert only.key == "SAFEGUARDING_LEAD@NBR"
    told = shape(c, only.viewer, NOW)
    assert told is not None and told.payload["overrideId"] == "o-9"
    # Another authority's lead is not told, nor a practitioner.
    assert shape(c, role_viewer(Role.SAFEGUARDING_LEAD, "EVL"), NOW) is None
    assert shape(c, practitioner_viewer(MELANIE), NOW) is None


def test_reviews_and_alerts_name_no_child_and_go_to_the_index_team() -> None:
    for kind, key in (
        (EventKind.MATCH_REVIEW_WAITING, "reviewId"),
        (EventKind.ACCESS_ALERT_RAISED, "alertId"),
    ):
        c = EventContext(event(kind, "x-1", la="NBR"), None)
        (only,) = recipients(c)
        assert only.key == "INDEX_ADMIN@NBR"
        told = shape(c, only.viewer, NOW)
        assert told is not None and told.payload[key] == "x-1" and told.payload["child"] is None
        assert shape(c, role_viewer(Role.INDEX_ADMIN, "EVL"), NOW) is None


def test_a_withdrawal_is_told_without_what_it_opened() -> None:
    withdrawn = grant(state="WITHDRAWN")
    c = ctx(
        EventKind.CONSENT_WITHDRAWN,
        dataclasses.replace(with_involvements(child(), AT_CLINIC), consents=(withdrawn,)),
        "g-1",
        consent=withdrawn,
        consent_services=(CLINIC,),
        candidates=(dataclasses.replace(MELANIE, standing=frozenset({"grantee"})),),
    )
    (only,) = recipients(c)
    told = shape(c, only.viewer, NOW)
    assert told is not None
    assert told.payload["consent"]["state"] == "WITHDRAWN"
    assert "involvements" not in told.payload and "s-clinic" not in str(told.payload)


def test_the_roles_that_read_no_children_are_told_nothing() -> None:
    c = ctx(EventKind.INVOLVEMENT_STARTED, with_involvements(child(), AT_YOUTH), "i-youth")
    for role in (Role.ANALYST, Role.AUDITOR, Role.FEED):
        assert shape(c, viewer(role), NOW) is None
        assert mailboxes(Viewer("x", frozenset({role}), "p-me", "NBR")) == []


def test_mailboxes() -> None:
    both = Viewer("x", frozenset({Role.PRACTITIONER, Role.SAFEGUARDING_LEAD}), "p-1", "NBR")
    assert mailboxes(both) == ["p-1", "SAFEGUARDING_LEAD@NBR"]
    assert mailboxes(Viewer("x", frozenset({Role.INDEX_ADMIN}), None, None)) == []


def test_an_involvement_moved_into_the_clinic_is_told_only_with_r6_standing() -> None:
    moved = ctx(EventKind.INVOLVEMENT_MOVED, with_involvements(child(), AT_CLINIC), "i-clinic")
    assert [r.key for r in recipients(moved)] == ["p-me", "p-lee", "p-nurse"]
    assert shape(moved, practitioner_viewer(MELANIE), NOW) is None
    assert shape(moved, practitioner_viewer(LEE_C), NOW) is None
    told = shape(moved, practitioner_viewer(NURSE_C), NOW)
    assert told is not None and told.payload["involvement"]["service"]["id"] == "s-clinic"


def test_a_hand_over_is_told_to_the_team_and_both_holders_and_not_who_made_it() -> None:
    caf = AssessmentSummaryFact("a-1", "OPEN", TODAY, LEE)
    with_caf = dataclasses.replace(child(), assessments=(caf,))
    former = Candidate("p-old", frozenset({"s-school"}), "NBR", frozenset({"former"}))
    new = dataclasses.replace(LEE_C, standing=frozenset({"named", "team"}))
    handed = EventContext(
        dataclasses.replace(
            event(EventKind.CAF_HANDED_OVER, "a-1", "p-lee", actor="practitioner:p-nurse"),
            former_practitioner_id="p-old",
        ),
        with_caf,
        candidates=(MELANIE, new, NURSE_C, former),
    )
    assert [r.key for r in recipients(handed)] == ["p-me", "p-lee", "p-old"]
    told = {r.key: shape(handed, r.viewer, NOW) for r in recipients(handed)}
    assert {k: (v.payload.get("you") if v else "-") for k, v in told.items()} == {
        "p-me": None,
        "p-lee": "NEW_HOLDER",
        "p-old": "FORMER_HOLDER",
    }
    # A shielded child's CAF and its holder say where he is: told to none of them (R4).
    hidden = dataclasses.replace(handed, child=dataclasses.replace(with_caf, shielded=True))
    assert [shape(hidden, r.viewer, NOW) for r in recipients(hidden)] == [None, None, None]
