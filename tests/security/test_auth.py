"""R1 against the running app: every bad token gets HTTP 401 and no data."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

from api.devkeys import ensure_dev_keys, issue_token
from api.settings import DEV_KEYS
from policies.viewer import Role

QUERY = '{ child(id: "c-hannah") { id givenName } }'


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _claims(settings, **overrides) -> dict:
    now = int(time.time())
    claims = {
        "iss": settings.issuer,
        "aud": settings.audience,
        "sub": "attacker",
        "roles": ["INDEX_ADMIN"],
        "local_authority": "NBR",
        "iat": now,
        "nbf": now,
        "exp": now + 600,
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def _bad_tokens(settings) -> dict[str, str | None]:
    key = ensure_dev_keys()
    good = issue_token(settings, [Role.INDEX_ADMIN], local_authority="NBR")
    head, payload, sig = good.split(".")
    tampered_claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    tampered_claims["roles"] = ["INDEX_ADMIN", "SAFEGUARDING_LEAD"]
    public_pem = key.as_pem(private=False)
    stranger = ECKey.generate_key("P-256", parameters={"kid": key.kid})
    unknown_kid = ECKey.generate_key("P-256", parameters={"kid": "nobody-knows-me"})
    rsa_unknown = RSAKey.generate_key(2048, parameters={"kid": "rsa-unknown"})

    def sign(claims: dict, signer=key, alg: str = "ES256") -> str:
        return jwt.encode({"alg": alg, "kid": signer.kid}, claims, signer)

    # The classic forgery: HMAC-sign with the public key as the secret (crafted by hand,
    # since joserfc itself refuses to build such a key).
    signing_input = (
        _b64({"alg": "HS256", "kid": key.kid, "typ": "JWT"}) + "." + _b64(_claims(settings))
    )
    mac = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    hs256 = signing_input + "." + base64.urlsafe_b64encode(mac).rstrip(b"=").decode()
    return {
        "no token": None,
        "not bearer": "Basic " + base64.b64encode(b"neo4j:neo4j").decode(),
        "garbage": "Bearer not.a.jwt",
        "expired": "Bearer "
        + sign(
            _claims(
                settings,
                exp=int(time.time()) - 120,
                iat=int(time.time()) - 900,
                nbf=int(time.time()) - 900,
            )
        ),
        "not yet valid": "Bearer " + sign(_claims(settings, nbf=int(time.time()) + 3600)),
        "wrong issuer": "Bearer " + sign(_claims(settings, iss="https://evil.example.org")),
        "wrong audience": "Bearer " + sign(_claims(settings, aud="someone-else")),
        "no expiry": "Bearer " + sign(_claims(settings, exp=None)),
        "alg none": "Bearer "
        + _b64({"alg": "none", "kid": key.kid})
        + "."
        + _b64(_claims(settings))
        + ".",
        "HS256 with the public key": "Bearer " + hs256,
        "unknown kid": "Bearer " + sign(_claims(settings), unknown_kid),
        "unknown RSA kid": "Bearer " + sign(_claims(settings), rsa_unknown, "RS256"),
        "right kid, wrong key": "Bearer " + sign(_claims(settings), stranger),
        "tampered payload": "Bearer " + ".".join([head, _b64(tampered_claims), sig]),
        "no roles": "Bearer " + sign(_claims(settings, roles=[])),
        "unknown role": "Bearer " + sign(_claims(settings, roles=["SUPERUSER"])),
    }


@pytest.mark.parametrize(
    "case",
    [
        "no token",
        "not bearer",
        "garbage",
        "expired",
        "not yet valid",
        "wrong issuer",
        "wrong audience",
        "no expiry",
        "alg none",
        "HS256 with the public key",
        "unknown kid",
        "unknown RSA kid",
        "right kid, wrong key",
        "tampered payload",
        "no roles",
        "unknown role",
    ],
)
async def test_bad_tokens_get_401_and_no_data(client, settings, case) -> None:
    header = _bad_tokens(settings)[case]
    headers = {"Content-Type": "application/json", "X-Purpose": "probing"}
    if header is not None:
        headers["Authorization"] = header
    response = await client.post("/graphql", json={"query": QUERY}, headers=headers)
    assert response.status_code == 401, (case, response.text)
    body = response.json()
    assert "data" not in body
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert "Hannah" not in response.text
    assert response.headers["www-authenticate"] == "Bearer"


async def test_good_token_passes(client, settings) -> None:
    token = issue_token(settings, [Role.PRACTITIONER], practitioner_id="p-melanie")
    response = await client.post(
        "/graphql",
        json={"query": QUERY},
        headers={"Authorization": f"Bearer {token}", "X-Purpose": "test"},
    )
    assert response.status_code == 200
    assert response.json()["data"]["child"]["givenName"] == "Hannah"


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/plain", '{"query": "{ me { subject } }"}'),
        ("application/x-www-form-urlencoded", "query=%7Bme%7D"),
    ],
)
async def test_only_post_json(client, settings, content_type, body) -> None:
    token = issue_token(settings, [Role.PRACTITIONER])
    response = await client.post(
        "/graphql",
        content=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": content_type},
    )
    assert response.status_code == 415
    get = await client.get(
        "/graphql",
        params={"query": "{ me { subject } }"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert get.status_code == 405


async def test_batched_requests_refused(client, settings) -> None:
    token = issue_token(settings, [Role.PRACTITIONER])
    response = await client.post(
        "/graphql",
        json=[{"query": "{ me { subject } }"}, {"query": "{ me { subject } }"}],
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 400


def test_dev_keys_live_in_the_ignored_folder() -> None:
    assert (DEV_KEYS / "jwks.json").exists()
    assert ".local" in DEV_KEYS.parts
