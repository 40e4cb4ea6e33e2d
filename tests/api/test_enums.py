"""One vocabulary: every enum the schema shows is the very class policies decide on.

A second, parallel enum in api/ (as MatchReviewReason, MatchReviewStatus and
AssessmentDomain once were) would let the contract and the rules drift apart; this fails
as soon as one comes back. No Neo4j needed.
"""

from __future__ import annotations

from enum import Enum

from graphql import GraphQLEnumType

from api.root import build_schema
from policies.assessments import CAF_ELEMENTS
from policies.matching import ReviewReason, ReviewStatus
from policies.vocabulary import AssessmentDomain


def _enums() -> dict[str, type[Enum]]:
    schema = build_schema()._schema
    return {
        name: graphql_type.extensions["strawberry-definition"].wrapped_cls
        for name, graphql_type in schema.type_map.items()
        if isinstance(graphql_type, GraphQLEnumType) and not name.startswith("__")
    }


def test_every_schema_enum_is_a_policies_enum() -> None:
    enums = _enums()
    assert len(enums) >= 30
    elsewhere = {name: cls.__module__ for name, cls in enums.items()}
    elsewhere = {n: m for n, m in elsewhere.items() if not m.startswith("policies.")}
    assert elsewhere == {}


def test_the_review_and_domain_enums_keep_their_contract_names_and_values() -> None:
    enums = _enums()
    assert enums["MatchReviewReason"] is ReviewReason
    assert enums["MatchReviewStatus"] is ReviewStatus
    assert enums["AssessmentDomain"] is AssessmentDomain
    schema = build_schema()._schema
    values = {
        name: list(schema.type_map[name].values)  # type: ignore[attr-defined]
        for name in ("MatchReviewReason", "MatchReviewStatus", "AssessmentDomain")
    }
    assert values == {
        "MatchReviewReason": ["AMBIGUOUS", "NHS_NUMBER_CONFLICT", "POSSIBLE_MATCH"],
        "MatchReviewStatus": ["PENDING", "RESOLVED", "SUPERSEDED"],
        "AssessmentDomain": [
            "DEVELOPMENT_OF_CHILD",
            "PARENTS_AND_CARERS",
            "FAMILY_AND_ENVIRONMENT",
        ],
    }
    assert set(CAF_ELEMENTS) == set(AssessmentDomain)
