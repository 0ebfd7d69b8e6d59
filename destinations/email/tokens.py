"""Signed unsubscribe tokens: who unsubscribes from what, verifiable without a database.

A token is ``<payload>.<mac>``, both base64url without padding: the payload is compact
JSON ``{"c": connection, "e": e-mail, "p": purpose, "t": issued-at (Unix s)}``, the mac
HMAC-SHA256 of the payload text under the connection's ``unsubscribe_secret``.

The payload is readable by anyone holding the link (it is the recipient's own address,
in a link sent to that address); it can't be altered without the secret. The route
reads the connection name from the unverified payload only to pick the key, then
verifies the mac before believing anything else in it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from datetime import datetime, timedelta

import msgspec

__all__ = ["TokenError", "TokenExpired", "TokenForged", "Unsubscribe", "peek", "sign", "verify"]

#: Tokens end up in URLs; anything longer than this is not one of ours.
MAX_TOKEN_LENGTH = 2048


class TokenError(ValueError):
    """The token is malformed: not something this hub issued."""


class TokenForged(TokenError):
    """The token's signature does not verify with the connection's secret."""


class TokenExpired(TokenError):
    """The token verified but is older than the connection allows."""


class Unsubscribe(
    msgspec.Struct,
    frozen=True,
    forbid_unknown_fields=True,
    rename={"connection": "c", "email": "e", "purpose": "p", "issued_at": "t"},
):
    """What a token says: ``email`` withdraws ``purpose`` from ``connection``'s mail.

    Encoded with one-letter keys: the token travels in a URL in a mail header.
    """

    connection: str
    email: str
    purpose: str
    #: Unix seconds.
    issued_at: int


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise TokenError("the token is not base64url") from None


def _mac(secret: str, payload: str) -> bytes:
    return hmac.new(secret.encode("utf-8"), payload.encode("ascii"), hashlib.sha256).digest()


def sign(secret: str, *, connection: str, email: str, purpose: str, issued_at: datetime) -> str:
    """A token for ``email`` withdrawing ``purpose`` from ``connection``'s mail."""
    unsubscribe = Unsubscribe(
        connection=connection, email=email, purpose=purpose, issued_at=int(issued_at.timestamp())
    )
    payload = _b64(msgspec.json.encode(unsubscribe))
    return f"{payload}.{_b64(_mac(secret, payload))}"


def peek(token: str) -> Unsubscribe:
    """The token's claims, **unverified**: only to find the connection whose key verifies it.

    Raises:
        TokenError: the token is malformed.
    """
    if not token or len(token) > MAX_TOKEN_LENGTH or token.count(".") != 1:
        raise TokenError("the token is malformed")
    payload, _ = token.split(".")
    try:
        return msgspec.json.decode(_unb64(payload), type=Unsubscribe)
    except msgspec.DecodeError:
        raise TokenError("the token's payload is malformed") from None


def verify(secret: str, token: str, *, now: datetime, max_age: timedelta) -> Unsubscribe:
    """The token's claims once its signature and age check out.

    Raises:
        TokenError: it is malformed.
        TokenForged: its signature does not verify with ``secret``.
        TokenExpired: it was issued more than ``max_age`` before ``now``.
    """
    claims = peek(token)
    payload, mac = token.split(".")
    if not hmac.compare_digest(_unb64(mac), _mac(secret, payload)):
        raise TokenForged("the token's signature does not verify")
    age = now.timestamp() - claims.issued_at
    if age > max_age.total_seconds():
        raise TokenExpired(
            f"the link expired {int((age - max_age.total_seconds()) // 86400)} days ago"
        )
    # A token from the future was not issued by this hub's clock (small skew aside).
    if age < -300:
        raise TokenError("the token was issued in the future")
    return claims
