"""Development signing keys and tokens, so a newcomer can call the API at once.

The private key is generated into the ignored `.local/keys/` folder the first time
it is needed and never committed; the dev server trusts its public half. Production
refuses to start while these keys are configured (see settings.check).
"""

from __future__ import annotations

import json
import os
import time
import uuid

from joserfc import jwt
from joserfc.jwk import ECKey, KeySet

from api.settings import DEV_KEYS, Settings
from policies.viewer import Role

__all__ = ["ensure_dev_keys", "issue_token", "parse_ttl"]

_PRIVATE = DEV_KEYS / "signing-key.json"
_PUBLIC = DEV_KEYS / "jwks.json"


def ensure_dev_keys() -> ECKey:
    """The dev signing key, generated once (ES256, P-256) with its public JWKS beside it."""
    if _PRIVATE.exists() and _PUBLIC.exists():
        return ECKey.import_key(json.loads(_PRIVATE.read_text()))
    DEV_KEYS.mkdir(parents=True, exist_ok=True)
    kid = f"dev-{uuid.uuid4().hex[:12]}"
    key = ECKey.generate_key("P-256", parameters={"kid": kid, "use": "sig", "alg": "ES256"})
    fd = os.open(_PRIVATE, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(key.as_dict(private=True), fh)
    _PUBLIC.write_text(json.dumps(KeySet([key]).as_dict(private=False), indent=2))
    return key


def parse_ttl(text: str) -> int:
    """'90s', '15m', '1h', '2d' -> seconds."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    text = text.strip().lower()
    if text and text[-1] in units:
        return int(float(text[:-1]) * units[text[-1]])
    return int(text)


def issue_token(
    settings: Settings,
    roles: list[Role],
    *,
    subject: str | None = None,
    practitioner_id: str | None = None,
    local_authority: str | None = None,
    source: str | None = None,
    ttl_seconds: int = 3600,
    not_before: int | None = None,
    issued_at: int | None = None,
) -> str:
    key = ensure_dev_keys()
    now = issued_at if issued_at is not None else int(time.time())
    claims: dict[str, object] = {
        "iss": settings.issuer,
        "aud": settings.audience,
        "sub": subject or practitioner_id or f"dev-{roles[0].value.lower()}",
        "roles": [r.value for r in roles],
        "iat": now,
        "nbf": not_before if not_before is not None else now,
        "exp": now + ttl_seconds,
        "jti": uuid.uuid4().hex,
    }
    if practitioner_id:
        claims["practitioner_id"] = practitioner_id
    if local_authority:
        claims["local_authority"] = local_authority
    if source:
        claims["source"] = source
    header = {"alg": "ES256", "kid": key.kid, "typ": "JWT"}
    return jwt.encode(header, claims, key)
