"""Common parameters, access tokens, audiences and every return code's consequence."""

from __future__ import annotations

import time

import httpx
import pytest

from junction.destinations.tencent_ads.codes import error_for
from junction.plugins import (
    AudienceRequest,
    AuthFailed,
    CheckResult,
    ConfigInvalid,
    JobState,
    PermanentFailure,
    RateLimited,
    Retryable,
)

from ...fakes.tencent_ads import FakeTencentAds
from .common import CLIENT_SECRET, CONNECTOR, REFRESH_TOKEN, context, fake, phone


class Recorder:
    """Wraps the fake's transport to keep every request the connector made."""

    def __init__(self, platform: FakeTencentAds) -> None:
        self.platform = platform
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.platform.handle(request)


async def test_every_call_carries_fresh_common_parameters() -> None:
    platform = fake(processing_polls=0)
    recorder = Recorder(platform)
    ctx = context(platform, transport=httpx.MockTransport(recorder))
    audience = await CONNECTOR.ensure_audience(ctx, AudienceRequest(name="vips"))
    await CONNECTOR.add(ctx, audience, [phone("k", "13800138000")])
    api_calls = [r for r in recorder.requests if r.url.path.startswith("/v3.0/")]
    assert [r.url.path for r in api_calls] == [
        "/v3.0/custom_audiences/get",
        "/v3.0/custom_audiences/add",
        "/v3.0/custom_audience_files/add",
    ]
    nonces = set()
    for request in api_calls:
        params = request.url.params
        assert params["access_token"].startswith("tencent-at-1-")
        assert abs(int(params["timestamp"]) - time.time()) < 5
        assert len(params["nonce"]) <= 32
        nonces.add(params["nonce"])
    assert len(nonces) == len(api_calls)
    # One token for the whole operation: the refresh ran once, with the app's secret.
    (oauth,) = [r for r in recorder.requests if r.url.path == "/oauth/token"]
    assert oauth.url.params["grant_type"] == "refresh_token"
    assert oauth.url.params["refresh_token"] == REFRESH_TOKEN
    assert api_calls[1].headers["content-type"] == "application/json"
    assert api_calls[2].headers["content-type"].startswith("multipart/form-data")


async def test_an_expired_token_is_refreshed_once_and_the_call_resent() -> None:
    platform = fake()
    ctx = context(platform)
    audience = await CONNECTOR.ensure_audience(ctx, AudienceRequest(name="vips"))
    platform.fail_next("expire_token", path="custom_audience_files/add")
    result = await CONNECTOR.add(ctx, audience, [phone("k", "13800138000")])
    assert result.results[0].key == "k" and len(platform.files) == 1
    assert platform.tokens_issued == 2
    assert [code for _, code, _ in platform.refused] == [11000]


async def test_a_token_refused_after_its_refresh_stops_the_run() -> None:
    platform = fake()
    ctx = context(platform)
    audience = await CONNECTOR.ensure_audience(ctx, AudienceRequest(name="vips"))
    platform.fail_next("expire_token", times=2)
    with pytest.raises(AuthFailed) as caught:
        await CONNECTOR.add(ctx, audience, [phone("k", "13800138000")])
    assert caught.value.code == "11000"


async def test_an_expired_refresh_token_is_auth_failed_without_secrets() -> None:
    platform = fake()
    platform.refresh_expired = True
    ctx = context(platform)
    with pytest.raises(AuthFailed) as caught:
        await CONNECTOR.ensure_audience(ctx, AudienceRequest(name="vips"))
    assert caught.value.code == "11012" and "re-authorize" in caught.value.message
    assert REFRESH_TOKEN not in str(caught.value) and CLIENT_SECRET not in str(caught.value)


@pytest.mark.parametrize(
    ("fault", "error", "code", "retry_after"),
    [
        ("system_busy", RateLimited, "10000", 1.0),
        ("rate_limit", RateLimited, "11017", 60.0),
        ("per_second", RateLimited, "11016", 1.0),
        ("sys_exception", Retryable, "30001", 1.0),
        ("http_429", RateLimited, None, 2.0),
        ("http_500", Retryable, None, 2.0),
        ("timeout", Retryable, None, None),
    ],
)
async def test_platform_failures_map_to_the_engines_errors(
    fault: str, error: type[Exception], code: str | None, retry_after: float | None
) -> None:
    platform = fake()
    ctx = context(platform)
    audience = await CONNECTOR.ensure_audience(ctx, AudienceRequest(name="vips"))
    platform.fail_next(fault, path="custom_audience_files/add")
    with pytest.raises(error) as caught:
        await CONNECTOR.add(ctx, audience, [phone("k", "13800138000")])
    assert type(caught.value) is error
    assert caught.value.code == code  # type: ignore[attr-defined]
    assert caught.value.retry_after == retry_after  # type: ignore[attr-defined]
    assert "tencent-at-" not in str(caught.value)  # the token never shows
    # Nothing half-applied: the engine resends the batch and it goes through.
    result = await CONNECTOR.add(ctx, audience, [phone("k", "13800138000")])
    assert result.job is not None


