"""OAuth 2.0 access tokens for Google: a user's refresh token, or a service account key.

Both flows end at Google's token endpoint and yield a one-hour bearer token, cached in
``ctx.tokens`` so every call of a connection shares it and it is refreshed in one place.
The service-account flow signs its JWT assertion (RS256) with ``cryptography``.
"""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import httpx
import msgspec
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from junction.destinations.google_ads.config import GoogleAdsConfig
from junction.plugins import AccessToken, AuthFailed, ConfigInvalid, Retryable

__all__ = ["SCOPES", "TOKEN_URL", "fetch_token"]

TOKEN_URL = "https://oauth2.googleapis.com/token"

#: The scope each upload API needs (google-ads.md §2 and DM-2).
SCOPES = {
    "data_manager": "https://www.googleapis.com/auth/datamanager",
    "offline_user_data_job": "https://www.googleapis.com/auth/adwords",
}

_JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
_ASSERTION_LIFETIME = 3600


class _ServiceAccountKey(msgspec.Struct, kw_only=True):
    client_email: str
    private_key: str
    private_key_id: str = ""
    token_uri: str = TOKEN_URL


async def fetch_token(client: httpx.AsyncClient, config: GoogleAdsConfig) -> AccessToken:
    """A fresh access token for ``config``'s credentials.

    Raises:
        AuthFailed: Google refused the credentials (revoked refresh token, wrong client
            secret, deleted key).
        ConfigInvalid: The service account key is not a usable JSON key.
        Retryable: The token endpoint failed transiently or could not be reached.
    """
    if config.auth == "service_account":
        key = _service_account_key(config.service_account_key)
        form = {"grant_type": _JWT_BEARER, "assertion": _assertion(key, SCOPES[config.api])}
        url = key.token_uri
    else:
        form = {
            "grant_type": "refresh_token",
            "client_id": config.client_id,
            "client_secret": config.client_secret,
            "refresh_token": config.refresh_token,
        }
        url = TOKEN_URL
    try:
        response = await client.post(url, data=form)
    except httpx.TimeoutException as exc:
        raise Retryable("Google's token endpoint did not answer in time") from exc
    except httpx.TransportError as exc:
        raise Retryable(f"could not reach Google's token endpoint ({type(exc).__name__})") from exc
    body = _json(response)
    if response.status_code >= 500:
        raise Retryable(f"Google's token endpoint answered HTTP {response.status_code}")
    if response.status_code == 429:
        raise Retryable("Google's token endpoint is throttling token requests", retry_after=10)
    if response.status_code >= 400 or not isinstance(body.get("access_token"), str):
        # The OAuth error code ("invalid_grant", "invalid_client") never holds a secret.
        error = body.get("error")
        code = error if isinstance(error, str) and error else f"HTTP {response.status_code}"
        raise AuthFailed(
            f"Google refused the {config.auth.replace('_', ' ')} credentials ({code}); "
            "reconnect the account or replace the key",
            code=code,
        )
    return AccessToken(value=body["access_token"], expires_in=float(body.get("expires_in", 3600)))


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _service_account_key(text: str) -> _ServiceAccountKey:
    try:
        return msgspec.json.decode(text, type=_ServiceAccountKey)
    except (msgspec.DecodeError, msgspec.ValidationError):
        # The decode error could quote the key; name the field only.
        raise ConfigInvalid(
            "service_account_key is not a Google service account JSON key "
            "(client_email and private_key are required)",
            field="service_account_key",
        ) from None


def _assertion(key: _ServiceAccountKey, scope: str) -> str:
    """The signed JWT a service account trades for an access token (RFC 7523)."""
    try:
        private = serialization.load_pem_private_key(key.private_key.encode(), password=None)
    except (ValueError, TypeError):
        raise ConfigInvalid(
            "service_account_key holds no readable RSA private key",
            field="service_account_key",
        ) from None
    if not isinstance(private, rsa.RSAPrivateKey):
        raise ConfigInvalid(
            "service_account_key must hold an RSA private key", field="service_account_key"
        )
    now = int(time.time())
    header = {
        "alg": "RS256",
        "typ": "JWT",
        **({"kid": key.private_key_id} if key.private_key_id else {}),
    }
    claims = {
        "iss": key.client_email,
        "scope": scope,
        "aud": key.token_uri,
        "iat": now,
        "exp": now + _ASSERTION_LIFETIME,
    }
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    signature = private.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{_b64(signature)}"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
