"""The conformance kit on the ``tencent_ads`` connector, against the strict fake."""

from __future__ import annotations

from junction.destinations.tencent_ads import TencentAds
from junction.plugins.testing import ConformanceCase, conformance_suite

from .common import BAD, VALID, fake, md5, member, phone

MEMBERS = (
    phone("k1", "13800138000"),
    phone("k2", "13900139000"),
    member("k3", ("idfa", "HASH_IDFA", md5("FF1999CD-7177-4937-A474-74937A102630"))),
    member("k4", ("wechat_openid", "WECHAT_OPENID", "oAbCdEfGhIjKlMnOpQrStUvWxYz0", "wx1234")),
    # An unhashed phone: refused by the connector itself, alone.
    member("k5", ("phone", "HASH_MOBILE_PHONE", "13800138000")),
)

TestTencentAdsConformance = conformance_suite(
    ConformanceCase(
        connector=TencentAds,
        valid_config=VALID,
        bad_credentials_config=BAD,
        transport_factory=lambda: fake().transport(),
        sample_members=MEMBERS,
    )
)
