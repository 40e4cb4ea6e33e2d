"""Facts in, GraphQL objects out: the one place a child's guarded items become fields.

Every builder here asks `policies.disclosure.decide` about each guarded item it could
show and builds only what is allowed; what is withheld is null or an empty list, never
a placeholder. The decisions travel with the values as `Guard`s, so a field that is
selected is recorded in the request's audit collector as disclosed or withheld (R14),
with the override it rests on (R9). Resolvers fetch facts and call these builders;
they never decide, and they never build a child's guarded types themselves. The fast
path (api/fastpath.py) runs the same resolvers, so it shapes through here too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import strawberry

from api.schema.child import (
    Address,
    AssessmentSummary,
    Carer,
    Child,
    Contact,
    FamilyLead,
    Involvement,
    Practitioner,
    Service,
)
from api.schema.enums import (
    AssessmentStatus,
    FamilyLeadKind,
    PractitionerAvailability,
    gender,
    service_kind,
)
from api.schema.guard import OPEN, Guard
from policies import alerts
from policies import disclosure as d
from policies.decision import Decision, Rule
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
from policies.viewer import Viewer

if TYPE_CHECKING:
    from api.audit import AuditCollector
    from api.context import RequestContext
    from api.schema.assessment import Assessment
    from api.schema.assessment_form import (
        AssessmentForm,
        AssessmentReview,
        CourseEvent,
        FamilyMember,
    )
    from graph.assessments import (
        AssessmentContent,
        CourseEventFact,
        FamilyMemberFact,
        ReviewFact,
    )

__all__ = [
    "address",
    "assessment",
    "assessment_there",
    "carer",
    "child",
    "contact",
    "own_practitioner",
    "practitioner",
]


def address(fact: AddressFact | None) -> Address | None:
    if fact is None:
        return None
    return Address(line1=fact.line1, line2=fact.line2, town=fact.town, postcode=fact.postcode)


def contact(fact: ContactFact | None) -> Contact | None:
    if fact is None:
        return None
    return Contact(phone=fact.phone, email=fact.email, address=address(fact.address))


class _Asker:
    """One child, one viewer, one moment: asks the decision point and notes overrides."""

    __slots__ = ("audit", "child", "now", "viewer")

    def __init__(self, ctx: RequestContext, viewer: Viewer, child: ChildFacts) -> None:
        self.viewer = viewer
        self.child = child
        self.now = ctx.now
        self.audit: AuditCollector = ctx.audit

    def __call__(self, item: d.Item) -> Decision:
        return d.decide(self.viewer, item, self.child, self.now)

    def used(self, decision: Decision) -> None:
        """An item is in the answer because of this decision: name its override (R9)."""
        if decision.allowed and decision.override_id is not None:
            self.audit.override(decision.override_id)

    def service(self, fact: ServiceFact, item: str) -> Service:
        return _service(fact, Guard.of(self(d.ServiceContact(fact)), item))

    def practitioner(self, fact: PractitionerFact, item: str) -> Practitioner:
        return _practitioner(
            fact,
            Guard.of(self(d.PractitionerContact(fact)), item),
            self.service(fact.service, f"{item}.service") if fact.service else None,
        )


def _service(fact: ServiceFact, guard: Guard) -> Service:
    return Service(
        id=strawberry.ID(fact.id),
        name=fact.name,
        kind=service_kind(fact.kind),
        sensitive=fact.is_sensitive,
        local_authority=fact.local_authority,
        _contact=contact(fact.contact),
        _guard=guard,
    )


def _practitioner(fact: PractitionerFact, guard: Guard, service: Service | None) -> Practitioner:
    return Practitioner(
        id=strawberry.ID(fact.id),
        name=fact.name,
        job_title=fact.job_title,
        service=service,
        _contact=contact(fact.contact),
        _guard=guard,
    )


def own_practitioner(fact: PractitionerFact) -> Practitioner:
    """A practitioner outside any child's record (`me`, an override's recorder): their own
    work details say nothing of a child, so nothing is guarded."""
    return _practitioner(fact, OPEN, _service(fact.service, OPEN) if fact.service else None)


def practitioner(
    ctx: RequestContext, viewer: Viewer, child: ChildFacts, fact: PractitionerFact, item: str
) -> Practitioner:
    """A practitioner shown on a child's record or CAF: contacts under R4 and R17."""
    return _Asker(ctx, viewer, child).practitioner(fact, item)


