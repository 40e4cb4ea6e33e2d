"""The oracle: every field of every root of Query, asked as every kind of viewer, judged
against a model of policy.md.

Disclosure is decided in many places in the product; this test does not care where.
It generates documents from the schema itself (tests/security/oracle_documents.py:
every root field, every leaf reachable from it, in plain, aliased, inline-fragment and
named-fragment form), sends them as each viewer of `oracle_model.VIEWERS`, and walks
every answer with one helper (`Judge.judge`) that fails on anything outside the model
(tests/security/oracle_model.py, written from policy.md without importing `policies/`):

- R4: a shielded child shows only id, names, date of birth, gender, the CAF indicator,
  `shielded` and `shieldingContact`, on every path, except to the index team of the
  child's own local authority and a safeguarding lead in the first hour of their
  override; nothing else of theirs (address, carer, school, teacher, involvement id,
  CAF) appears anywhere in the answer, errors and network links included.
- R5, R6: which involvements each viewer sees, exactly; a consent path counts only if
  ACTIVE, given by someone entitled, and recorded by the covered service itself.
- R7: a CAF held in a sensitive service hidden from the viewer is not there at all,
  not in the summaries and not in `hasCommonAssessment`; CAF contents only to the
  holder or under an override, with contacts where the shield is lifted.
- R12, R14: who traces networks and who reads which audit trail; reading a child
  (the trail included) needs a purpose and writes exactly one audit event naming the
  child; the trail a non-AUDITOR reads never names what R4 or R6 hide from them.

The scenario is Hannah's story plus what `oracle` adds through the API: a CAF held by
the clinic's nurse (Hannah's only CAF), Sam's CAF and lead professional (his teacher),
consents covering the clinic (Karen's to John outweighed by Hannah's refusal; Hannah's
own to Lee, which counts; to Steve, withdrawn; to Libby, expired; and one Melanie
records for herself, the attack of finding 4), a safeguarding lead's overrides for Sam
and Hannah, and a feed record held for the EVL index team's review against Sam. Direct
Cypher is used once, where no API exists: to make Libby's consent expire yesterday.

Judgement calls the model makes, from policy.md's text:
- R4's list is exhaustive: Sam's teacher, though his CAF holder and lead professional,
  gets `assessment(id:)` null, `involvements` [] and `leadProfessional` null for Sam.
- R14 "shaped by R6": a trail entry whose subject is the clinic's nurse, on Hannah's
  trail, names the clinic as surely as `Involvement:i-hannah-clinic` does.

Run (about 75 s, plus the Neo4j start):
  CONTACTGRAPH_NEO4J_INSTANCE=... .local/venv/bin/python -m pytest tests/security/test_oracle.py
A failure lists each distinct violation once, grouped by rule: viewer, rule, response
path (field names, aliases resolved), the offending value, the document's name, and
how often it recurred. ORACLE_REPORT_LIMIT=n shows more lines (default 150);
ORACLE_DUMP=file.jsonl writes every document and answer, to replay one by name.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import types
import warnings
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import httpx
import neo4j
import pytest

from api.app import create_app
from api.devkeys import issue_token
from api.root import build_schema
from seed import hannah, load
from tests.api.consent_support import (
    APPOINT_LEAD,
    FAMILY,
    RECORD_CONSENT,
    RECORD_OVERRIDE,
    RECORD_REFUSAL,
    START,
    WITHDRAW,
    clean,
    consent_input,
    ok,
)
from tests.conftest import Caller
from tests.feeds.conftest import INGEST, record
from tests.security.oracle_documents import (
    STYLES,
    Arguments,
    Node,
    Path,
    RootVariant,
    Sel,
    child_like_types,
    child_reaching_roots,
    halves,
    render,
    render_many,
    root_variants,
)
from tests.security.oracle_model import (
    CHILD_LIKE_R4_FIELDS,
    CLINIC,
    VIEWERS,
    CafFact,
    Model,
    Secret,
    ViewerSpec,
    World,
)

SCHEMA = build_schema()._schema
PURPOSE = "oracle: checking who supports this child"
REASON = "oracle: Whitlock strategy meeting"
JUSTIFICATION = "Police report of a threat to the children at home last night"
DECOY_POSTCODE = "ZZ9 9ZZ"
# (viewer, root) pairs that must carry data: what the walk must have had to judge.
EXERCISED = (
    ("melanie", "child"), ("eastvale", "child"), ("nurse", "child"), ("lead_override", "child"),
    ("index_nbr", "child"), ("index_evl", "searchChildren"), ("melanie", "consents"),
    ("lead_override", "consents"), ("lead", "involvementNetwork"), ("lead", "carerNetwork"),
    ("lead_override", "involvementNetwork"), ("auditor", "auditTrail"), ("index_nbr", "auditTrail"),
    ("index_evl", "matchReviews"), ("lead", "overridesForReview"),
    ("auditor", "auditTrailOfSubject"),
)  # fmt: skip
# Root fields also asked with all their variants in one document (aliases), as a
# client batching lookups would: guards must not leak between aliased roots.
TOGETHER = (
    "child",
    "searchChildren",
    "consents",
    "auditTrail",
    "involvementNetwork",
    "carerNetwork",
)
# The audit trail, as a list and a page at a time (R14): the same rules for both; and
# one subject's trail across every child (no childId), AUDITOR's alone.
TRAILS = frozenset({"auditTrail", "auditTrailConnection", "auditTrailOfSubject"})
# Child fields the walk judges one by one against the model (the rest of a shielded
# child's fields are judged by CHILD_LIKE_R4_FIELDS alone).
CHILD_FIELDS_JUDGED = frozenset(
    {"involvements", "commonAssessments", "assessment", "carers", "leadProfessional"}
)


def arguments(world: World) -> Arguments:
    """Values for every argument the walk must supply: ids from the scenario."""
    sam, han = world.child("c-sam"), world.child("c-hannah")
    dob = {c["id"]: c["dateOfBirth"].isoformat() for c in world.story.children}
    return Arguments(
        by_field={
            ("Query", "child", "id"): ["c-sam", "c-hannah", "c-jack"],
            ("Query", "searchChildren", "input"): [
                {"childId": "c-sam"},
                {"familyName": "Whitlock", "givenName": "Sam", "dateOfBirth": dob["c-sam"]},
                # R4 no oracle: the right postcode and a decoy must give the same answer.
                {
                    "familyName": "Whitlock",
                    "dateOfBirth": dob["c-sam"],
                    "postcode": sam["postcode"],
                },
                {"familyName": "Whitlock", "dateOfBirth": dob["c-sam"], "postcode": DECOY_POSTCODE},
                {"nhsNumber": han["nhsNumber"]},
            ],
            ("Query", "involvementNetwork", "childId"): ["c-hannah", "c-sam"],
            ("Query", "carerNetwork", "carerId"): ["k-karen", "k-sam-father"],
            ("Query", "auditTrail", "childId"): ["c-sam", "c-hannah"],
            ("Query", "auditTrail", "first"): [200],
            # An auditor follows a subject: events as written, items named, never values.
            ("Query", "auditTrailOfSubject", "subject"): ["p-melanie", "p-nurse"],
            ("Query", "consents", "childId"): ["c-hannah", "c-sam"],
            ("Child", "assessment", "id"): sorted(world.cafs),
            # The monitoring report names subjects and counts, never a child's details.
            ("Query", "accessReport", "from"): ["2026-01-01T00:00:00+00:00"],
            ("Query", "accessReport", "to"): ["2026-12-31T00:00:00+00:00"],
        },
        by_name={
            "childId": ["c-hannah", "c-sam"],
            "id": ["c-sam", "c-hannah"],
            "carerId": ["k-karen", "k-sam-father"],
            "reason": [REASON],
            "depth": [3],
            "first": [20],
            "localAuthority": ["NBR"],
        },
    )


# --- Talking to the API ----------------------------------------------------------------------


@dataclass
class Exchange:
    """One request and its answer, with what the walk needs to judge it."""

    viewer: ViewerSpec
    name: str
    document: str
    variant: RootVariant
    root: Sel
    chunk: int
    body: dict[str, Any]
    purpose: str | None
    events: list[dict[str, Any]]
    leaves: tuple[Path, ...] = ()
    style: str = "plain"
    #: Every root of the document (several when asked together).
    roots: list[Sel] = field(default_factory=list)


class AuditWatch:
    """The audit events each subject has written since we last looked (R14).

    Events sit on several chains (one per writer), so what is new is told by id, among
    the events from a minute before the newest one seen (a request's `at` is when it
    finished, and the oracle's requests come one at a time)."""

    def __init__(self, driver: neo4j.Driver) -> None:
        self.driver = driver
        self.seen: dict[str, set[str]] = {}
        self.since: dict[str, Any] = {}

    def _query(self, subject: str) -> list[dict[str, Any]]:
        records, _, _ = self.driver.execute_query(
            "MATCH (a:AuditEvent {subject: $s}) "
            "WHERE $since IS NULL OR a.at >= $since - duration('PT60S') "
            "RETURN a { .id, .at, .seq, .action, .childIds, .purpose } AS a "
            "ORDER BY a.at, a.writer, a.seq",
            s=subject,
            since=self.since.get(subject),
        )
        return [r["a"] for r in records]

    def _saw(self, subject: str, events: list[dict[str, Any]]) -> None:
        self.seen.setdefault(subject, set()).update(e["id"] for e in events)
        if events:
            self.since[subject] = events[-1]["at"]

    def start(self, subject: str) -> None:
        self.since.pop(subject, None)
        self.seen[subject] = set()
        self._saw(subject, self._query(subject))

    def new(self, subject: str) -> list[dict[str, Any]]:
        events = [e for e in self._query(subject) if e["id"] not in self.seen[subject]]
        self._saw(subject, events)
        return events


def too_complex(body: dict[str, Any]) -> bool:
    return any(
        e.get("extensions", {}).get("code") == "QUERY_TOO_COMPLEX" for e in body.get("errors", ())
    )


class Asker:
    """Sends every leaf of a root variant; a document the limits refuse is split in two.

    The split plan is shared by all viewers (the limits do not depend on who asks), so
    after the first viewer every document fits and every path is asked by everyone.
    """

    def __init__(self, client: httpx.AsyncClient, watch: AuditWatch) -> None:
        self.client = client
        self.watch = watch
        self.plans: dict[str, list[Sequence[Path]]] = {}
        self.unaskable: set[str] = set()
        self.known: list[RootVariant] = []

    async def post(
        self, caller: Caller, subject: str, document: str
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        headers = {"Authorization": f"Bearer {caller.token}", "Content-Type": "application/json"}
        if caller.purpose is not None:
            headers["X-Purpose"] = caller.purpose
        response = await self.client.post("/graphql", json={"query": document}, headers=headers)
        assert response.status_code < 500, (document, response.text)
        body: dict[str, Any] = response.json()
        return body, self.watch.new(subject)

    async def ask(
        self, caller: Caller, viewer: ViewerSpec, subject: str, variant: RootVariant, offset: int
    ) -> list[Exchange]:
        plan = self.plans.setdefault(variant.label, [variant.leaves])
        done: list[Exchange] = []
        i = 0
        while i < len(plan):
            chunk = plan[i]
            style = STYLES[(offset + i) % len(STYLES)]
            name = re.sub(r"\W+", "_", f"Oracle_{viewer.name}_{variant.label}_{i}_{style}")
            document, root = render(SCHEMA, variant, chunk, style, name)
            body, events = await self.post(caller, subject, document)
            if too_complex(body):
                if len(chunk) <= 1:
                    self.unaskable.add(f"{variant.label} {style}: {document}")
                    i += 1
                    continue
                plan[i : i + 1] = halves(chunk)
                continue
            done.append(
                Exchange(
                    viewer=viewer,
                    name=name,
                    document=document,
                    variant=variant,
                    root=root,
                    chunk=i,
                    body=body,
                    purpose=caller.purpose,
                    events=events,
                    leaves=tuple(chunk),
                    style=style,
                )
            )
            i += 1
        return done

    async def ask_together(
        self, caller: Caller, viewer: ViewerSpec, subject: str, field_name: str, offset: int
    ) -> list[Exchange]:
        """Every variant of one root field in one document (aliases r0_, r1_...), each with
        the smallest of its planned chunks: one Exchange per variant, sharing the answer."""
        variants = self.variants_of(field_name)
        parts = [(v, min(self.plans[v.label], key=len)) for v in variants]
        style = ("inline", "named", "plain")[offset % 3]
        name = f"Together_{viewer.name}_{field_name}_{style}"
        while True:
            document, roots = render_many(SCHEMA, parts, style, name)
            body, events = await self.post(caller, subject, document)
            if not too_complex(body):
                break
            if all(len(leaves) <= 1 for _, leaves in parts):
                self.unaskable.add(f"{name}: {document}")
                return []
            parts = [(v, leaves[: max(1, len(leaves) // 2)]) for v, leaves in parts]
        return [
            Exchange(
                viewer=viewer,
                name=name,
                document=document,
                variant=v,
                root=root,
                chunk=-1,
                body=body,
                purpose=caller.purpose,
                events=events,
                leaves=tuple(leaves),
                style=style,
                roots=roots,
            )
            for (v, leaves), root in zip(parts, roots, strict=True)
        ]

    def variants_of(self, field_name: str) -> list[RootVariant]:
        return [v for v in self.known if v.field == field_name]


# --- The one helper that walks answers ------------------------------------------------------


@dataclass(frozen=True)
class Violation:
    viewer: str
    rule: str
    document: str
    path: str
    detail: str
    group: str = ""  # violations with the same viewer, rule, group and detail are one line

    def key(self) -> tuple[str, str, str, str]:
        return (
            self.viewer,
            self.rule,
            self.group or re.sub(r"\[\d+\]", "[]", self.path),
            self.detail,
        )

    def __str__(self) -> str:
        return (
            f"[{self.viewer}] {self.rule}: {self.path}: {self.detail}  (document {self.document})"
        )


def carries_data(value: Any) -> bool:
    """Anything but null, false and empty lists/objects (and lists/objects of those)."""
    if value is None or isinstance(value, bool):
        return False
    if isinstance(value, list):
        return any(carries_data(x) for x in value)
    if isinstance(value, dict):
        return any(carries_data(x) for k, x in value.items() if k != "__typename")
    return True


def short(value: Any, limit: int = 120) -> str:
    text = json.dumps(value, sort_keys=True)
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclass
class _Where:
    document: str
    path: str
    child: str | None = None
    caf: str | None = None

    def at(self, sel: Sel) -> _Where:
        args = ", ".join(f"{k}: {json.dumps(v.value)}" for k, v in sel.args)
        step = f"{sel.field}({args})" if args else sel.field
        return _Where(self.document, f"{self.path}.{step}", self.child, self.caf)

    def index(self, i: int) -> _Where:
        return _Where(self.document, f"{self.path}[{i}]", self.child, self.caf)


class Judge:
    def __init__(self, model: Model) -> None:
        self.model = model
        self.world = model.world
        self.child_like = child_like_types(SCHEMA)
        self.reaching = child_reaching_roots(SCHEMA)
        self.secrets: dict[str, list[Secret]] = {}

    # Which roots a viewer may get data from (R2, R11, R12, R14, R15).
    def may_answer(self, v: ViewerSpec, variant: RootVariant) -> tuple[bool, str]:
        if variant.field in TRAILS:
            return self.model.reads_trail(v, variant.arg("childId")), "R14"
        if variant.field in ("involvementNetwork", "carerNetwork"):
            return self.model.traces(v), "R12"
        if variant.field in self.reaching:
            return self.model.reads_children(v), "R2"
        return True, ""

    def judge(self, ex: Exchange) -> list[Violation]:
        v, out = ex.viewer, []
        data = ex.body.get("data") or {}
        value = data.get(ex.root.key) if isinstance(data, dict) else None
        label = ex.variant.label

        def fail(rule: str, path: str, detail: str, group: str = "") -> None:
            out.append(Violation(v.name, rule, ex.name, path, detail, group))

        allowed, rule = self.may_answer(v, ex.variant)
        if not allowed and carries_data(value):
            fail(rule, label, f"{v.role} may not have this answer at all, got {short(value)}")
        if ex.purpose is None and ex.variant.field in self.reaching and carries_data(value):
            fail("R2/R14", label, f"answered without an X-Purpose: {short(value)}")

        seen: set[str] = set()
        root_child = ex.variant.arg("childId") or ex.variant.arg("id")
        where = _Where(ex.name, label, root_child if self.world.is_child(str(root_child)) else None)
        self.walk(v, value, ex.root.node, where, fail, seen)
        about = f"({root_child})" if self.world.is_child(str(root_child)) else ""
        self.text(v, ex, fail, seen | {str(root_child)}, f"text in {ex.variant.field}{about}")

        if ex.variant.field in self.reaching and carries_data(value):
            if len(ex.events) != 1:
                fail(
                    "R14", label, f"a read of a child wrote {len(ex.events)} audit events, not one"
                )
            else:
                event = ex.events[0]
                named = set(event.get("childIds") or ())
                expected = {c for c in seen | {str(root_child)} if self.world.is_child(c)}
                if expected - named:
                    fail("R14", label, f"the audit event does not name {sorted(expected - named)}")
                if ex.purpose is not None and event.get("purpose") != ex.purpose:
                    fail("R14", label, f"the audit event's purpose is {event.get('purpose')!r}")
        return out

    # -- the structural walk --

    def walk(
        self, v: ViewerSpec, value: Any, node: Node | None, where: _Where, fail: Any, seen: set[str]
    ) -> None:
        if value is None or node is None:
            return
        if isinstance(value, list):
            for i, item in enumerate(value):
                self.walk(v, item, node, where.index(i), fail, seen)
            return
        if not isinstance(value, dict):
            return
        kind = node.type_name
        if kind in self.child_like and isinstance(value.get("id"), str):
            where = _Where(where.document, where.path, value["id"], where.caf)
            seen.add(value["id"])
            self.child(v, value, node, where, fail)
        elif kind == "Assessment":
            self.caf(v, value, node, where, fail)
        elif kind == "NetworkLink":
            self.link(v, value, where, fail)
        elif kind == "ConsentGrant":
            self.consent(v, value, node, where, fail)
        elif kind == "Viewer":
            for _, practitioner in node.values(value, "practitioner"):
                if practitioner and practitioner.get("id") not in (None, v.practitioner):
                    fail("R1", where.path, f"`me` shows practitioner {practitioner.get('id')}")
        for sel in node.sels:
            sub = where.at(sel)
            if kind == "Child" and sel.field == "assessment":
                sub.caf = sel.arg("id")
            self.walk(v, value.get(sel.key), sel.node, sub, fail, seen)

    def child(
        self, v: ViewerSpec, obj: dict[str, Any], node: Node, where: _Where, fail: Any
    ) -> None:
        m, cid = self.model, str(obj["id"])
        if not self.world.is_child(cid):
            return
        shown = m.sees_whereabouts(v, cid)
        if not shown:
            for sel in node.sels:
                judged_below = node.type_name == "Child" and sel.field in CHILD_FIELDS_JUDGED
                if (
                    sel.field not in CHILD_LIKE_R4_FIELDS
                    and not judged_below
                    and carries_data(obj.get(sel.key))
                ):
                    fail("R4", where.at(sel).path,
                         f"shielded child {cid} shows {sel.field} = {short(obj.get(sel.key))}")  # fmt: skip
        if node.type_name != "Child":
            return

        def ids(value: Any) -> set[str]:
            return {x["id"] for x in value or () if isinstance(x, dict) and "id" in x}

        def compare(sel: Sel, got: set[str], want: set[str], what: str, rule: str) -> None:
            """Exactly the model's set: more is a leak, less withholds what R3/R5 promise."""
            path = where.at(sel).path
            for extra in sorted(got - want):
                fail("R4" if not shown else rule, path, f"shows {what} {extra} of {cid}")
            for missing in sorted(want - got):
                fail(f"{rule} (withholds)", path, f"does not show {what} {missing} of {cid}")

        for sel, value in node.values(obj, "involvements"):
            compare(sel, ids(value), m.involvements(v, cid), "involvement", "R5/R6")
        for sel, value in node.values(obj, "commonAssessments"):
            compare(sel, ids(value), m.summaries(v, cid), "CAF summary", "R7")
        for sel, value in node.values(obj, "carers"):
            compare(sel, ids(value), m.carers(v, cid), "carer", "R4")
        for sel, value in node.values(obj, "leadProfessional"):
            lead = {value["id"]} if isinstance(value, dict) and "id" in value else set()
            want = m.lead_professional(v, cid)
            compare(sel, lead, {want} if want else set(), "lead professional", "R3/R6")
        for sel, value in node.values(obj, "assessment"):
            caf = str(sel.arg("id"))
            compare(sel, {caf} if value is not None else set(),
                    {caf} & m.readable_cafs(v, cid), "the CAF", "R7/R9")  # fmt: skip
        for sel, value in node.values(obj, "hasCommonAssessment"):
            counted = m.counted_cafs(v, cid)
            if value is not bool(counted):
                fail("R7", where.at(sel).path,
                     f"hasCommonAssessment is {value} for {cid}; the CAFs that count for this "
                     f"viewer: {sorted(counted) or 'none'}")  # fmt: skip
        for sel, value in node.values(obj, "address"):
            if value is None and shown:
                fail("R3/R4 (withholds)", where.at(sel).path, f"does not show the address of {cid}")

    def caf(self, v: ViewerSpec, obj: dict[str, Any], node: Node, where: _Where, fail: Any) -> None:
        """A CAF the viewer may read shows its team's contacts when the child's whereabouts
        are open to the viewer (R4, R9): the shield lift reaches inside the CAF too."""
        cid, caf = where.child, where.caf
        if cid is None or caf is None or caf not in self.model.readable_cafs(v, cid):
            return
        for field_name in ("holder", "teamAroundTheChild"):
            for sel, people in node.values(obj, field_name):
                if sel.node is None:
                    continue
                for i, person in enumerate(people if isinstance(people, list) else [people]):
                    if not isinstance(person, dict):
                        continue
                    for _, contact in sel.node.values(person, "contact"):
                        if contact is None:
                            path = where.at(sel).path + (
                                f"[{i}]" if isinstance(people, list) else ""
                            )
                            fail("R4/R9 (withholds)", f"{path}.contact",
                                 f"contact of {person.get('id')} withheld in CAF {caf} of {cid}, "
                                 "which this viewer may read with the whereabouts open")  # fmt: skip

    def link(self, v: ViewerSpec, obj: dict[str, Any], where: _Where, fail: Any) -> None:
        m, w = self.model, self.world
        kind, via = obj.get("kind"), obj.get("via")
        ends = [x for x in (obj.get("from"), obj.get("to")) if isinstance(x, str)]
        if kind == "INVOLVED_WITH":
            if (
                ends
                and w.is_child(ends[0])
                and via is not None
                and via not in m.involvements(v, ends[0])
            ):
                rule = "R4" if not m.sees_whereabouts(v, ends[0]) else "R5/R6"
                fail(
                    rule,
                    where.path,
                    f"link {short(obj)} names an involvement hidden from this viewer",
                )
            return
        hidden = [c for c in ends if w.is_child(c) and not m.sees_whereabouts(v, c)]
        if hidden and (kind in ("SHARES_ADDRESS", "LIVES_WITH") or via is not None):
            fail("R4", where.path, f"link {short(obj)} says where or with whom {hidden} lives")
        if isinstance(via, str) and w.is_child(via) and not m.sees_whereabouts(v, via):
            fail("R4", where.path, f"link {short(obj)} goes through shielded {via}")

    def consent(
        self, v: ViewerSpec, obj: dict[str, Any], node: Node, where: _Where, fail: Any
    ) -> None:
        m, w = self.model, self.world
        cid = obj.get("childId")
        if not isinstance(cid, str) or not w.is_child(cid):
            return
        for sel, carer in node.values(obj, "givenByCarer"):
            if carer is not None and not m.sees_whereabouts(v, cid):
                fail("R4", where.at(sel).path, f"consent record names {cid}'s carer {short(carer)}")
        for sel, services in node.values(obj, "coversServiceIds"):
            for s in services or ():
                if any(x["id"] == s for x in w.story.services) and not m.sees_service(v, cid, s):
                    fail("R6", where.at(sel).path, f"consent record names hidden service {s}")

    # -- the text scan: no withheld string anywhere in the answer, errors included --

    def text(self, v: ViewerSpec, ex: Exchange, fail: Any, about: set[str], group: str) -> None:
        """This root's answer and the errors: every string, wherever it is (R4's "on every
        path", error messages included). `me` is the viewer's own record; the AUDITOR's
        trail is exempt from R4 and R6 (R14)."""
        exempt = {"me"} | (TRAILS if v.role == "AUDITOR" else set())
        data = ex.body.get("data")
        found = [] if ex.root.field in exempt or not isinstance(data, dict) else (
            strings(data.get(ex.root.key), ex.root.node, ex.variant.label)
        )  # fmt: skip
        found += strings(ex.body.get("errors"), None, "errors")
        if v.name not in self.secrets:
            self.secrets[v.name] = self.model.secrets(v)
        for path, text in found:
            for secret in self.secrets[v.name]:
                if secret.value in text and (secret.about is None or secret.about in about):
                    fail(secret.rule, path, f"contains {secret.what}: {secret.value!r}", group)


def strings(value: Any, node: Node | None, path: str) -> list[tuple[str, str]]:
    """Every string in an answer with its path, in field names (aliases resolved)."""
    if isinstance(value, str):
        return [(path, value)]
    if isinstance(value, list):
        return [s for i, x in enumerate(value) for s in strings(x, node, f"{path}[{i}]")]
    if isinstance(value, dict):
        out = []
        for key, x in value.items():
            sel = next((s for s in node.sels if s.key == key), None) if node else None
            step = _Where("", "").at(sel).path[1:] if sel else key
            out += strings(x, sel.node if sel else None, f"{path}.{step}")
        return out
    return []


# --- The scenario ------------------------------------------------------------------------------


@dataclass
class Oracle:
    world: World
    model: Model
    judge: Judge
    callers: dict[str, Caller]
    subjects: dict[str, str]
    asker: Asker
    variants: list[RootVariant]
    attack: dict[str, Any]
    names: dict[str, str] = field(default_factory=dict)
    setup_notes: list[str] = field(default_factory=list)
    exchanges: dict[str, list[Exchange]] = field(default_factory=dict)


def _caller(client: httpx.AsyncClient, settings: Any, v: ViewerSpec, purpose: str | None) -> Caller:
    token = issue_token(
        settings,
        [types.SimpleNamespace(value=v.role)],  # type: ignore[list-item]
        subject=v.subject,
        practitioner_id=v.practitioner,
        local_authority=v.local_authority,
        source=v.source,
    )
    return Caller(client, token, purpose)


def _subject(v: ViewerSpec) -> str:
    return v.subject or v.practitioner or f"dev-{v.role.lower()}"


def _clean(driver: neo4j.Driver) -> None:
    clean(driver, FAMILY)
    for cypher in (
        "MATCH (r:MatchReview {source: 'oracle-feed'}) DETACH DELETE r",
        "MATCH (f:FeedRecord {source: 'oracle-feed'}) DELETE f",
        "MATCH (c:Child {source: 'oracle-feed'}) DETACH DELETE c",
    ):
        driver.execute_query(cypher)


async def _sams_caf_and_lead(
    eastvale: Caller, driver: neo4j.Driver, today: date, notes: list[str]
) -> str:
    """Sam's CAF, held by his teacher, who is also his lead professional.

    Through the API as his teacher would (his father consents: Sam is 6). R4 refuses
    them: an involvement is no standing to act on a shielded child whose whereabouts are
    withheld, and a carer's decision for him is recorded by his index team. The oracle
    needs the state, not that write path, so the graph loader the session fixture uses
    (seed.load) writes it; a note is left only if the API unexpectedly accepts.
    """
    by_father = {"childId": "c-sam", "givenByChild": False, "childCompetenceAssessed": False,
                 "givenByCarerId": "k-sam-father"}  # fmt: skip
    ids = []
    for purpose in ("UNDERTAKE_ASSESSMENT", "STORE_ASSESSMENT"):
        body = await eastvale.post(
            RECORD_CONSENT, {"input": consent_input(purpose=purpose, **by_father)}
        )
        if "errors" in body:
            break
        ids.append(body["data"]["recordConsent"]["id"])
    body = (
        await eastvale.post(START, {"input": {"childId": "c-sam", "consentIds": ids}})
        if len(ids) == 2
        else body
    )
    if "errors" in body:
        caf_id = "a-oracle-sam"
        load.load_records(driver, hannah.Scenario(assessments=[{
            "id": caf_id, "childId": "c-sam", "holderId": "p-eastvale", "teamMemberIds": ["p-eastvale"],
            "status": "OPEN", "startedOn": today - timedelta(days=20), "closedOn": None,
            "closeReason": None, "nextReviewOn": None, "strengths": [],
        }]))  # fmt: skip
    else:
        notes.append("the API let Sam's teacher start his CAF: R4 gives him no standing")
        caf_id = body["data"]["startAssessment"]["id"]
    body = await eastvale.post(APPOINT_LEAD, {"childId": "c-sam", "practitionerId": "p-eastvale"})
    if "errors" in body:
        notes.append(
            f"Sam's lead professional written with seed.load: the API refused ({short(body['errors'])})"
        )
        load.load_records(driver, hannah.Scenario(lead_professionals=[
            {"practitionerId": "p-eastvale", "childId": "c-sam", "since": today}
        ]))  # fmt: skip
    return caf_id


async def _build(
    client: httpx.AsyncClient, settings: Any, driver: neo4j.Driver, today: date
) -> Oracle:
    world = World.of(today)
    callers = {v.name: _caller(client, settings, v, PURPOSE) for v in VIEWERS}
    nurse, melanie = callers["nurse"], callers["melanie"]
    notes: list[str] = []

    # Hannah's only CAF is held by the clinic's nurse (R7): her own consent, competence
    # assessed (she is 15), recorded by the nurse, then startAssessment, all as the nurse.
    consents = []
    for purpose in ("UNDERTAKE_ASSESSMENT", "STORE_ASSESSMENT"):
        consents.append(
            ok(
                await nurse.post(RECORD_CONSENT, {"input": consent_input(purpose=purpose)}),
                "recordConsent",
            )["id"]
        )
    clinic_caf = ok(
        await nurse.post(START, {"input": {"childId": "c-hannah", "consentIds": consents}}),
        "startAssessment",
    )["id"]

    # Consents covering the clinic, all recorded by the clinic's nurse (R6b), of which
    # only Lee's counts.
    clinic = {"purpose": "SHARE_CONTACT_DETAILS", "coversServiceIds": [CLINIC]}

    async def grant(**extra: Any) -> str:
        body = await nurse.post(RECORD_CONSENT, {"input": consent_input(**clinic, **extra)})
        return str(ok(body, "recordConsent")["id"])

    # Karen's consent to John, then Hannah's own refusal: a competent child's refusal
    # outweighs a carer's grant (R10).
    john = await grant(grantedToPractitionerIds=["p-john"], givenByChild=False,
                       childCompetenceAssessed=False, givenByCarerId="k-karen")  # fmt: skip
    refusal = ok(await nurse.post(RECORD_REFUSAL, {"input": {
        "childId": "c-hannah", "purpose": "SHARE_CONTACT_DETAILS", "refusedByChild": True,
        "childCompetenceAssessed": True, "coversServiceIds": [CLINIC]}}), "recordConsentRefusal")["id"]  # fmt: skip
    # Hannah's own later grants (R10: they supersede her own earlier refusal): to Lee,
    # which counts; to Steve, then withdrawn; to Libby, expired.
    lee = await grant(grantedToPractitionerIds=["p-lee"])
    steve = await grant(grantedToPractitionerIds=["p-steve"])
    ok(
        await nurse.post(WITHDRAW, {"id": steve, "reason": "Hannah changed her mind"}),
        "withdrawConsent",
    )
    libby = await grant(grantedToPractitionerIds=["p-libby"], expiresOn=today.isoformat())
    # No API lets time pass: the grant is moved to have expired yesterday (EXPIRED is
    # derived from expiresOn on every read, graph/model.md).
    driver.execute_query(
        "MATCH (g:ConsentGrant {id: $id}) SET g.expiresOn = $day",
        id=libby,
        day=today - timedelta(days=1),
    )

    # Finding 4, the attack: Melanie records Hannah's consent to share the clinic with
    # herself. R6b: it must not count (the product may refuse it outright).
    attack = await melanie.post(
        RECORD_CONSENT, {"input": consent_input(**clinic, grantedToPractitionerIds=["p-melanie"])}
    )
    attack_ids = (
        [attack["data"]["recordConsent"]["id"]]
        if not attack.get("errors") and attack.get("data")
        else []
    )

    sam_caf = await _sams_caf_and_lead(callers["eastvale"], driver, today, notes)

    # The safeguarding lead's overrides, minutes old: R9 (72 h) and, for Sam, R4 (1 h).
    for child in sorted(next(v for v in VIEWERS if v.name == "lead_override").overrides):
        body = await callers["lead_override"].post(RECORD_OVERRIDE, {"input": {
            "childId": child, "ground": "SIGNIFICANT_HARM_EVIDENCE", "justification": JUSTIFICATION}})  # fmt: skip
        ok(body, "recordAccessOverride")

    # A feed record that may be Sam (same names and birth date, another postcode, another
    # local authority): held for the EVL index team's review (R15), with Sam a candidate.
    feed = callers["feed"]
    line1, postcode = world.review_address
    body = await feed.post(INGEST, {"source": "oracle-feed", "records": [record("ORACLE-SAM-1", "UPSERT_CHILD", {
        "givenName": "Sam", "familyName": "Whitlock", "dateOfBirth": world.child("c-sam")["dateOfBirth"].isoformat(),
        "gender": "MALE", "address": {"line1": line1, "town": "Eastvale", "postcode": postcode},
        "localAuthority": "EVL"})]})  # fmt: skip
    if ok(body, "ingest")["pendingMatchReview"] != 1:
        notes.append(f"the feed record for Sam was not held for review: {short(body)}")

    # Reads that put other viewers' entries into the children's audit trails (R14).
    for name, child in (
        ("nurse", "c-hannah"),
        ("lead_override", "c-sam"),
        ("eastvale", "c-sam"),
        ("melanie", "c-hannah"),
    ):
        await callers[name].post(
            "query($id: ID!) { child(id: $id) { id involvements { id } carers { id } } }",
            {"id": child},
        )

    world.cafs = {
        clinic_caf: CafFact(clinic_caf, "c-hannah", "p-nurse"),
        sam_caf: CafFact(sam_caf, "c-sam", "p-eastvale"),
    }
    world.clinic_consents = frozenset({lee, steve, libby, john, refusal, *attack_ids})
    world.lead_professionals = {"c-sam": "p-eastvale"}
    model = Model(world)
    watch = AuditWatch(driver)
    asker = Asker(client, watch)
    asker.known = root_variants(SCHEMA, arguments(world), max_depth=settings.max_depth)
    subjects = {v.name: _subject(v) for v in VIEWERS}
    return Oracle(
        world=world,
        model=model,
        judge=Judge(model),
        callers=callers,
        subjects=subjects,
        asker=asker,
        variants=asker.known,
        attack=attack,
        names={
            clinic_caf: "CAF of Hannah held by the clinic's nurse",
            sam_caf: "Sam's CAF",
            lee: "clinic consent to Lee",
            steve: "clinic consent to Steve, withdrawn",
            libby: "clinic consent to Libby, expired",
            john: "clinic consent to John by Karen",
            refusal: "Hannah's clinic refusal",
            **{a: "clinic consent Melanie recorded for herself" for a in attack_ids},
        },
        setup_notes=notes,
    )


@pytest.fixture(scope="module")
def oracle_app(graph: Any, settings: Any) -> Any:
    """Every path must be askable to be checked, and one leaf such as a CAF's family copy
    (a PDF made on request, priced high) under a list of children is beyond the cost
    limit on its own: the oracle's app allows more. The limit has its own tests."""
    return create_app(dataclasses.replace(settings, max_cost=settings.max_cost * 8), graph=graph)


@pytest.fixture(scope="module")
async def oracle(
    oracle_app: Any, settings: Any, sync_driver: neo4j.Driver, today: date
) -> AsyncIterator[Oracle]:
    _clean(sync_driver)
    app = oracle_app
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        built = await _build(client, settings, sync_driver, today)
        for offset, v in enumerate(VIEWERS):
            subject = built.subjects[v.name]
            built.asker.watch.start(subject)
            caller = built.callers[v.name]
            exchanges: list[Exchange] = []
            for variant in built.variants:
                exchanges += await built.asker.ask(caller, v, subject, variant, offset)
            for field_name in TOGETHER:
                exchanges += await built.asker.ask_together(caller, v, subject, field_name, offset)
            built.exchanges[v.name] = exchanges
        _dump(built)
        for note in built.setup_notes:
            warnings.warn(f"oracle setup: {note}", stacklevel=1)
        yield built
    _clean(sync_driver)


def _report(violations: list[Violation], names: dict[str, str]) -> str:
    """One line per distinct violation, grouped by rule; generated ids shown by name."""
    limit = int(os.environ.get("ORACLE_REPORT_LIMIT", "150"))
    counts = Counter(x.key() for x in violations)
    first: dict[tuple[str, str, str, str], Violation] = {}
    for x in violations:
        first.setdefault(x.key(), x)
    by_rule = Counter(k[1] for k in counts)
    lines = [
        f"{first[k]}" + (f"  [x{n}]" if n > 1 else "")
        for k, n in sorted(counts.items(), key=lambda kv: (kv[0][1], kv[0][2], kv[0][3]))
    ]
    more = (
        f"\n... and {len(lines) - limit} more (ORACLE_REPORT_LIMIT)" if len(lines) > limit else ""
    )
    text = (
        f"{len(lines)} distinct violations ("
        + ", ".join(f"{rule}: {n}" for rule, n in sorted(by_rule.items()))
        + "):\n"
        + "\n".join(lines[:limit])
        + more
    )
    for ident, name in names.items():
        text = text.replace(ident, f"<{name}>")
    return text


def _dump(oracle: Oracle) -> None:
    """ORACLE_DUMP=file.jsonl: every document sent and its answer, to replay a failure."""
    target = os.environ.get("ORACLE_DUMP")
    if not target:
        return
    with open(target, "w", encoding="utf-8") as out:
        for viewer, exchanges in oracle.exchanges.items():
            for e in exchanges:
                out.write(
                    json.dumps(
                        {"viewer": viewer, "name": e.name, "document": e.document, "answer": e.body}
                    )
                    + "\n"
                )


# --- The tests --------------------------------------------------------------------------------


def test_the_walk_reaches_every_root_and_every_child_path(oracle: Oracle) -> None:
    """Coverage: every Query field is called; the child-reaching ones are discovered, not listed."""
    assert SCHEMA.query_type is not None
    called = {v.field for v in oracle.variants}
    assert called == set(SCHEMA.query_type.fields), set(SCHEMA.query_type.fields) - called
    reaching = child_reaching_roots(SCHEMA)
    assert reaching >= {
        "child", "searchChildren", "involvementNetwork", "carerNetwork", "auditTrail", "consents", "matchReviews",
    }, reaching  # fmt: skip
    assert not oracle.asker.unaskable, sorted(oracle.asker.unaskable)
    for v in VIEWERS:
        together = {e.variant.field for e in oracle.exchanges[v.name] if e.chunk == -1}
        assert together == set(TOGETHER), (v.name, together)
    # The scenario gives these viewers something to judge on these roots (else the walk
    # would pass vacuously): the roots every fix must keep answering.
    for viewer, root in EXERCISED:
        answers = [e for e in oracle.exchanges[viewer] if e.variant.field == root]
        data = [(e.body.get("data") or {}).get(e.root.key) for e in answers]
        assert any(carries_data(d) for d in data), f"{viewer} got nothing from {root}"
    child_paths = [p for v in oracle.variants if v.field == "child" for p in v.leaves]
    assert len(child_paths) > 100, len(child_paths)
    for v in VIEWERS:
        asked = {(e.variant.label, leaf) for e in oracle.exchanges[v.name] for leaf in e.leaves}
        every = {(x.label, leaf) for x in oracle.variants for leaf in x.leaves}
        assert asked == every, (v.name, len(every - asked))


@pytest.mark.parametrize("viewer", [v.name for v in VIEWERS])
def test_every_answer_is_inside_the_model(oracle: Oracle, viewer: str) -> None:
    """The whole schema as this viewer: nothing outside oracle_model, nothing it promises withheld."""
    violations = [x for e in oracle.exchanges[viewer] for x in oracle.judge.judge(e)]
    violations += _no_oracle(oracle, viewer)
    for e in oracle.exchanges[viewer]:
        codes = [err.get("extensions", {}).get("code") for err in e.body.get("errors", ())]
        if "INTERNAL" in codes or None in codes:
            violations.append(
                Violation(
                    viewer,
                    "errors",
                    e.name,
                    e.variant.label,
                    f"error without a contract code: {short(e.body['errors'])}",
                )
            )
    assert not violations, _report(violations, oracle.names)


def _no_oracle(oracle: Oracle, viewer: str) -> list[Violation]:
    """R4 no oracle: searching with Sam's real postcode and with a decoy answer alike."""
    by_postcode: dict[str, dict[Any, Exchange]] = defaultdict(dict)
    for e in oracle.exchanges[viewer]:
        if e.chunk < 0:  # asked together with the other variants: another answer shape
            continue
        postcode = (
            (e.variant.arg("input") or {}).get("postcode")
            if e.variant.field == "searchChildren"
            else None
        )
        if postcode:
            by_postcode[postcode][(e.leaves, e.style)] = e
    real = oracle.world.child("c-sam")["postcode"]
    out = []
    pairs = 0
    for chunk, e in by_postcode.get(real, {}).items():
        decoy = by_postcode.get(DECOY_POSTCODE, {}).get(chunk)
        if decoy is None:
            continue
        pairs += 1

        def shape(x: Exchange) -> str:
            errors = [err.get("extensions", {}).get("code") for err in x.body.get("errors", ())]
            return json.dumps([x.body.get("data"), errors], sort_keys=True)

        if shape(e) != shape(decoy):
            out.append(Violation(viewer, "R4 (no oracle)", e.name, e.variant.label,
                                 f"differs from the decoy postcode's answer: {short(e.body)} vs {short(decoy.body)}"))  # fmt: skip
    if not pairs:
        out.append(
            Violation(viewer, "oracle", "-", "searchChildren", "no postcode pair was compared")
        )
    return out


@pytest.mark.parametrize("viewer", [v.name for v in VIEWERS])
async def test_no_purpose_no_child(
    oracle: Oracle, oracle_app: Any, settings: Any, viewer: str
) -> None:
    """R2, R14: a root that reads a child (the audit trail too) answers nothing without a purpose."""
    spec = next(v for v in VIEWERS if v.name == viewer)
    reaching = child_reaching_roots(SCHEMA)
    transport = httpx.ASGITransport(app=oracle_app)
    violations: list[Violation] = []
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        caller = _caller(client, settings, spec, None)
        asker = Asker(client, oracle.asker.watch)
        subject = oracle.subjects[viewer]
        oracle.asker.watch.start(subject)
        for variant in oracle.variants:
            if variant.field not in reaching:
                continue
            leaves = oracle.asker.plans[variant.label][0]
            document, root = render(SCHEMA, variant, leaves, "plain", f"NoPurpose_{viewer}")
            body, events = await asker.post(caller, subject, document)
            ex = Exchange(
                spec, f"NoPurpose_{viewer}", document, variant, root, 0, body, None, events
            )
            violations += [x for x in oracle.judge.judge(ex) if x.rule == "R2/R14"]
            if body.get("data") and carries_data(body["data"].get(root.key)):
                continue
            codes = {e.get("extensions", {}).get("code") for e in body.get("errors", ())}
            if not codes & {"BAD_USER_INPUT", "FORBIDDEN", "NOT_FOUND"}:
                violations.append(
                    Violation(
                        viewer,
                        "R2/R14",
                        ex.name,
                        variant.label,
                        f"no purpose, and no refusal either: {short(body)}",
                    )
                )
    assert not violations, _report(violations, oracle.names)


async def test_a_consent_recorded_by_a_non_member_does_not_open_the_clinic(oracle: Oracle) -> None:
    """Finding 4 (R6b): Melanie recorded, through the API, Hannah's consent to share the
    clinic with herself. Refused or recorded, it must not open the clinic to her."""
    secrets = [s for s in oracle.model.secrets(next(v for v in VIEWERS if v.name == "melanie"))
               if s.rule.startswith(("R6 (s-nbr-sexual-health", "R7"))]  # fmt: skip
    # What she sent (the clinic's id) may come back to her; nothing she did not send may.
    echoed = [
        s
        for s in secrets
        if s.value in json.dumps(oracle.attack)
        and s.value != CLINIC
        and s.value not in oracle.world.clinic_consents
    ]
    assert not echoed, f"recording the consent told Melanie {[(s.what, s.value) for s in echoed]}"
    body = await oracle.callers["melanie"].post(
        'query { child(id: "c-hannah") { id hasCommonAssessment involvements { id service { id name } '
        "practitioner { name contact { phone } } } commonAssessments { id holder { name } } } }"
    )
    text = json.dumps(body)
    leaked = [(s.what, oracle.names.get(s.value, s.value)) for s in secrets if s.value in text]
    assert not leaked, f"Melanie's self-recorded consent opened the clinic to her: {leaked}"


def test_the_judge_sees_a_leak(oracle: Oracle) -> None:
    """The detector detects: what the index team of Sam's own authority rightly sees of Sam,
    judged as if a practitioner had received it, is a list of R4 violations."""
    own = [e for e in oracle.exchanges["index_nbr"] if e.variant.label == 'child(id: "c-sam")']
    assert own, "the walk asked for Sam as his own index team"
    melanie = next(v for v in VIEWERS if v.name == "melanie")
    found = [
        x for e in own for x in oracle.judge.judge(Exchange(**{**e.__dict__, "viewer": melanie}))
    ]
    rules = {x.rule for x in found}
    assert "R4" in rules and any(
        "k-sam-father" in x.detail or "Daniel Price" in x.detail for x in found
    ), rules
    assert not [x for e in own for x in oracle.judge.judge(e) if x.rule == "R4"], (
        "and is fine for them"
    )
