"""The CAF: Child.assessment under R7, and the mutations that keep it under R8.

Thin: validate the input, fetch the CAF's facts inside the mutation's write
transaction, ask policies.assessments, shape the answer. Consent is asked afresh on
every write: a withdrawal of consent to store the CAF stops the very next change.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date
from typing import Any

import strawberry
from strawberry.types import Info

from api import browsing, shaping
from api.context import RequestContext
from api.errors import BadUserInput, ConsentRequired, Forbidden, NotFound
from api.resolvers import mutation
from api.resolvers.child import index_view
from api.resolvers.consent import (
    CHILD_NOT_FOUND,
    MAX_ID,
    authorise,
    caf_there,
    record_seen,
    standing,
)
from api.schema.assessment import (
    Assessment,
    AssessmentDomainElements,
    NeedInput,
    StartAssessmentInput,
)
from api.schema.assessment_form import ClosureOutcome
from api.schema.child import Child
from api.schema.enums import AssessmentStatus
from graph import assessments as assessment_graph
from graph.assessments import AssessmentContent, NeedFact
from graph.consent import ChildContext
from graph.idempotency import IdempotencyConflict
from policies import assessments as assessment_policy
from policies import consent as consent_policy
from policies import disclosure, visibility
from policies.viewer import Role, Viewer

__all__ = [
    "add_delivery_action",
    "add_need",
    "add_strength",
    "add_team_member",
    "appoint_lead_professional",
    "close_assessment",
    "may_still_read",
    "require_holder",
    "require_there",
    "resolve_assessment_elements",
    "set_next_review",
    "shape_assessment",
    "start_assessment",
    "update_delivery_action",
]

ASSESSMENT_NOT_FOUND = "no assessment with that id is visible to you"
ACTION_NOT_FOUND = "no delivery action with that id is visible to you"
_MAX_TEXT = 2000
_MAX_ITEMS = 50


def shape_assessment(ctx: RequestContext, content: AssessmentContent) -> Assessment:
    return shaping.assessment(ctx, _viewer(ctx, content), content)


def _viewer(ctx: RequestContext, content: AssessmentContent) -> Viewer:
    return dataclasses.replace(ctx.viewer, service_ids=content.viewer_service_ids)


def resolve_assessment_elements() -> list[AssessmentDomainElements]:
    from api.schema.assessment import AssessmentDomainElements

    return [
        AssessmentDomainElements(domain=domain, elements=list(elements))
        for domain, elements in assessment_policy.CAF_ELEMENTS.items()
    ]


# --- Validation ------------------------------------------------------------------------


def _practitioner_only(ctx: RequestContext, action: str) -> None:
    viewer = ctx.viewer
    if viewer.practitioner_id is None or not (
        viewer.has(Role.PRACTITIONER) or viewer.has(Role.SAFEGUARDING_LEAD)
    ):
        ctx.audit.deny(f"{action}: role")
        raise Forbidden("only a practitioner works on a common assessment")


def _id(value: str, field: str) -> str:
    text = str(value).strip()
    if not text or len(text) > MAX_ID:
        raise BadUserInput(f"{field.rsplit('.', 1)[-1]} must be a non-empty id", field=field)
    return text


def _need(need: NeedInput, field: str) -> NeedFact:
    domain = need.domain
    element = assessment_policy.canonical_element(domain, need.element)
    if element is None:
        valid = "; ".join(assessment_policy.CAF_ELEMENTS[domain])
        raise BadUserInput(
            f"{need.element.strip()[:100]!r} is not an element of {domain} (CAF guide Table 1); "
            f"valid elements: {valid}",
            field=f"{field}.element",
        )
    summary = mutation.text(need.summary, f"{field}.summary", limit=_MAX_TEXT)
    assert summary is not None
    return NeedFact(domain.value, element, summary)


def _content_there(ctx: RequestContext, viewer: Viewer, content: AssessmentContent) -> bool:
    return shaping.assessment_there(ctx, viewer, content)


def may_still_read(ctx: RequestContext, content: AssessmentContent) -> bool:
    """After a change: R7 still lets the caller read the CAF, and its holder is one R6
    shows them (a CAF held from a sensitive service they may not see is not there)."""
    viewer = _viewer(ctx, content)
    # The decision point, not the bare R7 test: a shielded child's CAF is withheld (R4).
    item = disclosure.AssessmentContent(content.access)
    return bool(disclosure.decide(viewer, item, content.child, ctx.now)) and _content_there(
        ctx, viewer, content
    )


def _holder_as_viewer(content: AssessmentContent) -> Viewer:
    """The CAF is stored by its holder: R8 is asked on their behalf, whoever writes."""
    holder = content.holder
    return Viewer(
        subject=holder.id,
        roles=frozenset({Role.PRACTITIONER}),
        practitioner_id=holder.id,
        service_ids=frozenset({holder.service.id}) if holder.service else frozenset(),
    )


def _require_store_consent(ctx: RequestContext, content: AssessmentContent) -> None:
    decision = assessment_policy.store_consent(
        _holder_as_viewer(content),
        content.access.consents,
        content.access.date_of_birth,
        ctx.today,
        assessment_id=content.id,
    )
    if not decision:
        raise ConsentRequired(
            decision.reason.removeprefix("R8: ") + " (R8): nothing more is stored"
        )


def _require_open(content: AssessmentContent, field: str) -> None:
    decision = assessment_policy.is_open(content.status)
    if not decision:
        raise BadUserInput(decision.reason, field=field)


def require_holder(ctx: RequestContext, action: str, content: AssessmentContent | None) -> Viewer:
    """The one holder check of every change only the holder makes: the CAF is there and
    the caller holds it. One R7 hides from the caller (a CAF held from a sensitive service
    they may not see) is answered as no CAF at all, never as a refusal that confirms it."""
    if content is None:
        raise NotFound(ASSESSMENT_NOT_FOUND)
    ctx.audit.child(content.child_id)
    viewer = _viewer(ctx, content)
    # R4 first: a shielded child's CAF is no CAF to anyone it is withheld from, holder or
    # not, so "not the holder" never confirms an id of one (red team, addTeamMember).
    _require_shown(ctx, action, viewer, content)
    decision = assessment_policy.may_change_assessment(viewer, content.access)
    if not decision:
        ctx.audit.deny(f"{action}: {decision.reason}")
        if not _content_there(ctx, viewer, content):
            raise NotFound(ASSESSMENT_NOT_FOUND)
        raise Forbidden(decision.reason)
    return viewer


def _require_shown(
    ctx: RequestContext, action: str, viewer: Viewer, content: AssessmentContent
) -> None:
    """R4: a shielded child's CAF is withheld even from its holder (reached through the
    index team, or under a shield lift), so a change to it is refused before it is
    written, answered as the read is (no CAF), never written and then left unshown."""
    seen = disclosure.decide(viewer, disclosure.Whereabouts(), content.child, ctx.now)
    if not seen:
        ctx.audit.deny(f"{action}: {seen.reason}")
        raise NotFound(ASSESSMENT_NOT_FOUND)


def require_there(ctx: RequestContext, action: str, content: AssessmentContent | None) -> Viewer:
    """R7 for a change anyone but the holder may make (leaving the team, stepping down,
    taking over from an unreachable holder): a CAF held from a sensitive service the
    caller may not see is answered exactly as an id that does not exist, before any
    other check can confirm it (no oracle)."""
    if content is None:
        raise NotFound(ASSESSMENT_NOT_FOUND)
    ctx.audit.child(content.child_id)
    viewer = _viewer(ctx, content)
    if not _content_there(ctx, viewer, content):
        ctx.audit.deny(f"{action}: R7")
        raise NotFound(ASSESSMENT_NOT_FOUND)
    _require_shown(ctx, action, viewer, content)
    return viewer


def _holder_decide(
    ctx: RequestContext,
    action: str,
    *,
    store: bool = True,
    extra: Callable[[AssessmentContent, Viewer], None] | None = None,
) -> Callable[[AssessmentContent | None], None]:
    """The common checks of a holder's change: found, holder, OPEN, R8 still active."""

    def decide(content: AssessmentContent | None) -> None:
        viewer = require_holder(ctx, action, content)
        assert content is not None
        _require_open(content, "assessmentId")
        if store:
            _require_store_consent(ctx, content)
        if extra is not None:
            extra(content, viewer)

    return decide