async def test_a_lost_answer_is_safe_to_resend() -> None:
    platform = fake(processing_polls=0)
    ctx = context(platform)
    audience = await CONNECTOR.ensure_audience(ctx, AudienceRequest(name="vips"))
    platform.fail_next("timeout_after", path="custom_audience_files/add")
    with pytest.raises(Retryable):
        await CONNECTOR.add(ctx, audience, [phone("k", "13800138000")])
    await CONNECTOR.add(ctx, audience, [phone("k", "13800138000")])
    assert len(platform.files) == 2
    assert platform.members(audience.id) == {
        ("HASH_MOBILE_PHONE", phone("k", "13800138000").identifiers[0].value)
    }


def test_return_codes_map_by_consequence() -> None:
    assert isinstance(error_for(11018, "daily", what="x"), RateLimited)
    assert 0 < (error_for(11018, "daily", what="x").retry_after or 0) <= 86400  # type: ignore[attr-defined]
    assert isinstance(error_for(10001, "maintenance", what="x"), Retryable)
    assert isinstance(error_for(30104, "one minute", what="x"), RateLimited)
    for code in (11007, 11010, 11012, 11014):
        assert isinstance(error_for(code, "", what="x"), AuthFailed)
    assert isinstance(error_for(12000, "missing", what="x"), PermanentFailure)
    assert isinstance(error_for(31033, "no whitelist", what="x"), PermanentFailure)
    assert error_for(31033, "no whitelist", what="x").code == "31033"


async def test_a_clock_off_by_more_than_300_seconds_is_retryable() -> None:
    platform = fake(clock=lambda: time.time() + 1000)
    ctx = context(platform)
    with pytest.raises(Retryable) as caught:
        await CONNECTOR.ensure_audience(ctx, AudienceRequest(name="vips"))
    assert "300 s" in caught.value.message


async def test_ensure_audience_finds_by_id_then_by_name_across_pages() -> None:
    platform = fake()
    ctx = context(platform)
    for i in range(150):
        await CONNECTOR.ensure_audience(ctx, AudienceRequest(name=f"segment-{i}"))
    assert len(platform.audiences) == 150
    wanted = platform.audience_named("segment-123")
    by_name = await CONNECTOR.ensure_audience(ctx, AudienceRequest(name="segment-123"))
    assert by_name.id == str(wanted.audience_id) and by_name.size == 0
    assert by_name.data == {"status": "SUCCESS", "online_status": "ONLINE"}
    by_id = await CONNECTOR.ensure_audience(
        ctx, AudienceRequest(name="renamed", existing_id=str(wanted.audience_id))
    )
    assert by_id.id == by_name.id and by_id.name == "segment-123"
    # A remembered id that is gone falls back to the name, then to creating it.
    gone = await CONNECTOR.ensure_audience(
        ctx, AudienceRequest(name="segment-7", existing_id="999")
    )
    assert gone.id == str(platform.audience_named("segment-7").audience_id)
    assert len(platform.audiences) == 150
    created = await CONNECTOR.ensure_audience(
        ctx, AudienceRequest(name="new", description="from Junction", existing_id="999")
    )
    assert platform.audiences[int(created.id)].description == "from Junction"


async def test_check_reports_the_account() -> None:
    platform = fake()
    await CONNECTOR.ensure_audience(context(platform), AudienceRequest(name="vips"))
    result = await CONNECTOR.check(context(platform))
    assert result == CheckResult(
        ok=True, message="Tencent Ads account 111111 is reachable; it has 1 audiences."
    )


async def test_check_names_a_wrong_account() -> None:
    with pytest.raises(ConfigInvalid) as caught:
        await CONNECTOR.check(context(fake(), account_id=222222))
    assert caught.value.field == "account_id" and caught.value.code == "31002"


async def test_check_refuses_a_wrong_app_secret() -> None:
    result = await CONNECTOR.check(context(fake(), client_secret="tencent-wrong-secret"))
    assert not result.ok
    assert "check the connection's app id" in result.message
    assert "tencent-wrong-secret" not in result.message


async def test_poll_keeps_waiting_through_transient_errors() -> None:
    platform = fake(processing_polls=2)
    ctx = context(platform)
    audience = await CONNECTOR.ensure_audience(ctx, AudienceRequest(name="vips"))
    result = await CONNECTOR.add(ctx, audience, [phone("k", "13800138000")])
    assert result.job is not None
    platform.fail_next("system_busy", path="custom_audience_files/get")
    busy = await CONNECTOR.poll(ctx, result.job)
    assert busy.state is JobState.PENDING and "status unavailable" in (busy.message or "")
    assert (await CONNECTOR.poll(ctx, result.job)).state is JobState.PENDING
    done = await CONNECTOR.poll(ctx, result.job)
    assert done.state is JobState.SUCCEEDED and done.matched == 1
