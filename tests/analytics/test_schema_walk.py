"""R11 and R13: an ANALYST reaches no child, carer or practitioner through any field.

The test reads the schema by introspection with an analyst's token, calls every
field of Query with plausible arguments (Hannah's ids, her local authority, a
reason), selecting every field it can reach, and requires that each answer is either
FORBIDDEN or data in which no identifier, name, date of birth, address or contact
detail of any person in the graph appears. New query fields are walked as soon as
they exist: nobody has to remember to add them here.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

from policies.viewer import Role
from seed import hannah
from tests.analytics.conftest import Population

# Within the request limits (depth 8): the root's arguments are read once more with a
# deeper type chain, because [StatisticDimension!]! is three wrappers deep.
INTROSPECTION = """
query Walk {
  __schema {
    queryType { name }
    types {
      kind name
      fields { name args { name type { ...T2 } } type { ...T3 } }
      inputFields { name type { ...T3 } }
      enumValues { name }
    }
  }
  root: __type(name: "Query") { fields { name args { name type { ...T3 } } } }
}
fragment T2 on __Type { kind name ofType { kind name ofType { kind name } } }
fragment T3 on __Type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }
"""

# Fields whose answer is an aggregate an analyst is meant to get (R11).
AGGREGATES = {"involvementStatistics", "coInvolvement", "serviceNetwork", "statisticsSnapshot"}


class Schema:
    def __init__(self, data: dict[str, Any], today: date) -> None:
        introspection = data["__schema"]
        self.types = {t["name"]: t for t in introspection["types"]}
        self.query = introspection["queryType"]["name"]
        deep_args = {f["name"]: f["args"] for f in data["root"]["fields"]}
        for field in self.types[self.query]["fields"]:
            field["args"] = deep_args[field["name"]]
        self.today = today

    @staticmethod
    def named(ref: dict[str, Any]) -> dict[str, Any]:
        while ref.get("ofType"):
            ref = ref["ofType"]
        return ref

    def value(self, name: str, ref: dict[str, Any], depth: int = 0) -> str:
        """A plausible GraphQL literal for an argument or input field."""
        if ref["kind"] == "NON_NULL":
            return self.value(name, ref["ofType"], depth)
        if ref["kind"] == "LIST":
            inner = ref["ofType"]
            named = self.named(inner)
            if named["kind"] == "ENUM":
                values = [v["name"] for v in self.types[named["name"]]["enumValues"]]
                return "[" + ", ".join(values) + "]"
            return "[" + self.value(name, inner, depth) + "]"
        kind, type_name = ref["kind"], ref["name"]
        if kind == "ENUM":
            return self.types[type_name]["enumValues"][0]["name"]
        if kind == "INPUT_OBJECT":
            if depth > 3:
                return "{}"
            parts = [
                f"{f['name']}: {self.value(f['name'], f['type'], depth + 1)}"
                for f in self.types[type_name]["inputFields"]
                if f["type"]["kind"] == "NON_NULL" or f["name"] in ("childId", "carerId")
            ]
            return "{" + ", ".join(parts) + "}"
        lowered = name.lower()
        if type_name == "Int":
            return {"depth": "2", "first": "10", "minsharedchildren": "5"}.get(lowered, "1")
        if type_name == "Boolean":
            return "true"
        if type_name == "Date":
            return json.dumps(self.today.isoformat())
        if type_name == "DateTime":
            return json.dumps(datetime.now(UTC).isoformat())
        if type_name == "ID":
            for hint, value in (
                ("carer", "k-karen"),
                ("practitioner", "p-melanie"),
                ("owner", "p-melanie"),
                ("service", "s-oakfield-school"),
                ("assessment", "a-hannah"),
            ):
                if hint in lowered:
                    return json.dumps(value)
            return json.dumps("c-hannah")
        if "localauthority" in lowered:
            return json.dumps("NBR")
        if lowered in ("reason", "justification", "purpose"):
            return json.dumps("analyst walking every field of the schema")
        if lowered == "source":
            return json.dumps("school-mis")
        return json.dumps("c-hannah")

    def arguments(self, field: dict[str, Any]) -> str:
        if not field["args"]:
            return ""
        args = [f"{a['name']}: {self.value(a['name'], a['type'])}" for a in field["args"]]
        return "(" + ", ".join(args) + ")"

    def selection(self, type_name: str, depth: int, path: tuple[str, ...]) -> str:
        """Every field of the type, objects followed to `depth` levels without cycles."""
        parts = []
        for field in self.types[type_name]["fields"] or ():
            named = self.named(field["type"])
            if named["kind"] in ("SCALAR", "ENUM"):
                parts.append(field["name"] + self.arguments(field))
            elif named["kind"] == "OBJECT" and depth > 0 and named["name"] not in path:
                inner = self.selection(named["name"], depth - 1, (*path, named["name"]))
                if inner:
                    parts.append(f"{field['name']}{self.arguments(field)} {{ {inner} }}")
        return " ".join(parts)

    def documents(self, field: dict[str, Any]) -> list[str]:
        """The deepest documents first: the limits (R2, QUERY_TOO_COMPLEX) pick the depth."""
        named = self.named(field["type"])
        head = field["name"] + self.arguments(field)
        if named["kind"] in ("SCALAR", "ENUM"):
            return [f"query {{ {head} }}"]
        return [
            f"query {{ {head} {{ {self.selection(named['name'], depth, (named['name'],))} }} }}"
            for depth in (4, 3, 2, 1, 0)
        ]


def _secrets(today: date, population: Population) -> set[str]:
    """Every identifier, name, date of birth, address and contact of a person."""
    story = hannah.scenario(today)
    found: set[str] = set()
    for child in story.children:
        found |= {child["id"], child["givenName"], child["familyName"], child["nhsNumber"]}
        found |= {child["dateOfBirth"].isoformat(), child["addressLine1"], child["postcode"]}
    for carer in story.carers:
        found |= {carer["id"], carer["name"], carer["phone"], carer["email"],
                  carer["addressLine1"], carer["postcode"]}  # fmt: skip
    for practitioner in story.practitioners:
        found |= {practitioner["id"], practitioner["name"], practitioner["phone"],
                  practitioner["email"]}  # fmt: skip
    for service in story.services:  # a service's contact is not for analysts either
        found |= {service["phone"], service["email"], service["addressLine1"]}
    for child in population.children:
        found |= {child["id"], child["dateOfBirth"].isoformat(), "Testcount", "1 Count Street"}
    return {s for s in found if s}


async def test_an_analyst_reaches_only_aggregates_through_every_query_field(
    population: Population, as_viewer: Any, today: date
) -> None:
    analyst = as_viewer(
        Role.ANALYST, local_authority=None, subject="analyst-walk", purpose="schema walk"
    )
    body = await analyst.post(INTROSPECTION)
    assert "errors" not in body, body
    schema = Schema(body["data"], today)
    fields = schema.types[schema.query]["fields"]
    assert {f["name"] for f in fields} >= AGGREGATES | {"child", "involvementNetwork"}

    secrets = _secrets(today, population)
    answered: dict[str, dict[str, Any]] = {}
    for field in fields:
        for document in schema.documents(field):
            response = await analyst.post(document)
            codes = {e["extensions"]["code"] for e in response.get("errors", ())}
            if codes == {"QUERY_TOO_COMPLEX"}:
                continue  # too deep for the limits: the next, shallower document runs
            answered[field["name"]] = response
            assert codes <= {"FORBIDDEN"}, (field["name"], response)
            text = json.dumps(response)
            leaked = sorted(secret for secret in secrets if secret in text)
            assert not leaked, (field["name"], leaked)
            break
    assert set(answered) == {f["name"] for f in fields}, "every field was called"
    for name in AGGREGATES:
        assert "errors" not in answered[name], answered[name]
        assert answered[name]["data"][name] is not None
    rows = answered["involvementStatistics"]["data"]["involvementStatistics"]
    assert rows, "the walk asked a question with an answer"
    for name in ("child", "searchChildren", "involvementNetwork", "carerNetwork", "auditTrail"):
        assert {e["extensions"]["code"] for e in answered[name]["errors"]} == {"FORBIDDEN"}


async def test_the_walk_would_see_a_leak(
    population: Population, as_viewer: Any, today: date
) -> None:
    """The detector detects: the same generated document, asked by Hannah's learning
    mentor (who may see her), carries her identifiers, which the walk would refuse."""
    analyst = as_viewer(Role.ANALYST, local_authority=None, purpose="schema walk")
    schema = Schema((await analyst.post(INTROSPECTION))["data"], today)
    child = next(f for f in schema.types[schema.query]["fields"] if f["name"] == "child")
    mentor = as_viewer(Role.PRACTITIONER, practitioner_id="p-melanie", purpose="CAF planning")
    for document in schema.documents(child):
        response = await mentor.post(document)
        if "errors" not in response:
            break
    assert "errors" not in response, response
    text = json.dumps(response)
    leaked = {secret for secret in _secrets(today, population) if secret in text}
    assert {"c-hannah", "Hannah", "Whitlock", "k-karen", "Karen Whitlock", "p-melanie"} <= leaked
