"""The webhook signature: HMAC-SHA256 over the timestamp and the exact body.

    X-Junction-Timestamp: 1767225600
    X-Junction-Signature: v1=<hex HMAC-SHA256(secret, "1767225600." + body)>

Signing the timestamp with the body lets a receiver refuse replays: it checks the
signature with a constant-time comparison and that the timestamp is recent (five
minutes is customary, as with Stripe and Slack).
"""

from __future__ import annotations

import hashlib
import hmac

__all__ = ["SIGNATURE_HEADER", "TIMESTAMP_HEADER", "sign"]

TIMESTAMP_HEADER = "X-Junction-Timestamp"
SIGNATURE_HEADER = "X-Junction-Signature"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header value for ``body`` sent at ``timestamp`` (Unix seconds)."""
    message = str(timestamp).encode() + b"." + body
    return "v1=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
