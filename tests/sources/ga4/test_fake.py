"""The fake refuses what Google refuses, so the connector's passing tests mean something."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from junction.sources.ga4.auth import ANALYTICS_SCOPE, BIGQUERY_SCOPE, fetch_token
from junction.sources.ga4.key import parse_key

from ...fakes.ga4 import FakeGA4
from .conftest import NOW, TODAY, key_json, person

REPORT = "https://analyticsdata.googleapis.com/v1beta/properties/123456789:runReport"
QUERIES = "https://bigquery.googleapis.com/bigquery/v2/projects/acme-analytics/queries"
GOOD_REPORT = {
    "dateRanges": [{"startDate": "2024-05-01", "endDate": "2024-05-01"}],
    "dimensions": [{"name": "customUser:user_id"}],
    "metrics": [{"name": "sessions"}],
    "limit": "10",
    "offset": "0",
}


async def _call(fake: FakeGA4, scope: str, method: str, url: str, **kwargs: Any) -> httpx.Response:
    async with httpx.AsyncClient(transport=fake.transport()) as client:
        token = await fetch_token(client, parse_key(key_json()), scope, NOW)
        headers = {"Authorization": f"Bearer {token.value}"}
        return await client.request(method, url, headers=headers, **kwargs)


async def test_a_well_formed_report_is_answered(fake: FakeGA4) -> None:
    fake.report_rows = {TODAY.replace(day=1): [person("u1")]}
    reply = await _call(fake, ANALYTICS_SCOPE, "POST", REPORT, json=GOOD_REPORT)
    assert reply.status_code == 200
    assert reply.json()["rowCount"] == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"limit": 10}, "limit must be an int64 in a JSON string"),
        ({"offset": -1}, "offset must be an int64"),
        ({"limit": "250001"}, "limit must be between 1 and 250000"),
        ({"property": "properties/123456789"}, 'Unknown name "property"'),
        ({"dateRanges": []}, "dateRanges must hold 1 to 4"),
        ({"dateRanges": [{"startDate": "5/1/2024", "endDate": "5/1/2024"}]}, "YYYY-MM-DD"),
        ({"dimensions": [{"name": f"d{n}"} for n in range(10)]}, "limited to 9 dimensions"),
        ({"metrics": [{"name": "revenue"}]}, "revenue is not a valid metric"),
        (
            {"orderBys": [{"dimension": {"dimensionName": "country"}}]},
            "orderBys must name a dimension or metric of the request",
        ),
    ],
)
async def test_a_malformed_report_is_invalid_argument(
    fake: FakeGA4, change: dict[str, Any], message: str
) -> None:
    reply = await _call(fake, ANALYTICS_SCOPE, "POST", REPORT, json={**GOOD_REPORT, **change})
    assert reply.status_code == 400
    assert reply.json()["error"]["status"] == "INVALID_ARGUMENT"
    assert message in reply.json()["error"]["message"]


async def test_a_token_of_the_wrong_scope_is_refused(fake: FakeGA4) -> None:
    reply = await _call(fake, BIGQUERY_SCOPE, "POST", REPORT, json=GOOD_REPORT)
    assert reply.status_code == 403
    assert reply.json()["error"]["message"] == "Request had insufficient authentication scopes."


async def test_legacy_sql_is_refused(fake: FakeGA4) -> None:
    body = {"query": "SELECT event_name FROM `acme-analytics.analytics_123456789.events_20240501`"}
    reply = await _call(fake, BIGQUERY_SCOPE, "POST", QUERIES, json=body)
    assert reply.status_code == 400
    assert reply.json()["error"]["errors"][0]["reason"] == "invalidQuery"


async def test_unknown_columns_and_tables_are_refused(fake: FakeGA4) -> None:
    table = "`acme-analytics.analytics_123456789.events_20240501`"
    fake.export_tables = {TODAY.replace(day=1): []}
    unknown = await _call(
        fake,
        BIGQUERY_SCOPE,
        "POST",
        QUERIES,
        json={"query": f"SELECT event_nam FROM {table}", "useLegacySql": False},
    )
    assert "Unrecognized name: event_nam" in unknown.json()["error"]["message"]
    missing = await _call(
        fake,
        BIGQUERY_SCOPE,
        "POST",
        QUERIES,
        json={"query": f"SELECT event_name FROM {table[:-3]}02`", "useLegacySql": False},
    )
    assert missing.status_code == 404
    assert "Not found: Table" in missing.json()["error"]["message"]


async def test_a_page_token_of_another_job_is_refused(fake: FakeGA4) -> None:
    day = TODAY.replace(day=1)
    fake.export_tables = {day: [{"event_name": "a"}, {"event_name": "b"}]}
    query = {
        "query": "SELECT event_name FROM `acme-analytics.analytics_123456789.events_20240501`",
        "useLegacySql": False,
        "maxResults": 1,
    }
    first = (await _call(fake, BIGQUERY_SCOPE, "POST", QUERIES, json=query)).json()
    second = (await _call(fake, BIGQUERY_SCOPE, "POST", QUERIES, json=query)).json()
    assert first["rows"] == [{"f": [{"v": "a"}]}]
    other_job = second["jobReference"]["jobId"]
    reply = await _call(
        fake,
        BIGQUERY_SCOPE,
        "GET",
        f"{QUERIES}/{other_job}",
        params={"pageToken": first["pageToken"]},
    )
    assert reply.status_code == 400
    assert reply.json()["error"]["message"] == "Invalid page token."
