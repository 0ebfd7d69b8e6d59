"""The ``google_ads`` destination passes the plugin conformance kit, on both APIs."""

from __future__ import annotations

from junction.destinations.google_ads import GoogleAds
from junction.plugins import Member, PreparedIdentifier
from junction.plugins.testing import ConformanceCase, conformance_suite

from .common import ADS_VALID, BAD, VALID, fake, member

MEMBERS = (
    member("k1", email="ada@example.com"),
    member("k2", email="grace@gmail.com", phone="+1 650 555 1212"),
    member("k3", phone="+44 20 7946 0958", consent={"ads": "granted"}),
    # An e-mail that was never hashed: refused alone, the rest still go.
    Member(
        key="k4",
        identifiers=(
            PreparedIdentifier(type="email", value="ada@example.com", platform_key="emailAddress"),
        ),
    ),
)

TestDataManagerConformance = conformance_suite(
    ConformanceCase(
        connector=GoogleAds,
        valid_config=VALID,
        bad_credentials_config=BAD,
        transport_factory=lambda: fake().transport(),
        sample_members=MEMBERS,
    )
)

TestOfflineJobConformance = conformance_suite(
    ConformanceCase(
        connector=GoogleAds,
        valid_config=ADS_VALID,
        bad_credentials_config={**ADS_VALID, "developer_token": "dev-token-wrong-9876"},
        transport_factory=lambda: fake().transport(),
        sample_members=MEMBERS,
    )
)
