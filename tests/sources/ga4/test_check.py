"""``check``: the key is validated, then one cheap call proves access."""

from __future__ import annotations

import pytest

from junction.plugins import AuthFailed, ConfigInvalid
from junction.sources.ga4 import GA4Source

from .conftest import EMAIL, Harness, bigquery_config, config, key_json


async def test_a_working_data_api_connection_checks_against_metadata(harness: Harness) -> None:
    result = await GA4Source().check(harness.context(config()))
    assert result.ok
    assert result.message == f"{EMAIL} can read GA4 property 123456789."
    assert ("GET", "/v1beta/properties/123456789/metadata") in harness.fake.calls
    assert harness.fake.report_bodies == []  # no report was run


async def test_a_dimension_the_property_lacks_is_named(harness: Harness) -> None:
    with pytest.raises(ConfigInvalid, match="no dimension 'customUser:plan'") as caught:
        await GA4Source().check(harness.context(config(dimensions=["customUser:plan"])))
    assert caught.value.field == "dimensions"


async def test_an_unregistered_user_id_dimension_is_named(harness: Harness) -> None:
    harness.fake.custom_dimensions = ()
    with pytest.raises(ConfigInvalid, match="must be registered in GA4") as caught:
        await GA4Source().check(harness.context(config(dimensions=[])))
    assert caught.value.field == "identifiers"


async def test_a_metric_the_property_lacks_is_named(harness: Harness) -> None:
    with pytest.raises(ConfigInvalid, match="no metric 'revenue'") as caught:
        await GA4Source().check(harness.context(config(metrics=["revenue"])))
    assert caught.value.field == "metrics"


async def test_a_property_the_account_cannot_see_fails_auth(harness: Harness) -> None:
    with pytest.raises(AuthFailed, match="Viewer on the GA4 property"):
        await GA4Source().check(harness.context(config(property_id="987654321")))


async def test_a_malformed_key_fails_before_any_call(harness: Harness) -> None:
    raw = config(service_account_key=key_json(type="authorized_user"))
    with pytest.raises(ConfigInvalid) as caught:
        await GA4Source().check(harness.context(raw))
    assert caught.value.field == "service_account_key"
    assert harness.fake.calls == []


async def test_a_working_bigquery_connection_checks_the_dataset(harness: Harness) -> None:
    result = await GA4Source().check(harness.context(bigquery_config()))
    assert result.ok
    assert "acme-analytics.analytics_123456789" in result.message
    assert harness.fake.queries == []  # a metadata call, no billed query


async def test_a_missing_dataset_is_named(harness: Harness) -> None:
    with pytest.raises(ConfigInvalid) as caught:
        await GA4Source().check(harness.context(bigquery_config(bigquery_dataset="nope")))
    assert caught.value.field == "bigquery_dataset"