def carer(ctx: RequestContext, viewer: Viewer, child: ChildFacts, fact: CarerFact) -> Carer | None:
    """One carer of the child (a consent given by them, say), or None when R4 withholds
    who the child's carers are."""
    ask = _Asker(ctx, viewer, child)
    shown = ask(d.Carers())
    if not shown:
        ctx.audit.deny(f"Carer:{fact.id}")
        return None
    ask.used(shown)
    return _carer(fact, Guard.of(ask(d.CarerContact(fact)), f"Carer:{fact.id}.contact"))


def _carer(fact: CarerFact, guard: Guard) -> Carer:
    return Carer(
        id=strawberry.ID(fact.id),
        name=fact.name,
        relationship=fact.relationship,
        parental_responsibility=fact.parental_responsibility,
        lives_with_child=fact.lives_with_child,
        _contact=contact(fact.contact),
        _guard=guard,
    )


def _involvement(ask: _Asker, fact: InvolvementFact) -> Involvement:
    item = f"Involvement:{fact.id}.contact"
    who = fact.practitioner
    reach: Contact | None
    note = None
    if who is None:
        reach, guard = (
            contact(fact.service.contact),
            Guard.of(ask(d.ServiceContact(fact.service)), item),
        )
    else:
        own = ask(d.PractitionerContact(who))
        if not own and own.rule is Rule.R17:
            reach = contact(fact.service.contact)
            guard = Guard.of(ask(d.ServiceContact(fact.service)), item)
            note = f"{who.name} {_absence(who)}: contact {fact.service.name} instead (R17)."
        else:
            reach, guard = contact(who.contact), Guard.of(own, item)
    return Involvement(
        id=strawberry.ID(fact.id),
        service=ask.service(fact.service, item),
        practitioner=ask.practitioner(who, item) if who else None,
        started_on=fact.started_on,
        ended_on=fact.ended_on,
        active=fact.ended_on is None or fact.ended_on > ask.now.date(),
        is_lead_professional=fact.is_lead_professional,
        source=fact.source,
        practitioner_availability=_availability(who) if who else None,
        contact_note=note,
        _contact=reach,
        _contact_guard=guard,
    )


def _availability(fact: PractitionerFact) -> PractitionerAvailability:
    try:
        return PractitionerAvailability(fact.availability)
    except ValueError:
        return PractitionerAvailability.AVAILABLE


def _absence(fact: PractitionerFact) -> str:
    if fact.availability == "LEFT":
        return "has left the service"
    if fact.available_from is not None:
        return f"is unavailable until {fact.available_from.isoformat()}"
    return "is unavailable"


def child(ctx: RequestContext, viewer: Viewer, facts: ChildFacts) -> Child:
    """The index view of one child (R3 to R7, R17), as this viewer may see it."""
    audit = ctx.audit
    audit.child(facts.id)
    if alerts.shielded_read_out_of_area(viewer, facts):
        ctx.watch.shielded_out_of_area(facts.id, facts.local_authority)
    ask = _Asker(ctx, viewer, facts)

    involvements = []
    hidden_by_shield = False
    for fact in facts.involvements:
        seen = ask(d.Involvement(fact))
        if not seen:
            if seen.rule is Rule.R4:
                hidden_by_shield = True
            elif fact.service.is_sensitive and seen.rule is Rule.R6:
                # R6: omitted entirely from the answer; the audit says it was withheld.
                audit.deny(f"Involvement:{fact.id}")
            continue
        ask.used(seen)
        if fact.service.is_sensitive:
            audit.disclose(f"Involvement:{fact.id}")
        involvements.append(_involvement(ask, fact))
    if hidden_by_shield:
        audit.deny(f"Child:{facts.id}.involvements")

    lead = None
    if facts.lead_professional is not None:
        seen = ask(d.LeadProfessional(facts.lead_professional))
        if seen:
            ask.used(seen)
            lead = ask.practitioner(
                facts.lead_professional, f"Child:{facts.id}.leadProfessional.contact"
            )
        else:
            audit.deny(f"Child:{facts.id}.leadProfessional")

    family_lead = _family_lead(ask, facts)

    summaries = []
    for summary in facts.assessments:
        seen = ask(d.AssessmentSummary(summary))
        if not seen:
            audit.deny(f"Assessment:{summary.id}.holder")
            continue
        ask.used(seen)
        summaries.append(
            AssessmentSummary(
                id=strawberry.ID(summary.id),
                status=AssessmentStatus(summary.status),
                started_on=summary.started_on,
                holder=ask.practitioner(summary.holder, f"Assessment:{summary.id}.holder.contact"),
            )
        )

    carers_seen = ask(d.Carers())
    carers = (
        [_carer(k, Guard.of(ask(d.CarerContact(k)), f"Carer:{k.id}.contact")) for k in facts.carers]
        if carers_seen
        else []
    )
    return Child(
        id=strawberry.ID(facts.id),
        given_name=facts.given_name,
        family_name=facts.family_name,
        date_of_birth=facts.date_of_birth,
        gender=gender(facts.gender),
        shielded=facts.shielded,
        shielding_contact=contact(facts.shielding_contact) if facts.shielded else None,
        involvements=involvements,
        lead_professional=lead,
        family_lead=family_lead,
        has_common_assessment=any(ask(d.AssessmentExists(s)).allowed for s in facts.assessments),
        common_assessments=summaries,
        _address=address(facts.address),
        _address_guard=Guard.of(ask(d.HomeAddress()), f"Child:{facts.id}.address"),
        _carers=carers,
        _carers_guard=Guard.of(carers_seen, f"Child:{facts.id}.carers"),
    )


