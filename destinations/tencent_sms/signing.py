"""Tencent Cloud API 3.0 request signing: TC3-HMAC-SHA256.

    CanonicalRequest = "POST\n/\n\ncontent-type:<ct>\nhost:<host>\n\ncontent-type;host\n"
                       + hex(SHA256(body))
    StringToSign     = "TC3-HMAC-SHA256\n" + timestamp + "\n" + scope + "\n"
                       + hex(SHA256(CanonicalRequest)),  scope = "<date>/<service>/tc3_request"
    SecretSigning    = HMAC(HMAC(HMAC("TC3" + SecretKey, date), service), "tc3_request")
    Signature        = hex(HMAC(SecretSigning, StringToSign))

``date`` is the UTC date of the timestamp. The spec's published vector (a CVM call) is
in the tests; SMS differs only in service, host, action and version.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime

__all__ = [
    "ALGORITHM",
    "SIGNED_HEADERS",
    "authorization",
    "canonical_request",
    "credential_scope",
    "signature",
    "string_to_sign",
    "utc_date",
]

ALGORITHM = "TC3-HMAC-SHA256"
SIGNED_HEADERS = "content-type;host"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()


def utc_date(timestamp: int) -> str:
    """The UTC date (YYYY-MM-DD) the credential scope of ``timestamp`` names."""
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")


def credential_scope(timestamp: int, service: str) -> str:
    return f"{utc_date(timestamp)}/{service}/tc3_request"


def canonical_request(content_type: str, host: str, body: bytes) -> str:
    """The canonical form of a POST to ``/`` with the two headers the SDK signs."""
    headers = f"content-type:{content_type}\nhost:{host}\n"
    return f"POST\n/\n\n{headers}\n{SIGNED_HEADERS}\n{_sha256(body)}"


def string_to_sign(timestamp: int, service: str, canonical: str) -> str:
    scope = credential_scope(timestamp, service)
    return f"{ALGORITHM}\n{timestamp}\n{scope}\n{_sha256(canonical.encode('utf-8'))}"


def signature(secret_key: str, timestamp: int, service: str, canonical: str) -> str:
    """The lower-case hex signature of ``canonical`` sent at ``timestamp``."""
    key = _hmac(("TC3" + secret_key).encode("utf-8"), utc_date(timestamp))
    key = _hmac(_hmac(key, service), "tc3_request")
    return hmac.new(
        key, string_to_sign(timestamp, service, canonical).encode("utf-8"), hashlib.sha256
    ).hexdigest()


def authorization(
    secret_id: str,
    secret_key: str,
    *,
    timestamp: int,
    service: str,
    content_type: str,
    host: str,
    body: bytes,
) -> str:
    """The ``Authorization`` header for a POST of ``body`` to ``host``."""
    canonical = canonical_request(content_type, host, body)
    scope = credential_scope(timestamp, service)
    signed = signature(secret_key, timestamp, service, canonical)
    return (
        f"{ALGORITHM} Credential={secret_id}/{scope}, "
        f"SignedHeaders={SIGNED_HEADERS}, Signature={signed}"
    )