async def _changed(info: Info[Any, Any], content_call: Any) -> Assessment:
    ctx: RequestContext = info.context
    try:
        content: AssessmentContent = await content_call
    except IdempotencyConflict as exc:
        raise mutation.conflict() from exc
    ctx.audit.child(content.child_id)
    # A replayed answer is shown only if the caller may still read it (R7).
    if not may_still_read(ctx, content):
        ctx.audit.deny(f"Assessment:{content.id}")
        raise Forbidden("you may no longer read this assessment (R7)")
    ctx.audit.disclose(f"Assessment:{content.id}")
    return shape_assessment(ctx, content)


# --- startAssessment -------------------------------------------------------------------


async def start_assessment(info: Info[Any, Any], input: StartAssessmentInput) -> Assessment:
    child_id = _id(str(input.child_id), "input.childId")
    ctx = mutation.begin(info, "startAssessment", child_id)
    _practitioner_only(ctx, "startAssessment")
    consent_ids = list(dict.fromkeys(_id(str(i), "input.consentIds") for i in input.consent_ids))
    if len(consent_ids) > consent_policy.MAX_SCOPE:
        raise BadUserInput("name at most 20 consent records", field="input.consentIds")
    needs_in = input.needs or []
    strengths_in = input.strengths or []
    if len(needs_in) > _MAX_ITEMS or len(strengths_in) > _MAX_ITEMS:
        raise BadUserInput(f"at most {_MAX_ITEMS} needs and strengths", field="input")
    needs = [_need(n, f"input.needs[{i}]") for i, n in enumerate(needs_in)]
    strengths = [
        s
        for i, raw in enumerate(strengths_in)
        if (s := mutation.text(raw, f"input.strengths[{i}]", limit=_MAX_TEXT)) is not None
    ]
    claim = mutation.claim(info, "startAssessment", {"input": input})

    def decide(context: ChildContext | None) -> None:
        if context is None:
            raise NotFound(CHILD_NOT_FOUND)
        viewer = authorise(ctx, context, "startAssessment")
        for consent_id in consent_ids:
            record = context.record(consent_id)
            if record is None or not record_seen(ctx, viewer, context.child, record):
                raise BadUserInput(
                    f"{consent_id!r} is not a consent record of this child",
                    field="input.consentIds",
                )
        # R7: a CAF held from a sensitive service hidden from this practitioner is not
        # there for them, so it neither blocks theirs nor is named to them.
        open_cafs = [
            a.id
            for a in context.assessments
            if a.status == "OPEN" and caf_there(ctx, viewer, context, a.id)
        ]
        if open_cafs:
            raise BadUserInput(
                f"this child already has an OPEN common assessment ({open_cafs[0]}): add to "
                "it, or ask its holder",
                field="input.childId",
            )
        decision = assessment_policy.may_start_assessment(
            viewer,
            frozenset(consent_ids),
            context.child.consents,
            context.child.date_of_birth,
            ctx.today,
        )
        if not decision:
            raise ConsentRequired(
                decision.reason.removeprefix("R8: ")
                + " (R8): nothing is stored without consent to undertake and to store the CAF"
            )

    return await _changed(
        info,
        assessment_graph.start_assessment(
            ctx.graph,
            child_id,
            consent_ids=consent_ids,
            needs=needs,
            strengths=strengths,
            recorder=mutation.recorder(ctx),
            claim=claim,
            decide=decide,
        ),
    )


