"""policies.disclosure.decide: every guarded item, every viewer that matters, one table.

Each row is one question the shaping step asks: who, which item, of which child, and
the answer with the rule that must have made it. The table is the specification of
what a caller sees of a child; a new guarded item adds rows here.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from policies import disclosure as d
from policies.assessments import AssessmentAccessFacts
from policies.decision import Rule
from policies.facts import (
    AddressFact,
    AssessmentSummaryFact,
    CarerFact,
    ChildFacts,
    ContactFact,
    InvolvementFact,
    PractitionerFact,
    ServiceFact,
)
from policies.viewer import Role
from tests.policies.conftest import NOW, TODAY, child, override, service, viewer

SCHOOL = ServiceFact("s-school", "Eastvale High", "SCHOOL", False, "EVL", None)
CLINIC = service("s-clinic")
PHONE = ContactFact("0100", "x@example.org", None)
TEACHER = PractitionerFact("p-teacher", "Omar Khan", "Teacher", SCHOOL, PHONE)
NURSE = PractitionerFact("p-nurse", "Nurse", "Nurse", CLINIC, PHONE)
LEFT = dataclasses.replace(TEACHER, availability="LEFT")
AWAY = dataclasses.replace(TEACHER, availability="UNAVAILABLE", available_from=TODAY + timedelta(3))
BACK = dataclasses.replace(TEACHER, availability="UNAVAILABLE", available_from=TODAY)
AT_SCHOOL = InvolvementFact("i-school", SCHOOL, TEACHER, TODAY - timedelta(400), None, True, "mis")
AT_CLINIC = InvolvementFact("i-clinic", CLINIC, NURSE, TODAY - timedelta(30), None, False, "nhs")
OLD = InvolvementFact(
    "i-old", SCHOOL, TEACHER, TODAY - timedelta(900), TODAY - timedelta(400), False, "mis"
)
FATHER = CarerFact("k-dad", "Dad", "father", True, True, PHONE)
FATHER_OF_SHIELDED = dataclasses.replace(FATHER, lives_with_shielded_child=True)
CAF = AssessmentSummaryFact("a-1", "OPEN", TODAY, TEACHER)
CLINIC_CAF = AssessmentSummaryFact("a-2", "OPEN", TODAY, NURSE)


def kid(
    shielded: bool = False,
    la: str = "EVL",
    overrides: tuple = (),
    address_shared_with_shielded: bool = False,
) -> ChildFacts:
    return dataclasses.replace(
        child(shielded=shielded, la=la, overrides=overrides),
        address=AddressFact("1 Road", None, "Town", "EV1 1AA"),
        address_shared_with_shielded=address_shared_with_shielded,
        carers=(FATHER,),
        involvements=(AT_SCHOOL, AT_CLINIC),
        lead_professional=TEACHER,
        assessments=(CAF, CLINIC_CAF),
    )


MELANIE = viewer()  # a practitioner of the school "s-school"
NURSE_VIEWER = viewer(practitioner_id="p-nurse", services=frozenset({"s-clinic"}))
ADMIN_EVL = viewer(Role.INDEX_ADMIN, None, frozenset(), "EVL")
ADMIN_NBR = viewer(Role.INDEX_ADMIN, None, frozenset(), "NBR")
LEAD = viewer(Role.SAFEGUARDING_LEAD, "p-me", frozenset(), "NBR")
AUDITOR = viewer(Role.AUDITOR, None, frozenset(), None)
LIFT = override(hours_ago=0.5, lifts=True)
STALE_LIFT = override(hours_ago=2, lifts=True)
PLAIN_OVERRIDE = override(hours_ago=2)

SHIELDED = kid(shielded=True)
HELD_BY_ME = AssessmentAccessFacts("a-1", "p-me", frozenset(), TODAY, (), ())
WHEREABOUTS_ITEMS = [
    d.Whereabouts(),
    d.HomeAddress(),
    d.Carers(),
    d.LocalAuthority(),
    d.CarerContact(FATHER),
    d.Involvement(AT_SCHOOL),
    d.Involvement(AT_CLINIC),
    d.ServiceContact(SCHOOL),
    d.PractitionerContact(TEACHER),
    d.LeadProfessional(TEACHER),
    d.FamilyLead(),
    d.AssessmentSummary(CAF),
]

ROWS = [
    # R4: a shielded child shows nothing of where they are, to anyone but its own index
    # team or a safeguarding lead inside their shield lift; every item, not just contacts.
    *[("R4 hides from a practitioner", MELANIE, i, SHIELDED, False, Rule.R4) for i in WHEREABOUTS_ITEMS],
    *[("R4 hides from another LA's admin", ADMIN_NBR, i, SHIELDED, False, Rule.R4) for i in WHEREABOUTS_ITEMS],
    *[("R4 hides after the shield lift's hour", LEAD, i, kid(True, overrides=(STALE_LIFT,)), False, Rule.R4) for i in WHEREABOUTS_ITEMS],
    ("own index team sees the address", ADMIN_EVL, d.HomeAddress(), SHIELDED, True, Rule.R4),
    ("own index team sees the school", ADMIN_EVL, d.Involvement(AT_SCHOOL), SHIELDED, True, Rule.R5),
    ("own index team: R6 still hides the clinic", ADMIN_EVL, d.Involvement(AT_CLINIC), SHIELDED, False, Rule.R6),
    ("shield lift shows the school", LEAD, d.Involvement(AT_SCHOOL), kid(True, overrides=(LIFT,)), True, Rule.R9),
    ("shield lift shows carers' contacts", LEAD, d.CarerContact(FATHER), kid(True, overrides=(LIFT,)), True, Rule.R9),
    ("a practitioner's override never lifts a shield", MELANIE, d.Involvement(AT_SCHOOL), kid(True, overrides=(PLAIN_OVERRIDE,)), False, Rule.R4),
    # R4 allows the CAF indicator; R7 decides it.
    ("the indicator stays for a shielded child", MELANIE, d.AssessmentExists(CAF), SHIELDED, True, Rule.R5),
    # R4's household rule.
    ("an address shared with a shielded child", MELANIE, d.HomeAddress(), kid(address_shared_with_shielded=True), False, Rule.R4),
    ("own index team sees a shared address", ADMIN_EVL, d.HomeAddress(), kid(address_shared_with_shielded=True), True, Rule.R4),
    ("a carer living with a shielded child", MELANIE, d.CarerContact(FATHER_OF_SHIELDED), kid(), False, Rule.R4),
    ("an unshielded child's carers", MELANIE, d.Carers(), kid(), True, Rule.R4),
    # R5: the window.
    ("an ordinary involvement", MELANIE, d.Involvement(AT_SCHOOL), kid(), True, Rule.R5),
    ("ended more than 365 days ago", MELANIE, d.Involvement(OLD), kid(), False, Rule.R5),
    # R6: sensitive involvements.
    ("sensitive, no consent", MELANIE, d.Involvement(AT_CLINIC), kid(), False, Rule.R6),
    ("sensitive, the viewer's own service", NURSE_VIEWER, d.Involvement(AT_CLINIC), kid(), True, Rule.R6A),
    ("sensitive, under an override", MELANIE, d.Involvement(AT_CLINIC), kid(overrides=(PLAIN_OVERRIDE,)), True, Rule.R6C),
    ("a lead professional from the clinic", MELANIE, d.LeadProfessional(NURSE), kid(), False, Rule.R6),
    # R6 inside a CAF: a practitioner from the clinic is shown as her involvement would be.
    ("a CAF's team member from the clinic", MELANIE, d.AssessmentPractitioner(NURSE), kid(), False, Rule.R6),
    ("...to the clinic itself", NURSE_VIEWER, d.AssessmentPractitioner(NURSE), kid(), True, Rule.R6A),
    ("...under an override", MELANIE, d.AssessmentPractitioner(NURSE), kid(overrides=(PLAIN_OVERRIDE,)), True, Rule.R6C),
    ("a CAF's teacher", MELANIE, d.AssessmentPractitioner(TEACHER), kid(), True, Rule.R5),
    ("a shielded child's CAF team member", MELANIE, d.AssessmentPractitioner(TEACHER), SHIELDED, False, Rule.R4),
    # R7: a CAF held from a hidden sensitive service is not there at all.
    ("a CAF held from the clinic: no summary", MELANIE, d.AssessmentSummary(CLINIC_CAF), kid(), False, Rule.R7),
    ("a CAF held from the clinic: no indicator", MELANIE, d.AssessmentExists(CLINIC_CAF), kid(), False, Rule.R7),
    ("a CAF held from the clinic, to the clinic", NURSE_VIEWER, d.AssessmentExists(CLINIC_CAF), kid(), True, Rule.R6A),
    ("a CAF held from the clinic, shielded child", MELANIE, d.AssessmentExists(CLINIC_CAF), SHIELDED, False, Rule.R7),
    ("an ordinary CAF summary", MELANIE, d.AssessmentSummary(CAF), kid(), True, Rule.R5),
    # R17: unavailable practitioners are reached through their service.
    ("an available practitioner", MELANIE, d.PractitionerContact(TEACHER), kid(), True, Rule.R17),
    ("a practitioner who has left", MELANIE, d.PractitionerContact(LEFT), kid(), False, Rule.R17),
    ("unavailable until a later date", MELANIE, d.PractitionerContact(AWAY), kid(), False, Rule.R17),
    ("unavailable until today: back", MELANIE, d.PractitionerContact(BACK), kid(), True, Rule.R17),
    ("R4 before R17", MELANIE, d.PractitionerContact(LEFT), SHIELDED, False, Rule.R4),
    ("the service is still reachable", MELANIE, d.ServiceContact(SCHOOL), kid(), True, Rule.R4),
    # R7, and R4 for the CAF itself: its team is who works with the child.
    ("the CAF, to its holder", MELANIE, d.AssessmentContent(HELD_BY_ME), kid(), True, Rule.R7),
    ("the CAF, to someone else", NURSE_VIEWER, d.AssessmentContent(HELD_BY_ME), kid(), False, Rule.R7),
    ("a shielded child's CAF, even to its holder", MELANIE, d.AssessmentContent(HELD_BY_ME), SHIELDED, False, Rule.R4),
    ("a shielded child's CAF, in a shield lift", LEAD, d.AssessmentContent(HELD_BY_ME), kid(True, overrides=(LIFT,)), True, Rule.R9),
    # R4, R6: a consent record says who works with the child.
    ("a shielded child's consent naming his school", ADMIN_NBR, d.ConsentRecord((SCHOOL,), frozenset()), SHIELDED, False, Rule.R4),
    ("...naming his teacher", MELANIE, d.ConsentRecord((), frozenset({"p-teacher"})), SHIELDED, False, Rule.R4),
    ("...naming only the viewer's own service", MELANIE, d.ConsentRecord((service("s-school", "SCHOOL", False),), frozenset({"p-me"})), SHIELDED, True, Rule.R6),
    ("...to whoever recorded it", MELANIE, d.ConsentRecord((SCHOOL,), frozenset({"p-teacher"}), "p-me"), SHIELDED, True, Rule.R6),
    ("...to his own index team", ADMIN_EVL, d.ConsentRecord((SCHOOL,), frozenset()), SHIELDED, True, Rule.R6),
    ("a consent naming the clinic", MELANIE, d.ConsentRecord((CLINIC,), frozenset()), kid(), False, Rule.R6),
    ("a consent naming the school", MELANIE, d.ConsentRecord((SCHOOL,), frozenset()), kid(), True, Rule.R6),
    # R14: the audit trail, for readers other than AUDITOR.
    ("an event made from the clinic", ADMIN_EVL, d.AuditActor((CLINIC,)), kid(), False, Rule.R6),
    ("an event made from the school", ADMIN_EVL, d.AuditActor((SCHOOL,)), kid(), True, Rule.R14),
    ("AUDITOR sees events from the clinic", AUDITOR, d.AuditActor((CLINIC,)), kid(), True, Rule.R14),
    ("an entry naming the clinic involvement", ADMIN_EVL, d.AuditEntry("Involvement:i-clinic"), kid(), False, Rule.R6),
    ("an entry naming its contact", ADMIN_EVL, d.AuditEntry("Involvement:i-clinic.contact"), kid(), False, Rule.R6),
    ("an entry naming the school involvement", ADMIN_EVL, d.AuditEntry("Involvement:i-school.contact"), kid(), True, Rule.R17),
    ("an entry naming an unknown involvement", ADMIN_EVL, d.AuditEntry("Involvement:i-gone"), kid(), False, Rule.R14),
    ("an entry naming a shielded child's carer", ADMIN_NBR, d.AuditEntry("Carer:k-dad.contact"), SHIELDED, False, Rule.R4),
    ("an entry naming another child", ADMIN_EVL, d.AuditEntry("Child:c-other.address"), kid(), False, Rule.R14),
    ("an entry naming this child's address", ADMIN_EVL, d.AuditEntry("Child:c-1.address"), kid(), True, Rule.R4),
    ("a refusal of the request itself", ADMIN_EVL, d.AuditEntry("Query.child: R2: no"), kid(), True, Rule.R14),
    ("...whose reason is R6's", ADMIN_EVL, d.AuditEntry("recordConsent: R6b: only a practitioner of a sensitive service records consent"), kid(), False, Rule.R14),
    ("...or R4's", ADMIN_EVL, d.AuditEntry("Mutation.recordConsent: R4: shielded"), kid(), False, Rule.R14),
    ("...R14 alone", ADMIN_EVL, d.AuditEntry("Query.auditTrail: R14: only AUDITOR"), kid(), True, Rule.R14),
    ("an entry the trail cannot attribute", ADMIN_EVL, d.AuditEntry("ConsentGrant:g-1"), kid(), False, Rule.R14),
    ("a CAF held from the clinic in the trail", ADMIN_EVL, d.AuditEntry("Assessment:a-2.holder"), kid(), False, Rule.R7),
    ("AUDITOR reads every entry", AUDITOR, d.AuditEntry("Involvement:i-clinic"), kid(), True, Rule.R14),
    # Red team: judged by today's lead, a past read's lead entry dated a hidden lead.
    ("a past read of a visible lead", ADMIN_EVL, d.AuditEntry("Child:c-1.leadProfessional"), kid(), False, Rule.R14),
    ("...AUDITOR reads it", AUDITOR, d.AuditEntry("Child:c-1.leadProfessional"), kid(), True, Rule.R14),
    # A notification's delivery is the telling of its entries: it shows whole or not at all.
    ("a delivery of the school's involvement", ADMIN_EVL, d.AuditDelivery("Notification.inbox", ("Child:c-1", "Involvement:i-school")), kid(), True, Rule.R14),
    ("a delivery of the clinic's involvement", ADMIN_EVL, d.AuditDelivery("Notification.inbox", ("Child:c-1", "Involvement:i-clinic")), kid(), False, Rule.R6),
    ("...written by the dispatcher", ADMIN_EVL, d.AuditDelivery("Notification.dispatch", ("Involvement:i-clinic",)), kid(), False, Rule.R6),
    ("a delivery of a consent", ADMIN_EVL, d.AuditDelivery("Notification.webhook", ("Child:c-1", "Consent:g-1")), kid(), False, Rule.R14),
    ("...AUDITOR reads it", AUDITOR, d.AuditDelivery("Notification.inbox", ("Consent:g-1",)), kid(), True, Rule.R14),
    ("an inbox read telling of the clinic", ADMIN_EVL, d.AuditDelivery("child,notifications", ("Child:c-1", "Involvement:i-clinic")), kid(), False, Rule.R6),
    ("a read naming the clinic is judged entry by entry", ADMIN_EVL, d.AuditDelivery("child", ("Involvement:i-clinic",)), kid(), True, Rule.R14),
    # An event that read the child only to decide, and showed nothing of them (red team:
    # the team's recordErrors listing said a hidden service had reported on the child).
    ("an event that only read this child to decide", ADMIN_EVL, d.AuditReadToDecide(("Child:c-1.readToDecide",)), kid(), False, Rule.R14),
    ("...AUDITOR reads it", AUDITOR, d.AuditReadToDecide(("Child:c-1.readToDecide",)), kid(), True, Rule.R14),
    ("...another child read only to decide", ADMIN_EVL, d.AuditReadToDecide(("Child:c-other.readToDecide",)), kid(), True, Rule.R14),
    ("...not the entry's own words in a refusal", ADMIN_EVL, d.AuditReadToDecide(("Child:c-1.readToDecide: not found",)), kid(), True, Rule.R14),
    ("an old listing that disclosed no report", ADMIN_EVL, d.AuditReadToDecide((), "recordErrors", ()), kid(), False, Rule.R14),
    ("...one that disclosed a report", ADMIN_EVL, d.AuditReadToDecide((), "recordErrors", ("RecordError:re-1",)), kid(), True, Rule.R14),
    ("...a resolve beside another field", ADMIN_EVL, d.AuditReadToDecide((), "child,resolveRecordError", ()), kid(), False, Rule.R14),
    ("...AUDITOR reads it", AUDITOR, d.AuditReadToDecide((), "recordErrors", ()), kid(), True, Rule.R14),
    ("...not a record-error read", ADMIN_EVL, d.AuditReadToDecide((), "child", ()), kid(), True, Rule.R14),
    ("AUDITOR's reading of a subject's trail", ADMIN_EVL, d.AuditReview("auditTrailOfSubject", "AUDITOR", ("Subject:p-nurse.auditTrail",)), kid(), False, Rule.R14),
    ("...of a child's trail", ADMIN_EVL, d.AuditReview("auditTrail", "AUDITOR", ("Child:c-1.auditTrail",)), kid(), False, Rule.R14),
    ("...AUDITOR reads it", AUDITOR, d.AuditReview("auditTrailOfSubject", "AUDITOR", ("Subject:p-nurse.auditTrail",)), kid(), True, Rule.R14),
    ("an index admin's reading of the trail", ADMIN_EVL, d.AuditReview("auditTrail", "INDEX_ADMIN", ("Child:c-1.auditTrail",)), kid(), True, Rule.R14),
    ("AUDITOR's read of something else", ADMIN_EVL, d.AuditReview("child", "AUDITOR", ("Child:c-1",)), kid(), True, Rule.R14),
    ("a lead's list of overrides to review", ADMIN_EVL, d.AuditReview("overridesForReview", "SAFEGUARDING_LEAD", ("AccessOverride:o-1",)), kid(), False, Rule.R14),
    ("...AUDITOR reads it", AUDITOR, d.AuditReview("overridesForReview", "SAFEGUARDING_LEAD", ("AccessOverride:o-1",)), kid(), True, Rule.R14),
    ("its entry itself is withheld entry by entry", ADMIN_EVL, d.AuditEntry("Child:c-1.readToDecide"), kid(), False, Rule.R14),
    # The family's copy of a CAF (CAF guide 4.9): no sensitive service, whoever asks (R6).
    ("the family's copy names the teacher", MELANIE, d.FamilyCopyPractitioner(TEACHER), kid(), True, Rule.R17),
    ("...never the nurse, even for the nurse", NURSE_VIEWER, d.FamilyCopyPractitioner(NURSE), kid(), False, Rule.R6),
    ("...a teacher who left, reached through the school", MELANIE, d.FamilyCopyPractitioner(LEFT), kid(), False, Rule.R17),
    # Decisions to share or not (CAF guide 4.24), by who recorded them.
    ("a sharing decision from the school", MELANIE, d.SharingDecisionEntry((SCHOOL,)), kid(), True, Rule.R14),
    ("a sharing decision from the clinic", MELANIE, d.SharingDecisionEntry((CLINIC,)), kid(), False, Rule.R6),
    ("...to the clinic itself", NURSE_VIEWER, d.SharingDecisionEntry((CLINIC,)), kid(), True, Rule.R14),
    ("a shielded child's sharing decision", LEAD, d.SharingDecisionEntry((SCHOOL,)), SHIELDED, False, Rule.R4),
    ("...to his own index team", ADMIN_EVL, d.SharingDecisionEntry((SCHOOL,)), SHIELDED, True, Rule.R14),
]  # fmt: skip


@pytest.mark.parametrize(
    ("why", "who", "item", "of", "allowed", "rule"), ROWS, ids=[r[0] for r in ROWS]
)
def test_decide(why: str, who, item, of: ChildFacts, allowed: bool, rule: Rule) -> None:
    decision = d.decide(who, item, of, NOW)
    assert decision.allowed is allowed, (why, decision)
    assert decision.rule is rule, (why, decision)


def test_an_override_that_made_the_difference_is_named() -> None:
    """R9, R14: the audit event names the override a disclosure rests on, from the decision
    itself, not from the wording of its reason."""
    seen = d.decide(MELANIE, d.Involvement(AT_CLINIC), kid(overrides=(PLAIN_OVERRIDE,)), NOW)
    assert seen.override_id == PLAIN_OVERRIDE.id
    lifted = d.decide(LEAD, d.CarerContact(FATHER), kid(True, overrides=(LIFT,)), NOW)
    assert lifted.override_id == LIFT.id
    plain = d.decide(MELANIE, d.Involvement(AT_SCHOOL), kid(overrides=(PLAIN_OVERRIDE,)), NOW)
    assert plain.override_id is None  # the override was not needed, so not used


def test_every_item_kind_has_a_row() -> None:
    """A new item kind without a row here is a rule nobody specified."""
    kinds = {type(row[2]) for row in ROWS}
    assert kinds == set(d.Item.__args__)  # type: ignore[attr-defined]
