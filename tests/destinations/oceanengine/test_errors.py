"""Failures map onto the plugin error hierarchy; tokens refresh once, through ctx.tokens,
and the rotated refresh token is kept; no secret reaches a message."""

from __future__ import annotations

import httpx
import pytest

from junction.destinations.oceanengine import OceanEngineAudiences
from junction.destinations.oceanengine.client import raise_for_code
from junction.plugins import (
    AuthFailed,
    ConfigInvalid,
    ConnectorContext,
    MemoryTokenStore,
    PermanentFailure,
    RateLimited,
    Retryable,
)

from ...fakes.oceanengine import FakeOceanEngine
from .support import context, phones, ready_audience, settle, users_of

connector = OceanEngineAudiences()
UPDATE = "2/dmp/data_source/update/"
UPLOAD = "2/dmp/data_source/file/upload/"


@pytest.mark.parametrize(
    ("code", "error"),
    [
        (40100, RateLimited),
        (40102, AuthFailed),
        (40103, AuthFailed),
        (40107, AuthFailed),
        (40110, AuthFailed),
        (40002, ConfigInvalid),
        (40000, PermanentFailure),
        (40001, PermanentFailure),
        (50000, Retryable),
        (51000, Retryable),
    ],
)
def test_envelope_codes_map_to_errors(code: int, error: type[Exception]) -> None:
    with pytest.raises(error) as raised:
        raise_for_code("2/dmp/x/", code, "why", "req-123")
    assert type(raised.value) is error
    assert raised.value.code == str(code)  # type: ignore[attr-defined]
    assert "req-123" in raised.value.message  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("fault", "error", "retry_after"),
    [
        ("rate_limit", RateLimited, None),
        ("http429", RateLimited, 2.0),
        ("busy", Retryable, None),
        ("http500", Retryable, None),
        ("timeout", Retryable, None),
    ],
)
async def test_transient_failures_are_retryable(
    fault: str, error: type[Retryable], retry_after: float | None
) -> None:
    fake = FakeOceanEngine(parse_reads=0)
    ctx = context(fake)
    audience = await ready_audience(connector, ctx)
    fake.fail(fault, path=UPDATE)
    with pytest.raises(error) as raised:
        await connector.add(ctx, audience, phones(3))
    assert type(raised.value) is error and raised.value.retry_after == retry_after
    # The engine sends the same batch again: it lands once.
    result = await connector.add(ctx, audience, phones(3))
    await settle(connector, ctx, result.job)
    assert fake.users() == users_of(phones(3))


async def test_an_update_applied_without_an_answer_is_safe_to_resend() -> None:
    fake = FakeOceanEngine(parse_reads=0)
    ctx = context(fake)
    audience = await ready_audience(connector, ctx)
    fake.fail("timeout_after", path=UPDATE)
    with pytest.raises(Retryable):
        await connector.add(ctx, audience, phones(4))
    result = await connector.add(ctx, audience, phones(4))
    await settle(connector, ctx, result.job)
    assert fake.operations[-2:] == [("append", 4), ("append", 4)]
    assert fake.users() == users_of(phones(4))


async def test_an_expired_token_is_refreshed_once_and_the_call_repeated() -> None:
    fake = FakeOceanEngine(parse_reads=0)
    tokens = MemoryTokenStore()
    ctx = context(fake, tokens=tokens)
    audience = await ready_audience(connector, ctx)
    assert fake.refreshes == 1
    configured = ctx.config.refresh_token
    fake.fail("expire_token", path=UPLOAD)
    result = await connector.add(ctx, audience, phones(2))
    await settle(connector, ctx, result.job)
    assert fake.refreshes == 2 and fake.errors[40102] == 1
    assert fake.users() == users_of(phones(2))
    # Each refresh rotated the refresh token; the store holds the newest, not the config's.
    assert fake.refresh_token != configured

    async def never() -> None:
        raise AssertionError("the stored refresh token should be used")

    assert await tokens.get("refresh_token", never) == fake.refresh_token  # type: ignore[arg-type]


async def test_a_token_refused_again_after_refreshing_stops_the_run() -> None:
    fake = FakeOceanEngine(parse_reads=0)
    ctx = context(fake)
    audience = await ready_audience(connector, ctx)
    fake.fail("expire_token", path=UPDATE, times=2)
    with pytest.raises(AuthFailed) as raised:
        await connector.add(ctx, audience, phones(2))
    assert raised.value.code == "40102"


async def test_a_refused_refresh_token_asks_for_a_new_authorization() -> None:
    fake = FakeOceanEngine()
    ctx = context(fake, refresh_token="ocean-revoked-refresh-token")
    with pytest.raises(AuthFailed, match="authorize the app") as raised:
        await ready_audience(connector, ctx)
    assert raised.value.code == "40107"
    assert "ocean-revoked-refresh-token" not in raised.value.message


async def test_a_wrong_app_secret_stops_the_run_and_stays_secret() -> None:
    fake = FakeOceanEngine()
    ctx = context(fake, app_secret="ocean-wrong-app-secret-555")
    with pytest.raises(AuthFailed) as raised:
        await ready_audience(connector, ctx)
    assert "ocean-wrong-app-secret-555" not in raised.value.message
    result = await connector.check(ctx)
    assert not result.ok and "ocean-wrong-app-secret-555" not in result.message


async def test_an_advertiser_the_app_may_not_use_is_a_config_error() -> None:
    fake = FakeOceanEngine()
    ctx = context(fake, advertiser_id="1760000000999")
    with pytest.raises(ConfigInvalid) as raised:
        await ready_audience(connector, ctx)
    assert raised.value.field == "advertiser_id"
    assert not (await connector.check(ctx)).ok


async def test_every_call_carries_the_access_token_header() -> None:
    fake = FakeOceanEngine(parse_reads=0)
    seen: list[httpx.Request] = []
    inner = fake.transport()

    async def spy(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return await inner.handle_async_request(request)

    ctx = context(fake)
    ctx = ConnectorContext(
        connection="ocean", config=ctx.config, transport=httpx.MockTransport(spy)
    )
    audience = await ready_audience(connector, ctx)
    await settle(connector, ctx, (await connector.add(ctx, audience, phones(1))).job)
    api = [r for r in seen if not r.url.path.endswith("oauth2/refresh_token/")]
    assert api and all(r.headers.get("Access-Token", "").startswith("ocean-access-") for r in api)
    assert all(r.url.path.startswith("/open_api/") and r.url.path.endswith("/") for r in seen)
    assert all(r.url.host == "api.oceanengine.com" for r in seen)
