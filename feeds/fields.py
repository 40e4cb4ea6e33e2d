"""Reading a payload's fields: each reader raises `Invalid` naming the field, never its value.

Shared by every op's reader (feeds/ops/): the same field checked the same way whichever
op carries it, and one wording of each message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from feeds.codes import Code
from graph.feed_writes import Contact
from graph.keys import postcode_key
from graph.nhs_number import is_valid as nhs_number_valid

__all__ = [
    "CONTROL",
    "MAX_SOURCE_REF",
    "MAX_TEXT",
    "ChildRef",
    "ContactPayload",
    "Invalid",
    "P",
    "bool_field",
    "check_keys",
    "child_ref_field",
    "contact_field",
    "contact_row",
    "date_field",
    "enum_field",
    "identifier_field",
    "local_authority_field",
    "nhs_number_field",
    "not_future",
    "object_field",
    "postcode_field",
    "required_text",
    "text_field",
]

MAX_SOURCE_REF = 200
MAX_TEXT = 200
P = "payload"
"""The path every payload field's message starts with."""

CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}$")  # on the normalised key
_LA_CODE = re.compile(r"^[A-Z0-9]{2,10}$")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,99}$")


class Invalid(Exception):
    """A field at fault: `code` for the source's machines, `message` naming the field."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(slots=True)
class ContactPayload:
    phone: str | None
    email: str | None
    line1: str | None
    line2: str | None
    town: str | None
    postcode: str | None


@dataclass(slots=True)
class ChildRef:
    """`{"ref": sourceRef of an UPSERT_CHILD from the same source}` or `{"nhsNumber": ...}`."""

    ref: str | None
    nhs_number: str | None


# --- Field readers: each raises Invalid naming the field, never echoing the value -----------


def check_keys(obj: dict[str, Any], allowed: frozenset[str], path: str) -> None:
    for key in obj:
        if key not in allowed:
            # The key is the sender's own field name, not personal data; cap its length.
            raise Invalid(Code.UNKNOWN_FIELD, f"{path}.{str(key)[:40]} is not a known field")


def text_field(
    obj: dict[str, Any], key: str, path: str, *, required: bool = True, max_len: int = MAX_TEXT
) -> str | None:
    value = obj.get(key)
    if value is None:
        if required:
            raise Invalid(Code.MISSING_FIELD, f"{path}.{key} is required")
        return None
    if not isinstance(value, str):
        raise Invalid(Code.INVALID_FIELD, f"{path}.{key} must be a string")
    value = value.strip()
    if not value:
        if required:
            raise Invalid(Code.MISSING_FIELD, f"{path}.{key} is required")
        return None
    if len(value) > max_len:
        raise Invalid(Code.INVALID_FIELD, f"{path}.{key} is longer than {max_len} characters")
    if CONTROL.search(value):
        raise Invalid(Code.INVALID_FIELD, f"{path}.{key} contains control characters")
    return value


def required_text(obj: dict[str, Any], key: str, path: str, max_len: int = MAX_TEXT) -> str:
    value = text_field(obj, key, path, max_len=max_len)
    assert value is not None
    return value


def identifier_field(
    obj: dict[str, Any], key: str, path: str, *, required: bool = True
) -> str | None:
    value = text_field(obj, key, path, required=required, max_len=100)
    if value is not None and not _ID.match(value):
        raise Invalid(
            Code.INVALID_FIELD,
            f"{path}.{key} must be letters, digits and . _ : / - (at most 100 characters)",
        )
    return value


def date_field(obj: dict[str, Any], key: str, path: str, *, required: bool = True) -> date | None:
    value = obj.get(key)
    if value is None:
        if required:
            raise Invalid(Code.MISSING_FIELD, f"{path}.{key} is required")
        return None
    # ISO-8601 calendar dates only (YYYY-MM-DD): fromisoformat alone also takes week dates.
    if not isinstance(value, str) or len(value) != 10 or value[4] != "-" or value[7] != "-":
        raise Invalid(Code.INVALID_DATE, f"{path}.{key} must be an ISO-8601 date (YYYY-MM-DD)")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise Invalid(Code.INVALID_DATE, f"{path}.{key} is not a real calendar date") from None


def bool_field(obj: dict[str, Any], key: str, path: str, default: bool) -> bool:
    value = obj.get(key)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise Invalid(Code.INVALID_FIELD, f"{path}.{key} must be true or false")
    return value


def enum_field(obj: dict[str, Any], key: str, path: str, allowed: frozenset[str]) -> str:
    value = obj.get(key)
    if value is None or value == "":
        raise Invalid(Code.MISSING_FIELD, f"{path}.{key} is required")
    if not isinstance(value, str) or value not in allowed:
        raise Invalid(
            Code.INVALID_ENUM, f"{path}.{key} must be one of {', '.join(sorted(allowed))}"
        )
    return value


def nhs_number_field(obj: dict[str, Any], key: str, path: str, *, required: bool) -> str | None:
    value = obj.get(key)
    if value is None or value == "":
        if required:
            raise Invalid(Code.MISSING_FIELD, f"{path}.{key} is required")
        return None
    if not isinstance(value, str) or not nhs_number_valid(value):
        raise Invalid(
            Code.INVALID_NHS_NUMBER,
            f"{path}.{key} must be 10 digits with a valid modulus 11 check digit",
        )
    return value


def object_field(
    obj: dict[str, Any], key: str, path: str, *, required: bool
) -> dict[str, Any] | None:
    value = obj.get(key)
    if value is None:
        if required:
            raise Invalid(Code.MISSING_FIELD, f"{path}.{key} is required")
        return None
    if not isinstance(value, dict):
        raise Invalid(Code.INVALID_FIELD, f"{path}.{key} must be an object")
    return value


def postcode_field(obj: dict[str, Any], key: str, path: str) -> tuple[str, str]:
    text = required_text(obj, key, path, max_len=10)
    normalised = postcode_key(text)
    if not _POSTCODE.match(normalised):
        raise Invalid(Code.INVALID_FIELD, f"{path}.{key} is not a UK postcode")
    return text, normalised


def local_authority_field(obj: dict[str, Any], key: str, path: str) -> str:
    text = required_text(obj, key, path, max_len=10)
    if not _LA_CODE.match(text):
        raise Invalid(Code.INVALID_FIELD, f"{path}.{key} must be a local authority code")
    return text


def not_future(value: date, today: date, field: str) -> None:
    if value > today:
        raise Invalid(Code.INVALID_DATE, f"{field} is in the future")


_ADDRESS_KEYS = frozenset({"line1", "line2", "town", "postcode"})
_CONTACT_KEYS = frozenset({"phone", "email", "address"})


def contact_field(obj: dict[str, Any], path: str) -> ContactPayload | None:
    contact = object_field(obj, "contact", path, required=False)
    if contact is None:
        return None
    where = f"{path}.contact"
    check_keys(contact, _CONTACT_KEYS, where)
    phone = text_field(contact, "phone", where, required=False, max_len=40)
    email = text_field(contact, "email", where, required=False, max_len=254)
    if email is not None and "@" not in email:
        raise Invalid(Code.INVALID_FIELD, f"{where}.email is not an email address")
    address = object_field(contact, "address", where, required=False)
    line1 = line2 = town = postcode = None
    if address is not None:
        at = f"{where}.address"
        check_keys(address, _ADDRESS_KEYS, at)
        line1 = required_text(address, "line1", at)
        line2 = text_field(address, "line2", at, required=False)
        town = text_field(address, "town", at, required=False)
        postcode, _ = postcode_field(address, "postcode", at)
    return ContactPayload(phone, email, line1, line2, town, postcode)


_CHILD_REF_KEYS = frozenset({"ref", "nhsNumber"})


def child_ref_field(obj: dict[str, Any], path: str) -> ChildRef:
    child = object_field(obj, "child", path, required=True)
    assert child is not None
    where = f"{path}.child"
    check_keys(child, _CHILD_REF_KEYS, where)
    ref = text_field(child, "ref", where, required=False, max_len=MAX_SOURCE_REF)
    nhs = nhs_number_field(child, "nhsNumber", where, required=False)
    if (ref is None) == (nhs is None):
        raise Invalid(Code.INVALID_FIELD, f"{where} must have exactly one of ref or nhsNumber")
    return ChildRef(ref, nhs)


def contact_row(contact: ContactPayload | None) -> Contact:
    """The contact as written (graph/feed_writes); a missing part removes the old value."""
    if contact is None:
        return Contact()
    return Contact(
        contact.phone, contact.email, contact.line1, contact.line2, contact.town, contact.postcode
    )
