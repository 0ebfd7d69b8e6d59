"""The ``google_ads`` connector: Customer Match lists kept in step with segments."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeAlias

from junction.destinations.google_ads.ads_api import AdsApi
from junction.destinations.google_ads.client import GoogleClient, connect
from junction.destinations.google_ads.config import GoogleAdsConfig
from junction.destinations.google_ads.data_manager import DataManager
from junction.destinations.google_ads.members import EMAIL, MOBILE_ID, PHONE
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
    Hashing,
    IdentifierRule,
    JobStatus,
    Kind,
    Limits,
    Member,
    PendingJob,
    PermanentFailure,
    Retryable,
)

__all__ = ["GoogleAds"]

Ctx: TypeAlias = ConnectorContext[GoogleAdsConfig]


def _api(client: GoogleClient) -> DataManager | AdsApi:
    if client.config.api == "offline_user_data_job":
        return AdsApi(client)
    return DataManager(client)


class GoogleAds(AudienceDestination[GoogleAdsConfig]):
    """Customer Match: segments become CRM-based user lists in a Google Ads account."""

    spec = ConnectorSpec(
        name="google_ads",
        kind=Kind.DESTINATION,
        title="Google Ads Customer Match",
        description=(
            "Keep Google Ads Customer Match lists in step with segments: hashed e-mails "
            "and phones (or mobile advertising ids) through the Data Manager API, or the "
            "Google Ads API's offline user data jobs."
        ),
        config=GoogleAdsConfig,
        capabilities=frozenset({Capability.AUDIENCE}),
        accepts=(
            # Data Manager's formatting guide drops dots and +tags of Gmail addresses;
            # the Google Ads API accepts that form too (google-ads.md §4 and DM-7).
            IdentifierRule(
                type="email",
                hashing=Hashing.SHA256,
                normalizer="gmail_canonical",
                platform_key=EMAIL,
            ),
            IdentifierRule(
                type="phone", hashing=Hashing.SHA256, normalizer="e164", platform_key=PHONE
            ),
            # Mobile advertising ids go raw (DM-7): IDFA as Apple prints it, AAID lower-case.
            IdentifierRule(type="idfa", normalizer="device_upper", platform_key=MOBILE_ID),
            IdentifierRule(type="device_id", normalizer="device_lower", platform_key=MOBILE_ID),
        ),
        # 10,000 members per request; 300 ingestion calls a minute per Cloud project
        # (DM-10); a list serves ads from 100 members (google-ads.md §6) but Google never
        # refuses removals, so audiences report no ``size`` and removals are never held.
        limits=Limits(
            max_batch_records=10_000, requests_per_second=5, burst=5, min_audience_size=100
        ),
        idempotent=True,
        docs_url="https://developers.google.com/data-manager/api/devguides/audiences/google-ads/customer-match",
    )

    async def check(self, ctx: Ctx) -> CheckResult:
        try:
            async with connect(ctx) as client:
                await _api(client).check()
        except (AuthFailed, ConfigInvalid, Retryable, PermanentFailure) as exc:
            return CheckResult(ok=False, message=exc.message, details={"code": exc.code})
        api = "Data Manager API" if ctx.config.api == "data_manager" else "Google Ads API"
        return CheckResult(
            ok=True, message=f"Reached customer {ctx.config.customer_id}'s lists through the {api}."
        )

    async def ensure_audience(self, ctx: Ctx, request: AudienceRequest) -> Audience:
        async with connect(ctx) as client:
            return await _api(client).ensure_list(request)

    async def add(self, ctx: Ctx, audience: Audience, members: Sequence[Member]) -> BatchResult:
        async with connect(ctx) as client:
            return await _api(client).upload(audience, members, remove=False)

    async def remove(self, ctx: Ctx, audience: Audience, members: Sequence[Member]) -> BatchResult:
        async with connect(ctx) as client:
            return await _api(client).upload(audience, members, remove=True)

    async def poll(self, ctx: Ctx, job: PendingJob) -> JobStatus:
        async with connect(ctx) as client:
            return await _api(client).status(job)