# --- Needs, strengths, actions, review, close ------------------------------------------


async def add_need(info: Info[Any, Any], assessment_id: str, need: NeedInput) -> Assessment:
    ctx = mutation.begin(info, "addNeed")
    _practitioner_only(ctx, "addNeed")
    assessment_id = _id(assessment_id, "assessmentId")
    fact = _need(need, "need")
    return await _changed(
        info,
        assessment_graph.add_need(
            ctx.graph,
            assessment_id,
            fact,
            recorder=mutation.recorder(ctx),
            claim=mutation.claim(info, "addNeed", {"assessmentId": assessment_id, "need": need}),
            decide=_holder_decide(ctx, "addNeed"),
        ),
    )


async def add_strength(info: Info[Any, Any], assessment_id: str, strength: str) -> Assessment:
    ctx = mutation.begin(info, "addStrength")
    _practitioner_only(ctx, "addStrength")
    assessment_id = _id(assessment_id, "assessmentId")
    text = mutation.text(strength, "strength", limit=_MAX_TEXT)
    assert text is not None
    return await _changed(
        info,
        assessment_graph.add_strength(
            ctx.graph,
            assessment_id,
            text,
            recorder=mutation.recorder(ctx),
            claim=mutation.claim(
                info, "addStrength", {"assessmentId": assessment_id, "strength": text}
            ),
            decide=_holder_decide(ctx, "addStrength"),
        ),
    )


