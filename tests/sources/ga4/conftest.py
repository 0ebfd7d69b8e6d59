"""A throwaway service account, the fake Google it is registered with, and helpers.

Time is frozen at ``NOW`` both in the connector's context and in the fake's clock, so
"today", token lifetimes and JWT timestamps agree.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import msgspec
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from junction.plugins import Checkpoint, ConnectorContext, Record
from junction.sources.ga4 import GA4Config, GA4Source

from ...fakes.ga4 import TOKEN_URI, FakeGA4, ReportRow

NOW = datetime(2024, 5, 10, 12, 0, tzinfo=UTC)
TODAY = NOW.date()
EMAIL = "junction-reader@acme-analytics.iam.gserviceaccount.com"
KEY_ID = "0f3c1b2a9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a"


def private_key(seed: int = 0) -> RSAPrivateKey:
    """The throwaway RSA key number ``seed``, made once per test session (it is slow)."""
    return _generated_key(seed)


@functools.cache
def _generated_key(seed: int) -> RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def key_json(key: RSAPrivateKey | None = None, **overrides: Any) -> str:
    """A service-account key file, as Google Cloud hands it out."""
    pem = (key or private_key()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    document = {
        "type": "service_account",
        "project_id": "acme-analytics",
        "private_key_id": KEY_ID,
        "private_key": pem.decode(),
        "client_email": EMAIL,
        "client_id": "104729384756102938475",
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": TOKEN_URI,
        **overrides,
    }
    return json.dumps({k: v for k, v in document.items() if v is not None})


def make_fake(clock: Callable[[], float] | None = None, **kwargs: Any) -> FakeGA4:
    return FakeGA4(
        client_email=EMAIL,
        key_id=KEY_ID,
        public_key=private_key().public_key(),
        clock=clock or NOW.timestamp,
        **kwargs,
    )


def config(**overrides: Any) -> dict[str, Any]:
    return {
        "property_id": "123456789",
        "service_account_key": key_json(),
        "start_date": (TODAY - timedelta(days=7)).isoformat(),
        "dimensions": ["customUser:tier"],
        "metrics": ["sessions", "purchaseRevenue"],
        "page_size": 2,
        **overrides,
    }


def bigquery_config(**overrides: Any) -> dict[str, Any]:
    return {
        "property_id": "123456789",
        "service_account_key": key_json(),
        "mode": "bigquery",
        "bigquery_project": "acme-analytics",
        "start_date": (TODAY - timedelta(days=7)).isoformat(),
        "page_size": 2,
        **overrides,
    }


class FrozenContext(ConnectorContext[GA4Config]):
    def now(self) -> datetime:
        return NOW


@dataclass
class Harness:
    """Runs the connector against one fake, carrying the checkpointed state along."""

    fake: FakeGA4
    caplog: pytest.LogCaptureFixture

    def context(self, raw: dict[str, Any], state: dict[str, Any] | None = None) -> FrozenContext:
        return FrozenContext(
            connection="ga4-test",
            config=msgspec.convert(raw, GA4Config),
            state=state,
            transport=self.fake.transport(),
            log=logging.getLogger("junction.connector.ga4-test"),
        )

    async def read(
        self, raw: dict[str, Any], state: dict[str, Any] | None = None
    ) -> list[Record | Checkpoint]:
        ctx = self.context(raw, state)
        return [item async for item in GA4Source().read(ctx)]


@pytest.fixture
def fake() -> FakeGA4:
    return make_fake()


@pytest.fixture
def harness(fake: FakeGA4, caplog: pytest.LogCaptureFixture) -> Harness:
    caplog.set_level(logging.INFO, logger="junction.connector")
    return Harness(fake, caplog)


def person(user: str, tier: str = "gold", sessions: int = 1, revenue: float = 0.0) -> ReportRow:
    return ReportRow(
        dimensions={"customUser:user_id": user, "customUser:tier": tier},
        metrics={"sessions": sessions, "purchaseRevenue": revenue},
    )


def export_row(
    day: date,
    *,
    name: str = "purchase",
    user_id: str | None = "u-1",
    pseudo_id: str | None = "1234567.7654321",
    second: int = 0,
    params: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A row of the GA4 export, typed values in their value-struct fields."""
    stamp = datetime(day.year, day.month, day.day, 8, 0, second, tzinfo=UTC)
    return {
        "event_date": f"{day:%Y%m%d}",
        "event_timestamp": int(stamp.timestamp()) * 1_000_000 + 123,
        "event_name": name,
        "event_params": [
            {"key": key, "value": _typed(value)} for key, value in (params or {}).items()
        ],
        "event_bundle_sequence_id": 7,
        "user_id": user_id,
        "user_pseudo_id": pseudo_id,
        "user_properties": [{"key": "tier", "value": {"string_value": "gold"}}],
        "platform": "WEB",
        "stream_id": "555",
    }


def _typed(value: Any) -> dict[str, Any]:
    if isinstance(value, bool | int):
        return {"int_value": int(value)}
    if isinstance(value, float):
        return {"double_value": value}
    return {"string_value": value}
