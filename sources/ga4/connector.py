"""The ``ga4`` source: a Google Analytics 4 property, through the Data API or BigQuery."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from junction.core.model import IdentifierType
from junction.plugins import (
    Capability,
    Checkpoint,
    CheckResult,
    ConfigInvalid,
    ConnectorContext,
    ConnectorSpec,
    Kind,
    Limits,
    Record,
    Source,
)
from junction.sources.ga4.auth import ANALYTICS_SCOPE, BIGQUERY_SCOPE
from junction.sources.ga4.bigquery import check_dataset, read_export
from junction.sources.ga4.config import GA4Config, Mode
from junction.sources.ga4.data_api import fetch_metadata, read_report
from junction.sources.ga4.days import load_state
from junction.sources.ga4.google import GoogleApi
from junction.sources.ga4.key import parse_key
from junction.sources.ga4.report import ReportPlan, plan_report

__all__ = ["GA4Source"]


class GA4Source(Source[GA4Config]):
    """Pulls a GA4 property day by day: Data API reports or BigQuery export events."""

    spec = ConnectorSpec(
        name="ga4",
        kind=Kind.SOURCE,
        title="Google Analytics 4",
        description=(
            "Pulls a Google Analytics 4 property day by day with a service account: "
            "per-user reports through the Data API, or every raw event from the "
            "property's BigQuery export."
        ),
        config=GA4Config,
        capabilities=frozenset({Capability.PULL}),
        produces=tuple(t.value for t in IdentifierType if t is not IdentifierType.WECHAT_OPENID),
        # The Data API allows 10 concurrent requests per property; reads are sequential.
        limits=Limits(requests_per_second=5, burst=5),
        docs_url="https://developers.google.com/analytics/devguides/reporting/data/v1",
    )

    async def check(self, ctx: ConnectorContext[GA4Config]) -> CheckResult:
        """Check the key, get a token and make one cheap call (metadata or the dataset).

        Raises:
            ConfigInvalid: the key is malformed, the property, a dimension, a metric or
                the dataset does not exist (naming the field).
            AuthFailed: Google refused the key or the account lacks access.
        """
        config = ctx.config
        account = parse_key(config.service_account_key)
        if config.mode is Mode.BIGQUERY:
            async with ctx.http() as client:
                api = GoogleApi(ctx, client, account, BIGQUERY_SCOPE)
                await check_dataset(api, config)
            return CheckResult(
                ok=True,
                message=f"{account.client_email} can read BigQuery dataset "
                f"{config.bigquery_project}.{config.dataset}.",
            )
        plan = plan_report(config)
        async with ctx.http() as client:
            api = GoogleApi(ctx, client, account, ANALYTICS_SCOPE)
            metadata = await fetch_metadata(api, config)
        _check_names(plan, metadata)
        return CheckResult(
            ok=True,
            message=f"{account.client_email} can read GA4 property {config.property_id}.",
            details={"dimensions": list(plan.all_dimensions), "metrics": list(plan.metrics)},
        )

    async def read(self, ctx: ConnectorContext[GA4Config]) -> AsyncIterator[Record | Checkpoint]:
        """Yield the property's data from the checkpointed day on, day by day.

        Raises:
            ConfigInvalid, AuthFailed: as ``check``.
            RateLimited: a GA4 or BigQuery quota is exhausted (retry later).
            Retryable: Google failed or did not answer.
            PermanentFailure: Google answered something unreadable, or the saved state
                is not valid.
        """
        config = ctx.config
        account = parse_key(config.service_account_key)
        state = load_state(ctx.state)
        async with ctx.http() as client:
            if config.mode is Mode.BIGQUERY:
                api = GoogleApi(ctx, client, account, BIGQUERY_SCOPE)
                async for item in read_export(ctx, api, state):
                    yield item
            else:
                plan = plan_report(config)
                api = GoogleApi(ctx, client, account, ANALYTICS_SCOPE)
                async for item in read_report(ctx, api, plan, state):
                    yield item


def _check_names(plan: ReportPlan, metadata: dict[str, Any]) -> None:
    """Refuse dimensions and metrics the property does not have, naming the field."""
    dimensions = {d.get("apiName") for d in metadata.get("dimensions", [])}
    metrics = {m.get("apiName") for m in metadata.get("metrics", [])}
    for kind, name in plan.identifiers:
        if name not in dimensions:
            raise ConfigInvalid(
                f"GA4 property {plan.property_id} has no dimension {name!r} (for "
                f"{kind.value}); custom dimensions must be registered in GA4 first.",
                field="identifiers",
            )
    for name in plan.dimensions:
        if name not in dimensions:
            raise ConfigInvalid(
                f"GA4 property {plan.property_id} has no dimension {name!r}.", field="dimensions"
            )
    for name in plan.metrics:
        if name not in metrics:
            raise ConfigInvalid(
                f"GA4 property {plan.property_id} has no metric {name!r}.", field="metrics"
            )
