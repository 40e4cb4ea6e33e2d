"""The CSV files `neo4j-admin database import full` reads, written from the key store.

One file per node label and per relationship type, each with its header line. The
header types are the types `contactgraph ingest` writes (a Python date is a DATE, a
bool a BOOLEAN, the chunk's `now` a ZONED DATETIME), and a missing value is an empty
field, which the import tool leaves out, as `SET n = row` leaves out a null. The test
comparing a bulk load with an ingest of the same file checks both, property by property.

Ids are per label (`:ID(Child)`), so a relationship names its ends by the index's own
ids; FeedRecords are never the end of a relationship and have no import id.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from bulk.store import KeyStore
from localneo4j.import_tool import ImportFiles

__all__ = ["write_csv"]

_CONTACT = (
    ("phone", ""), ("email", ""), ("addressLine1", ""), ("addressLine2", ""), ("town", ""),
    ("postcode", ""),
)  # fmt: skip
_Columns = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class _File:
    """One CSV file: the label or type, its header, and its rows from the store."""

    name: str
    header: list[str]
    rows: Callable[[KeyStore, str], Iterable[Iterable[Any]]]


def _header(columns: _Columns, id_group: str | None) -> list[str]:
    out = []
    for name, kind in columns:
        if name == "id" and id_group:
            out.append(f"id:ID({id_group})")
        else:
            out.append(f"{name}:{kind}" if kind else name)
    return out


def _cell(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == "boolean":
        return "true" if value else "false"
    return value


def _from_props(columns: _Columns, sql: str, extra: int = 0) -> Callable[[KeyStore, str], Any]:
    """Rows from a `props` blob (first column of `sql`) and `extra` columns after it,
    which override the properties of the same names at the end of `columns`."""
    names = [name for name, _ in columns[: len(columns) - extra]]
    tail = columns[len(columns) - extra :]
    # Only a boolean needs its cell written out (the csv module writes None as an empty
    # field and leaves strings as they are): a row is a list of look-ups, then these.
    flags = [i for i, (_, kind) in enumerate(columns[: len(names)]) if kind == "boolean"]
    loads = orjson.loads

    def rows(store: KeyStore, now: str) -> Iterator[list[Any]]:
        for row in store.rows(sql):
            get = loads(row[0]).get
            out = [get(name) for name in names]
            for i in flags:
                out[i] = _cell(out[i], "boolean")
            if tail:
                out += [_cell(v, kind) for v, (_, kind) in zip(row[1:], tail, strict=True)]
            yield out

    return rows


def _plain(sql: str) -> Callable[[KeyStore, str], Iterable[Iterable[Any]]]:
    return lambda store, now: store.rows(sql)


_CHILD: _Columns = (
    ("id", ""), ("givenName", ""), ("familyName", ""), ("givenNameKey", ""),
    ("familyNameKey", ""), ("dateOfBirth", "date"), ("gender", ""), ("nhsNumber", ""),
    ("dateOfDeath", "date"), ("addressLine1", ""), ("addressLine2", ""), ("town", ""),
    ("postcode", ""), ("postcodeKey", ""), ("addressKey", ""), ("localAuthority", ""),
    ("shielded", "boolean"), ("source", ""), ("sourceRef", ""),
)  # fmt: skip
_SERVICE: _Columns = (
    ("id", ""), ("name", ""), ("kind", ""), ("sensitive", "boolean"), ("localAuthority", ""),
    ("source", ""), *_CONTACT,
)  # fmt: skip
_PRACTITIONER: _Columns = (
    ("id", ""), ("name", ""), ("jobTitle", ""), ("source", ""), *_CONTACT,
    ("availability", ""), ("availableFrom", "date"),
)  # fmt: skip
_CARER: _Columns = (("id", ""), ("name", ""), ("source", ""), *_CONTACT)
_INVOLVEMENT: _Columns = (
    ("id", ""), ("startedOn", "date"), ("isLeadProfessional", "boolean"), ("leadSeq", "long"),
    ("source", ""), ("sourceRef", ""), ("endedOn", "date"),
)  # fmt: skip
_ASSESSMENT: _Columns = (
    ("id", ""), ("status", ""), ("startedOn", "date"), ("source", ""), ("sourceRef", ""),
)  # fmt: skip
_REVIEW: _Columns = (
    ("id", ""), ("source", ""), ("sourceRef", ""), ("reason", ""), ("payload", ""),
    ("payloadHash", ""), ("localAuthority", ""), ("status", ""),
)  # fmt: skip
_CARES_FOR: _Columns = (
    ("relationship", ""), ("parentalResponsibility", "boolean"), ("livesWithChild", "boolean"),
    ("source", ""), ("sourceRef", ""),
)  # fmt: skip


def _reviews(store: KeyStore, now: str) -> Iterator[list[Any]]:
    """SET r += props, r.receivedAt = $now; a closed one: r.status, r.closedAt = $now."""
    names = _REVIEW[:-1]
    for blob, status, closed in store.rows("SELECT props, status, closed FROM review"):
        props = orjson.loads(blob)
        yield [*(props.get(name) for name, _ in names), status, now, now if closed else None]


def _cares_for(store: KeyStore, now: str) -> Iterator[list[Any]]:
    for carer, child, blob in store.rows("SELECT carer, child, props FROM cares_for"):
        rel = orjson.loads(blob)
        yield [carer, child, *(_cell(rel.get(name), kind) for name, kind in _CARES_FOR)]


def _feed(store: KeyStore, now: str) -> Iterator[tuple[Any, ...]]:
    for row in store.rows("SELECT source, ref, op, hash, status, entity, child, review FROM feed"):
        yield (*row, now)


_FEED_HEADER = (
    "source", "sourceRef", "op", "payloadHash", "status", "entityId", "childId", "reviewId",
)  # fmt: skip


def _rel(start: str, end: str) -> list[str]:
    return [f":START_ID({start})", f":END_ID({end})"]


NODES: tuple[_File, ...] = (
    _File("Child", _header(_CHILD, "Child"), _from_props(_CHILD, "SELECT props FROM child")),
    _File(
        "Service", _header(_SERVICE, "Service"), _from_props(_SERVICE, "SELECT props FROM service")
    ),
    _File(
        "Practitioner",
        _header(_PRACTITIONER, "Practitioner"),
        _from_props(_PRACTITIONER, "SELECT props FROM practitioner"),
    ),
    _File("Carer", _header(_CARER, "Carer"), _from_props(_CARER, "SELECT props FROM carer")),
    _File(
        "Involvement",
        _header(_INVOLVEMENT, "Involvement"),
        _from_props(_INVOLVEMENT, "SELECT props, ended FROM involvement", extra=1),
    ),
    _File(
        "Assessment",
        _header(_ASSESSMENT, "Assessment"),
        _from_props(_ASSESSMENT, "SELECT props FROM assessment"),
    ),
    _File(
        "MatchReview",
        [*_header(_REVIEW, "MatchReview"), "receivedAt:datetime", "closedAt:datetime"],
        _reviews,
    ),
    _File("FeedRecord", [*_FEED_HEADER, "receivedAt:datetime"], _feed),
)

RELATIONSHIPS: tuple[_File, ...] = (
    _File(
        "WORKS_FOR",
        _rel("Practitioner", "Service"),
        _plain("SELECT id, service FROM practitioner"),
    ),
    _File(
        "CARES_FOR",
        [*_rel("Carer", "Child"), *_header(_CARES_FOR, None)],
        _cares_for,
    ),
    _File("OF", _rel("Involvement", "Child"), _plain("SELECT id, child FROM involvement")),
    _File("AT", _rel("Involvement", "Service"), _plain("SELECT id, service FROM involvement")),
    _File(
        "BY",
        _rel("Involvement", "Practitioner"),
        _plain("SELECT id, practitioner FROM involvement WHERE practitioner IS NOT NULL"),
    ),
    _File("ABOUT", _rel("Assessment", "Child"), _plain("SELECT id, child FROM assessment")),
    _File("HOLDS", _rel("Practitioner", "Assessment"), _plain("SELECT holder, id FROM assessment")),
    _File("CANDIDATE", _rel("MatchReview", "Child"), _plain("SELECT review, child FROM candidate")),
)


def _write(path: Path, header: list[str], rows: Iterable[Iterable[Any]]) -> None:
    with path.open("w", newline="", encoding="utf-8", buffering=1 << 20) as handle:
        out = csv.writer(handle, lineterminator="\n")
        out.writerow(header)
        out.writerows(rows)


def write_csv(store: KeyStore, folder: Path, now: datetime) -> ImportFiles:
    """Every file the import needs, in `folder`; `now` is every FeedRecord's receivedAt."""
    folder.mkdir(parents=True, exist_ok=True)
    stamp = now.isoformat()
    nodes, relationships = [], []
    for spec in NODES:
        path = folder / f"nodes-{spec.name}.csv"
        _write(path, spec.header, spec.rows(store, stamp))
        nodes.append((spec.name, path))
    for spec in RELATIONSHIPS:
        path = folder / f"rels-{spec.name}.csv"
        _write(path, spec.header, spec.rows(store, stamp))
        relationships.append((spec.name, path))
    return ImportFiles(nodes, relationships)