async def add_delivery_action(
    info: Info[Any, Any],
    assessment_id: str,
    description: str,
    owner_id: strawberry.ID | None,
    due_on: date | None,
) -> Assessment:
    ctx = mutation.begin(info, "addDeliveryAction")
    _practitioner_only(ctx, "addDeliveryAction")
    assessment_id = _id(assessment_id, "assessmentId")
    text = mutation.text(description, "description", limit=_MAX_TEXT)
    assert text is not None
    owner = _id(str(owner_id), "ownerId") if owner_id is not None else None
    if due_on is not None and due_on < ctx.today:
        raise BadUserInput("dueOn must be today or later", field="dueOn")

    def owner_in_team(content: AssessmentContent, _: Viewer) -> None:
        if owner is not None and owner not in content.access.team_ids | {content.holder.id}:
            raise BadUserInput(
                "the owner must be in the team around the child: add them first", field="ownerId"
            )

    return await _changed(
        info,
        assessment_graph.add_delivery_action(
            ctx.graph,
            assessment_id,
            assessment_graph.NewAction(text, owner, due_on),
            recorder=mutation.recorder(ctx),
            claim=mutation.claim(
                info,
                "addDeliveryAction",
                {
                    "assessmentId": assessment_id,
                    "description": text,
                    "ownerId": owner,
                    "dueOn": due_on,
                },
            ),
            decide=_holder_decide(ctx, "addDeliveryAction", extra=owner_in_team),
        ),
    )


async def update_delivery_action(
    info: Info[Any, Any],
    action_id: str,
    done_on: date | None,
    due_on: date | None,
    description: str | None,
) -> Assessment:
    ctx = mutation.begin(info, "updateDeliveryAction")
    _practitioner_only(ctx, "updateDeliveryAction")
    action_id = _id(action_id, "actionId")
    set_done = done_on is not strawberry.UNSET
    set_due = due_on is not strawberry.UNSET
    text = mutation.text(description, "description", limit=_MAX_TEXT, required=False)
    if not (set_done or set_due or text):
        raise BadUserInput("nothing to change: give doneOn, dueOn or description", field="actionId")
    if set_done and done_on is not None and done_on > ctx.today:
        raise BadUserInput("doneOn cannot be in the future", field="doneOn")

    def decide(content: AssessmentContent | None) -> None:
        if content is None:
            raise NotFound(ACTION_NOT_FOUND)
        ctx.audit.child(content.child_id)
        viewer = _viewer(ctx, content)
        if not _content_there(ctx, viewer, content):
            # R7: a CAF held from a sensitive service hidden from them: no such action.
            ctx.audit.deny("updateDeliveryAction: R7")
            raise NotFound(ACTION_NOT_FOUND)
        if not disclosure.decide(viewer, disclosure.Whereabouts(), content.child, ctx.now):
            # R4: a shielded child's CAF, and so its actions, are not shown to them.
            ctx.audit.deny("updateDeliveryAction: R4")
            raise NotFound(ACTION_NOT_FOUND)
        action = content.action(action_id)
        owner = action.owner.id if action is not None and action.owner is not None else None
        decision = assessment_policy.may_update_action(viewer, content.access, owner, ctx.now)
        if not decision:
            ctx.audit.deny(f"updateDeliveryAction: {decision.reason}")
            if not assessment_policy.may_read_assessment(viewer, content.access, ctx.now):
                raise NotFound(ACTION_NOT_FOUND)  # R7: not even that the action exists
            raise Forbidden(decision.reason)
        _require_open(content, "actionId")
        _require_store_consent(ctx, content)

    return await _changed(
        info,
        assessment_graph.update_delivery_action(
            ctx.graph,
            action_id,
            done_on=done_on if set_done else None,
            set_done_on=set_done,
            due_on=due_on if set_due else None,
            set_due_on=set_due,
            description=text,
            recorder=mutation.recorder(ctx),
            claim=mutation.claim(
                info,
                "updateDeliveryAction",
                {"actionId": action_id, "doneOn": done_on, "dueOn": due_on, "description": text},
            ),
            decide=decide,
        ),
    )


