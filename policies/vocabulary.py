"""The index's closed sets of values, one Python enum each.

Policies decide on these, graph/ stores their values, and the GraphQL schema wraps the
same classes (api/schema/enums.py adds the descriptions a front-end developer reads), so
a value added here is a value the contract, the rules and the store all know. They are
StrEnums: a member equals its value, so facts read from the graph as plain strings compare
with them directly.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "SENSITIVE_KINDS",
    "AssessmentDomain",
    "AssessmentStatus",
    "AttendeeKind",
    "ClosureOutcome",
    "ConsentMethod",
    "ConsentPurpose",
    "ConsentSigner",
    "ConsentState",
    "CourseEventKind",
    "EventKind",
    "FamilyLeadKind",
    "FamilyMemberKind",
    "Gender",
    "NeedStatus",
    "Outcome",
    "OutcomeConcern",
    "OverrideGround",
    "PractitionerAvailability",
    "ProgressRating",
    "RecordErrorField",
    "RecordErrorOutcome",
    "RecordErrorStatus",
    "ServiceKind",
]


class ServiceKind(StrEnum):
    SCHOOL = "SCHOOL"
    EARLY_YEARS = "EARLY_YEARS"
    FURTHER_EDUCATION = "FURTHER_EDUCATION"
    GP = "GP"
    HEALTH_VISITOR = "HEALTH_VISITOR"
    SCHOOL_NURSE = "SCHOOL_NURSE"
    HOSPITAL = "HOSPITAL"
    SOCIAL_CARE = "SOCIAL_CARE"
    YOUTH_SERVICE = "YOUTH_SERVICE"
    YOUTH_OFFENDING = "YOUTH_OFFENDING"
    CONNEXIONS = "CONNEXIONS"
    EDUCATION_WELFARE = "EDUCATION_WELFARE"
    HOUSING = "HOUSING"
    POLICE = "POLICE"
    VOLUNTARY = "VOLUNTARY"
    ADULT_SOCIAL_CARE = "ADULT_SOCIAL_CARE"
    MENTAL_HEALTH = "MENTAL_HEALTH"
    SEXUAL_HEALTH = "SEXUAL_HEALTH"
    SUBSTANCE_MISUSE = "SUBSTANCE_MISUSE"
    OTHER = "OTHER"


SENSITIVE_KINDS: frozenset[str] = frozenset(
    kind.value
    for kind in (ServiceKind.MENTAL_HEALTH, ServiceKind.SEXUAL_HEALTH, ServiceKind.SUBSTANCE_MISUSE)
)
"""R6: services of these kinds are sensitive whatever a feed says. Plain strings, because
the set also travels to Cypher as a parameter."""


class Gender(StrEnum):
    FEMALE = "FEMALE"
    MALE = "MALE"
    OTHER = "OTHER"
    NOT_KNOWN = "NOT_KNOWN"


class AssessmentStatus(StrEnum):
    OPEN = "OPEN"
    CLOSED = "CLOSED"
    TRANSFERRED_TO_SOCIAL_CARE = "TRANSFERRED_TO_SOCIAL_CARE"


class AssessmentDomain(StrEnum):
    """The three domains of the CAF (CAF guide, Table 1); policies.assessments lists each
    one's elements."""

    DEVELOPMENT_OF_CHILD = "DEVELOPMENT_OF_CHILD"
    PARENTS_AND_CARERS = "PARENTS_AND_CARERS"
    FAMILY_AND_ENVIRONMENT = "FAMILY_AND_ENVIRONMENT"


class PractitionerAvailability(StrEnum):
    """R17: whether a practitioner can be reached directly; absent means AVAILABLE."""

    AVAILABLE = "AVAILABLE"
    UNAVAILABLE = "UNAVAILABLE"
    LEFT = "LEFT"


class FamilyLeadKind(StrEnum):
    """CAF guide 3.8: who other than a practitioner may lead for a child."""

    CARER = "CARER"
    YOUNG_PERSON = "YOUNG_PERSON"


class RecordErrorField(StrEnum):
    """The part of a child's index record a practitioner reports as wrong."""

    NAME = "NAME"
    DATE_OF_BIRTH = "DATE_OF_BIRTH"
    GENDER = "GENDER"
    NHS_NUMBER = "NHS_NUMBER"
    ADDRESS = "ADDRESS"
    CARERS = "CARERS"
    INVOLVEMENTS = "INVOLVEMENTS"
    LEAD_PROFESSIONAL = "LEAD_PROFESSIONAL"
    COMMON_ASSESSMENT = "COMMON_ASSESSMENT"
    DUPLICATE_RECORD = "DUPLICATE_RECORD"
    OTHER = "OTHER"


class RecordErrorStatus(StrEnum):
    OPEN = "OPEN"
    RESOLVED = "RESOLVED"


class RecordErrorOutcome(StrEnum):
    """What the index team did about a reported error, or that its reporter withdrew it."""

    CORRECTED = "CORRECTED"
    SOURCE_ASKED_TO_CORRECT = "SOURCE_ASKED_TO_CORRECT"
    NO_ERROR_FOUND = "NO_ERROR_FOUND"
    DUPLICATE_REPORT = "DUPLICATE_REPORT"
    WITHDRAWN = "WITHDRAWN"


class ConsentPurpose(StrEnum):
    """What a consent record is for: one purpose per record (CAF guide 4.12)."""

    SHARE_CONTACT_DETAILS = "SHARE_CONTACT_DETAILS"
    UNDERTAKE_ASSESSMENT = "UNDERTAKE_ASSESSMENT"
    STORE_ASSESSMENT = "STORE_ASSESSMENT"
    SHARE_ASSESSMENT = "SHARE_ASSESSMENT"


