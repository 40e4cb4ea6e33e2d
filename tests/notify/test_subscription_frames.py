"""The compiled subscription message is exactly what graphql-core would have sent.

api/subscription_frames.py renders each delivery without the executor; these tests run
the same documents through graphql-core's `execute` on the same Notification (the root
value strawberry's subscription field maps each event to) and require identical data,
and identical frames as starlette's `send_json` would write them. Documents the plan
does not know (directives, variables, two root fields, errors) must fall back (None),
so strawberry keeps answering them as before.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from graphql import execute, parse

from api.resolvers.notifications import notification_from
from api.root import build_schema
from api.subscription_frames import SubscriptionFrames
from graph.notifications import NotificationRecord

SCHEMA = build_schema()

PAYLOAD: dict[str, Any] = {
    "kind": "INVOLVEMENT_STARTED",
    "occurredAt": "2026-12-02T21:55:01.123456Z",
    "summary": "Lee Youth (Youth Service) is now working with Hannah — «quoted»",
    "child": {"id": "c-hannah", "givenName": "Hannah", "familyName": "Ng"},
    "involvement": {"service": {"id": "s-nbr-youth"}, "practitioner": {"id": "p-lee"}},
}


def _record(*, read: bool = False, child: bool = True) -> tuple[NotificationRecord, dict[str, Any]]:
    payload = dict(PAYLOAD) if child else {k: v for k, v in PAYLOAD.items() if k != "child"}
    record = NotificationRecord(
        id="n-1",
        event_id="e-1",
        kind="INVOLVEMENT_STARTED",
        recipient="p-melanie",
        recipient_kind="PRACTITIONER",
        child_id="c-hannah" if child else None,
        subject_id=None,
        created_at=datetime(2026, 12, 2, 21, 55, 2, 5, tzinfo=UTC),
        read_at=datetime(2026, 12, 2, 22, 0, tzinfo=UTC) if read else None,
        payload=payload,
    )
    return record, payload


COMPILED = [
    "subscription { notifications { id kind payload } }",
    "subscription { notifications { id kind summary child { id } payload } }",
    "subscription Mine { n: notifications { __typename id k: kind occurredAt createdAt readAt"
    " summary child { __typename id givenName familyName g: givenName } payload } }",
    "subscription { notifications { ...N child { ... on NotificationChild { familyName } } } }"
    " fragment N on Notification { id summary child { id } }",
    "subscription { notifications { ... on Notification { id } id kind } }",
]


@pytest.mark.parametrize("document", COMPILED)
@pytest.mark.parametrize(("read", "child"), [(False, True), (True, True), (False, False)])
def test_a_compiled_document_renders_what_graphql_core_executes(
    document: str, read: bool, child: bool
) -> None:
    plan = SubscriptionFrames(SCHEMA).plan(document, None, None)
    assert plan is not None
    record, payload = _record(read=read, child=child)
    expected = execute(
        SCHEMA._schema, parse(document), root_value=notification_from(record, payload)
    )
    assert not isinstance(expected, type(None))
    assert expected.errors is None  # type: ignore[union-attr]
    assert plan.data(record, payload) == expected.data  # type: ignore[union-attr]
    # Key order too: the frame is byte for byte what send_json wrote for that result.
    body = {"id": "7", "type": "next", "payload": {"data": expected.data}}  # type: ignore[union-attr]
    assert plan.frame("7", record, payload) == json.dumps(
        body, separators=(",", ":"), ensure_ascii=False
    )


FALLBACK = [
    # Directives and variables: graphql-core decides them.
    "subscription { notifications { id summary @include(if: false) } }",
    "subscription ($on: Boolean!) { notifications { id summary @skip(if: $on) } }",
    "subscription { notifications @include(if: true) { id } }",
    # Not valid, or not one subscription field: strawberry's errors, as before.
    "subscription { a: notifications { id } b: notifications { id } }",
    "subscription { notifications { id secret } }",
    "subscription { notifications }",
    "query { notifications { nodes { id } } }",
    "subscription { notifications { id ",
    "subscription A { notifications { id } } subscription B { notifications { kind } }",
]


@pytest.mark.parametrize("document", FALLBACK)
def test_what_the_plan_does_not_know_goes_through_strawberry(document: str) -> None:
    assert SubscriptionFrames(SCHEMA).plan(document, None, None) is None


def test_variables_operation_names_and_non_strings_fall_back_or_pick_their_operation() -> None:
    frames = SubscriptionFrames(SCHEMA)
    plain = "subscription { notifications { id } }"
    assert frames.plan(plain, None, {"x": 1}) is None  # variables sent: strawberry checks them
    assert frames.plan(None, None, None) is None
    assert frames.plan(plain, 3, None) is None
    two = "subscription A { notifications { id } } subscription B { b: notifications { kind } }"
    record, payload = _record()
    a, b = frames.plan(two, "A", None), frames.plan(two, "B", None)
    assert a is not None and b is not None
    assert a.data(record, payload) == {"notifications": {"id": "n-1"}}
    assert b.data(record, payload) == {"b": {"kind": "INVOLVEMENT_STARTED"}}
    assert frames.plan(two, "C", None) is None


def test_the_cache_is_bounded_and_keeps_answers_per_document() -> None:
    frames = SubscriptionFrames(SCHEMA, size=2)
    documents = [f"subscription {{ notifications {{ id a{n}: kind }} }}" for n in range(4)]
    record, payload = _record()
    for n, document in enumerate(documents):
        plan = frames.plan(document, None, None)
        assert plan is not None
        assert plan.data(record, payload)["notifications"][f"a{n}"] == "INVOLVEMENT_STARTED"
    assert len(frames._plans) == 2
