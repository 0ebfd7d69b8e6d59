"""Service-account auth: the key is checked, the JWT is what Google verifies, tokens are cached."""

from __future__ import annotations

import base64
import dataclasses
import json
from datetime import timedelta

import httpx
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from junction.plugins import AuthFailed, ConfigInvalid, ProfileRecord
from junction.sources.ga4 import GA4Source
from junction.sources.ga4.auth import ANALYTICS_SCOPE, signed_assertion
from junction.sources.ga4.key import parse_key

from ...fakes.ga4 import TOKEN_URI
from .conftest import EMAIL, KEY_ID, NOW, TODAY, Harness, config, key_json, person, private_key


def _decode(segment: str) -> dict[str, object]:
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


def test_the_assertion_is_an_rs256_jwt_with_googles_claims() -> None:
    account = parse_key(key_json())
    header, claims, signature = signed_assertion(account, ANALYTICS_SCOPE, NOW).split(".")
    assert _decode(header) == {"alg": "RS256", "typ": "JWT", "kid": KEY_ID}
    issued = int(NOW.timestamp())
    assert _decode(claims) == {
        "iss": EMAIL,
        "scope": ANALYTICS_SCOPE,
        "aud": TOKEN_URI,
        "iat": issued,
        "exp": issued + 3600,
    }
    # Verifies with the service account's public key (raises otherwise).
    private_key().public_key().verify(
        base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)),
        f"{header}.{claims}".encode(),
        padding.PKCS1v15(),
        hashes.SHA256(),
    )


async def test_one_token_serves_every_call_of_a_read(harness: Harness) -> None:
    harness.fake.report_rows = {TODAY - timedelta(days=d): [person("u1")] for d in range(8)}
    items = await harness.read(config())
    assert sum(isinstance(i, ProfileRecord) for i in items) == 8
    assert len(harness.fake.report_bodies) == 8
    assert harness.fake.token_requests == 1


async def test_an_expired_token_is_refreshed_once_and_the_read_goes_on(harness: Harness) -> None:
    harness.fake.report_rows = {TODAY: [person("u1")], TODAY - timedelta(days=1): [person("u2")]}
    ctx = harness.context(config(start_date=(TODAY - timedelta(days=1)).isoformat()))
    reader = GA4Source().read(ctx)
    first = await anext(reader)
    assert isinstance(first, ProfileRecord)
    # Google expires the token early; the cache still believes in it.
    harness.fake.expire_tokens()
    rest = [item async for item in reader]
    assert sum(isinstance(i, ProfileRecord) for i in rest) == 1
    assert harness.fake.token_requests == 2


async def test_a_token_refused_twice_fails_auth(harness: Harness) -> None:
    harness.fake.report_rows = {TODAY: [person("u1")]}
    harness.fake.fail_next("401", times=2)
    with pytest.raises(AuthFailed, match="freshly issued") as caught:
        await harness.read(config(start_date=TODAY.isoformat()))
    assert harness.fake.token_requests == 2
    assert EMAIL in caught.value.message


async def test_a_key_google_does_not_know_is_refused_as_invalid_grant(harness: Harness) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(AuthFailed, match="invalid_grant") as caught:
        await harness.read(config(service_account_key=key_json(other)))
    assert "Invalid JWT Signature" in caught.value.message
    assert "PRIVATE KEY" not in caught.value.message


async def test_a_wrong_clock_is_refused_and_named(harness: Harness) -> None:
    # The host's clock is two hours behind Google's: the assertion has expired on arrival.
    harness.fake.clock = lambda: NOW.timestamp() + 7200
    with pytest.raises(AuthFailed, match="short-lived token") as caught:
        await harness.read(config())
    assert "clock" in caught.value.message


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"token_uri": "https://oauth2.example.com/token"}, "Failed audience check"),
        ({"client_email": "someone-else@acme.iam.gserviceaccount.com"}, "issuer"),
        ({"private_key_id": "another-key-id"}, "Invalid JWT Signature"),
    ],
)
async def test_the_token_endpoint_checks_the_assertion(
    harness: Harness, change: dict[str, str], problem: str
) -> None:
    account = dataclasses.replace(parse_key(key_json()), **change)
    form = {
        "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
        "assertion": signed_assertion(account, ANALYTICS_SCOPE, NOW),
    }
    async with httpx.AsyncClient(transport=harness.fake.transport()) as client:
        reply = await client.post(TOKEN_URI, data=form)
    assert reply.status_code == 400
    assert reply.json()["error"] == "invalid_grant"
    assert problem in reply.json()["error_description"]


async def test_the_token_endpoint_wants_the_jwt_bearer_grant(harness: Harness) -> None:
    form = {"grant_type": "client_credentials", "assertion": "x.y.z"}
    async with httpx.AsyncClient(transport=harness.fake.transport()) as client:
        reply = await client.post(TOKEN_URI, data=form)
    assert (reply.status_code, reply.json()["error"]) == (400, "unsupported_grant_type")


async def test_api_calls_without_a_bearer_token_are_unauthenticated(harness: Harness) -> None:
    async with httpx.AsyncClient(transport=harness.fake.transport()) as client:
        reply = await client.post(
            "https://analyticsdata.googleapis.com/v1beta/properties/123456789:runReport", json={}
        )
    assert reply.status_code == 401
    assert reply.json()["error"]["status"] == "UNAUTHENTICATED"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("not json", "is not JSON"),
        ("[1, 2]", "must be a JSON object"),
        (key_json(private_key=None), "missing required field `private_key`"),
        (key_json(type="authorized_user"), "has type 'authorized_user'"),
        (key_json(client_email="nobody"), "`client_email`"),
        (key_json(private_key_id=" "), "`private_key_id`"),
        (key_json(token_uri="http://oauth2.googleapis.com/token"), "`token_uri`"),
        (key_json(private_key="-----BEGIN PRIVATE KEY-----\nc2VjcmV0\n"), "not a PEM"),
        (key_json(private_key=12345), "Expected `str`"),
    ],
)
def test_a_malformed_key_is_refused_precisely_and_without_echoing_it(
    text: str, problem: str
) -> None:
    with pytest.raises(ConfigInvalid) as caught:
        parse_key(text)
    assert caught.value.field == "service_account_key"
    assert problem in caught.value.message
    assert "c2VjcmV0" not in caught.value.message
    assert "12345" not in caught.value.message


def test_an_ec_key_is_refused_because_google_signs_rs256() -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    pem = (
        ec.generate_private_key(ec.SECP256R1())
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )
    with pytest.raises(ConfigInvalid, match="not an RSA key"):
        parse_key(key_json(private_key=pem))


def test_the_parsed_account_never_shows_its_key() -> None:
    account = parse_key(key_json())
    assert repr(account) == f"ServiceAccount({EMAIL!r})"