def _family_lead(ask: _Asker, facts: ChildFacts) -> FamilyLead | None:
    """A carer or the young person leading (CAF guide 3.8), withheld as the lead
    professional is (R4); the carer's contact as Child.carers would show it."""
    fact = facts.family_lead
    if fact is None:
        return None
    seen = ask(d.FamilyLead())
    if not seen:
        ask.audit.deny(f"Child:{facts.id}.leadProfessional")
        return None
    ask.used(seen)
    carer = None
    if fact.kind == FamilyLeadKind.CARER:
        known = next((k for k in facts.carers if k.id == fact.carer_id), None)
        if known is None:  # no longer this child's carer: nobody to show
            return None
        carer = _carer(known, Guard.of(ask(d.CarerContact(known)), f"Carer:{known.id}.contact"))
        name = known.name
    else:
        name = f"{facts.given_name} {facts.family_name}"
    return FamilyLead(kind=FamilyLeadKind(fact.kind), name=name, carer=carer, since=fact.since)


def assessment_there(ctx: RequestContext, viewer: Viewer, content: AssessmentContent) -> bool:
    """R7: a CAF held from a sensitive service R6 hides from the viewer is not there for
    them at all: refusing them would confirm it, so they are answered as for no CAF."""
    summary = AssessmentSummaryFact(content.id, content.status, content.started_on, content.holder)
    return bool(d.decide(viewer, d.AssessmentExists(summary), content.child, ctx.now))


def assessment(ctx: RequestContext, viewer: Viewer, content: AssessmentContent) -> Assessment:
    """The CAF itself, for a viewer R7 lets read it. Its practitioners' contacts are asked
    about like anywhere else on the child's record: R4 (a shielded child's team is reached
    through the index team, unless the viewer's shield lift is running) and R17."""
    from api.schema.assessment import (
        Assessment,
        AssessmentDomain,
        AssessmentNeed,
        DeliveryAction,
    )
    from api.schema.assessment_form import ClosureOutcome, NeedStatus

    item = f"Assessment:{content.id}.contacts"
    ask = _Asker(ctx, viewer, content.child)
    hidden: set[str] = set()

    def shown(fact: PractitionerFact) -> bool:
        """R6 inside the CAF: one the viewer may not see is not there at all. The audit
        entry names no item a non-auditor could read back (R14 fails closed on it)."""
        seen = ask(d.AssessmentPractitioner(fact))
        if not seen:
            if fact.id not in hidden:
                hidden.add(fact.id)
                ctx.audit.deny(f"Practitioner:{fact.id}")
            return False
        ask.used(seen)
        return True

    family = {
        content.child_id,
        *(f.id for f in content.family),
        *(k for k, _ in content.child_carers),
    }

    def known(ident: str | None) -> bool:
        """Someone named by id only: the child or a carer is shown, a practitioner when
        R6 shows them; one the CAF cannot find is not named at all (fail closed)."""
        if ident is None or (ident in family and ident not in named):
            return True
        fact = named.get(ident)
        return fact is not None and shown(fact)

    def person(fact: PractitionerFact | None) -> Practitioner | None:
        return ask.practitioner(fact, item) if fact is not None and shown(fact) else None

    named = {
        p.id: p for p in (*content.named.values(), content.holder, *content.team) if p is not None
    }
    assessor_id = content.form.assessor_id
    assessor_fact = named.get(assessor_id) if assessor_id else None
    assessor_seen = assessor_id is None or (assessor_fact is not None and shown(assessor_fact))
    holder = person(content.holder)
    assert holder is not None, "R7: a CAF whose holder R6 hides is not read at all"

    return Assessment(
        id=strawberry.ID(content.id),
        status=AssessmentStatus(content.status),
        started_on=content.started_on,
        closed_on=content.closed_on,
        holder=holder,
        needs=[
            AssessmentNeed(
                domain=AssessmentDomain(n.domain),
                element=n.element,
                summary=n.summary,
                id=strawberry.ID(n.id),
                status=NeedStatus(n.status),
                met_on=n.met_on,
            )
            for n in content.needs
        ],
        strengths=list(content.strengths),
        actions=[
            DeliveryAction(
                id=strawberry.ID(a.id),
                description=a.description,
                owner=person(a.owner),
                due_on=a.due_on,
                done_on=a.done_on,
            )
            for a in content.actions
        ],
        team_around_the_child=[p for p in map(person, content.team) if p is not None],
        next_review_on=content.next_review_on,
        close_reason=content.close_reason,
        close_outcome=ClosureOutcome(content.close_outcome) if content.close_outcome else None,
        reviews=[_review(r, known) for r in content.reviews],
        history=[
            _course_event(e)
            for e in content.history
            if all(map(known, (e.from_practitioner_id, e.to_practitioner_id, e.member_id)))
        ],
        family_members=[_family_member(f) for f in content.family],
        form=_form(content, person(assessor_fact), assessor_seen),
        social_care_since=content.social_care_since,
        social_worker=person(content.social_worker),
        local_authority=content.local_authority,
        _content=content,
    )