class ConsentMethod(StrEnum):
    WRITTEN = "WRITTEN"
    VERBAL = "VERBAL"


class ConsentState(StrEnum):
    """Stored: ACTIVE, WITHDRAWN or REFUSED. EXPIRED is worked out, never stored."""

    ACTIVE = "ACTIVE"
    WITHDRAWN = "WITHDRAWN"
    EXPIRED = "EXPIRED"
    REFUSED = "REFUSED"


class OverrideGround(StrEnum):
    """The public-interest ground for sharing without consent (CAF guide 4.23, R9)."""

    SIGNIFICANT_HARM_EVIDENCE = "SIGNIFICANT_HARM_EVIDENCE"
    SIGNIFICANT_HARM_SUSPECTED = "SIGNIFICANT_HARM_SUSPECTED"
    PREVENT_SERIOUS_HARM_OR_CRIME = "PREVENT_SERIOUS_HARM_OR_CRIME"


class EventKind(StrEnum):
    """What an outbox event announces (issue 20). Written by the transaction of the change
    (graph/outbox.py); who hears of it and what they see is policies/notifications.py."""

    INVOLVEMENT_STARTED = "INVOLVEMENT_STARTED"
    INVOLVEMENT_ENDED = "INVOLVEMENT_ENDED"
    CAF_STARTED = "CAF_STARTED"
    CAF_CLOSED = "CAF_CLOSED"
    CAF_TRANSFERRED = "CAF_TRANSFERRED"
    CAF_STEPPED_UP = "CAF_STEPPED_UP"
    CAF_STEPPED_DOWN = "CAF_STEPPED_DOWN"
    CAF_REOPENED = "CAF_REOPENED"
    CAF_HANDED_OVER = "CAF_HANDED_OVER"
    INVOLVEMENT_MOVED = "INVOLVEMENT_MOVED"
    TEAM_MEMBER_ADDED = "TEAM_MEMBER_ADDED"
    TEAM_MEMBER_REMOVED = "TEAM_MEMBER_REMOVED"
    LEAD_APPOINTED = "LEAD_APPOINTED"
    LEAD_STOOD_DOWN = "LEAD_STOOD_DOWN"
    CONSENT_GRANTED = "CONSENT_GRANTED"
    CONSENT_WITHDRAWN = "CONSENT_WITHDRAWN"
    CONSENT_EXPIRED = "CONSENT_EXPIRED"
    CONSENT_REFUSED = "CONSENT_REFUSED"
    OVERRIDE_RECORDED = "OVERRIDE_RECORDED"
    SHIELD_LIFTED = "SHIELD_LIFTED"
    MATCH_REVIEW_WAITING = "MATCH_REVIEW_WAITING"
    ACCESS_ALERT_RAISED = "ACCESS_ALERT_RAISED"


# --- The CAF's course and form (policies/assessments.py decides on these) ----------------


class ProgressRating(StrEnum):
    """How a review rates progress against one need (the delivery plan and review form)."""

    WORSE = "WORSE"
    NO_CHANGE = "NO_CHANGE"
    SOME_PROGRESS = "SOME_PROGRESS"
    GOOD_PROGRESS = "GOOD_PROGRESS"
    MET = "MET"


class NeedStatus(StrEnum):
    OPEN = "OPEN"
    MET = "MET"


class AttendeeKind(StrEnum):
    CHILD = "CHILD"
    CARER = "CARER"
    PRACTITIONER = "PRACTITIONER"
    OTHER = "OTHER"


class Outcome(StrEnum):
    """The five Every Child Matters outcomes the pre-assessment checklist goes through (4.8)."""

    BE_HEALTHY = "BE_HEALTHY"
    STAY_SAFE = "STAY_SAFE"
    ENJOY_AND_ACHIEVE = "ENJOY_AND_ACHIEVE"
    MAKE_A_POSITIVE_CONTRIBUTION = "MAKE_A_POSITIVE_CONTRIBUTION"
    ACHIEVE_ECONOMIC_WELLBEING = "ACHIEVE_ECONOMIC_WELLBEING"


class OutcomeConcern(StrEnum):
    ON_TRACK = "ON_TRACK"
    SOME_DOUBT = "SOME_DOUBT"
    NOT_KNOWN = "NOT_KNOWN"


class ConsentSigner(StrEnum):
    CHILD = "CHILD"
    PARENT_OR_CARER = "PARENT_OR_CARER"


class ClosureOutcome(StrEnum):
    """Why a CAF ended, for management information (R11 counts by this, never by the
    free-text reason)."""

    NEEDS_MET = "NEEDS_MET"
    TRANSFERRED_TO_SOCIAL_CARE = "TRANSFERRED_TO_SOCIAL_CARE"
    MOVED_AWAY = "MOVED_AWAY"
    CONSENT_WITHDRAWN = "CONSENT_WITHDRAWN"
    NO_LONGER_ENGAGING = "NO_LONGER_ENGAGING"
    OTHER = "OTHER"


class CourseEventKind(StrEnum):
    CLOSED = "CLOSED"
    REOPENED = "REOPENED"
    STEPPED_UP = "STEPPED_UP"
    STEPPED_DOWN = "STEPPED_DOWN"
    HANDED_OVER = "HANDED_OVER"
    TRANSFERRED = "TRANSFERRED"
    JOINED_TEAM = "JOINED_TEAM"
    LEFT_TEAM = "LEFT_TEAM"
    REMOVED_FROM_TEAM = "REMOVED_FROM_TEAM"


class FamilyMemberKind(StrEnum):
    CHILD = "CHILD"
    CARER = "CARER"