async def set_next_review(
    info: Info[Any, Any], assessment_id: str, next_review_on: date
) -> Assessment:
    ctx = mutation.begin(info, "setNextReview")
    _practitioner_only(ctx, "setNextReview")
    assessment_id = _id(assessment_id, "assessmentId")
    if next_review_on < ctx.today:
        raise BadUserInput("nextReviewOn must be today or later", field="nextReviewOn")
    return await _changed(
        info,
        assessment_graph.set_next_review(
            ctx.graph,
            assessment_id,
            next_review_on,
            recorder=mutation.recorder(ctx),
            claim=mutation.claim(
                info,
                "setNextReview",
                {"assessmentId": assessment_id, "nextReviewOn": next_review_on},
            ),
            decide=_holder_decide(ctx, "setNextReview"),
        ),
    )


async def close_assessment(
    info: Info[Any, Any],
    assessment_id: str,
    status: AssessmentStatus,
    reason: str,
    outcome: ClosureOutcome | None = None,
) -> Assessment:
    ctx = mutation.begin(info, "closeAssessment")
    _practitioner_only(ctx, "closeAssessment")
    assessment_id = _id(assessment_id, "assessmentId")
    if status.value not in assessment_policy.CLOSING_STATUSES:
        raise BadUserInput("close a CAF as CLOSED or TRANSFERRED_TO_SOCIAL_CARE", field="status")
    why = mutation.text(reason, "reason", limit=_MAX_TEXT)
    assert why is not None
    ctx.audit.reason = f"{status.value}: {why}"
    return await _changed(
        info,
        assessment_graph.close_assessment(
            ctx.graph,
            assessment_id,
            status.value,
            why,
            outcome=outcome.value
            if outcome
            else assessment_policy.default_closure_outcome(status.value),
            recorder=mutation.recorder(ctx),
            claim=mutation.claim(
                info,
                "closeAssessment",
                {
                    "assessmentId": assessment_id,
                    "status": status,
                    "reason": why,
                    "outcome": outcome,
                },
            ),
            # Closing stores nothing new: it needs no consent (R8), only the holder.
            decide=_holder_decide(ctx, "closeAssessment", store=False),
        ),
    )


# --- The team around the child ---------------------------------------------------------


async def add_team_member(
    info: Info[Any, Any], assessment_id: str, practitioner_id: str
) -> Assessment:
    ctx = mutation.begin(info, "addTeamMember")
    _practitioner_only(ctx, "addTeamMember")
    assessment_id = _id(assessment_id, "assessmentId")
    member_id = _id(practitioner_id, "practitionerId")
    holder_checks = _holder_decide(ctx, "addTeamMember")

    def decide(facts: assessment_graph.TeamMemberFacts | None) -> None:
        holder_checks(facts.content if facts is not None else None)
        assert facts is not None
        if not facts.member_found:
            raise BadUserInput("no practitioner with that id", field="practitionerId")
        content = facts.content
        decision = assessment_policy.may_join_team(
            member_id,
            facts.member_service_ids,
            content.access.consents,
            content.access.date_of_birth,
            ctx.today,
            content.id,
        )
        if not decision:
            raise ConsentRequired(
                "no active SHARE_ASSESSMENT consent covers this CAF and names this practitioner "
                "or their service (R8): record the child's or family's consent first"
            )

    return await _changed(
        info,
        assessment_graph.add_team_member(
            ctx.graph,
            assessment_id,
            member_id,
            recorder=mutation.recorder(ctx),
            claim=mutation.claim(
                info, "addTeamMember", {"assessmentId": assessment_id, "practitionerId": member_id}
            ),
            decide=decide,
        ),
    )


