"""The conformance kit on the ``sensors`` source, pulling from the strict fake."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from junction.plugins.testing import ConformanceCase, conformance_suite
from junction.sources.sensors import SensorsSource
from tests.fakes.sensors import FakeSensors

SECRET = "sa-conformance-secret-31"
# Reads run against the real clock: start two days back, so a read is three windows.
HISTORY_START = (datetime.now(UTC) - timedelta(days=2)).date().isoformat()


def platform() -> FakeSensors:
    now_ms = int(time.time() * 1000)
    events = [
        {
            "type": "track",
            "event": "BuyProduct",
            "distinct_id": f"u-{n}",
            "time": now_ms - (n + 1) * 7 * 3_600_000,
            "properties": {"$is_login_id": True, "amount": 10 * n},
        }
        for n in range(4)
    ]
    return FakeSensors(SECRET, projects=("shop",), events=events)


VALID = {
    "project": "shop",
    "api_url": "https://sa.example.com:8107",
    "api_secret": SECRET,
    "history_start": HISTORY_START,
}

TestConformance = conformance_suite(
    ConformanceCase(
        connector=SensorsSource,
        valid_config=VALID,
        bad_credentials_config={**VALID, "api_secret": "sa-wrong-secret-8812"},
        transport_factory=lambda: platform().transport(),
    )
)
