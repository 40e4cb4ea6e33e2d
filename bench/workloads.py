"""The three workloads, as the request each system receives for the same logical read.

(1) profile: one child by id, with every field of the index view.
(2) search: children by family name and date of birth, with their involvements.
(3) mix: 90% (1) and 10% (2), interleaved (nine profiles, then one search).

ContactGraph gets the front end's own documents (tests/queries.py CHILD_PROFILE and
SEARCH). The @neo4j/graphql peer gets the equivalent selection in its generated schema:
contact details are flat properties there, carers' relationship properties come through a
connection, and the R5 window (`horizon`) and the normalised search key are computed by
the client, since the library has no place to compute them. The raw peer gets a small
JSON body. Every request carries an `expect` string, the child's id in quotes, which the
load generator requires in the answer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from graph.keys import name_key
from tests.queries import CHILD_PROFILE, SEARCH

__all__ = [
    "SYSTEMS",
    "WORKLOADS",
    "Endpoint",
    "requests_for",
]

SYSTEMS = ("raw", "neo4j-graphql", "contactgraph")
WORKLOADS = ("profile", "search", "mix")
INVOLVEMENT_WINDOW = timedelta(days=365)  # R5

_SERVICE = (
    "id name kind sensitive localAuthority phone email addressLine1 addressLine2 town postcode"
)
_PRACTITIONER = (
    f"id name jobTitle phone email addressLine1 addressLine2 town postcode service {{ {_SERVICE} }}"
)
_NGQL_CHILD = f"""
  id givenName familyName dateOfBirth gender shielded
  addressLine1 addressLine2 town postcode
  shieldingContact {{ indexTeamPhone indexTeamEmail addressLine1 postcode }}
  carersConnection {{ edges {{
    properties {{ relationship parentalResponsibility livesWithChild }}
    node {{ id name phone email addressLine1 addressLine2 town postcode }}
  }} }}
  involvements(
    where: {{ OR: [{{ endedOn: {{ eq: null }} }}, {{ endedOn: {{ gte: $horizon }} }}] }}
    sort: [{{ startedOn: ASC }}, {{ id: ASC }}]
  ) {{
    id startedOn endedOn active isLeadProfessional source
    service {{ {_SERVICE} }}
    practitioner {{ {_PRACTITIONER} }}
  }}
  leadProfessional {{ {_PRACTITIONER} }}
  hasCommonAssessment
  commonAssessments {{ id status startedOn holder {{ {_PRACTITIONER} }} }}
"""
NGQL_PROFILE = (
    "query Profile($id: ID!, $horizon: Date!) { "
    f"children(where: {{ id: {{ eq: $id }} }}) {{ {_NGQL_CHILD} }} }}"
)
NGQL_SEARCH = (
    "query Search($familyNameKey: String!, $dateOfBirth: Date!, $horizon: Date!) { "
    "children(where: { familyNameKey: { eq: $familyNameKey }, dateOfBirth: { eq: $dateOfBirth }, "
    "archivedOn: { eq: null } }, limit: 21, sort: [{ id: ASC }]) "
    f"{{ {_NGQL_CHILD} }} }}"
)


@dataclass(frozen=True)
class Endpoint:
    system: str
    base: str  # http://127.0.0.1:port


def _dumps(body: dict[str, Any]) -> str:
    return json.dumps(body, separators=(",", ":"))


def _profile(endpoint: Endpoint, child: dict[str, str], horizon: date) -> dict[str, str]:
    expect = f'"id":"{child["id"]}"'
    if endpoint.system == "raw":
        return {
            "url": f"{endpoint.base}/profile",
            "body": _dumps({"id": child["id"]}),
            "expect": expect,
        }
    if endpoint.system == "neo4j-graphql":
        body = {
            "query": NGQL_PROFILE,
            "variables": {"id": child["id"], "horizon": horizon.isoformat()},
            "operationName": "Profile",
        }
    else:
        body = {
            "query": CHILD_PROFILE,
            "variables": {"id": child["id"]},
            "operationName": "Profile",
        }
    return {"url": f"{endpoint.base}/graphql", "body": _dumps(body), "expect": expect}


def _search(endpoint: Endpoint, child: dict[str, str], horizon: date) -> dict[str, str]:
    expect = f'"id":"{child["id"]}"'
    body: dict[str, Any]
    if endpoint.system == "raw":
        body = {"familyName": child["familyName"], "dateOfBirth": child["dateOfBirth"]}
        return {"url": f"{endpoint.base}/search", "body": _dumps(body), "expect": expect}
    if endpoint.system == "neo4j-graphql":
        body = {
            "query": NGQL_SEARCH,
            "variables": {
                "familyNameKey": name_key(child["familyName"]),
                "dateOfBirth": child["dateOfBirth"],
                "horizon": horizon.isoformat(),
            },
            "operationName": "Search",
        }
    else:
        body = {
            "query": SEARCH,
            "variables": {
                "input": {"familyName": child["familyName"], "dateOfBirth": child["dateOfBirth"]}
            },
            "operationName": "Search",
        }
    return {"url": f"{endpoint.base}/graphql", "body": _dumps(body), "expect": expect}


def requests_for(
    endpoint: Endpoint, workload: str, children: list[dict[str, str]], today: date
) -> list[dict[str, str]]:
    """The request list the load generator cycles through (each client from its own offset)."""
    horizon = today - INVOLVEMENT_WINDOW
    if workload == "profile":
        return [_profile(endpoint, c, horizon) for c in children]
    if workload == "search":
        return [_search(endpoint, c, horizon) for c in children]
    if workload == "mix":
        out = []
        for k, child in enumerate(children):
            # Nine profiles, then a search, so every 10 consecutive requests hold 9 + 1.
            out.append(
                _search(endpoint, child, horizon)
                if k % 10 == 9
                else _profile(endpoint, child, horizon)
            )
        return out
    raise ValueError(f"unknown workload {workload!r}")