async def appoint_lead_professional(
    info: Info[Any, Any], child_id: str, practitioner_id: str
) -> Child:
    child_id = _id(child_id, "childId")
    ctx = mutation.begin(info, "appointLeadProfessional", child_id)
    _practitioner_only(ctx, "appointLeadProfessional")
    appointee_id = _id(practitioner_id, "practitionerId")
    await browsing.spend_before_write(ctx, child_id)
    claim = mutation.claim(
        info, "appointLeadProfessional", {"childId": child_id, "practitionerId": appointee_id}
    )

    def decide(facts: assessment_graph.LeadAppointeeFacts | None) -> None:
        if facts is None:
            raise NotFound(CHILD_NOT_FOUND)
        context = facts.context
        viewer = dataclasses.replace(ctx.viewer, service_ids=context.viewer_service_ids)
        holds_open = any(
            a.status == "OPEN" and a.holder_id == viewer.practitioner_id
            for a in context.assessments
        )
        decision = assessment_policy.may_appoint_lead(
            viewer,
            involved=standing(ctx, viewer, context),
            holds_open_caf=holds_open,
            overrides=context.child.overrides,
            now=ctx.now,
        )
        if not decision:
            ctx.audit.deny(f"appointLeadProfessional: {decision.reason}")
            raise Forbidden(decision.reason)
        if decision.override_id is not None:
            ctx.audit.override(decision.override_id)
        # R6, R7: accepting a practitioner whose only tie to the child is a sensitive
        # involvement, or a place in a CAF held there, that the appointer may not see
        # would confirm it: such a practitioner is answered like one who is not involved.
        service_seen = facts.service is None or bool(
            visibility.sensitive_service_visible(
                viewer, context.child, facts.service, ctx.today, ctx.now
            )
        )
        # R4: for a shielded child, accepting one and refusing another would say who
        # works with him, which is where he is. Only the CAF's own team can be named.
        involvement_visible = (
            facts.involved
            and service_seen
            and bool(disclosure.decide(viewer, disclosure.Whereabouts(), context.child, ctx.now))
        )
        lead = assessment_policy.may_be_lead(
            involvement_visible=facts.found and involvement_visible,
            in_open_team=facts.found and facts.in_open_team and service_seen,
        )
        if not lead:
            raise BadUserInput(lead.reason, field="practitionerId")

    try:
        await assessment_graph.appoint_lead_professional(
            ctx.graph,
            child_id,
            appointee_id,
            recorder=mutation.recorder(ctx),
            claim=claim,
            decide=decide,
        )
    except IdempotencyConflict as exc:
        raise mutation.conflict() from exc
    return await index_view(ctx, child_id, CHILD_NOT_FOUND)


# --- Root fields: what this domain adds to Query and Mutation --------------------


@strawberry.type
class AssessmentQuery:
    @strawberry.field(
        description=(
            "The three CAF domains and the elements of each (CAF guide Table 1): what "
            "NeedInput.element accepts. Static; needs no purpose and reads no child."
        )
    )
    def assessment_elements(self) -> list[AssessmentDomainElements]:
        return resolve_assessment_elements()


_HOLDER_ONLY = (
    " Only the CAF's holder may do this (FORBIDDEN otherwise), only while it is OPEN "
    "(BAD_USER_INPUT otherwise), and only while consent to undertake and store it is "
    "still active (CONSENT_REQUIRED otherwise, R8). One transaction; audited; send an "
    "Idempotency-Key to make retries safe."
)


