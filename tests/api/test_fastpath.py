"""The compiled path answers exactly as the generic executor does, withheld fields included."""

from __future__ import annotations

import dataclasses
import uuid

import httpx
import pytest
from graphql import parse

from api.app import create_app
from api.devkeys import issue_token
from api.fastpath import FastPath
from api.root import build_schema
from policies.viewer import Role
from tests.queries import CHILD_PROFILE, SEARCH
from tests.security.test_shielding import ALIASED

TYPENAMES = """query($id: ID!) { child(id: $id) { __typename id involvements { __typename
  service { __typename kind } practitioner { __typename name } } carers { __typename name } } }"""
TWO_ROOTS = """{ a: child(id: "c-hannah") { id leadProfessional { name } }
  b: searchChildren(input: {childId: "c-jack"}) { truncated matches { id givenName } } }"""
MERGED = """query($id: ID!) { child(id: $id) { involvements { id } ...More involvements { service { name } } } }
  fragment More on Child { involvements { practitioner { name } } address { postcode } }"""
MISSING_VARIABLE = "query($id: ID!) { child(id: $id) { id } }"
BAD_SEARCH = '{ searchChildren(input: {familyName: "Whitlock"}) { truncated matches { id } } }'

DOCUMENTS = [
    ("profile hannah", CHILD_PROFILE, {"id": "c-hannah"}),
    ("profile shielded sam", CHILD_PROFILE, {"id": "c-sam"}),
    ("profile missing", CHILD_PROFILE, {"id": "c-nobody"}),
    ("aliases and fragments", ALIASED, {"id": "c-sam"}),
    ("typenames", TYPENAMES, {"id": "c-hannah"}),
    ("two roots", TWO_ROOTS, None),
    ("merged selections", MERGED, {"id": "c-hannah"}),
    ("search by name", SEARCH, {"input": {"familyName": "WHITLOCK", "dateOfBirth": "2011-07-24"}}),
    ("search too vague", BAD_SEARCH, None),
    ("missing variable", MISSING_VARIABLE, {}),
]

VIEWERS = [
    (
        "melanie",
        dict(roles=[Role.PRACTITIONER], practitioner_id="p-melanie", local_authority="NBR"),
    ),
    ("nurse", dict(roles=[Role.PRACTITIONER], practitioner_id="p-nurse", local_authority="NBR")),
    ("admin NBR", dict(roles=[Role.INDEX_ADMIN], local_authority="NBR")),
    ("admin EVL", dict(roles=[Role.INDEX_ADMIN], local_authority="EVL")),
    ("sam's teacher", dict(roles=[Role.PRACTITIONER], practitioner_id="p-eastvale")),
    ("lead", dict(roles=[Role.SAFEGUARDING_LEAD], local_authority="NBR", subject="lead-fast")),
    ("analyst", dict(roles=[Role.ANALYST])),
]


@pytest.fixture(scope="module", autouse=True)
def new_cases(sync_driver):
    """What the disclosure decision point added, on the data both paths read: a CAF held
    from the clinic (R7), a practitioner unavailable until next week (R17), and a shield
    lift running for the lead (R4, R9)."""
    sync_driver.execute_query(
        """
        MATCH (h:Child {id: 'c-hannah'}), (n:Practitioner {id: 'p-nurse'}),
              (s:Child {id: 'c-sam'}), (lee:Practitioner {id: 'p-lee'})
        CREATE (a:Assessment {id: 'a-fast-clinic', status: 'OPEN', startedOn: date()})
        CREATE (a)-[:ABOUT]->(h), (n)-[:HOLDS]->(a)
        CREATE (o:AccessOverride {id: 'o-fast-lift', ground: 'SIGNIFICANT_HARM_SUSPECTED',
          justification: 'Strategy discussion needs the household composition now',
          recordedAt: datetime() - duration('PT5M'), expiresAt: datetime() + duration('P3D'),
          liftsShielding: true, recordedBySubject: 'lead-fast'})
        CREATE (o)-[:FOR]->(s)
        SET lee.availability = 'UNAVAILABLE', lee.availableFrom = date() + duration('P7D')
        """
    )
    yield
    sync_driver.execute_query(
        """
        MATCH (x) WHERE x.id IN ['a-fast-clinic', 'o-fast-lift'] DETACH DELETE x
        WITH count(*) AS gone
        MATCH (lee:Practitioner {id: 'p-lee'}) REMOVE lee.availability, lee.availableFrom
        """
    )


