"""TC3-HMAC-SHA256 against the published vector of the spec (a CVM call)."""

from __future__ import annotations

import hashlib

from junction.destinations.tencent_sms.signing import (
    authorization,
    canonical_request,
    signature,
    string_to_sign,
)

from ...fakes.tencent_sms import tc3_signature

SECRET_ID = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE"
SECRET_KEY = "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE"
TIMESTAMP = 1551113065
CONTENT_TYPE = "application/json; charset=utf-8"
HOST = "cvm.tencentcloudapi.com"
# The exact bytes, with literal backslash-u escapes.
BODY = rb'{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}'
SIGNATURE = "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"


def test_the_published_vector_step_by_step() -> None:
    assert hashlib.sha256(BODY).hexdigest() == (
        "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064"
    )
    canonical = canonical_request(CONTENT_TYPE, HOST, BODY)
    assert hashlib.sha256(canonical.encode()).hexdigest() == (
        "5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031"
    )
    assert string_to_sign(TIMESTAMP, "cvm", canonical) == (
        "TC3-HMAC-SHA256\n1551113065\n2019-02-25/cvm/tc3_request\n"
        "5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031"
    )
    assert signature(SECRET_KEY, TIMESTAMP, "cvm", canonical) == SIGNATURE


def test_the_published_authorization_header() -> None:
    header = authorization(
        SECRET_ID,
        SECRET_KEY,
        timestamp=TIMESTAMP,
        service="cvm",
        content_type=CONTENT_TYPE,
        host=HOST,
        body=BODY,
    )
    assert header == (
        "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/"
        f"tc3_request, SignedHeaders=content-type;host, Signature={SIGNATURE}"
    )


def test_the_fake_verifies_with_its_own_implementation() -> None:
    # For the sms service the fake and the plugin, written apart, must agree.
    canonical = canonical_request(CONTENT_TYPE, "sms.tencentcloudapi.com", b'{"a":"\xe8\x85\xbe"}')
    assert tc3_signature(SECRET_KEY, TIMESTAMP, canonical) == signature(
        SECRET_KEY, TIMESTAMP, "sms", canonical
    )


def test_the_scope_date_is_the_utc_date_of_the_timestamp() -> None:
    # 2019-02-25T23:59:59Z and one second later sign under different dates.
    late = 1551139199
    assert "\n2019-02-25/sms/" in string_to_sign(late, "sms", "x")
    assert "\n2019-02-26/sms/" in string_to_sign(late + 1, "sms", "x")
