"""Build what syncs need, for real: profiles with sealed PII identities, tagged into a
segment computed by the segments package, a webhook connection to a strict fake."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, insert

from junction.core.connections import Connections
from junction.core.db import Database
from junction.core.db.tables import Consent, Identity, Profile, ProfileTag
from junction.core.pii import sha256_hex
from junction.core.secrets import SecretBox
from junction.core.segments.compute import compute_segment
from junction.core.segments.dsl import TagCondition
from junction.core.segments.store import create_segment
from junction.core.sync import (
    RetryPolicy,
    RunView,
    SyncCreate,
    SyncEngine,
    claim,
    create_sync,
    enqueue,
    list_runs,
)
from junction.plugins.manager import Plugins, load_plugins

SECRET = "whsec-test-0123456789abcdef"
HOOK_URL = "https://hooks.example/hooks/junction"
ACTOR = "test"


#: The built-ins these tests use (others may be mid-change while these run).
BUILTINS = (
    "junction.sources.http",
    "junction.destinations.webhook",
    "junction.destinations.file_export",
)


def plugins() -> Plugins:
    return load_plugins(builtins=BUILTINS, entry_points=False)


def box() -> SecretBox:
    return SecretBox([os.urandom(32)])


def email_of(pid: int) -> str:
    return f"person{pid}@example.com"


async def add_people(
    db: Database, box: SecretBox, count: int, *, tag: str | None = "vip", phone: bool = False
) -> list[int]:
    """Profiles with a sealed e-mail identity (and phone), tagged ``tag``."""
    now = datetime.now(UTC)
    async with db.transaction() as session:
        result = await session.execute(
            insert(Profile).returning(Profile.id, sort_by_parameter_order=True),
            [{"traits": {}, "trait_updated_at": {}, "created_at": now, "updated_at": now}] * count,
        )
        ids = list(result.scalars())
        rows: list[dict[str, Any]] = []
        for pid in ids:
            values = [("email", email_of(pid))]
            if phone:
                values.append(("phone", f"+86138{pid:08d}"))  # valid for any id
            for kind, raw in values:
                digest = sha256_hex(raw)
                rows.append(
                    {
                        "profile_id": pid,
                        "type": kind,
                        "scope": "",
                        "value": digest,
                        "hashed": True,
                        "value_encrypted": box.seal(
                            {"value": raw}, context=f"identity:{kind}:{digest}"
                        ),
                        "first_seen_at": now,
                        "last_seen_at": now,
                    }
                )
        await session.execute(insert(Identity), rows)
        if tag:
            await session.execute(
                insert(ProfileTag), [{"tag": tag, "profile_id": p, "origin": "manual"} for p in ids]
            )
    return ids


async def untag(db: Database, pids: Sequence[int], tag: str = "vip") -> None:
    async with db.transaction() as session:
        await session.execute(
            delete(ProfileTag).where(ProfileTag.tag == tag, ProfileTag.profile_id.in_(pids))
        )


async def retag(db: Database, pids: Sequence[int], tag: str = "vip") -> None:
    async with db.transaction() as session:
        await session.execute(
            insert(ProfileTag), [{"tag": tag, "profile_id": p, "origin": "manual"} for p in pids]
        )


async def decide(db: Database, pids: Sequence[int], purpose: str, status: str) -> None:
    """Record a consent decision for ``pids`` now (newer than any before it)."""
    async with db.transaction() as session:
        await session.execute(
            insert(Consent),
            [
                {
                    "profile_id": p,
                    "purpose": purpose,
                    "status": status,
                    "recorded_at": datetime.now(UTC),
                    "source": "test",
                }
                for p in pids
            ],
        )
    await asyncio.sleep(0.002)  # keep decisions strictly ordered in time


async def make_segment(db: Database, name: str = "vips", tag: str = "vip") -> None:
    await create_segment(db, name, TagCondition(tag=tag), actor=ACTOR)


async def compute(db: Database, name: str = "vips") -> None:
    """Compute the segment with the segments package: snapshot, run and changes."""
    await compute_segment(db, name, actor=ACTOR)


async def make_webhook(
    db: Database, plugins: Plugins, box: SecretBox, name: str = "hook", url: str = HOOK_URL
) -> None:
    service = Connections(db, plugins, box)
    config = {"url": url, "signing_secret": SECRET, "timeout_seconds": 5}
    await service.create(name=name, plugin="webhook", config=config, actor=ACTOR)


async def make_push(
    db: Database,
    plugins: Plugins,
    *,
    name: str = "vips-to-hook",
    connection: str = "hook",
    segment: str = "vips",
    mode: str = "mirror",
    identifiers: Sequence[str] = ("email",),
    consent_purpose: str | None = None,
    schedule: str | None = None,
    batch_size: int | None = None,
) -> None:
    definition = SyncCreate(
        name=name,
        kind="push",  # type: ignore[arg-type]
        connection=connection,
        segment=segment,
        mode=mode,  # type: ignore[arg-type]
        identifiers=list(identifiers),
        consent_purpose=consent_purpose,
        schedule=schedule,
        batch_size=batch_size,
    )
    await create_sync(db, plugins, definition, actor=ACTOR)


class Waits:
    """Records the waits a retry policy asks for, without waiting."""

    def __init__(self) -> None:
        self.seconds: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)
        await asyncio.sleep(0)


def fast_policy(waits: Waits | None = None, **overrides: Any) -> RetryPolicy:
    return RetryPolicy(**{"initial": 0.01, "maximum": 2.0, "sleep": waits or Waits(), **overrides})


def make_engine(
    db: Database, plugins: Plugins, box: SecretBox, transports: dict[str, Any], **kwargs: Any
) -> SyncEngine:
    kwargs.setdefault("policy", fast_policy())
    return SyncEngine(db, plugins, box, transports=transports.get, **kwargs)


async def run_sync(engine: SyncEngine, name: str) -> RunView:
    """Queue, claim and execute one run of ``name``; the run as recorded."""
    run_id = await enqueue(engine.db, name, trigger="manual", actor=ACTOR)
    assert await claim(engine.db, engine.worker, engine.lease, run_id=run_id) == run_id
    await engine.execute(run_id)
    runs = await list_runs(engine.db, sync=name, limit=1)
    assert runs[0].id == run_id
    return runs[0]


def assert_reconciles(run: RunView) -> None:
    """A finished push or message run accounts for every planned record exactly once."""
    settled = run.accepted + run.dead_lettered + run.unknown + run.failed + run.skipped_consent
    settled += run.skipped_cap + run.deferred
    assert run.planned == settled, run
    assert run.sent >= run.accepted + run.rejected + run.unknown, run
