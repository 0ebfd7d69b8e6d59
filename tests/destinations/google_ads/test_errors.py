"""Google's error envelope, read from either API, becomes the right plugin error."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from junction.destinations.google_ads.errors import InvalidArgument, parse, plugin_error
from junction.plugins import AuthFailed, ConfigInvalid, PermanentFailure, RateLimited, Retryable


def answer(status: int, error: dict[str, Any] | None = None, **headers: str) -> httpx.Response:
    return httpx.Response(status, json={"error": error} if error else None, headers=headers)


def dm(code: int, status: str, reason: str, field: str | None = None, **meta: str) -> dict:
    details: list[dict[str, Any]] = [
        {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": reason, "metadata": meta},
        {"@type": "type.googleapis.com/google.rpc.RequestInfo", "requestId": "req-1"},
    ]
    if field:
        details.append(
            {
                "@type": "type.googleapis.com/google.rpc.BadRequest",
                "fieldViolations": [{"field": field, "reason": reason, "description": "bad"}],
            }
        )
    return {"code": code, "status": status, "message": "m", "details": details}


@pytest.mark.parametrize(
    "field", ["audience_members[12].user_data.user_identifiers[0]", "audienceMembers[12].userData"]
)
def test_member_indices_are_read_in_both_casings(field: str) -> None:
    error = parse(answer(400, dm(400, "INVALID_ARGUMENT", "INVALID_HEX_ENCODING", field)))
    assert [v.member_index for v in error.violations] == [12]
    assert error.request_id == "req-1"
    mapped = plugin_error(error, "ingest")
    assert isinstance(mapped, InvalidArgument) and mapped.code == "INVALID_HEX_ENCODING"


def test_quota_per_minute_and_per_day_wait_differently() -> None:
    minute = dm(
        429,
        "RESOURCE_EXHAUSTED",
        "RESOURCE_EXHAUSTED",
        quota_limit="IngestionMutateRequestsPerMinutePerProject",
    )
    day = dm(
        429,
        "RESOURCE_EXHAUSTED",
        "RESOURCE_EXHAUSTED",
        quota_limit="IngestionMutateRequestsPerDayPerProject",
    )
    assert plugin_error(parse(answer(429, minute)), "x").retry_after == 60  # type: ignore[attr-defined]
    assert plugin_error(parse(answer(429, day)), "x").retry_after == 3600  # type: ignore[attr-defined]
    hinted = plugin_error(parse(answer(429, minute, **{"Retry-After": "7"})), "x")
    assert isinstance(hinted, RateLimited) and hinted.retry_after == 7


def test_google_ads_failures_are_read_by_error_code() -> None:
    body = {
        "code": 400,
        "status": "INVALID_ARGUMENT",
        "message": "m",
        "details": [
            {
                "@type": "type.googleapis.com/google.ads.googleads.v22.errors.GoogleAdsFailure",
                "errors": [
                    {
                        "errorCode": {"offlineUserDataJobError": "INCOMPATIBLE_UPLOAD_KEY_TYPE"},
                        "location": {
                            "fieldPathElements": [{"fieldName": "operations", "index": 3}]
                        },
                    }
                ],
                "requestId": "ads-req",
            }
        ],
    }
    error = parse(answer(400, body))
    assert error.reasons == ("INCOMPATIBLE_UPLOAD_KEY_TYPE",) and error.request_id == "ads-req"
    assert error.violations[0].member_index == 3
    assert isinstance(plugin_error(error, "x"), ConfigInvalid)


@pytest.mark.parametrize(
    ("status", "error", "expected"),
    [
        (500, dm(500, "INTERNAL", "INTERNAL_ERROR"), Retryable),
        (503, None, Retryable),  # an HTML page from a proxy: still transient
        (504, dm(504, "DEADLINE_EXCEEDED", "DEADLINE_EXCEEDED"), Retryable),
        (409, dm(409, "ABORTED", "CONCURRENT_MODIFICATION"), Retryable),
        (409, dm(409, "ALREADY_EXISTS", "DISPLAY_NAME_ALREADY_USED"), PermanentFailure),
        (404, dm(404, "NOT_FOUND", "NOT_FOUND"), ConfigInvalid),
        (403, dm(403, "PERMISSION_DENIED", "PERMISSION_DENIED"), AuthFailed),
        (401, dm(401, "UNAUTHENTICATED", "UNAUTHENTICATED"), AuthFailed),
        (400, dm(400, "INVALID_ARGUMENT", "TERMS_AND_CONDITIONS_NOT_SIGNED"), ConfigInvalid),
        (400, dm(400, "FAILED_PRECONDITION", "JOB_ALREADY_STARTED"), PermanentFailure),
    ],
)
def test_status_and_reason_decide_the_error(
    status: int, error: dict | None, expected: type[Exception]
) -> None:
    mapped = plugin_error(parse(answer(status, error)), "ingest audience members")
    assert type(mapped) is expected
    assert "ingest audience members" in mapped.message
