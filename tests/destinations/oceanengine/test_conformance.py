"""The conformance kit against the strict fake: the contract every connector keeps."""

from __future__ import annotations

from junction.destinations.oceanengine import OceanEngineAudiences
from junction.plugins import Member, PreparedIdentifier
from junction.plugins.testing import ConformanceCase, conformance_suite

from ...fakes.oceanengine import FakeOceanEngine
from .support import config_for, phones

_FAKE = FakeOceanEngine()

TestConformance = conformance_suite(
    ConformanceCase(
        connector=OceanEngineAudiences,
        valid_config=config_for(_FAKE),
        bad_credentials_config=config_for(
            _FAKE, app_secret="ocean-wrong-secret-98765", refresh_token="ocean-wrong-refresh-4321"
        ),
        # A fresh platform per check; parsing finishes at once so a created data
        # source has its audience (and so its name) before the kit looks it up.
        transport_factory=lambda: FakeOceanEngine(parse_reads=0).transport(),
        sample_members=[
            *phones(3),
            # An unhashed phone: refused alone, before anything is uploaded.
            Member(
                key="raw-phone",
                identifiers=(
                    PreparedIdentifier(
                        type="phone", value="13800138000", platform_key="MOBILE_HASH_SHA256"
                    ),
                ),
            ),
        ],
    )
)
