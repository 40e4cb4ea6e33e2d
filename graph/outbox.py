"""The transactional outbox: an event is written by the very statement that makes the change.

A write that others must hear of (an involvement started, a consent withdrawn, a CAF
closed...) adds `emit(...)` to its own Cypher, so the change and its `:OutboxEvent` commit
together or not at all: nothing is announced that did not commit, and nothing that
committed is lost when a process dies before telling anyone. Dispatchers
(graph/notifications.py) claim pending events with a lease and fan them out.

`(:OutboxEvent {id, kind, state, occurredAt, childId?, subjectId?, practitionerId?,
formerPractitionerId?, localAuthority?, actor?, claimedBy?, leaseUntil?, attempts, doneAt?,
notified?})`

- kind: policies.vocabulary.EventKind;
- childId: the child it is about (null for a match review);
- subjectId: the thing that changed: involvement, assessment, consent grant, override,
  match review or access alert id;
- practitionerId: the practitioner it concerns (the one newly involved, the team member
  added, the lead appointed, a CAF's new holder, the override's recorder);
- formerPractitionerId: for a CAF handed over or transferred, its holder until then (told
  they no longer hold it);
- localAuthority: for role-addressed kinds (overrides, reviews, alerts), whose team hears;
- actor: who caused it (a token subject, or `feed:<source>`), never told of it themselves;
- state: PENDING, then DONE in the transaction that writes its notifications.

Everything an event carries is an id: what anyone sees of it is decided at fan-out and
again at delivery, from the facts of that moment (policies/notifications.py).
"""

from __future__ import annotations

from typing import LiteralString

from policies.vocabulary import EventKind

__all__ = ["ALERT_RAISED", "emit", "feed_involvement_event"]


def emit(
    kind: EventKind | LiteralString,
    *,
    child: LiteralString = "null",
    subject: LiteralString = "null",
    practitioner: LiteralString = "null",
    former: LiteralString = "null",
    local_authority: LiteralString = "null",
    actor: LiteralString = "null",
) -> LiteralString:
    """A Cypher `CREATE` of one outbox event. `kind` is an EventKind, or a Cypher
    expression choosing one (CASE ...); every other argument is a Cypher expression. Use
    it as a clause of the statement that makes the change, inside a unit `CALL (...) {...}`
    where the rows of the statement must stay as they are."""
    chosen: LiteralString = (
        "'" + kind.value + "'" if isinstance(kind, EventKind) else kind  # type: ignore[assignment]
    )
    return (
        "CREATE (:OutboxEvent {id: 'evt-' + randomUUID(), kind: "
        + chosen
        + ", state: 'PENDING', occurredAt: datetime(), attempts: 0, childId: "
        + child
        + ", subjectId: "
        + subject
        + ", practitionerId: "
        + practitioner
        + ", formerPractitionerId: "
        + former
        + ", localAuthority: "
        + local_authority
        + ", actor: "
        + actor
        + "})\n"
    )


#: Follows a `CREATE (alert:AccessAlert {...})`: the alert's index team hears of it.
ALERT_RAISED: LiteralString = emit(
    EventKind.ACCESS_ALERT_RAISED,
    subject="alert.id",
    local_authority="alert.localAuthority",
    actor="alert.subject",
)


def feed_involvement_event(kind: EventKind, practitioner: LiteralString) -> LiteralString:
    """A feed's change to involvement `i` of child `c` (started, moved, ended), announced
    with the feed as its actor; `practitioner` names who the involvement is by."""
    return emit(
        kind, child="c.id", subject="i.id", practitioner=practitioner, actor="'feed:' + i.source"
    )
