"""The ``meta`` destination passes the plugin conformance kit against the strict fake."""

from __future__ import annotations

import hashlib

from junction.destinations.meta import MetaAudiences
from junction.plugins import Member, PreparedIdentifier
from junction.plugins.testing import ConformanceCase, conformance_suite

from .helpers import ACCOUNT, VALID, fake, member

MEMBERS = (
    member("k1", email="ada@example.com"),
    member("k2", phone="+1 (650) 555-1212", email="grace@example.com"),
    member("k3", idfa="AECE52E7-03EE-455A-B3C4-E57283966239", user_id="crm-42"),
    # An e-mail that was never hashed: Meta counts it invalid, the member is rejected.
    Member(
        key="k4",
        identifiers=(
            PreparedIdentifier(type="email", value="ada@example.com", platform_key="EMAIL"),
        ),
    ),
    # An MD5 where a SHA-256 belongs.
    Member(
        key="k5",
        identifiers=(
            PreparedIdentifier(
                type="phone",
                value=hashlib.md5(b"16505551212").hexdigest(),
                platform_key="PHONE",
            ),
        ),
    ),
)

TestMetaConformance = conformance_suite(
    ConformanceCase(
        connector=MetaAudiences,
        valid_config=VALID,
        bad_credentials_config={"ad_account_id": ACCOUNT, "access_token": "EAAWrongToken987654321"},
        transport_factory=lambda: fake().transport(),
        sample_members=MEMBERS,
    )
)
