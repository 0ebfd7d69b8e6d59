"""The ``tencent_ads`` connector: customer-file audiences kept in step by ID files."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeAlias

from junction.destinations.tencent_ads import audiences, uploads
from junction.destinations.tencent_ads.client import open_api
from junction.destinations.tencent_ads.config import TencentAdsConfig
from junction.destinations.tencent_ads.id_types import DEFAULT_RULES
from junction.plugins import (
    Audience,
    AudienceDestination,
    AudienceRequest,
    AuthFailed,
    BatchResult,
    Capability,
    CheckResult,
    ConfigInvalid,
    ConnectorContext,
    ConnectorSpec,
    JobStatus,
    Kind,
    Limits,
    Member,
    PendingJob,
    PermanentFailure,
    Retryable,
)

__all__ = ["TencentAds"]

Ctx: TypeAlias = ConnectorContext[TencentAdsConfig]


class TencentAds(AudienceDestination[TencentAdsConfig]):
    """Tencent Ads (腾讯广告) customer-file audiences (客户文件人群).

    Adds upload ``APPEND`` files and removes ``REDUCE`` files, one file per
    ``user_id_type``; Tencent processes them asynchronously and the engine polls each
    batch's files until they are done. There is no full replace on Tencent.
    """

    spec = ConnectorSpec(
        name="tencent_ads",
        kind=Kind.DESTINATION,
        title="Tencent Ads audiences",
        description=(
            "Keep Tencent Ads (腾讯广告) customer-file audiences in step with segments: "
            "hashed mobile numbers and device ids uploaded as ID files."
        ),
        config=TencentAdsConfig,
        capabilities=frozenset({Capability.AUDIENCE}),
        accepts=DEFAULT_RULES,
        # Rate limits are per app and interface and not published; stay well below the
        # defaults seen in the developer console. 100,000 lines make files of at most
        # 6.5 MB, far under the 100 MB cap, and few enough jobs to follow.
        limits=Limits(max_batch_records=100_000, requests_per_second=5, burst=5),
        idempotent=True,
        docs_url="https://developers.e.qq.com/docs/api/audiences/custom_audience_file/custom_audience_files_add",
    )

    async def check(self, ctx: Ctx) -> CheckResult:
        account = ctx.config.account_id
        try:
            async with open_api(ctx) as api:
                data = await api.get(
                    "custom_audiences/get", {"account_id": account, "page": 1, "page_size": 1}
                )
        except PermanentFailure as exc:
            raise ConfigInvalid(
                f"account {account} can't be used: {exc.message}", field="account_id", code=exc.code
            ) from None
        except (AuthFailed, Retryable) as exc:
            return CheckResult(ok=False, message=exc.message)
        info = data.get("page_info") or {}
        total = info.get("total_number") if isinstance(info, dict) else None
        count = f"; it has {total} audiences" if isinstance(total, int) else ""
        return CheckResult(ok=True, message=f"Tencent Ads account {account} is reachable{count}.")

    async def ensure_audience(self, ctx: Ctx, request: AudienceRequest) -> Audience:
        async with open_api(ctx) as api:
            if request.existing_id:
                found = await audiences.find_by_id(api, request.existing_id)
                if found is not None:
                    return found
                ctx.log.warning(
                    "audience %s is gone from account %s; looking it up by name",
                    request.existing_id,
                    ctx.config.account_id,
                )
            found = await audiences.find_by_name(api, request.name)
            return found or await audiences.create(api, request)

    async def add(self, ctx: Ctx, audience: Audience, members: Sequence[Member]) -> BatchResult:
        async with open_api(ctx) as api:
            return await uploads.upload(api, audience, members, "APPEND")

    async def remove(self, ctx: Ctx, audience: Audience, members: Sequence[Member]) -> BatchResult:
        async with open_api(ctx) as api:
            return await uploads.upload(api, audience, members, "REDUCE")

    async def poll(self, ctx: Ctx, job: PendingJob) -> JobStatus:
        async with open_api(ctx) as api:
            return await uploads.poll(api, job)
