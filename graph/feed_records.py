"""Feed records (feeds.md): parsing, validation and NDJSON streaming. No I/O to the graph.

A source system sends records of the shape `{"sourceRef", "op", "payload"}`, one per
NDJSON line or one per `IngestRecord` of the `ingest` mutation. This module turns each
into a typed, validated record or a `Rejection` with a code and a message that names
the field (R15: one bad record is rejected alone and the rest go on).

Messages never repeat a submitted value. A rejected record may carry a child's address
or NHS number, and reports travel to places (logs, a feed's error queue, a terminal)
where such data must not: the field name and what is wrong with it are enough to fix it.

What needs the graph (is that service known? which child is this?) is decided later,
per chunk, in api/ingest.py; what is decided here depends on the record alone.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import IO, Any, TypeAlias

import orjson

from graph.keys import address_key, name_key, postcode_key
from graph.nhs_number import is_valid as nhs_number_valid
from policies.facts import SENSITIVE_KINDS

__all__ = [
    "ASSESSMENT_STATUSES",
    "AVAILABILITY_STATUSES",
    "GENDERS",
    "MAX_LINE_BYTES",
    "OPS",
    "SERVICE_KINDS",
    "AssessmentPayload",
    "CarerPayload",
    "ChildPayload",
    "ChildRef",
    "Code",
    "ContactPayload",
    "EndPayload",
    "IncomingRecord",
    "Payload",
    "PractitionerPayload",
    "Rejection",
    "ServicePayload",
    "StartPayload",
    "child_properties",
    "contact_properties",
    "ndjson_lines",
    "parse_line",
    "parse_payload",
    "parse_record",
    "payload_hash",
]

OPS = (
    "UPSERT_SERVICE",
    "UPSERT_PRACTITIONER",
    "UPSERT_CHILD",
    "UPSERT_CARER",
    "START_INVOLVEMENT",
    "END_INVOLVEMENT",
    "REGISTER_ASSESSMENT",
)
GENDERS = frozenset({"FEMALE", "MALE", "OTHER", "NOT_KNOWN"})
SERVICE_KINDS = frozenset(
    {
        "SCHOOL", "EARLY_YEARS", "FURTHER_EDUCATION", "GP", "HEALTH_VISITOR", "SCHOOL_NURSE",
        "HOSPITAL", "SOCIAL_CARE", "YOUTH_SERVICE", "YOUTH_OFFENDING", "CONNEXIONS",
        "EDUCATION_WELFARE", "HOUSING", "POLICE", "VOLUNTARY", "ADULT_SOCIAL_CARE",
        "MENTAL_HEALTH", "SEXUAL_HEALTH", "SUBSTANCE_MISUSE", "OTHER",
    }
)  # fmt: skip
ASSESSMENT_STATUSES = frozenset({"OPEN", "CLOSED", "TRANSFERRED_TO_SOCIAL_CARE"})
AVAILABILITY_STATUSES = frozenset({"AVAILABLE", "UNAVAILABLE", "LEFT"})
"""R17: whether a practitioner can be reached directly; absent means AVAILABLE."""

MAX_LINE_BYTES = 64 * 1024
"""One record; a longer line is rejected unread, so a broken file cannot exhaust memory."""
MAX_SOURCE_REF = 200
MAX_TEXT = 200

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}$")  # on the normalised key
_LA_CODE = re.compile(r"^[A-Z0-9]{2,10}$")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,99}$")


class Code:
    """Rejection codes: stable strings a source system can act on."""

    MALFORMED_JSON = "MALFORMED_JSON"
    RECORD_TOO_LARGE = "RECORD_TOO_LARGE"
    MISSING_FIELD = "MISSING_FIELD"
    INVALID_FIELD = "INVALID_FIELD"
    UNKNOWN_FIELD = "UNKNOWN_FIELD"
    UNKNOWN_OP = "UNKNOWN_OP"
    INVALID_NHS_NUMBER = "INVALID_NHS_NUMBER"
    INVALID_DATE = "INVALID_DATE"
    INVALID_ENUM = "INVALID_ENUM"
    # Decided against the graph, per chunk (api/ingest.py):
    UNKNOWN_SERVICE = "UNKNOWN_SERVICE"
    UNKNOWN_PRACTITIONER = "UNKNOWN_PRACTITIONER"
    PRACTITIONER_NOT_IN_SERVICE = "PRACTITIONER_NOT_IN_SERVICE"
    UNKNOWN_LOCAL_AUTHORITY = "UNKNOWN_LOCAL_AUTHORITY"
    UNKNOWN_CHILD = "UNKNOWN_CHILD"
    AMBIGUOUS_CHILD = "AMBIGUOUS_CHILD"
    CHILD_PENDING_REVIEW = "CHILD_PENDING_REVIEW"
    END_BEFORE_START = "END_BEFORE_START"
    ENDED_BEFORE_STARTED = "ENDED_BEFORE_STARTED"
    SOURCE_REF_REUSED = "SOURCE_REF_REUSED"
    SOURCE_CONFLICT = "SOURCE_CONFLICT"
    OUT_OF_SCOPE = "OUT_OF_SCOPE"


@dataclass(frozen=True, slots=True)
class Rejection:
    source_ref: str
    code: str
    message: str


class _Invalid(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


# --- Typed payloads ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ContactPayload:
    phone: str | None
    email: str | None
    line1: str | None
    line2: str | None
    town: str | None
    postcode: str | None


@dataclass(frozen=True, slots=True)
class ChildRef:
    """`{"ref": sourceRef of an UPSERT_CHILD from the same source}` or `{"nhsNumber": ...}`."""

    ref: str | None
    nhs_number: str | None


@dataclass(frozen=True, slots=True)
class ServicePayload:
    id: str
    name: str
    kind: str
    sensitive: bool
    local_authority: str
    contact: ContactPayload | None


@dataclass(frozen=True, slots=True)
class PractitionerPayload:
    id: str
    name: str
    job_title: str | None
    service_id: str
    contact: ContactPayload | None
    #: R17: AVAILABLE (also when the feed sends none), UNAVAILABLE until `available_from`,
    #: or LEFT the service.
    availability: str = "AVAILABLE"
    available_from: date | None = None


@dataclass(frozen=True, slots=True)
class ChildPayload:
    nhs_number: str | None
    given_name: str
    family_name: str
    given_name_key: str
    family_name_key: str
    date_of_birth: date
    gender: str
    line1: str
    line2: str | None
    town: str | None
    postcode: str
    postcode_key: str
    local_authority: str
    date_of_death: date | None


@dataclass(frozen=True, slots=True)
class CarerPayload:
    child: ChildRef
    id: str
    name: str
    relationship: str
    parental_responsibility: bool
    lives_with_child: bool
    contact: ContactPayload | None


@dataclass(frozen=True, slots=True)
class StartPayload:
    child: ChildRef
    service_id: str
    practitioner_id: str | None
    started_on: date
    is_lead_professional: bool


@dataclass(frozen=True, slots=True)
class EndPayload:
    involvement_ref: str
    ended_on: date


@dataclass(frozen=True, slots=True)
class AssessmentPayload:
    child: ChildRef
    holder_id: str
    started_on: date
    status: str


Payload: TypeAlias = (
    ServicePayload
    | PractitionerPayload
    | ChildPayload
    | CarerPayload
    | StartPayload
    | EndPayload
    | AssessmentPayload
)


@dataclass(frozen=True, slots=True)
class IncomingRecord:
    """A record that passed every check that needs no graph."""

    position: int  # line number in a file, or 1-based index in an ingest call
    source_ref: str
    op: str
    payload_hash: str
    payload: Payload
    canonical: bytes  # the payload as canonical JSON: what a match review keeps


# --- Field readers: each raises _Invalid naming the field, never echoing the value -----------


def _check_keys(obj: dict[str, Any], allowed: frozenset[str], path: str) -> None:
    for key in obj:
        if key not in allowed:
            # The key is the sender's own field name, not personal data; cap its length.
            raise _Invalid(Code.UNKNOWN_FIELD, f"{path}.{str(key)[:40]} is not a known field")


def _text(
    obj: dict[str, Any], key: str, path: str, *, required: bool = True, max_len: int = MAX_TEXT
) -> str | None:
    value = obj.get(key)
    if value is None:
        if required:
            raise _Invalid(Code.MISSING_FIELD, f"{path}.{key} is required")
        return None
    if not isinstance(value, str):
        raise _Invalid(Code.INVALID_FIELD, f"{path}.{key} must be a string")
    value = value.strip()
    if not value:
        if required:
            raise _Invalid(Code.MISSING_FIELD, f"{path}.{key} is required")
        return None
    if len(value) > max_len:
        raise _Invalid(Code.INVALID_FIELD, f"{path}.{key} is longer than {max_len} characters")
    if _CONTROL.search(value):
        raise _Invalid(Code.INVALID_FIELD, f"{path}.{key} contains control characters")
    return value


def _required(obj: dict[str, Any], key: str, path: str, max_len: int = MAX_TEXT) -> str:
    value = _text(obj, key, path, max_len=max_len)
    assert value is not None
    return value


def _identifier(obj: dict[str, Any], key: str, path: str, *, required: bool = True) -> str | None:
    value = _text(obj, key, path, required=required, max_len=100)
    if value is not None and not _ID.match(value):
        raise _Invalid(
            Code.INVALID_FIELD,
            f"{path}.{key} must be letters, digits and . _ : / - (at most 100 characters)",
        )
    return value


def _date(obj: dict[str, Any], key: str, path: str, *, required: bool = True) -> date | None:
    value = obj.get(key)
    if value is None:
        if required:
            raise _Invalid(Code.MISSING_FIELD, f"{path}.{key} is required")
        return None
    # ISO-8601 calendar dates only (YYYY-MM-DD): fromisoformat alone also takes week dates.
    if not isinstance(value, str) or len(value) != 10 or value[4] != "-" or value[7] != "-":
        raise _Invalid(Code.INVALID_DATE, f"{path}.{key} must be an ISO-8601 date (YYYY-MM-DD)")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _Invalid(Code.INVALID_DATE, f"{path}.{key} is not a real calendar date") from None


def _bool(obj: dict[str, Any], key: str, path: str, default: bool) -> bool:
    value = obj.get(key)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise _Invalid(Code.INVALID_FIELD, f"{path}.{key} must be true or false")
    return value


def _enum(obj: dict[str, Any], key: str, path: str, allowed: frozenset[str]) -> str:
    value = obj.get(key)
    if value is None or value == "":
        raise _Invalid(Code.MISSING_FIELD, f"{path}.{key} is required")
    if not isinstance(value, str) or value not in allowed:
        raise _Invalid(
            Code.INVALID_ENUM, f"{path}.{key} must be one of {', '.join(sorted(allowed))}"
        )
    return value


def _nhs_number(obj: dict[str, Any], key: str, path: str, *, required: bool) -> str | None:
    value = obj.get(key)
    if value is None or value == "":
        if required:
            raise _Invalid(Code.MISSING_FIELD, f"{path}.{key} is required")
        return None
    if not isinstance(value, str) or not nhs_number_valid(value):
        raise _Invalid(
            Code.INVALID_NHS_NUMBER,
            f"{path}.{key} must be 10 digits with a valid modulus 11 check digit",
        )
    return value


def _object(obj: dict[str, Any], key: str, path: str, *, required: bool) -> dict[str, Any] | None:
    value = obj.get(key)
    if value is None:
        if required:
            raise _Invalid(Code.MISSING_FIELD, f"{path}.{key} is required")
        return None
    if not isinstance(value, dict):
        raise _Invalid(Code.INVALID_FIELD, f"{path}.{key} must be an object")
    return value


def _postcode(obj: dict[str, Any], key: str, path: str) -> tuple[str, str]:
    text = _required(obj, key, path, max_len=10)
    normalised = postcode_key(text)
    if not _POSTCODE.match(normalised):
        raise _Invalid(Code.INVALID_FIELD, f"{path}.{key} is not a UK postcode")
    return text, normalised


def _local_authority(obj: dict[str, Any], key: str, path: str) -> str:
    text = _required(obj, key, path, max_len=10)
    if not _LA_CODE.match(text):
        raise _Invalid(Code.INVALID_FIELD, f"{path}.{key} must be a local authority code")
    return text


def _not_future(value: date, today: date, field: str) -> None:
    if value > today:
        raise _Invalid(Code.INVALID_DATE, f"{field} is in the future")


_ADDRESS_KEYS = frozenset({"line1", "line2", "town", "postcode"})
_CONTACT_KEYS = frozenset({"phone", "email", "address"})


def _contact(obj: dict[str, Any], path: str) -> ContactPayload | None:
    contact = _object(obj, "contact", path, required=False)
    if contact is None:
        return None
    where = f"{path}.contact"
    _check_keys(contact, _CONTACT_KEYS, where)
    phone = _text(contact, "phone", where, required=False, max_len=40)
    email = _text(contact, "email", where, required=False, max_len=254)
    if email is not None and "@" not in email:
        raise _Invalid(Code.INVALID_FIELD, f"{where}.email is not an email address")
    address = _object(contact, "address", where, required=False)
    line1 = line2 = town = postcode = None
    if address is not None:
        at = f"{where}.address"
        _check_keys(address, _ADDRESS_KEYS, at)
        line1 = _required(address, "line1", at)
        line2 = _text(address, "line2", at, required=False)
        town = _text(address, "town", at, required=False)
        postcode, _ = _postcode(address, "postcode", at)
    return ContactPayload(phone, email, line1, line2, town, postcode)


_CHILD_REF_KEYS = frozenset({"ref", "nhsNumber"})


def _child_ref(obj: dict[str, Any], path: str) -> ChildRef:
    child = _object(obj, "child", path, required=True)
    assert child is not None
    where = f"{path}.child"
    _check_keys(child, _CHILD_REF_KEYS, where)
    ref = _text(child, "ref", where, required=False, max_len=MAX_SOURCE_REF)
    nhs = _nhs_number(child, "nhsNumber", where, required=False)
    if (ref is None) == (nhs is None):
        raise _Invalid(Code.INVALID_FIELD, f"{where} must have exactly one of ref or nhsNumber")
    return ChildRef(ref, nhs)


# --- One reader per op ------------------------------------------------------------------

_P = "payload"


def _service(p: dict[str, Any], today: date) -> ServicePayload:
    _check_keys(p, frozenset({"id", "name", "kind", "sensitive", "localAuthority", "contact"}), _P)
    kind = _enum(p, "kind", _P, SERVICE_KINDS)
    # R6: these kinds are sensitive whatever the feed says; others default to not.
    sensitive = (
        _bool(p, "sensitive", _P, default=kind in SENSITIVE_KINDS) or kind in SENSITIVE_KINDS
    )
    return ServicePayload(
        id=_identifier(p, "id", _P) or "",
        name=_required(p, "name", _P),
        kind=kind,
        sensitive=sensitive,
        local_authority=_local_authority(p, "localAuthority", _P),
        contact=_contact(p, _P),
    )


_AVAILABILITY_KEYS = frozenset({"status", "until"})


def _availability(p: dict[str, Any]) -> tuple[str, date | None]:
    """R17: `{"status": AVAILABLE | UNAVAILABLE | LEFT, "until": date}`, `until` required
    for UNAVAILABLE and only there (a date that has passed is kept: the read side compares
    it with today, so a practitioner back from leave needs no second record)."""
    availability = _object(p, "availability", _P, required=False)
    if availability is None:
        return "AVAILABLE", None
    at = f"{_P}.availability"
    _check_keys(availability, _AVAILABILITY_KEYS, at)
    status = _enum(availability, "status", at, AVAILABILITY_STATUSES)
    until = _date(availability, "until", at, required=False)
    if status == "UNAVAILABLE" and until is None:
        raise _Invalid(Code.MISSING_FIELD, f"{at}.until is required when status is UNAVAILABLE")
    if status != "UNAVAILABLE" and until is not None:
        raise _Invalid(Code.INVALID_FIELD, f"{at}.until is only for status UNAVAILABLE")
    return status, until


def _practitioner(p: dict[str, Any], today: date) -> PractitionerPayload:
    _check_keys(
        p, frozenset({"id", "name", "jobTitle", "serviceId", "contact", "availability"}), _P
    )
    status, until = _availability(p)
    return PractitionerPayload(
        id=_identifier(p, "id", _P) or "",
        name=_required(p, "name", _P),
        job_title=_text(p, "jobTitle", _P, required=False),
        service_id=_identifier(p, "serviceId", _P) or "",
        contact=_contact(p, _P),
        availability=status,
        available_from=until,
    )


_CHILD_KEYS = frozenset(
    {
        "nhsNumber", "givenName", "familyName", "dateOfBirth", "gender", "address",
        "localAuthority", "dateOfDeath",
    }
)  # fmt: skip


def _child(p: dict[str, Any], today: date) -> ChildPayload:
    _check_keys(p, _CHILD_KEYS, _P)
    nhs = _nhs_number(p, "nhsNumber", _P, required=False)
    given = _required(p, "givenName", _P, max_len=100)
    family = _required(p, "familyName", _P, max_len=100)
    given_key, family_key = name_key(given), name_key(family)
    if not given_key:
        raise _Invalid(Code.INVALID_FIELD, "payload.givenName must contain letters")
    if not family_key:
        raise _Invalid(Code.INVALID_FIELD, "payload.familyName must contain letters")
    born = _date(p, "dateOfBirth", _P)
    assert born is not None
    _not_future(born, today, "payload.dateOfBirth")
    gender = _enum(p, "gender", _P, GENDERS)
    address = _object(p, "address", _P, required=True)
    assert address is not None
    at = "payload.address"
    _check_keys(address, _ADDRESS_KEYS, at)
    line1 = _required(address, "line1", at)
    line2 = _text(address, "line2", at, required=False)
    town = _text(address, "town", at, required=False)
    postcode, postcode_normalised = _postcode(address, "postcode", at)
    died = _date(p, "dateOfDeath", _P, required=False)
    if died is not None:
        _not_future(died, today, "payload.dateOfDeath")
        if died < born:
            raise _Invalid(Code.INVALID_DATE, "payload.dateOfDeath is before payload.dateOfBirth")
    return ChildPayload(
        nhs_number=nhs,
        given_name=given,
        family_name=family,
        given_name_key=given_key,
        family_name_key=family_key,
        date_of_birth=born,
        gender=gender,
        line1=line1,
        line2=line2,
        town=town,
        postcode=postcode,
        postcode_key=postcode_normalised,
        local_authority=_local_authority(p, "localAuthority", _P),
        date_of_death=died,
    )


_CARER_KEYS = frozenset(
    {"child", "id", "name", "relationship", "parentalResponsibility", "livesWithChild", "contact"}
)


def _carer(p: dict[str, Any], today: date) -> CarerPayload:
    _check_keys(p, _CARER_KEYS, _P)
    return CarerPayload(
        child=_child_ref(p, _P),
        id=_identifier(p, "id", _P) or "",
        name=_required(p, "name", _P),
        relationship=_required(p, "relationship", _P, max_len=60),
        parental_responsibility=_bool(p, "parentalResponsibility", _P, default=False),
        lives_with_child=_bool(p, "livesWithChild", _P, default=False),
        contact=_contact(p, _P),
    )


_START_KEYS = frozenset({"child", "serviceId", "practitionerId", "startedOn", "isLeadProfessional"})


def _start(p: dict[str, Any], today: date) -> StartPayload:
    _check_keys(p, _START_KEYS, _P)
    started = _date(p, "startedOn", _P)
    assert started is not None
    # The index says who *is* working with a child: send a planned involvement once it starts.
    _not_future(started, today, "payload.startedOn")
    return StartPayload(
        child=_child_ref(p, _P),
        service_id=_identifier(p, "serviceId", _P) or "",
        practitioner_id=_identifier(p, "practitionerId", _P, required=False),
        started_on=started,
        is_lead_professional=_bool(p, "isLeadProfessional", _P, default=False),
    )


def _end(p: dict[str, Any], today: date) -> EndPayload:
    _check_keys(p, frozenset({"involvementRef", "endedOn"}), _P)
    ref = _text(p, "involvementRef", _P, max_len=MAX_SOURCE_REF)
    ended = _date(p, "endedOn", _P)
    assert ref is not None and ended is not None
    return EndPayload(involvement_ref=ref, ended_on=ended)


def _assessment(p: dict[str, Any], today: date) -> AssessmentPayload:
    _check_keys(p, frozenset({"child", "holderPractitionerId", "startedOn", "status"}), _P)
    started = _date(p, "startedOn", _P)
    assert started is not None
    _not_future(started, today, "payload.startedOn")
    return AssessmentPayload(
        child=_child_ref(p, _P),
        holder_id=_identifier(p, "holderPractitionerId", _P) or "",
        started_on=started,
        status=_enum(p, "status", _P, ASSESSMENT_STATUSES),
    )


_READERS: dict[str, Callable[[dict[str, Any], date], Payload]] = {
    "UPSERT_SERVICE": _service,
    "UPSERT_PRACTITIONER": _practitioner,
    "UPSERT_CHILD": _child,
    "UPSERT_CARER": _carer,
    "START_INVOLVEMENT": _start,
    "END_INVOLVEMENT": _end,
    "REGISTER_ASSESSMENT": _assessment,
}


def parse_payload(op: str, payload: dict[str, Any], today: date) -> Payload:
    """The typed payload for `op`; raises ValueError(code, message) when it is invalid."""
    try:
        return _READERS[op](payload, today)
    except _Invalid as exc:
        raise ValueError(exc.code, exc.message) from None


def payload_hash(op: str, canonical: bytes) -> str:
    """What `unchanged` compares: the op and the payload, independent of key order."""
    return hashlib.blake2b(op.encode() + b"\x00" + canonical, digest_size=16).hexdigest()


def _source_ref(value: Any) -> str:
    if value is None or value == "":
        raise _Invalid(Code.MISSING_FIELD, "sourceRef is required")
    if not isinstance(value, str):
        raise _Invalid(Code.INVALID_FIELD, "sourceRef must be a string")
    if len(value) > MAX_SOURCE_REF or _CONTROL.search(value) or value != value.strip():
        raise _Invalid(
            Code.INVALID_FIELD,
            f"sourceRef must be at most {MAX_SOURCE_REF} printable characters, "
            "without leading or trailing spaces",
        )
    return value


def parse_record(
    position: int, source_ref: Any, op: Any, payload: Any, today: date, *, fallback_ref: str
) -> IncomingRecord | Rejection:
    """Validate one record. `payload` is a dict (NDJSON) or a JSON string (GraphQL)."""
    ref = fallback_ref
    try:
        ref = _source_ref(source_ref)
        if op is None or op == "":
            raise _Invalid(Code.MISSING_FIELD, "op is required")
        if not isinstance(op, str) or op not in _READERS:
            raise _Invalid(Code.UNKNOWN_OP, f"op must be one of {', '.join(OPS)}")
        if isinstance(payload, str):
            if len(payload) > MAX_LINE_BYTES:
                raise _Invalid(
                    Code.RECORD_TOO_LARGE, f"payload is longer than {MAX_LINE_BYTES} characters"
                )
            try:
                payload = orjson.loads(payload)
            except orjson.JSONDecodeError:
                raise _Invalid(Code.MALFORMED_JSON, "payload is not valid JSON") from None
        if payload is None:
            raise _Invalid(Code.MISSING_FIELD, "payload is required")
        if not isinstance(payload, dict):
            raise _Invalid(Code.INVALID_FIELD, "payload must be a JSON object")
        typed = _READERS[op](payload, today)
        canonical = orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)
    except _Invalid as exc:
        return Rejection(ref, exc.code, exc.message)
    except (orjson.JSONEncodeError, TypeError, ValueError, RecursionError):
        return Rejection(ref, Code.INVALID_FIELD, "payload could not be read")
    return IncomingRecord(position, ref, op, payload_hash(op, canonical), typed, canonical)


_LINE_KEYS = frozenset({"sourceRef", "op", "payload"})


def parse_line(line: bytes, line_number: int, today: date) -> IncomingRecord | Rejection | None:
    """One NDJSON line; None for a blank line. Rejections without a sourceRef use 'line N'."""
    if not line.strip():
        return None
    fallback = f"line {line_number}"
    if len(line) > MAX_LINE_BYTES:
        return Rejection(
            fallback, Code.RECORD_TOO_LARGE, f"a record is at most {MAX_LINE_BYTES} bytes"
        )
    try:
        obj = orjson.loads(line)
    except orjson.JSONDecodeError:
        return Rejection(fallback, Code.MALFORMED_JSON, f"line {line_number} is not valid JSON")
    if not isinstance(obj, dict):
        return Rejection(fallback, Code.MALFORMED_JSON, f"line {line_number} is not a JSON object")
    for key in obj:
        if key not in _LINE_KEYS:
            ref = obj.get("sourceRef")
            where = ref if isinstance(ref, str) and ref and len(ref) <= MAX_SOURCE_REF else fallback
            return Rejection(where, Code.UNKNOWN_FIELD, f"{str(key)[:40]} is not a known field")
    return parse_record(
        line_number,
        obj.get("sourceRef"),
        obj.get("op"),
        obj.get("payload"),
        today,
        fallback_ref=fallback,
    )


def ndjson_lines(stream: IO[bytes]) -> Iterator[tuple[int, bytes]]:
    """(line number, line) for each line, reading at most MAX_LINE_BYTES of any one line.

    A longer line is yielded truncated to MAX_LINE_BYTES + 1 bytes (so parse_line
    rejects it as too large) and the rest of it is skipped without being held.
    """
    number = 0
    while True:
        line = stream.readline(MAX_LINE_BYTES + 1)
        if not line:
            return
        number += 1
        if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
            while True:  # skip the rest of the over-long line
                rest = stream.readline(MAX_LINE_BYTES)
                if not rest or rest.endswith(b"\n"):
                    break
        yield number, line


# --- Graph properties from payloads (shared by ingest and match review resolution) ----------


def contact_properties(contact: ContactPayload | None) -> dict[str, Any]:
    """Flattened contact details (graph/model.md); a missing part removes the old value."""
    if contact is None:
        return dict.fromkeys(("phone", "email", "addressLine1", "addressLine2", "town", "postcode"))
    return {
        "phone": contact.phone,
        "email": contact.email,
        "addressLine1": contact.line1,
        "addressLine2": contact.line2,
        "town": contact.town,
        "postcode": contact.postcode,
    }


def child_properties(child: ChildPayload, *, protect_whereabouts: bool) -> dict[str, Any]:
    """The Child properties a feed record sets.

    R4/R15: for a shielded child the address, postcode, search keys derived from them and
    local authority are left as the index team set them (policies/matching.py says why).
    An NHS number or date of death is only ever added or corrected, never erased by a
    source that does not hold one. `shielded`, `archivedOn` and the creating source are
    not a feed's to change.
    """
    props: dict[str, Any] = {
        "givenName": child.given_name,
        "familyName": child.family_name,
        "givenNameKey": child.given_name_key,
        "familyNameKey": child.family_name_key,
        "dateOfBirth": child.date_of_birth,
        "gender": child.gender,
    }
    if child.nhs_number is not None:
        props["nhsNumber"] = child.nhs_number
    if child.date_of_death is not None:
        props["dateOfDeath"] = child.date_of_death
    if not protect_whereabouts:
        props.update(
            addressLine1=child.line1,
            addressLine2=child.line2,
            town=child.town,
            postcode=child.postcode,
            postcodeKey=child.postcode_key,
            addressKey=address_key(child.line1, child.postcode),
            localAuthority=child.local_authority,
        )
    return props
