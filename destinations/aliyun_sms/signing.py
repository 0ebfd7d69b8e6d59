"""Aliyun's RPC request signature (V2, "signature 1.0"): HMAC-SHA1 over the sorted query.

    StringToSign = METHOD + "&" + encode("/") + "&" + encode(canonicalized query)
    Signature    = base64(HMAC-SHA1(AccessKeySecret + "&", StringToSign))

The canonicalized query is every parameter but ``Signature``, names and values
percent-encoded as RFC 3986 says (only ``A-Z a-z 0-9 - _ . ~`` stay as they are, so a
space is ``%20`` and ``*`` is ``%2A``), sorted by encoded name and joined with ``&``.
The query is encoded a second time inside the string to sign. Both published test
vectors of shared/platforms/aliyun-sms.md are in the tests.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from urllib.parse import quote

__all__ = ["canonical_query", "percent_encode", "sign", "signed_body", "string_to_sign"]


def percent_encode(text: str) -> str:
    """RFC 3986 encoding of UTF-8 ``text``: unreserved characters kept, the rest ``%XX``."""
    # quote() keeps "_.-~" and alphanumerics when safe is "~" only; everything else,
    # "/" and "*" included, becomes upper-case %XX, as Aliyun requires.
    return quote(text.encode("utf-8"), safe="~")


def canonical_query(params: Mapping[str, str]) -> str:
    """``params`` (without ``Signature``) encoded, sorted by encoded name, joined by ``&``."""
    pairs = sorted((percent_encode(name), percent_encode(value)) for name, value in params.items())
    return "&".join(f"{name}={value}" for name, value in pairs)


def string_to_sign(method: str, params: Mapping[str, str]) -> str:
    """What the signature covers: the method, the path ``/`` and the query, encoded."""
    return f"{method.upper()}&{percent_encode('/')}&{percent_encode(canonical_query(params))}"


def sign(secret: str, method: str, params: Mapping[str, str]) -> str:
    """The ``Signature`` parameter for ``params`` sent with ``method``."""
    key = (secret + "&").encode("utf-8")
    digest = hmac.new(key, string_to_sign(method, params).encode("utf-8"), hashlib.sha1)
    return base64.b64encode(digest.digest()).decode("ascii")


def signed_body(secret: str, params: Mapping[str, str]) -> bytes:
    """A POST form body: the canonical query with its ``Signature`` appended."""
    signature = sign(secret, "POST", params)
    query = f"{canonical_query(params)}&Signature={percent_encode(signature)}"
    return query.encode("ascii")
