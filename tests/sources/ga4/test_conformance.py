"""The ``ga4`` source keeps the connector contract, in both modes, like any plugin.

The kit runs with real time, so the fake's data sits on days around today.
"""

from __future__ import annotations

from datetime import date, timedelta

from junction.plugins.manager import load_plugins
from junction.plugins.testing import ConformanceCase, conformance_suite
from junction.sources.ga4 import GA4Source

from ...fakes.ga4 import FakeGA4
from .conftest import EMAIL, KEY_ID, export_row, key_json, person, private_key

TODAY = date.today()
START = TODAY - timedelta(days=6)
OTHER_KEY = key_json(private_key(seed=1))


def _fake() -> FakeGA4:
    fake = FakeGA4(client_email=EMAIL, key_id=KEY_ID, public_key=private_key().public_key())
    for n in range(7):
        day = START + timedelta(days=n)
        fake.report_rows[day] = [person("u1"), person("u2", sessions=n + 1), person("u3")]
        fake.export_tables[day] = [export_row(day, second=s) for s in range(3)]
    return fake


DATA_API = {
    "property_id": "123456789",
    "service_account_key": key_json(),
    "start_date": START.isoformat(),
    "dimensions": ["customUser:tier"],
    "metrics": ["sessions"],
    "page_size": 2,
}
BIGQUERY = {
    "property_id": "123456789",
    "service_account_key": key_json(),
    "mode": "bigquery",
    "bigquery_project": "acme-analytics",
    "start_date": START.isoformat(),
    "page_size": 2,
}

TestDataApiConformance = conformance_suite(
    ConformanceCase(
        connector=GA4Source,
        valid_config=DATA_API,
        bad_credentials_config={**DATA_API, "service_account_key": OTHER_KEY},
        transport_factory=lambda: _fake().transport(),
    )
)

TestBigQueryConformance = conformance_suite(
    ConformanceCase(
        connector=GA4Source,
        valid_config=BIGQUERY,
        bad_credentials_config={**BIGQUERY, "service_account_key": OTHER_KEY},
        transport_factory=lambda: _fake().transport(),
    )
)


def test_it_registers_through_the_plugin_hook() -> None:
    plugins = load_plugins(builtins=("junction.sources.ga4",), entry_points=False)
    assert plugins.connector("ga4") is GA4Source
