"""Production keys come from a JWKS URL: cached, and re-fetched once on an unknown kid."""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet

from api import auth
from api.auth import AuthError, TokenVerifier


class _Issuer:
    """A real HTTP JWKS endpoint on loopback whose keys can be rotated."""

    def __init__(self) -> None:
        self.keys = [ECKey.generate_key("P-256", parameters={"kid": "k1"})]
        self.hits = 0
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                issuer.hits += 1
                body = json.dumps(KeySet(issuer.keys).as_dict(private=False)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/jwks.json"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def token(self, settings, key: ECKey) -> str:
        now = int(time.time())
        claims = {
            "iss": settings.issuer,
            "aud": settings.audience,
            "sub": "s",
            "roles": ["PRACTITIONER"],
            "iat": now,
            "nbf": now,
            "exp": now + 60,
        }
        return jwt.encode({"alg": "ES256", "kid": key.kid}, claims, key)


@pytest.fixture
def issuer():
    running = _Issuer()
    yield running
    running.server.shutdown()


async def test_rotation_is_picked_up_once_and_forgeries_do_not_hammer_the_issuer(
    issuer, settings, monkeypatch
) -> None:
    verifier = TokenVerifier(dataclasses.replace(settings, jwks_url=issuer.url, jwks_path=None))
    assert (
        await verifier.verify("Bearer " + issuer.token(settings, issuer.keys[0]))
    ).subject == "s"
    assert (
        await verifier.verify("Bearer " + issuer.token(settings, issuer.keys[0]))
    ).subject == "s"
    assert issuer.hits == 1  # cached

    monkeypatch.setattr(auth, "_REFETCH_MIN_INTERVAL_S", 0.0)
    rotated = ECKey.generate_key("P-256", parameters={"kid": "k2"})
    issuer.keys.append(rotated)
    assert (await verifier.verify("Bearer " + issuer.token(settings, rotated))).subject == "s"
    assert issuer.hits == 2  # re-fetched once for the new kid

    monkeypatch.setattr(auth, "_REFETCH_MIN_INTERVAL_S", 60.0)
    stranger = ECKey.generate_key("P-256", parameters={"kid": "k-unknown"})
    for _ in range(5):
        with pytest.raises(AuthError):
            await verifier.verify("Bearer " + issuer.token(settings, stranger))
    assert issuer.hits == 2  # unknown kids do not make us hammer the issuer