@pytest.fixture(scope="module")
def twin_apps(graph, settings):
    fast = create_app(dataclasses.replace(settings, fast_path=True), graph=graph)
    slow = create_app(dataclasses.replace(settings, fast_path=False), graph=graph)
    return fast, slow


def test_hot_documents_compile() -> None:
    schema = build_schema()
    fast_path = FastPath(schema._schema, schema.config.name_converter)
    for _, document, _ in DOCUMENTS:
        assert fast_path.plan(parse(document), None) is not None
    for other in (
        "{ me { subject } }",
        '{ child(id: "x") { assessment(id: "a") { id } } }',
        '{ child(id: "x") { id @include(if: true) } }',
    ):
        assert fast_path.plan(parse(other), None) is None


async def _ask(
    app, settings, viewer: dict, document: str, variables, sync_driver, purpose="equivalence"
):
    token = issue_token(settings, **viewer)
    request_id = uuid.uuid4().hex
    headers = {"Authorization": f"Bearer {token}", "X-Request-Id": request_id}
    if purpose:
        headers["X-Purpose"] = purpose
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        response = await c.post(
            "/graphql", json={"query": document, "variables": variables}, headers=headers
        )
    body = response.json()
    body.pop("extensions", None)
    records, _, _ = sync_driver.execute_query(
        "MATCH (a:AuditEvent {clientRequestId: $rid}) RETURN a { .childIds, .disclosed, .denied, .action } AS a",
        rid=request_id,
    )
    audit = [
        {k: sorted(v) if isinstance(v, list) else v for k, v in r["a"].items()} for r in records
    ]
    return response.status_code, body, audit


@pytest.mark.parametrize("viewer_name,viewer", VIEWERS, ids=[v[0] for v in VIEWERS])
@pytest.mark.parametrize("name,document,variables", DOCUMENTS, ids=[d[0] for d in DOCUMENTS])
async def test_same_answer_and_audit_both_ways(
    twin_apps, settings, sync_driver, today, name, document, variables, viewer_name, viewer
) -> None:
    if variables and "input" in variables and "dateOfBirth" in variables["input"]:
        from seed import hannah

        dob = next(c for c in hannah.scenario(today).children if c["id"] == "c-hannah")[
            "dateOfBirth"
        ]
        variables = {"input": {**variables["input"], "dateOfBirth": dob.isoformat()}}
    fast, slow = twin_apps
    answer_fast = await _ask(fast, settings, viewer, document, variables, sync_driver)
    answer_slow = await _ask(slow, settings, viewer, document, variables, sync_driver)
    assert answer_fast == answer_slow


async def test_same_refusal_without_purpose(twin_apps, settings, sync_driver) -> None:
    viewer = VIEWERS[0][1]
    fast, slow = twin_apps
    a = await _ask(
        fast, settings, viewer, CHILD_PROFILE, {"id": "c-hannah"}, sync_driver, purpose=None
    )
    b = await _ask(
        slow, settings, viewer, CHILD_PROFILE, {"id": "c-hannah"}, sync_driver, purpose=None
    )
    assert a == b
    assert a[1]["data"] is None


async def test_fast_app_really_takes_the_compiled_path(
    twin_apps, settings, sync_driver, monkeypatch
) -> None:
    from api import fastpath

    calls = []
    original = fastpath.CompiledQuery.run

    async def counting(self, *args, **kwargs):
        calls.append(self)
        return await original(self, *args, **kwargs)

    monkeypatch.setattr(fastpath.CompiledQuery, "run", counting)
    fast, slow = twin_apps
    await _ask(fast, settings, VIEWERS[0][1], CHILD_PROFILE, {"id": "c-hannah"}, sync_driver)
    assert len(calls) == 1
    await _ask(slow, settings, VIEWERS[0][1], CHILD_PROFILE, {"id": "c-hannah"}, sync_driver)
    assert len(calls) == 1


def test_plan_cache_never_confuses_documents_that_reuse_an_address() -> None:
    """Plans are cached by document; a new document at a freed address must not hit."""
    import gc

    schema = build_schema()
    fast_path = FastPath(schema._schema, schema.config.name_converter)
    for _ in range(200):
        eligible = parse(CHILD_PROFILE)
        assert fast_path.plan(eligible, None) is not None
        del eligible
        gc.collect()
        ineligible = parse("{ me { subject } }")
        assert fast_path.plan(ineligible, None) is None
        del ineligible
        gc.collect()
