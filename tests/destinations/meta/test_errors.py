"""How Meta's failures reach the engine: each code onto the error hierarchy, with the
platform's wait hints as ``retry_after``, and no secret in any message."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from junction.destinations.meta import MetaAudiences
from junction.destinations.meta.errors import GraphError, error_for, retry_after
from junction.plugins import (
    Audience,
    AudienceRequest,
    AuthFailed,
    ConfigInvalid,
    PermanentFailure,
    PluginError,
    RateLimited,
    Retryable,
)

from ...fakes.meta import FakeMeta
from .helpers import APP_SECRET, TOKEN, context, fake, member


def answer(
    code: int | None,
    *,
    subcode: int | None = None,
    transient: bool = False,
    status: int = 400,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    error: dict[str, Any] = {"message": "boom", "type": "OAuthException", "code": code}
    if subcode is not None:
        error["error_subcode"] = subcode
    if transient:
        error["is_transient"] = True
    return httpx.Response(status, json={"error": error}, headers=headers or {})


def mapped(response: httpx.Response) -> PluginError:
    return error_for(response, "adding rows", GraphError.parse(response.json()))


@pytest.mark.parametrize(
    ("response", "kind", "code"),
    [
        (answer(17, subcode=2446079, transient=True), RateLimited, "17/2446079"),
        (answer(4), RateLimited, "4"),
        (answer(32), RateLimited, "32"),
        (answer(341), RateLimited, "341"),
        (answer(613, subcode=1487742), RateLimited, "613/1487742"),
        (answer(80003), RateLimited, "80003"),
        (answer(80004), RateLimited, "80004"),
        (answer(1), Retryable, "1"),
        (answer(2, status=500), Retryable, "2"),
        (answer(9999, transient=True), Retryable, "9999"),
        (answer(190, subcode=463), AuthFailed, "190/463"),
        (answer(102), AuthFailed, "102"),
        (answer(10), AuthFailed, "10"),
        (answer(294), AuthFailed, "294"),
        (answer(100, subcode=33), ConfigInvalid, "100/33"),
        (answer(100, subcode=1713230), ConfigInvalid, "100/1713230"),
        (answer(2635), ConfigInvalid, "2635"),
        (answer(100), PermanentFailure, "100"),
        (answer(2650), PermanentFailure, "2650"),
        (answer(368), PermanentFailure, "368"),
    ],
)
def test_codes_map_onto_the_hierarchy(
    response: httpx.Response, kind: type[PluginError], code: str
) -> None:
    error = mapped(response)
    assert type(error) is kind
    assert error.code == code
    assert error.message.startswith(f"adding rows: Meta error {code}: boom")


def test_rate_limits_wait_as_long_as_meta_says() -> None:
    usage = {
        "111": [{"type": "custom_audience", "estimated_time_to_regain_access": 3}],
        "222": [{"type": "ads_management", "estimated_time_to_regain_access": 0}],
    }
    error = mapped(answer(80003, headers={"X-Business-Use-Case-Usage": json.dumps(usage)}))
    assert isinstance(error, RateLimited) and error.retry_after == 180.0
    ad_account = {"acc_id_util_pct": 100, "estimated_time_to_regain_access": 1}
    plain = answer(17, headers={"X-Ad-Account-Usage": json.dumps(ad_account), "Retry-After": "5"})
    assert retry_after(plain) == 60.0
    assert retry_after(answer(17, headers={"X-Business-Use-Case-Usage": "not json"})) is None


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (429, RateLimited),
        (502, Retryable),
        (503, Retryable),
        (401, AuthFailed),
        (404, PermanentFailure),
    ],
)
def test_answers_without_a_graph_error(status: int, kind: type[PluginError]) -> None:
    response = httpx.Response(status, text="<html>proxy</html>", headers={"Retry-After": "7"})
    error = error_for(response, "adding rows", None)
    assert type(error) is kind
    if isinstance(error, Retryable):
        assert error.retry_after == 7.0


# --- through the fake -------------------------------------------------------------------


async def setup(meta: FakeMeta, **config: object) -> tuple[MetaAudiences, Any, Audience]:
    connector, ctx = MetaAudiences(), context(meta, **config)
    audience = await connector.ensure_audience(ctx, AudienceRequest(name="vips"))
    return connector, ctx, audience


@pytest.mark.parametrize(
    ("fault", "kind", "wait"),
    [
        ("rate_limit", RateLimited, 120.0),
        ("audience_quota", RateLimited, 120.0),
        ("http_429", RateLimited, None),
        ("unavailable", Retryable, None),
        ("bad_gateway", Retryable, None),
        ("timeout", Retryable, None),
    ],
)
async def test_transient_faults_are_retryable_and_the_retry_applies_once(
    fault: str, kind: type[Retryable], wait: float | None
) -> None:
    meta = fake()
    connector, ctx, audience = await setup(meta)
    members = [member("k1", email="ada@example.com")]
    meta.fail(fault)
    with pytest.raises(kind) as caught:
        await connector.add(ctx, audience, members)
    assert type(caught.value) is kind and caught.value.retry_after == wait
    result = await connector.add(ctx, audience, members)  # what the engine does next
    assert result.results[0].status.value == "accepted"
    assert len(meta.members("vips")) == 1


async def test_a_timeout_after_meta_applied_the_batch_is_safe_to_resend() -> None:
    meta = fake()
    connector, ctx, audience = await setup(meta)
    members = [member(f"k{n}", email=f"p{n}@example.com") for n in range(3)]
    meta.fail("timeout_after_apply")
    with pytest.raises(Retryable, match="did not answer in time"):
        await connector.add(ctx, audience, members)
    again = await connector.add(ctx, audience, members)
    assert again.received == 3 and len(meta.members("vips")) == 3


async def test_an_expired_token_fails_auth_and_never_shows_the_token() -> None:
    meta = fake(app_secret=APP_SECRET)
    connector, ctx, audience = await setup(meta, app_secret=APP_SECRET)
    meta.fail("token_expired")
    with pytest.raises(AuthFailed) as caught:
        await connector.add(ctx, audience, [member("k", email="a@b.co")])
    assert caught.value.code == "190/463"
    assert "issue a new system-user token" in caught.value.message
    text = f"{caught.value} {caught.value!r} {caught.value.__cause__!r}"
    assert TOKEN not in text and APP_SECRET not in text
    # It stays expired: the next call fails the same way until the token is replaced.
    with pytest.raises(AuthFailed):
        await connector.add(ctx, audience, [member("k", email="a@b.co")])


async def test_a_timeout_message_does_not_carry_the_url_with_the_token() -> None:
    meta = fake()
    connector, ctx, audience = await setup(meta)
    meta.fail("timeout", edge="audience")  # a GET: the token is in its query string
    request = AudienceRequest(name="vips", existing_id=audience.id)
    with pytest.raises(Retryable) as caught:
        await connector.ensure_audience(ctx, request)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    assert TOKEN not in str(caught.value)


async def test_a_flagged_audience_stops_the_sync_with_a_clear_message() -> None:
    meta = fake()
    connector, ctx, audience = await setup(meta)
    meta.audiences[audience.id].flagged = True
    with pytest.raises(ConfigInvalid, match="resolve it in Ads Manager"):
        await connector.add(ctx, audience, [member("k", email="a@b.co")])


async def test_a_flagged_audience_is_caught_when_it_is_looked_up() -> None:
    meta = fake()
    connector, ctx, audience = await setup(meta)
    meta.audiences[audience.id].flagged = True
    request = AudienceRequest(name="vips", existing_id=audience.id)
    with pytest.raises(ConfigInvalid, match="operation_status 471"):
        await connector.ensure_audience(ctx, request)


async def test_ensure_audience_surfaces_an_unknown_account_as_config() -> None:
    connector, ctx = MetaAudiences(), context(fake(), ad_account_id="42")
    with pytest.raises(ConfigInvalid) as caught:
        await connector.ensure_audience(ctx, AudienceRequest(name="vips"))
    assert caught.value.field == "ad_account_id" and caught.value.code == "100/33"