def _review(fact: ReviewFact, known: Callable[[str | None], bool]) -> AssessmentReview:
    from api.schema.assessment_form import (
        AssessmentReview,
        AttendeeKind,
        NeedProgress,
        ProgressRating,
        ReviewAttendee,
    )

    return AssessmentReview(
        id=strawberry.ID(fact.id),
        held_on=fact.held_on,
        attendees=[
            ReviewAttendee(
                kind=AttendeeKind(a.kind),
                id=strawberry.ID(a.id) if a.id else None,
                name=a.name,
            )
            for a in fact.attendees
            if a.kind != "PRACTITIONER" or (a.id is not None and known(a.id))
        ],
        progress=[
            NeedProgress(
                need_id=strawberry.ID(p.need_id), rating=ProgressRating(p.rating), note=p.note
            )
            for p in fact.progress
        ],
        changes=fact.changes,
        next_review_on=fact.next_review_on,
        actions_done=[strawberry.ID(i) for i in fact.actions_done],
        needs_added=[strawberry.ID(i) for i in fact.needs_added],
        actions_added=[strawberry.ID(i) for i in fact.actions_added],
    )


def _course_event(fact: CourseEventFact) -> CourseEvent:
    from api.schema.assessment_form import CourseEvent, CourseEventKind

    def ident(value: str | None) -> strawberry.ID | None:
        return strawberry.ID(value) if value else None

    return CourseEvent(
        id=strawberry.ID(fact.id),
        kind=CourseEventKind(fact.kind),
        on=fact.on,
        reason=fact.reason,
        from_practitioner_id=ident(fact.from_practitioner_id),
        to_practitioner_id=ident(fact.to_practitioner_id),
        from_local_authority=fact.from_local_authority,
        to_local_authority=fact.to_local_authority,
        member_id=ident(fact.member_id),
        member_name=fact.member_name,
        recorded_at=fact.recorded_at,
    )


def _family_member(fact: FamilyMemberFact) -> FamilyMember:
    from api.schema.assessment_form import FamilyMember, FamilyMemberKind

    return FamilyMember(
        kind=FamilyMemberKind(fact.kind),
        id=strawberry.ID(fact.id),
        name=fact.name,
        relationship=fact.relationship,
        since=fact.since,
    )


def _form(
    content: AssessmentContent, assessor: Practitioner | None, assessor_seen: bool
) -> AssessmentForm:
    """The assessor's words on the form name their service: withheld with them (R6)."""
    from api.schema.assessment_form import (
        AssessmentForm,
        ConsentSigner,
        Outcome,
        OutcomeCheck,
        OutcomeConcern,
    )

    form = content.form
    return AssessmentForm(
        child_views=form.child_views,
        parents_views=form.parents_views,
        assessor=assessor,
        assessor_name=form.assessor_name if assessor_seen else None,
        assessor_job_title=form.assessor_job_title if assessor_seen else None,
        assessor_agency=form.assessor_agency if assessor_seen else None,
        checklist=[
            OutcomeCheck(outcome=Outcome(c.outcome), concern=OutcomeConcern(c.concern), note=c.note)
            for c in form.checklist
        ],
        consent_statement=form.consent_statement,
        consent_signed_by=ConsentSigner(form.consent_signed_by) if form.consent_signed_by else None,
        consent_signer_name=form.consent_signer_name,
        consent_signed_on=form.consent_signed_on,
    )
