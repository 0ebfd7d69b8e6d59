"""What the tencent_ads tests share: a config matching the fake, contexts, members."""

from __future__ import annotations

import hashlib
from typing import Any

import httpx

from junction.destinations.tencent_ads import TencentAds, TencentAdsConfig
from junction.plugins import ConnectorContext, Member, PreparedIdentifier

from ...fakes.tencent_ads import FakeTencentAds

ACCOUNT = 111111
CLIENT_ID = 1110001
CLIENT_SECRET = "tencent-app-secret-0001"
REFRESH_TOKEN = "tencent-refresh-token-0001"
API_BASE = "https://api.e.qq.com/v3.0"

VALID: dict[str, Any] = {
    "account_id": ACCOUNT,
    "client_id": CLIENT_ID,
    "client_secret": CLIENT_SECRET,
    "refresh_token": REFRESH_TOKEN,
}
BAD = {**VALID, "refresh_token": "tencent-refresh-token-WRONG"}


def md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def fake(**kwargs: Any) -> FakeTencentAds:
    return FakeTencentAds(
        account_id=ACCOUNT,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        refresh_token=REFRESH_TOKEN,
        **kwargs,
    )


def context(
    platform: FakeTencentAds, *, transport: httpx.AsyncBaseTransport | None = None, **config: Any
) -> ConnectorContext[TencentAdsConfig]:
    decoded = TencentAdsConfig(**{**VALID, **config})
    return ConnectorContext(
        connection="tencent", config=decoded, transport=transport or platform.transport()
    )


def phone(key: str, number: str) -> Member:
    """A member with a mobile number prepared as HASH_MOBILE_PHONE (MD5 of 11 digits)."""
    prepared = PreparedIdentifier(type="phone", value=md5(number), platform_key="HASH_MOBILE_PHONE")
    return Member(key=key, identifiers=(prepared,))


def member(key: str, *identifiers: tuple[str, str, str] | tuple[str, str, str, str]) -> Member:
    """A member from (type, platform_key, value[, scope]) tuples."""
    return Member(
        key=key,
        identifiers=tuple(
            PreparedIdentifier(type=t, platform_key=k, value=v, scope=s[0] if s else "")
            for t, k, v, *s in identifiers
        ),
    )


CONNECTOR = TencentAds()
