"""The ``wechat_oa`` source: a WeChat official account's followers and callbacks."""

from __future__ import annotations

from collections.abc import AsyncIterator

from junction.plugins import (
    AuthFailed,
    Capability,
    Checkpoint,
    CheckResult,
    ConnectorContext,
    ConnectorSpec,
    Kind,
    Limits,
    Record,
    Source,
)
from junction.sources.wechat_oa.api import WechatApi
from junction.sources.wechat_oa.config import WechatOaConfig
from junction.sources.wechat_oa.followers import read_followers

__all__ = ["WechatOaSource"]


class WechatOaSource(Source[WechatOaConfig]):
    """Pulls an official account's followers; receives its event pushes."""

    spec = ConnectorSpec(
        name="wechat_oa",
        kind=Kind.SOURCE,
        title="WeChat official account (微信公众号)",
        description=(
            "Pulls the account's followers with their subscription details and tags, and "
            "receives follow, unfollow, QR scan, menu and message pushes at "
            "/hooks/wechat_oa/<connection> (plaintext, compatible or safe mode)."
        ),
        config=WechatOaConfig,
        capabilities=frozenset({Capability.PULL, Capability.RECEIVE}),
        produces=("wechat_openid", "wechat_unionid", "anonymous_id"),
        # The stable_token API allows 10,000 calls a minute; business APIs have
        # per-account daily quotas, so stay well below bursts.
        limits=Limits(requests_per_second=20.0, burst=20),
    )

    async def check(self, ctx: ConnectorContext[WechatOaConfig]) -> CheckResult:
        """Fetch the access token, then the tag list (needs user-management access).

        Returns ``ok=False`` when the AppID, AppSecret or the hub's IP is refused,
        saying which.

        Raises:
            ConfigInvalid: the account may not use the user-management APIs (48001).
            RateLimited / Retryable: WeChat is busy, throttling, or unreachable.
        """
        try:
            async with WechatApi.open(ctx) as api:
                await api.token()
                answer = await api.get("tags/get")
        except AuthFailed as exc:
            return CheckResult(ok=False, message=exc.message, details={"errcode": exc.code})
        tags = answer.get("tags")
        count = len(tags) if isinstance(tags, list) else 0
        return CheckResult(
            ok=True,
            message=f"connected to WeChat as {ctx.config.app_id}; the account has {count} tags",
            details={"app_id": ctx.config.app_id, "tags": count},
        )

    async def read(
        self, ctx: ConnectorContext[WechatOaConfig]
    ) -> AsyncIterator[Record | Checkpoint]:
        """Yield every follower as a profile record, a Checkpoint after each page.

        See :mod:`junction.sources.wechat_oa.followers` for passes and resuming.
        """
        async with WechatApi.open(ctx) as api:
            async for item in read_followers(ctx, api):
                yield item
