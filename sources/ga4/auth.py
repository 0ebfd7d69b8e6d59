"""Service-account OAuth: a JWT signed RS256 with the key, exchanged for an access token.

The flow is Google's "OAuth 2.0 for server to server applications": the assertion's
header names the key (``kid``), its claims say who asks (``iss``), for what
(``scope``), of whom (``aud`` = the key's token URI) and for how long (``iat``/``exp``,
at most one hour apart). The token endpoint answers an access token valid ~1 hour,
which ``ctx.tokens`` caches and refreshes before it expires.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime

import httpx
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from junction.plugins import AccessToken, AuthFailed, ConfigInvalid, RateLimited, Retryable
from junction.sources.ga4.key import FIELD, ServiceAccount

__all__ = ["ANALYTICS_SCOPE", "BIGQUERY_SCOPE", "JWT_BEARER", "fetch_token", "signed_assertion"]

ANALYTICS_SCOPE = "https://www.googleapis.com/auth/analytics.readonly"
# Queries create jobs, which the read-only scope does not cover; the IAM roles granted
# (BigQuery Data Viewer + Job User) are what keep the account read-only.
BIGQUERY_SCOPE = "https://www.googleapis.com/auth/bigquery"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
#: Google refuses assertions living longer than an hour.
ASSERTION_LIFETIME = 3600


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _segment(value: dict[str, object]) -> str:
    return _b64url(json.dumps(value, separators=(",", ":"), sort_keys=True).encode())


def signed_assertion(account: ServiceAccount, scope: str, now: datetime) -> str:
    """The JWT (``header.claims.signature``) to exchange for an access token."""
    issued = int(now.timestamp())
    header = {"alg": "RS256", "typ": "JWT", "kid": account.private_key_id}
    claims = {
        "iss": account.client_email,
        "scope": scope,
        "aud": account.token_uri,
        "iat": issued,
        "exp": issued + ASSERTION_LIFETIME,
    }
    signing_input = f"{_segment(header)}.{_segment(claims)}"
    signature = account.signing_key.sign(
        signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256()
    )
    return f"{signing_input}.{_b64url(signature)}"


async def fetch_token(
    client: httpx.AsyncClient, account: ServiceAccount, scope: str, now: datetime
) -> AccessToken:
    """Exchange a fresh assertion for an access token at the key's token URI.

    Raises:
        AuthFailed: the endpoint refused the assertion (a revoked or deleted key, a
            clock far off, a service account that no longer exists).
        RateLimited / Retryable: the endpoint is throttling or failing.
    """
    form = {"grant_type": JWT_BEARER, "assertion": signed_assertion(account, scope, now)}
    try:
        reply = await client.post(account.token_uri, data=form)
    except httpx.TimeoutException:
        raise Retryable("Google's token endpoint did not answer in time.") from None
    except httpx.TransportError as exc:
        raise Retryable(f"Google's token endpoint is unreachable ({type(exc).__name__}).") from None
    if reply.status_code == 429:
        raise RateLimited("Google's token endpoint is throttling token requests.", retry_after=60)
    if reply.status_code >= 500:
        raise Retryable(f"Google's token endpoint failed with HTTP {reply.status_code}.")
    body = _json(reply)
    if reply.status_code != 200:
        error = str(body.get("error") or f"HTTP {reply.status_code}")
        description = str(body.get("error_description") or "no description")
        raise AuthFailed(
            f"Google refused a token for service account {account.client_email}: "
            f"{error} ({description[:200]}). The key may be revoked or deleted, or this "
            "host's clock may be wrong.",
            code=error,
        )
    value = body.get("access_token")
    expires_in = body.get("expires_in")
    if not isinstance(value, str) or not value or not isinstance(expires_in, int | float):
        raise ConfigInvalid(
            "The token URI of the service account key answered without an access token: "
            "is it Google's token endpoint?",
            field=FIELD,
        )
    return AccessToken(value=value, expires_in=float(expires_in))


def _json(reply: httpx.Response) -> dict[str, object]:
    try:
        body = reply.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
