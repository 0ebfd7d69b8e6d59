"""What the Ocean Engine tests share: a config for the fake, contexts and members."""

from __future__ import annotations

import hashlib
from typing import Any

from junction.destinations.oceanengine import OceanEngineAudiences, OceanEngineConfig
from junction.plugins import (
    Audience,
    AudienceRequest,
    ConnectorContext,
    JobState,
    JobStatus,
    Member,
    MemoryTokenStore,
    PendingJob,
    PreparedIdentifier,
)

from ...fakes.oceanengine import FakeOceanEngine


def config_for(fake: FakeOceanEngine, **overrides: Any) -> dict[str, Any]:
    return {
        "advertiser_id": str(fake.advertiser_id),
        "app_id": str(fake.app_id),
        "app_secret": fake.app_secret,
        "refresh_token": fake.refresh_token,
        **overrides,
    }


def context(
    fake: FakeOceanEngine, tokens: MemoryTokenStore | None = None, **overrides: Any
) -> ConnectorContext[OceanEngineConfig]:
    return ConnectorContext(
        connection="ocean",
        config=OceanEngineConfig(**config_for(fake, **overrides)),
        transport=fake.transport(),
        tokens=tokens,
    )


def phone_hash(number: str) -> str:
    return hashlib.sha256(number.encode()).hexdigest()


def phone_member(key: str, number: str) -> Member:
    identifier = PreparedIdentifier(
        type="phone", value=phone_hash(number), platform_key="MOBILE_HASH_SHA256"
    )
    return Member(key=key, identifiers=(identifier,))


def member_with(key: str, platform_key: str, value: str, type: str = "phone") -> Member:
    """A member with one identifier exactly as given (to send what the platform refuses)."""
    identifier = PreparedIdentifier(type=type, value=value, platform_key=platform_key)
    return Member(key=key, identifiers=(identifier,))


def phones(count: int, start: int = 0) -> list[Member]:
    return [phone_member(f"k{n}", f"139{n:08d}") for n in range(start, start + count)]


def users_of(members: list[Member]) -> set[tuple[str, str]]:
    return {(i.platform_key or "", i.value) for m in members for i in m.identifiers}


async def ready_audience(
    connector: OceanEngineAudiences, ctx: ConnectorContext[OceanEngineConfig], name: str = "vips"
) -> Audience:
    return await connector.ensure_audience(ctx, AudienceRequest(name=name))


async def settle(
    connector: OceanEngineAudiences,
    ctx: ConnectorContext[OceanEngineConfig],
    job: PendingJob | None,
    polls: int = 20,
) -> JobStatus:
    """Poll ``job`` as the engine does until it leaves PENDING."""
    assert job is not None
    for _ in range(polls):
        status = await connector.poll(ctx, job)
        if status.state is not JobState.PENDING:
            return status
    raise AssertionError(f"job {job.id} still pending after {polls} polls: {status.message}")
