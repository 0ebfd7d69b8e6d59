"""Following a change through Ocean Engine's parse, then publishing what it produced.

A change is parsed in the background in 20-60 minutes. ``poll`` reports it PENDING
while its change log is parsing, for at most :data:`PARSE_WAIT`; after that the change
counts as delivered (the platform took it; parse failures are rare) and the next run's
``ensure_audience`` publishes it once parsed (:func:`publish_leftovers`), so a slow
parse neither blocks a run for an hour nor makes the engine resend the batch.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TypeAlias

from junction.destinations.oceanengine import audiences
from junction.destinations.oceanengine.client import OceanClient
from junction.destinations.oceanengine.config import OceanEngineConfig
from junction.destinations.oceanengine.datasource import DataSource, Status
from junction.plugins import (
    ConnectorContext,
    JobState,
    JobStatus,
    PendingJob,
    PermanentFailure,
    Retryable,
)

__all__ = ["PARSE_WAIT", "poll_change", "publish_leftovers"]

Ctx: TypeAlias = ConnectorContext[OceanEngineConfig]

#: How long a batch waits for its change to be parsed before counting as delivered.
#: Shorter than the sync engine's polling (~12 minutes at its fastest).
PARSE_WAIT = timedelta(minutes=10)
_NEED_PUBLISH = "CUSTOM_AUDIENCE_DELIVERY_STATUS_NEED_PUBLISH"


async def poll_change(ctx: Ctx, job: PendingJob) -> JobStatus:
    """The state of the change ``job`` follows; publishes it once parsed."""
    source_id = str(job.data["data_source_id"])
    try:
        async with ctx.http(base_url=ctx.config.base_url) as http:
            client = OceanClient(ctx, http)
            source = await audiences.read(client, source_id)
            if source is None:
                message = f"data source {source_id} no longer exists"
                return JobStatus(state=JobState.FAILED, message=message)
            return await _follow(ctx, client, source, job)
    except Retryable as exc:
        # A poll is a read: ask again at the next poll instead of failing the batch.
        return JobStatus(state=JobState.PENDING, message=exc.message)
    except PermanentFailure as exc:
        return JobStatus(state=JobState.FAILED, message=exc.message)


async def _follow(ctx: Ctx, client: OceanClient, source: DataSource, job: PendingJob) -> JobStatus:
    change = source.change_for(str(job.data["file_paths"][0]))
    parsing = change is None or change.status in (Status.CREATED, Status.PROCESSING)
    if parsing and _waited(ctx, job) > PARSE_WAIT:
        message = "accepted; Ocean Engine is still parsing it, a later run publishes it"
        ctx.log.info("data source %s: %s", source.id, message)
        return JobStatus(state=JobState.SUCCEEDED, message=message)
    if parsing:
        return JobStatus(state=JobState.PENDING, message="Ocean Engine is parsing")
    assert change is not None
    if change.status != Status.COMPLETE:
        message = f"Ocean Engine failed to parse change {change.change_log_id}"
        return JobStatus(state=JobState.FAILED, message=message)
    coverage = f"covers {source.cover_num} of {source.upload_num} uploaded ids"
    if not job.data.get("publish"):
        return JobStatus(state=JobState.SUCCEEDED, message=f"applied; {coverage}")
    if source.default_audience is None or source.busy:
        # Publish once every change is parsed: the platform allows one a day.
        return JobStatus(state=JobState.PENDING, message="waiting to publish")
    audience_id = source.default_audience.custom_audience_id
    outcome = await audiences.publish(client, audience_id, list(ctx.config.push_to_advertiser_ids))
    ctx.log.info("data source %s: %s; %s", source.id, outcome, coverage)
    return JobStatus(state=JobState.SUCCEEDED, message=f"{outcome}; {coverage}")


def _waited(ctx: Ctx, job: PendingJob) -> timedelta:
    submitted = job.data.get("submitted_at")
    if not isinstance(submitted, str):
        return timedelta(0)
    return ctx.now() - datetime.fromisoformat(submitted)


async def publish_leftovers(ctx: Ctx, client: OceanClient, source: DataSource) -> None:
    """Publish changes an earlier run left parsed but unpublished (best effort).

    Raises:
        AuthFailed, ConfigInvalid: as any call.
    """
    audience = source.default_audience
    if audience is None or source.busy or audience.delivery_status != _NEED_PUBLISH:
        return
    try:
        outcome = await audiences.publish(
            client, audience.custom_audience_id, list(ctx.config.push_to_advertiser_ids)
        )
    except Retryable as exc:
        outcome = f"publishing earlier changes failed, a later change retries it ({exc.message})"
    ctx.log.info("data source %s: %s", source.id, outcome)
