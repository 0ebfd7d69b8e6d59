"""The custom bot's signature (shared/platforms/feishu.md §1.1).

Unlike DingTalk, Feishu uses ``f"{timestamp}\\n{secret}"`` as the HMAC-SHA256 *key*
and signs an empty message; mixing the two up is the usual cause of error 19021.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

__all__ = ["sign"]


def sign(timestamp: int, secret: str) -> str:
    """The ``sign`` field for a request made at ``timestamp`` (Unix seconds)."""
    key = f"{timestamp}\n{secret}".encode()
    digest = hmac.new(key, b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")
