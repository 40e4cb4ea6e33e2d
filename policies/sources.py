"""R15, R6, R6a, R7: a source system changes only what it maintains.

A feed is trusted for its own records and nothing else. The index team's services and
practitioners (the seed, a local authority's own set-up) and another source's are not a
feed's to rewrite, staff or plant involvements in: adding a practitioner to a sensitive
service would let whoever holds that practitioner id read its involvements (R6a), and
naming a sensitive service in an involvement would plant a sensitive involvement on any
child (R6). Decided here, pure; the ops (feeds/ops/) ask and word the rejection.

`maintainer` is the source that maintains a service or practitioner, None for one the
index team set up.
"""

from __future__ import annotations

from policies.decision import Decision, Rule, allow, deny

__all__ = [
    "may_involve",
    "may_maintain_reference_data",
    "may_name_holder",
    "may_staff",
    "may_upsert",
]


def may_upsert(source: str, exists: bool, maintainer: str | None) -> Decision:
    """R15: a service or practitioner is written by the source that first sent it."""
    if exists and maintainer != source:
        return deny("R15: maintained by another source or by the index team", Rule.R15)
    return allow("R15: this source's own record", Rule.R15)


def may_staff(source: str, service_maintainer: str | None) -> Decision:
    """R6a: staff of a service see its sensitive involvements; only its own source adds them."""
    if service_maintainer != source:
        return deny("R6a: a service this source does not maintain", Rule.R6A)
    return allow("R6a: this source's own service", Rule.R6A)


def may_involve(source: str, service_maintainer: str | None, sensitive: bool) -> Decision:
    """An involvement may name an index-team service or this source's own; a sensitive one
    only if this source maintains it (R6: who attends a sexual-health clinic is for the
    clinic's own system to say). A denial's rule says which: R15 or R6."""
    if service_maintainer is not None and service_maintainer != source:
        return deny("R15: a service maintained by another source", Rule.R15)
    if sensitive and service_maintainer != source:
        return deny("R6: a sensitive service this source does not maintain", Rule.R6)
    return allow("R15: a service this source may name", Rule.R15)


def may_name_holder(source: str, holder_service_maintainer: str | None) -> Decision:
    """R6/R7: a CAF's holder must work for a service this source maintains.

    A CAF held from a sensitive service is invisible to whoever R6 hides that service
    from; a source naming another service's practitioner as holder would put a CAF there
    and learn from its answers that the practitioner exists. So a practitioner of
    another service and one that does not exist get one answer (the caller passes None
    for both).
    """
    if holder_service_maintainer is None or holder_service_maintainer != source:
        return deny("R7: not a practitioner of a service this source maintains", Rule.R7)
    return allow("R7: a practitioner of this source's own service", Rule.R7)


def may_maintain_reference_data(source: str, reference_sources: frozenset[str]) -> Decision:
    """R4, R15: reference data (a local authority and the index-team contact its shielded
    children show) comes only from a source the deployment names as its reference-data
    source: a school's MIS that could re-point an index team's phone number could send
    a worried practitioner's call about a shielded child anywhere."""
    if source not in reference_sources:
        return deny("R15: not a reference-data source", Rule.R15)
    return allow("R15: a reference-data source", Rule.R15)
