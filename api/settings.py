"""One settings object, read once from the environment.

Safe defaults for local use; production mode (`CONTACTGRAPH_ENV=production`)
refuses to start with the development signing keys, GraphiQL or introspection on,
because each of those hands an attacker a map or a key.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from policies.browsing import Budgets, parse_budgets
from webhooks.config import WebhookConfig, load_webhook_config

__all__ = ["LOCAL", "ROOT", "Settings", "SettingsError", "load_settings"]

ROOT = Path(__file__).resolve().parent.parent
LOCAL = ROOT / ".local"
DEV_KEYS = LOCAL / "keys"


class SettingsError(RuntimeError):
    """The configuration is unsafe or incomplete; the message says what to change."""


def _flag(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw else default


@dataclass(frozen=True)
class Settings:
    env: str = "development"
    issuer: str = "https://contactgraph.local/dev-issuer"
    audience: str = "contactgraph-api"
    jwks_path: Path | None = DEV_KEYS / "jwks.json"
    jwks_url: str | None = None
    graphiql: bool = True
    introspection: bool = True
    neo4j_instance: str = "dev"
    query_timeout_s: float = 10.0
    request_timeout_s: float = 15.0
    max_depth: int = 8
    max_aliases: int = 15
    max_tokens: int = 1000
    max_cost: int = 8000
    rate_limit_cost_per_minute: int = 120_000
    # "neo4j": one bucket per subject for every process (api/ratelimit.py); "process":
    # each process its own (the fallback, for a single process or a test).
    rate_limit_store: str = "neo4j"
    audit_batch_max: int = 256
    audit_checkpoint_s: float = 5.0  # how often each process anchors the audit chains
    #: R4, no oracle: the least time a child's trail answers in to anyone but AUDITOR
    #: (policies.audit.trail_held_to_floor): above what reading on past withheld events
    #: takes, so how many there were does not show in the time.
    trail_floor_s: float = 0.25
    #: Issue 20: how often a process with open subscriptions looks for new notifications,
    #: and whether `serve` also runs a dispatcher (besides `contactgraph notify run`).
    notify_poll_s: float = 0.1
    notify_dispatch: bool = False
    pool_size: int = 50
    pool_acquire_timeout_s: float = 2.0
    fast_path: bool = True
    # extensions.cypherRoundTrips on every answer, for the tests and benches that count
    # round trips. Off unless asked for, and refused in production: how much work an
    # answer took tells a carer of shielded children from an unknown id (R4, no oracle).
    diagnostics: bool = False
    statistics_max_age_s: float = 3600.0  # R11: analysts' counts come from a snapshot this fresh
    # /metrics on the API's own port: development only, never in production whatever
    # this says. A separate port serves them in any mode when set (production: bind it
    # where only Prometheus reaches it).
    metrics: bool = True
    metrics_port: int | None = None
    metrics_host: str = "127.0.0.1"
    # Trusted documents (api/documents.py): "allowed" takes documentId as well as query;
    # "required" refuses any document not in the manifest.
    trusted_documents: str = "allowed"
    trusted_documents_file: Path = ROOT / "trusted-documents.json"
    # Feed sources that may send reference data (UPSERT_LOCAL_AUTHORITY, feeds.md):
    # none unless named.
    reference_sources: frozenset[str] = frozenset()
    # R2: distinct children a subject may read a day, per role (policies/browsing.py).
    browsing_budgets: Budgets = field(default_factory=lambda: parse_budgets(None))
    # Webhooks (issue 20): sealing key, timeouts, retries, leases (webhooks/config.py).
    webhooks: WebhookConfig = field(default_factory=WebhookConfig)
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def production(self) -> bool:
        return self.env == "production"

    @property
    def uses_dev_keys(self) -> bool:
        return (
            self.jwks_url is None
            and self.jwks_path is not None
            and (self.jwks_path.resolve().is_relative_to(DEV_KEYS.resolve()))
        )

    def check(self) -> None:
        """Refuse unsafe production configurations before anything listens."""
        if self.trusted_documents not in {"allowed", "required"}:
            raise SettingsError("CONTACTGRAPH_TRUSTED_DOCUMENTS must be allowed or required")
        if self.rate_limit_store not in {"neo4j", "process"}:
            raise SettingsError("CONTACTGRAPH_RATE_LIMIT_STORE must be neo4j or process")
        if not 0 <= self.trail_floor_s <= 10:
            raise SettingsError("CONTACTGRAPH_TRAIL_FLOOR must be 0 to 10 seconds")
        if not self.production:
            return
        problems = []
        if self.uses_dev_keys:
            problems.append(
                "production needs CONTACTGRAPH_JWKS_URL (or a JWKS file outside .local/keys)"
            )
        if self.graphiql:
            problems.append("GraphiQL must be off in production (CONTACTGRAPH_GRAPHIQL=0)")
        if self.diagnostics:
            problems.append("diagnostics must be off in production (CONTACTGRAPH_DIAGNOSTICS=0)")
        if self.trail_floor_s < 0.1:
            problems.append(
                "a child's audit trail must answer in no less than 0.1 s in production "
                "(CONTACTGRAPH_TRAIL_FLOOR): its time would count the events withheld"
            )
        if self.introspection:
            problems.append(
                "introspection must be off in production (CONTACTGRAPH_INTROSPECTION=0)"
            )
        if self.issuer.startswith("https://contactgraph.local/"):
            problems.append("production needs a real token issuer (CONTACTGRAPH_ISSUER)")
        if problems:
            raise SettingsError("refusing to start in production: " + "; ".join(problems))


def load_settings() -> Settings:
    env = os.environ.get("CONTACTGRAPH_ENV", "development").strip().lower() or "development"
    production = env == "production"
    jwks_file = os.environ.get("CONTACTGRAPH_JWKS_FILE")
    jwks_url = os.environ.get("CONTACTGRAPH_JWKS_URL") or None
    try:
        budgets = parse_budgets(os.environ.get("CONTACTGRAPH_BROWSING_BUDGET"))
    except ValueError as exc:
        raise SettingsError(f"CONTACTGRAPH_BROWSING_BUDGET: {exc}") from None
    return Settings(
        env=env,
        browsing_budgets=budgets,
        webhooks=load_webhook_config(production, LOCAL),
        issuer=os.environ.get("CONTACTGRAPH_ISSUER", Settings.issuer),
        audience=os.environ.get("CONTACTGRAPH_AUDIENCE", Settings.audience),
        jwks_path=Path(jwks_file) if jwks_file else (None if jwks_url else DEV_KEYS / "jwks.json"),
        jwks_url=jwks_url,
        graphiql=_flag("CONTACTGRAPH_GRAPHIQL", not production),
        introspection=_flag("CONTACTGRAPH_INTROSPECTION", not production),
        neo4j_instance=os.environ.get("CONTACTGRAPH_NEO4J_INSTANCE", "dev"),
        query_timeout_s=float(os.environ.get("CONTACTGRAPH_QUERY_TIMEOUT", "10")),
        request_timeout_s=float(os.environ.get("CONTACTGRAPH_REQUEST_TIMEOUT", "15")),
        max_depth=_int("CONTACTGRAPH_MAX_DEPTH", 8),
        max_aliases=_int("CONTACTGRAPH_MAX_ALIASES", 15),
        max_tokens=_int("CONTACTGRAPH_MAX_TOKENS", 1000),
        max_cost=_int("CONTACTGRAPH_MAX_COST", 8000),
        rate_limit_cost_per_minute=_int("CONTACTGRAPH_RATE_LIMIT", 120_000),
        rate_limit_store=os.environ.get("CONTACTGRAPH_RATE_LIMIT_STORE", "neo4j").strip().lower(),
        pool_size=_int("CONTACTGRAPH_POOL_SIZE", 50),
        audit_checkpoint_s=float(os.environ.get("CONTACTGRAPH_AUDIT_CHECKPOINT", "5")),
        trail_floor_s=float(os.environ.get("CONTACTGRAPH_TRAIL_FLOOR", "0.25")),
        notify_poll_s=float(os.environ.get("CONTACTGRAPH_NOTIFY_POLL", "0.1")),
        notify_dispatch=_flag("CONTACTGRAPH_NOTIFY_DISPATCH", False),
        fast_path=_flag("CONTACTGRAPH_FAST_PATH", True),
        diagnostics=_flag("CONTACTGRAPH_DIAGNOSTICS", False),
        statistics_max_age_s=float(os.environ.get("CONTACTGRAPH_STATISTICS_MAX_AGE", "3600")),
        metrics=_flag("CONTACTGRAPH_METRICS", True),
        metrics_port=_int("CONTACTGRAPH_METRICS_PORT", 0) or None,
        metrics_host=os.environ.get("CONTACTGRAPH_METRICS_HOST", "127.0.0.1"),
        trusted_documents=os.environ.get("CONTACTGRAPH_TRUSTED_DOCUMENTS", "allowed")
        .strip()
        .lower(),
        trusted_documents_file=Path(
            os.environ.get("CONTACTGRAPH_TRUSTED_DOCUMENTS_FILE", ROOT / "trusted-documents.json")
        ),
        reference_sources=frozenset(
            name.strip()
            for name in os.environ.get("CONTACTGRAPH_REFERENCE_SOURCES", "").split(",")
            if name.strip()
        ),
    )
