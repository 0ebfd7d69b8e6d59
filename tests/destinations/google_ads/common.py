"""Shared inputs of the google_ads tests: configs, members, contexts."""

from __future__ import annotations

from typing import Any

import msgspec

from junction.core.pii import PiiRegistry
from junction.destinations.google_ads import GoogleAds, GoogleAdsConfig
from junction.plugins import ConnectorContext, Member, PreparedIdentifier

from ...fakes.google_ads import FakeGoogleAds

CUSTOMER = "1234567890"
MANAGER = "9876543210"
CLIENT_ID = "client-id.apps.googleusercontent.com"
CLIENT_SECRET = "oauth-client-secret-123"
REFRESH = "1//refresh-token-abcdef"
DEV_TOKEN = "dev-token-abcdef123"

VALID: dict[str, Any] = {
    "customer_id": CUSTOMER,
    "login_customer_id": MANAGER,
    "client_id": CLIENT_ID,
    "client_secret": CLIENT_SECRET,
    "refresh_token": REFRESH,
}
ADS_VALID: dict[str, Any] = {
    **VALID,
    "api": "offline_user_data_job",
    "developer_token": DEV_TOKEN,
}
BAD = {**VALID, "refresh_token": "1//revoked-refresh-token-999"}

_REGISTRY = PiiRegistry(default_region="US")
_RULES = {rule.type: rule for rule in GoogleAds.spec.accepts}


def fake(**kwargs: Any) -> FakeGoogleAds:
    kwargs.setdefault("login_customer_id", MANAGER)
    return FakeGoogleAds(customer_id=CUSTOMER, **kwargs)


def identifier(kind: str, raw: str) -> PreparedIdentifier:
    """``raw`` prepared exactly as the sync engine prepares it for this connector."""
    rule = _RULES[kind]
    return PreparedIdentifier(
        type=kind, value=_REGISTRY.prepare(raw, rule), platform_key=rule.platform_key
    )


def member(key: str, consent: dict[str, str] | None = None, **raw: str) -> Member:
    return Member(
        key=key,
        identifiers=tuple(identifier(kind, value) for kind, value in raw.items()),
        consent=consent or {},
    )


def context(
    google: FakeGoogleAds, config: dict[str, Any] | None = None, **overrides: Any
) -> ConnectorContext[GoogleAdsConfig]:
    decoded = msgspec.convert({**(config or VALID), **overrides}, type=GoogleAdsConfig)
    return ConnectorContext(connection="google", config=decoded, transport=google.transport())
