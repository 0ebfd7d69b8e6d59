"""The ``oceanengine`` connector: a segment kept in step as a DMP data source.

Each batch becomes zipped protobuf-line files, uploaded, then one
``data_source/update`` (append for adds, delete for removes, reset for the first
batch of a replacement). The platform parses the files in the background (20-60
minutes), so every batch returns a :class:`PendingJob` that ``poll`` follows through
the data source's change logs (see :mod:`.jobs`); once an addition (or a replacement's
last batch) is parsed the audience is published (at most once a day, the platform's
rule) and pushed to the configured accounts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeAlias

from junction.destinations.oceanengine import audiences
from junction.destinations.oceanengine.client import OceanClient
from junction.destinations.oceanengine.config import OceanEngineConfig
from junction.destinations.oceanengine.datasource import Operation
from junction.destinations.oceanengine.jobs import poll_change, publish_leftovers
from junction.destinations.oceanengine.protobuf import IdItem
from junction.destinations.oceanengine.upload import bootstrap_file, build_files, member_items
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
    RecordResult,
    RecordStatus,
    ReplaceSession,
    Retryable,
)

__all__ = ["OceanEngineAudiences"]

Ctx: TypeAlias = ConnectorContext[OceanEngineConfig]

#: The code on members refused before upload because an id has the wrong form.
INVALID_ID = "INVALID_ID"


class OceanEngineAudiences(AudienceDestination[OceanEngineConfig]):
    """Ocean Engine (巨量引擎) DMP audiences built from API file data sources."""

    spec = ConnectorSpec(
        name="oceanengine",
        kind=Kind.DESTINATION,
        title="Ocean Engine DMP audiences",
        description=(
            "Keep an Ocean Engine (巨量引擎 / 头条) DMP data source and its audience in "
            "step with a segment: hashed phones and device ids, published and pushed."
        ),
        config=OceanEngineConfig,
        capabilities=frozenset({Capability.AUDIENCE, Capability.AUDIENCE_REPLACE}),
        accepts=(
            IdentifierRule(
                type="phone",
                hashing=Hashing.SHA256,
                normalizer="cn_mobile",
                platform_key="MOBILE_HASH_SHA256",
            ),
            IdentifierRule(type="imei", hashing=Hashing.MD5, platform_key="IMEI_MD5"),
            # Raw and lower-cased: whether IDFA_MD5 hashes the upper- or lower-case
            # form is not confirmed, and a wrong guess would match nobody.
            IdentifierRule(type="idfa", normalizer="device_lower", platform_key="IDFA"),
            IdentifierRule(type="oaid", hashing=Hashing.MD5, platform_key="OAID_MD5"),
        ),
        # One data_source/update per batch, and a data source takes 50 updates a day:
        # batches are large and split into several files inside the plugin.
        limits=Limits(max_batch_records=200_000, requests_per_second=2, burst=2),
        idempotent=True,
        docs_url="https://open.oceanengine.com/labels/7",
    )

    async def check(self, ctx: Ctx) -> CheckResult:
        try:
            async with ctx.http(base_url=ctx.config.base_url) as http:
                data = await OceanClient(ctx, http).get(
                    "2/dmp/custom_audience/select/", {"select_type": 0, "offset": 0, "limit": 1}
                )
        except (AuthFailed, ConfigInvalid, Retryable, PermanentFailure) as exc:
            return CheckResult(ok=False, message=exc.message)
        total = int(data.get("total_num") or 0)
        return CheckResult(
            ok=True,
            message=f"Advertiser {ctx.config.advertiser_id} is reachable ({total} audiences).",
            details={"audiences": total},
        )

    async def ensure_audience(self, ctx: Ctx, request: AudienceRequest) -> Audience:
        async with ctx.http(base_url=ctx.config.base_url) as http:
            client = OceanClient(ctx, http)
            source = None
            if request.existing_id:
                source = await audiences.read(client, request.existing_id)
            if source is None:
                source = await audiences.find_by_name(client, request.name)
            if source is not None:
                await publish_leftovers(ctx, client, source)
                return audiences.audience_of(source, request.name)
            kind = ctx.config.data_source_type
            source_id = await audiences.create(client, request, kind=kind, now=ctx.now())
        ctx.log.info("created Ocean Engine data source %s for %s", source_id, request.name)
        return Audience(id=source_id, name=request.name)

    async def add(self, ctx: Ctx, audience: Audience, members: Sequence[Member]) -> BatchResult:
        return await _change(ctx, audience, members, Operation.APPEND, publish=True)

    async def remove(self, ctx: Ctx, audience: Audience, members: Sequence[Member]) -> BatchResult:
        # The engine sends a run's removals before its additions, and the platform
        # publishes once a day: publishing here would hold the additions back a day.
        # The next addition publishes the removals too, or the next run's
        # ensure_audience does (publish_leftovers).
        return await _change(ctx, audience, members, Operation.DELETE, publish=False)

    async def replace(
        self, ctx: Ctx, audience: Audience, members: Sequence[Member], session: ReplaceSession
    ) -> BatchResult:
        # The session's first batch resets the data source to its ids, the others add
        # theirs; only the complete membership is published.
        operation = Operation.RESET if session.seq == 1 else Operation.APPEND
        return await _change(ctx, audience, members, operation, publish=session.last)

    async def poll(self, ctx: Ctx, job: PendingJob) -> JobStatus:
        return await poll_change(ctx, job)


async def _change(
    ctx: Ctx, audience: Audience, members: Sequence[Member], operation: Operation, *, publish: bool
) -> BatchResult:
    """Upload ``members``' ids and apply them to the data source with ``operation``."""
    results: list[RecordResult] = []
    items: list[IdItem] = []
    for member in members:
        found = member_items(member)
        if isinstance(found, str):
            results.append(
                RecordResult(
                    key=member.key, status=RecordStatus.REJECTED, reason=found, code=INVALID_ID
                )
            )
            continue
        items.extend(found)
        results.append(RecordResult(key=member.key, status=RecordStatus.ACCEPTED))
    sent = sum(1 for r in results if r.status is RecordStatus.ACCEPTED)
    invalid = len(results) - sent
    if not items and operation is not Operation.RESET:
        return BatchResult(results=tuple(results), received=0, invalid=invalid)
    prefix = f"junction-{operation.name.lower()}"
    # A reset with nothing valid still resets: the replacement's later batches add to it.
    files = build_files(items, prefix=prefix, now=ctx.now()) or [
        bootstrap_file(prefix=prefix, now=ctx.now())
    ]
    async with ctx.http(base_url=ctx.config.base_url) as http:
        client = OceanClient(ctx, http)
        file_paths = [await client.upload(file) for file in files]
        await client.post(
            "2/dmp/data_source/update/",
            {
                "data_source_id": audience.id,
                "operation_type": int(operation),
                "data_format": 0,
                "file_storage_type": 0,
                "file_paths": file_paths,
            },
        )
    job = PendingJob(
        id=f"{audience.id}:{file_paths[0]}",
        data={
            "data_source_id": audience.id,
            "file_paths": file_paths,
            "operation": operation.name.lower(),
            "publish": publish,
            "submitted_at": ctx.now().isoformat(),
        },
    )
    return BatchResult(results=tuple(results), job=job, received=sent, invalid=invalid)