@strawberry.type
class AssessmentMutation:
    @strawberry.mutation(
        description=(
            "Start and store a CAF for a child (R8): you become its holder and the first "
            "member of the team around the child, and the index shows at once that a CAF "
            "exists and who holds it (never its content). Needs a practitioner involved with "
            "the child or holding an override, and the consent ids of ACTIVE "
            "UNDERTAKE_ASSESSMENT and STORE_ASSESSMENT grants (CONSENT_REQUIRED otherwise; "
            "nothing is stored). A child has at most one OPEN CAF."
        )
    )
    async def start_assessment(
        self, info: Info[Any, Any], input: StartAssessmentInput
    ) -> Assessment:
        return await start_assessment(info, input)

    @strawberry.mutation(
        description=(
            "Record a need in one element of one domain (CAF guide Table 1): BAD_USER_INPUT "
            "field need.element lists the valid elements when it is not one." + _HOLDER_ONLY
        )
    )
    async def add_need(
        self, info: Info[Any, Any], assessment_id: strawberry.ID, need: NeedInput
    ) -> Assessment:
        return await add_need(info, str(assessment_id), need)

    @strawberry.mutation(
        description="Record a strength of the child or family (CAF guide 4.7)." + _HOLDER_ONLY
    )
    async def add_strength(
        self, info: Info[Any, Any], assessment_id: strawberry.ID, strength: str
    ) -> Assessment:
        return await add_strength(info, str(assessment_id), strength)

    @strawberry.mutation(
        description=(
            "Add an action the team agreed (the delivery plan, CAF guide 4.10). The owner, if "
            "given, must be in the team around the child." + _HOLDER_ONLY
        )
    )
    async def add_delivery_action(
        self,
        info: Info[Any, Any],
        assessment_id: strawberry.ID,
        description: str,
        owner_id: strawberry.ID | None = None,
        due_on: date | None = None,
    ) -> Assessment:
        return await add_delivery_action(info, str(assessment_id), description, owner_id, due_on)

    @strawberry.mutation(
        description=(
            "Update a delivery action: mark it done (doneOn, not in the future), move its due "
            "date or reword it. Omitted arguments are left as they are; doneOn: null reopens "
            "it. The holder updates any action; a team member who may read the CAF (R7) "
            "updates the actions they own. Only while the CAF is OPEN and consent to store it "
            "is active (R8). Audited."
        )
    )
    async def update_delivery_action(
        self,
        info: Info[Any, Any],
        action_id: strawberry.ID,
        done_on: date | None = strawberry.UNSET,
        due_on: date | None = strawberry.UNSET,
        description: str | None = None,
    ) -> Assessment:
        return await update_delivery_action(info, str(action_id), done_on, due_on, description)

    @strawberry.mutation(
        description=(
            "Add a practitioner to the team around the child. Needs an ACTIVE "
            "SHARE_ASSESSMENT consent covering this CAF and naming them or their service "
            "(CONSENT_REQUIRED otherwise, R8); from then on they may read it (R7) for as long "
            "as that consent stands. Adding a member twice changes nothing." + _HOLDER_ONLY
        )
    )
    async def add_team_member(
        self, info: Info[Any, Any], assessment_id: strawberry.ID, practitioner_id: strawberry.ID
    ) -> Assessment:
        return await add_team_member(info, str(assessment_id), str(practitioner_id))

    @strawberry.mutation(
        description=(
            "Record the child's lead professional on the index (one at a time; it shows on "
            "the index view at once). By a practitioner involved with the child, the holder of "
            "their OPEN CAF, or one holding an override. The appointee must be working with "
            "the child: an active involvement or a place in the team around the child "
            "(BAD_USER_INPUT field practitionerId otherwise). Returns the child as you now see "
            "it. Audited."
        )
    )
    async def appoint_lead_professional(
        self, info: Info[Any, Any], child_id: strawberry.ID, practitioner_id: strawberry.ID
    ) -> Child:
        return await appoint_lead_professional(info, str(child_id), str(practitioner_id))

    @strawberry.mutation(
        description=(
            "Set the date of the next review of progress (CAF guide 4.10): today or later."
            + _HOLDER_ONLY
        )
    )
    async def set_next_review(
        self, info: Info[Any, Any], assessment_id: strawberry.ID, next_review_on: date
    ) -> Assessment:
        return await set_next_review(info, str(assessment_id), next_review_on)

    @strawberry.mutation(
        description=(
            "Close a CAF, with a reason: CLOSED when needs are met, TRANSFERRED_TO_SOCIAL_CARE "
            "when it supported a referral to children's social care ('stepping up'). The "
            "index shows the new status at once. Holder only, OPEN only; consent is not needed "
            "to close. `outcome` is what management information counts (NEEDS_MET, or "
            "TRANSFERRED_TO_SOCIAL_CARE, when omitted). Audited."
        )
    )
    async def close_assessment(
        self,
        info: Info[Any, Any],
        assessment_id: strawberry.ID,
        status: AssessmentStatus,
        reason: str,
        outcome: ClosureOutcome | None = None,
    ) -> Assessment:
        return await close_assessment(info, str(assessment_id), status, reason, outcome)
