"""Turn an Authorization header into a Viewer, or refuse (R1).

Bearer JWTs signed with RS256 or ES256 only: never HS* (a public key used as an
HMAC secret is the classic forgery) and never `none`. Issuer, audience, expiry and
not-before are all required. Keys come from a JWKS: a file in development, a URL in
production, cached and re-fetched once when a token names a key id we do not know
(the issuer has rotated keys).
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from api.settings import Settings
from policies.viewer import Role, Viewer

__all__ = ["ALGORITHMS", "AuthError", "TokenVerifier"]

ALGORITHMS = ["RS256", "ES256"]
_REFETCH_MIN_INTERVAL_S = 30.0
_VERIFIED_TTL_S = 60.0
_VERIFIED_MAX = 10_000


class AuthError(Exception):
    """The request is not authenticated. The message is safe to show the caller."""


@dataclass
class _Keys:
    key_set: KeySet
    kids: frozenset[str]
    fetched_at: float


class TokenVerifier:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._keys: _Keys | None = None
        self._lock = asyncio.Lock()
        # A token already verified need not be verified again until it expires, but no
        # longer than a minute, so a key withdrawn from the JWKS stops working soon.
        self._verified: dict[str, tuple[Viewer, float, float]] = {}
        self._claims = jwt.JWTClaimsRegistry(
            leeway=30,
            iss={"essential": True, "value": settings.issuer},
            aud={"essential": True, "value": settings.audience},
            exp={"essential": True},
            sub={"essential": True},
        )

    async def _load(self) -> _Keys:
        if self._settings.jwks_url:
            async with httpx.AsyncClient(timeout=5.0) as client:
                response = await client.get(self._settings.jwks_url)
                response.raise_for_status()
                data = response.json()
        elif self._settings.jwks_path is not None:
            data = json.loads(Path(self._settings.jwks_path).read_text())
        else:
            raise AuthError("no signing keys are configured")
        key_set = KeySet.import_key_set(data)
        kids = frozenset(k.get("kid", "") for k in data.get("keys", []))
        return _Keys(key_set, kids, time.monotonic())

    async def _key_set_for(self, kid: str | None) -> KeySet:
        keys = self._keys
        if keys is None or (kid not in keys.kids and self._may_refetch(keys)):
            async with self._lock:
                keys = self._keys
                if keys is None or (kid not in keys.kids and self._may_refetch(keys)):
                    try:
                        keys = self._keys = await self._load()
                    except (OSError, ValueError, httpx.HTTPError) as exc:
                        raise AuthError("signing keys are unavailable") from exc
        assert keys is not None
        if kid not in keys.kids:
            raise AuthError("token signed with an unknown key")
        return keys.key_set

    @staticmethod
    def _may_refetch(keys: _Keys) -> bool:
        # Re-fetch once on an unknown kid, but not on every forged token.
        return time.monotonic() - keys.fetched_at > _REFETCH_MIN_INTERVAL_S

    async def verify(self, authorization: str | None) -> Viewer:
        if not authorization:
            raise AuthError("missing bearer token")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthError("the Authorization header must be 'Bearer <token>'")
        token = token.strip()
        now = time.time()
        cached = self._verified.get(token)
        if cached is not None:
            viewer, expires, verified_at = cached
            if now < expires and now - verified_at < _VERIFIED_TTL_S:
                return viewer
            del self._verified[token]
        try:
            header = _unverified_header(token)
            if header.get("alg") not in ALGORITHMS:
                raise AuthError("token algorithm not accepted")
            kid = header.get("kid")
            key_set = await self._key_set_for(kid if isinstance(kid, str) else None)
            decoded = jwt.decode(token, key_set, algorithms=ALGORITHMS)
            self._claims.validate(decoded.claims)
            # joserfc checks nbf only when registered; be explicit.
            if "nbf" in decoded.claims and float(decoded.claims["nbf"]) > time.time() + 30:
                raise AuthError("token not yet valid")
        except AuthError:
            raise
        except (JoseError, ValueError, TypeError, KeyError) as exc:
            raise AuthError("invalid or expired token") from exc
        viewer = viewer_from_claims(decoded.claims)
        if len(self._verified) >= _VERIFIED_MAX:
            self._verified.clear()
        self._verified[token] = (viewer, float(decoded.claims["exp"]), now)
        return viewer


def _unverified_header(token: str) -> dict[str, object]:
    import base64

    head = token.split(".", 1)[0]
    padded = head + "=" * (-len(head) % 4)
    value = json.loads(base64.urlsafe_b64decode(padded.encode()))
    if not isinstance(value, dict):
        raise ValueError("bad header")
    return value


def viewer_from_claims(claims: dict[str, object]) -> Viewer:
    raw_roles = claims.get("roles")
    if not isinstance(raw_roles, list) or not raw_roles:
        raise AuthError("token carries no roles")
    roles: set[Role] = set()
    for name in raw_roles:
        try:
            roles.add(Role(str(name)))
        except ValueError as exc:
            raise AuthError("token carries an unknown role") from exc
    practitioner_id = claims.get("practitioner_id")
    local_authority = claims.get("local_authority")
    source = claims.get("source")
    return Viewer(
        subject=str(claims["sub"]),
        roles=frozenset(roles),
        practitioner_id=str(practitioner_id) if practitioner_id else None,
        local_authority=str(local_authority) if local_authority else None,
        source=str(source) if source else None,
    )
