"""Prometheus metrics: what an operator scrapes, and nothing about any child.

Labels are operation names and outcome codes only; an operation name is the client's
choice, so names that are not plain GraphQL names, and names past the first 200 seen,
are counted as "other". Served at /metrics without the bearer token (R1 exempts it) in
development; in production not on the API's port at all, only on
CONTACTGRAPH_METRICS_PORT (bound to CONTACTGRAPH_METRICS_HOST, 127.0.0.1 unless set),
when that is set.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

__all__ = ["CONTENT_TYPE_LATEST", "Metrics", "pool_in_use"]

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
_MAX_NAMES = 200
_LATENCY = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0)


def pool_in_use(driver: Any) -> float:
    """Bolt connections the driver has lent out, read from its pool (driver internals:
    NaN when a driver version keeps them elsewhere)."""
    try:
        connections = driver._pool.connections
        return float(sum(1 for pooled in connections.values() for c in pooled if c.in_use))
    except Exception:
        return float("nan")


class Metrics:
    """One registry per application, so that tests can build many apps."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._names: set[str] = set()
        self.requests = Counter(
            "contactgraph_requests",
            "GraphQL requests by operation name and outcome (OK or the first error code).",
            ["operation", "code"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "contactgraph_request_seconds",
            "Time from receiving a GraphQL request to its answer, audit write included.",
            ["operation"],
            buckets=_LATENCY,
            registry=self.registry,
        )
        self.audit_commit = Histogram(
            "contactgraph_audit_commit_seconds",
            "Time a request waited for its audit event to be durable (group commit, R14).",
            buckets=_LATENCY,
            registry=self.registry,
        )
        self.audit_queue = Gauge(
            "contactgraph_audit_queue_depth",
            "Audit events waiting for the next group commit.",
            registry=self.registry,
        )
        self.pool_in_use = Gauge(
            "contactgraph_neo4j_pool_in_use",
            "Neo4j Bolt connections in use.",
            registry=self.registry,
        )
        self.fast_path = Counter(
            "contactgraph_fast_path_hits",
            "Requests answered by a compiled plan (api/fastpath.py) rather than the executor.",
            registry=self.registry,
        )

    def watch(self, audit_queue: Callable[[], float], pool: Callable[[], float]) -> None:
        self.audit_queue.set_function(audit_queue)
        self.pool_in_use.set_function(pool)

    def operation(self, name: Any) -> str:
        if not isinstance(name, str) or not name:
            return "anonymous"
        if not _NAME.match(name):
            return "other"
        if name not in self._names:
            if len(self._names) >= _MAX_NAMES:
                return "other"
            self._names.add(name)
        return name

    def observe(self, operation: Any, code: str, seconds: float) -> None:
        label = self.operation(operation)
        self.requests.labels(label, code).inc()
        self.latency.labels(label).observe(seconds)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
