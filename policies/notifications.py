"""Issue 20: who hears of an event about a child, and what each of them is told.

Two questions, both pure functions of facts:

- `recipients`: who has a standing to hear of this kind of event: the practitioners
  actively involved with the child (themselves or through their service's team-level
  involvement) and the team of its open CAF, for changes in who works with the child;
  a CAF's new and former holder too, when it is handed over or transferred; the
  practitioner it is about, for their own team membership and lead role; the
  grantees of a consent, for that consent; the child's local authority's safeguarding
  leads for overrides and shield lifts; its index team for match reviews and access alerts.
  Whoever caused the event is not told of it.
- `shape`: what one of them may be told, asked item by item of the one decision point,
  `policies.disclosure.decide`, exactly as a read of the child would ask it. An event
  whose item the recipient may not see is not announced to them at all, not even as
  "something changed": the change itself would tell a practitioner that a shielded child
  moved school (R4), or that a child goes to a sensitive service (R6). The dispatcher
  shapes at fan-out, and every channel shapes again at delivery from the facts of that
  moment, for the viewer actually connected, so a consent withdrawn in between stops
  the notification it allowed (R10: withdrawal takes effect on the next request).

A notification never carries contact details, addresses or carers: it says what changed
and names who, and the recipient reads the rest through the audited API.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from policies import disclosure as d
from policies.decision import Decision
from policies.facts import (
    AssessmentSummaryFact,
    ChildFacts,
    ConsentFact,
    InvolvementFact,
    PractitionerFact,
    ServiceFact,
)
from policies.viewer import Role, Viewer
from policies.visibility import may_find, may_read_children
from policies.vocabulary import ConsentState, EventKind

__all__ = [
    "ROLE_KINDS",
    "Candidate",
    "EventContext",
    "EventFact",
    "Recipient",
    "Shaped",
    "mailboxes",
    "practitioner_viewer",
    "recipients",
    "role_mailbox",
    "role_viewer",
    "shape",
]

#: Kinds told to a local authority's team (a role mailbox), and which role.
ROLE_KINDS: dict[EventKind, Role] = {
    EventKind.OVERRIDE_RECORDED: Role.SAFEGUARDING_LEAD,
    EventKind.SHIELD_LIFTED: Role.SAFEGUARDING_LEAD,
    EventKind.MATCH_REVIEW_WAITING: Role.INDEX_ADMIN,
    EventKind.ACCESS_ALERT_RAISED: Role.INDEX_ADMIN,
}

_ABOUT_THE_TEAM = frozenset(
    {
        EventKind.INVOLVEMENT_STARTED,
        EventKind.INVOLVEMENT_ENDED,
        EventKind.INVOLVEMENT_MOVED,
        EventKind.CAF_STARTED,
        EventKind.CAF_CLOSED,
        EventKind.CAF_REOPENED,
        EventKind.CAF_STEPPED_UP,
        EventKind.CAF_STEPPED_DOWN,
    }
)
#: A CAF with a new holder: the team hears of it, and so do the new holder and the one
#: who held it until then (told they no longer do), each as the CAF shows to them.
_HOLDER_CHANGES = frozenset({EventKind.CAF_HANDED_OVER, EventKind.CAF_TRANSFERRED})
_INVOLVEMENT_KINDS = frozenset(
    {EventKind.INVOLVEMENT_STARTED, EventKind.INVOLVEMENT_ENDED, EventKind.INVOLVEMENT_MOVED}
)
_CAF_KINDS = frozenset(
    {
        EventKind.CAF_STARTED,
        EventKind.CAF_CLOSED,
        EventKind.CAF_REOPENED,
        EventKind.CAF_STEPPED_UP,
        EventKind.CAF_STEPPED_DOWN,
        EventKind.TEAM_MEMBER_ADDED,
        EventKind.TEAM_MEMBER_REMOVED,
        *_HOLDER_CHANGES,
    }
)
_ABOUT_THEMSELVES = frozenset(
    {
        EventKind.TEAM_MEMBER_ADDED,
        EventKind.TEAM_MEMBER_REMOVED,
        EventKind.LEAD_APPOINTED,
        EventKind.LEAD_STOOD_DOWN,
    }
)
_ABOUT_A_CONSENT = frozenset(
    {
        EventKind.CONSENT_GRANTED,
        EventKind.CONSENT_WITHDRAWN,
        EventKind.CONSENT_EXPIRED,
        EventKind.CONSENT_REFUSED,
    }
)


@dataclass(frozen=True, slots=True)
class EventFact:
    id: str
    kind: EventKind
    occurred_at: datetime
    child_id: str | None
    subject_id: str | None
    practitioner_id: str | None
    local_authority: str | None
    actor: str | None
    #: A CAF handed over or transferred: who held it until then.
    former_practitioner_id: str | None = None


@dataclass(frozen=True, slots=True)
class Candidate:
    """A practitioner the graph found near the event, and why (their standing)."""

    id: str
    service_ids: frozenset[str]
    local_authority: str | None
    #: "involved", "team", "grantee", "named" (the practitioner the event is about),
    #: "former" (a CAF's holder until it was handed over).
    standing: frozenset[str]


@dataclass(frozen=True, slots=True)
class EventContext:
    """Everything the decisions need for one event, read in one round trip for a batch.

    `child` carries every consent record and override about the child (not one viewer's):
    each recipient's own are picked out by the policies, as for a read."""

    event: EventFact
    child: ChildFacts | None
    candidates: tuple[Candidate, ...] = ()
    #: The consent the event is about, with the services it names (covers or granted to).
    consent: ConsentFact | None = None
    consent_services: tuple[ServiceFact, ...] = ()
    #: The practitioner the event names (team member, lead), as a fact.
    practitioner: PractitionerFact | None = None


@dataclass(frozen=True, slots=True)
class Recipient:
    """Who a notification is for: a practitioner, or a team's mailbox ("ROLE@LA")."""

    key: str
    kind: str  # PRACTITIONER or ROLE
    viewer: Viewer


@dataclass(frozen=True, slots=True)
class Shaped:
    """What one recipient is told, and what the audit event records of it (R14)."""

    payload: dict[str, Any]
    disclosed: tuple[str, ...]
    override_ids: tuple[str, ...]


def role_mailbox(role: Role, local_authority: str) -> str:
    return f"{role.value}@{local_authority}"


def mailboxes(viewer: Viewer) -> list[str]:
    """Whose notifications a caller reads: their own as a practitioner, their team's as a
    safeguarding lead or index admin of their local authority."""
    boxes = []
    if viewer.practitioner_id and viewer.has(Role.PRACTITIONER):
        boxes.append(viewer.practitioner_id)
    if viewer.local_authority:
        for role in (Role.SAFEGUARDING_LEAD, Role.INDEX_ADMIN):
            if viewer.has(role):
                boxes.append(role_mailbox(role, viewer.local_authority))
    return boxes


def practitioner_viewer(candidate: Candidate) -> Viewer:
    """The recipient as the policies see a practitioner's token: their record and
    services, no other role (a recipient told as a practitioner is told as one)."""
    return Viewer(
        subject=f"practitioner:{candidate.id}",
        roles=frozenset({Role.PRACTITIONER}),
        practitioner_id=candidate.id,
        local_authority=candidate.local_authority,
        service_ids=candidate.service_ids,
    )


def role_viewer(role: Role, local_authority: str) -> Viewer:
    return Viewer(
        subject=f"mailbox:{role_mailbox(role, local_authority)}",
        roles=frozenset({role}),
        local_authority=local_authority,
    )


def _actor_practitioner(event: EventFact) -> str | None:
    return event.actor[len("practitioner:") :] if event.actor else None


def recipients(ctx: EventContext) -> list[Recipient]:
    """Who has a standing to hear of this event (before `shape` asks what they may see)."""
    event = ctx.event
    role = ROLE_KINDS.get(event.kind)
    if role is not None:
        area = event.local_authority or (ctx.child.local_authority if ctx.child else None)
        if area is None:
            return []
        return [Recipient(role_mailbox(role, area), "ROLE", role_viewer(role, area))]
    if event.kind in _ABOUT_THE_TEAM:
        wanted = {"involved", "team"}
    elif event.kind in _HOLDER_CHANGES:
        wanted = {"involved", "team", "named", "former"}
    elif event.kind in _ABOUT_THEMSELVES:
        wanted = {"named"}
    elif event.kind in _ABOUT_A_CONSENT:
        wanted = {"grantee"}
    else:
        return []
    found = []
    for candidate in ctx.candidates:
        if not candidate.standing & wanted:
            continue
        if event.kind in _ABOUT_THE_TEAM and candidate.id == event.practitioner_id:
            continue  # told of their own involvement or CAF by nobody: they made it
        if event.actor is not None and event.actor in (
            f"practitioner:{candidate.id}",
            candidate.id,
        ):
            continue
        found.append(Recipient(candidate.id, "PRACTITIONER", practitioner_viewer(candidate)))
    return found


# --- What each recipient is told ---------------------------------------------------------


class _Ask:
    """Asks the decision point for one recipient and one child, keeping what it allowed."""

    def __init__(self, viewer: Viewer, child: ChildFacts, now: datetime) -> None:
        self.viewer, self.child, self.now = viewer, child, now
        self.disclosed: list[str] = []
        self.overrides: list[str] = []

    def __call__(self, item: d.Item, name: str) -> bool:
        decision: Decision = d.decide(self.viewer, item, self.child, self.now)
        if decision:
            self.disclosed.append(name)
            if decision.override_id is not None:
                self.overrides.append(decision.override_id)
        return decision.allowed


def _service(s: ServiceFact) -> dict[str, Any]:
    return {"id": s.id, "name": s.name, "kind": s.kind}


def _person(p: PractitionerFact) -> dict[str, Any]:
    return {"id": p.id, "name": p.name}


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _involvement(i: InvolvementFact) -> dict[str, Any]:
    return {
        "id": i.id,
        "service": _service(i.service),
        "practitioner": _person(i.practitioner) if i.practitioner else None,
        "startedOn": _day(i.started_on),
        "endedOn": _day(i.ended_on),
    }


def _summary_of(child: ChildFacts, assessment_id: str | None) -> AssessmentSummaryFact | None:
    return next((a for a in child.assessments if a.id == assessment_id), None)


_SENTENCES: dict[EventKind, str] = {
    EventKind.INVOLVEMENT_STARTED: "Someone new is working with {child}.",
    EventKind.INVOLVEMENT_ENDED: "An involvement with {child} has ended.",
    EventKind.INVOLVEMENT_MOVED: "An involvement with {child} moved to another service or "
    "practitioner.",
    EventKind.CAF_STARTED: "A CAF was started for {child}.",
    EventKind.CAF_CLOSED: "The CAF for {child} was closed.",
    EventKind.CAF_REOPENED: "The CAF for {child} was reopened.",
    EventKind.CAF_HANDED_OVER: "The CAF for {child} has a new holder.",
    EventKind.CAF_TRANSFERRED: "The CAF for {child} was transferred.",
    EventKind.CAF_STEPPED_UP: "The CAF for {child} was stepped up to social care.",
    EventKind.CAF_STEPPED_DOWN: "The CAF for {child} came back from social care.",
    EventKind.TEAM_MEMBER_ADDED: "You were added to the team around {child}.",
    EventKind.TEAM_MEMBER_REMOVED: "You were removed from the team around {child}.",
    EventKind.LEAD_APPOINTED: "You were appointed lead professional for {child}.",
    EventKind.LEAD_STOOD_DOWN: "You are no longer lead professional for {child}.",
    EventKind.CONSENT_GRANTED: "A consent about {child} names you.",
    EventKind.CONSENT_WITHDRAWN: "A consent about {child} you relied on was withdrawn.",
    EventKind.CONSENT_EXPIRED: "A consent about {child} you relied on has expired.",
    EventKind.CONSENT_REFUSED: "{child} or their carer refused consent that you relied on.",
    EventKind.OVERRIDE_RECORDED: "An access override was recorded for {child}.",
    EventKind.SHIELD_LIFTED: "A shield was lifted by override for {child}: review it now.",
    EventKind.MATCH_REVIEW_WAITING: "A feed record waits for a match review.",
    EventKind.ACCESS_ALERT_RAISED: "An access alert waits for your index team.",
}


#: A holder change as told to the new holder and to the former one.
_HOLDER_SENTENCES: dict[Any, str] = {
    "NEW_HOLDER": "You now hold the CAF for {child}.",
    "FORMER_HOLDER": "You no longer hold the CAF for {child}.",
}


def shape(ctx: EventContext, viewer: Viewer, now: datetime) -> Shaped | None:
    """What `viewer` may be told of this event now, or None: then nothing at all."""
    event = ctx.event
    payload: dict[str, Any] = {
        "eventId": event.id,
        "kind": event.kind.value,
        "occurredAt": event.occurred_at.isoformat(),
        "child": None,
    }
    if event.kind is EventKind.MATCH_REVIEW_WAITING:
        if not viewer.has(Role.INDEX_ADMIN) or viewer.local_authority != event.local_authority:
            return None
        payload["reviewId"] = event.subject_id
        payload["summary"] = _SENTENCES[event.kind]
        return Shaped(payload, (f"MatchReview:{event.subject_id}",), ())
    if event.kind is EventKind.ACCESS_ALERT_RAISED:
        if not viewer.has(Role.INDEX_ADMIN) or viewer.local_authority != event.local_authority:
            return None
        payload["alertId"] = event.subject_id
        payload["summary"] = _SENTENCES[event.kind]
        return Shaped(payload, (f"AccessAlert:{event.subject_id}",), ())
    child = ctx.child
    if child is None or not may_read_children(viewer):
        return None
    if not may_find(viewer, child, now.date(), by_search=False):
        return None
    ask = _Ask(viewer, child, now)
    told = _kind_items(ctx, viewer, ask, payload)
    if not told:
        return None
    name = f"{child.given_name} {child.family_name}"
    payload["child"] = {
        "id": child.id,
        "givenName": child.given_name,
        "familyName": child.family_name,
    }
    sentence = _HOLDER_SENTENCES.get(payload.get("you"), _SENTENCES[event.kind])
    payload["summary"] = sentence.format(child=name)
    return Shaped(payload, (f"Child:{child.id}", *ask.disclosed), tuple(ask.overrides))


def _kind_items(ctx: EventContext, viewer: Viewer, ask: _Ask, payload: dict[str, Any]) -> bool:
    """Adds the kind's own items to `payload`; False when the event may not be told."""
    event, child = ctx.event, ctx.child
    assert child is not None
    kind = event.kind
    if kind in _INVOLVEMENT_KINDS:
        found = next((i for i in child.involvements if i.id == event.subject_id), None)
        if found is None or not ask(d.Involvement(found), f"Involvement:{found.id}"):
            return False
        payload["involvement"] = _involvement(found)
        return True
    if kind in _CAF_KINDS:
        summary = _summary_of(child, event.subject_id)
        if summary is None or not ask(d.AssessmentSummary(summary), f"Assessment:{summary.id}"):
            return False
        payload["assessment"] = {
            "id": summary.id,
            "status": summary.status,
            "holder": _person(summary.holder),
        }
        if kind in (EventKind.TEAM_MEMBER_ADDED, EventKind.TEAM_MEMBER_REMOVED):
            return event.practitioner_id == viewer.practitioner_id
        if kind in _HOLDER_CHANGES and viewer.practitioner_id is not None:
            if viewer.practitioner_id == event.practitioner_id:
                payload["you"] = "NEW_HOLDER"
            elif viewer.practitioner_id == event.former_practitioner_id:
                payload["you"] = "FORMER_HOLDER"
        return True
    if kind in (EventKind.LEAD_APPOINTED, EventKind.LEAD_STOOD_DOWN):
        who = ctx.practitioner
        if who is None or who.id != viewer.practitioner_id:
            return False
        if not ask(d.LeadProfessional(who), f"Child:{child.id}.leadProfessional"):
            return False
        payload["practitioner"] = _person(who)
        return True
    if kind in _ABOUT_A_CONSENT:
        return _consent_items(ctx, viewer, ask, payload)
    if kind in (EventKind.OVERRIDE_RECORDED, EventKind.SHIELD_LIFTED):
        if not viewer.has(Role.SAFEGUARDING_LEAD):
            return False
        if viewer.local_authority is None or viewer.local_authority != child.local_authority:
            return False
        payload["overrideId"] = event.subject_id
        return True
    return False


def _consent_items(ctx: EventContext, viewer: Viewer, ask: _Ask, payload: dict[str, Any]) -> bool:
    """A consent event is told to who it was granted to, when they may see the record.

    A withdrawal or expiry is judged on the record as it stood while they relied on it
    (still ACTIVE): what it named they saw then, and are told is gone now. A grant also
    says which of the child's involvements it opens to them (only those R6 now shows)."""
    consent, child = ctx.consent, ctx.child
    assert child is not None
    if consent is None:
        return False
    granted = consent.granted_to_practitioner_ids
    mine = viewer.practitioner_id in granted or consent.granted_to_service_ids & viewer.service_ids
    if not mine and ctx.event.kind is not EventKind.CONSENT_REFUSED:
        return False
    judged = consent
    if ctx.event.kind in (EventKind.CONSENT_WITHDRAWN, EventKind.CONSENT_EXPIRED):
        judged = dataclasses.replace(consent, state=ConsentState.ACTIVE.value, expires_on=None)
        child = dataclasses.replace(
            child, consents=tuple(judged if c.id == consent.id else c for c in child.consents)
        )
        ask.child = child
    record = d.ConsentRecord(
        ctx.consent_services,
        granted,
        consent.recorded_by_practitioner_id,
        consent.covers_assessment_id,
    )
    if not ask(record, f"Consent:{consent.id}"):
        return False
    payload["consent"] = {
        "id": consent.id,
        "purpose": consent.purpose,
        "state": ctx.event.kind.value.removeprefix("CONSENT_"),
    }
    if ctx.event.kind is EventKind.CONSENT_GRANTED:
        covered = consent.covers_service_ids
        payload["involvements"] = [
            _involvement(i)
            for i in child.involvements
            if i.service.id in covered and ask(d.Involvement(i), f"Involvement:{i.id}")
        ]
    return True
