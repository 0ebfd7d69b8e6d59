"""Pull syncs: records are committed before the checkpoint that covers them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar

import msgspec
from sqlalchemy import func, select

from junction.core.connections import Connections
from junction.core.db import Database
from junction.core.db.tables import Event
from junction.core.ingest import HubIngest
from junction.core.model import Event as EventModel
from junction.core.model import EventType
from junction.core.sync import SyncCreate, create_sync, get_run, get_sync
from junction.plugins import (
    Capability,
    Checkpoint,
    CheckResult,
    ConnectorContext,
    ConnectorSpec,
    EventRecord,
    Kind,
    Record,
    Retryable,
    Source,
    hookimpl,
)
from junction.plugins.manager import load_plugins

from .world import box, fast_policy, make_engine, run_sync


class CounterConfig(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    total: Annotated[int, msgspec.Meta(title="Events")] = 25


class CounterSource(Source[CounterConfig]):
    """Yields ``total`` events, a checkpoint after every tenth. Faults by class attribute."""

    spec = ConnectorSpec(
        name="counter",
        kind=Kind.SOURCE,
        title="Counter",
        description="Numbered test events.",
        config=CounterConfig,
        capabilities=frozenset({Capability.PULL}),
    )
    #: Raise Retryable once after yielding this many events in a read (None: never).
    fail_after: int | None = None
    #: Raise a plain bug after this many (None: never).
    crash_after: int | None = None
    reads: ClassVar[list[int]] = []

    async def check(self, ctx: ConnectorContext[CounterConfig]) -> CheckResult:
        return CheckResult(ok=True, message="counting")

    async def read(
        self, ctx: ConnectorContext[CounterConfig]
    ) -> AsyncIterator[Record | Checkpoint]:
        start = int(ctx.state.get("next", 0))
        type(self).reads.append(start)
        for number in range(start, ctx.config.total):
            if number == self.fail_after:
                type(self).fail_after = None
                raise Retryable("the source is busy")
            if number == self.crash_after:
                raise RuntimeError("bug in the source")
            at = datetime(2026, 1, 1, tzinfo=UTC)
            yield EventRecord(
                event=EventModel(
                    type=EventType.TRACK,
                    event="counted",
                    message_id=f"m-{number}",
                    user_id=f"u-{number % 5}",
                    timestamp=at,
                )
            )
            if (number + 1) % 10 == 0:
                yield Checkpoint(state={"next": number + 1})


class _Plugin:
    @hookimpl
    def register_connectors(self) -> list[type[Any]]:
        return [CounterSource]


async def setup(db: Database) -> tuple[Any, HubIngest]:
    registry = load_plugins(builtins=[_Plugin()], entry_points=False)
    secrets = box()
    await Connections(db, registry, secrets).create(
        name="counter", plugin="counter", config={"total": 25}, actor="t"
    )
    await create_sync(
        db,
        registry,
        msgspec.convert({"name": "pull", "kind": "pull", "connection": "counter"}, SyncCreate),
        actor="t",
    )
    intake = HubIngest(db)
    await intake.start()
    engine = make_engine(db, registry, secrets, {}, intake=intake, policy=fast_policy())
    CounterSource.fail_after = CounterSource.crash_after = None
    CounterSource.reads = []
    return engine, intake


async def events(db: Database) -> int:
    async with db.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Event)) or 0)


async def test_pull_commits_records_then_state(db: Database) -> None:
    engine, intake = await setup(db)
    try:
        run = await run_sync(engine, "pull")
        assert run.status == "succeeded", run.error
        assert (run.planned, run.accepted) == (25, 25)
        assert run.details == {"checkpoints": 2, "duplicates": 0}
        assert await events(db) == 25
        # The five after the last checkpoint are stored, but the state stays at 20:
        assert (await get_sync(db, "pull")).state == {"next": 20}
        again = await run_sync(engine, "pull")
        assert (again.planned, again.accepted, again.details["duplicates"]) == (5, 0, 5)
        assert await events(db) == 25
    finally:
        await intake.stop()


async def test_a_retryable_failure_rereads_from_the_committed_checkpoint(db: Database) -> None:
    engine, intake = await setup(db)
    CounterSource.fail_after = 15
    try:
        run = await run_sync(engine, "pull")
        assert run.status == "succeeded", run.error
        assert CounterSource.reads == [0, 10]
        # 10-14 were read but not yet written when it failed: nothing was stored twice.
        assert (run.retries, run.details["duplicates"]) == (1, 0)
        assert await events(db) == 25
        assert (await get_sync(db, "pull")).state == {"next": 20}
    finally:
        await intake.stop()


async def test_a_crash_keeps_the_last_committed_state(db: Database) -> None:
    engine, intake = await setup(db)
    CounterSource.crash_after = 14
    try:
        run = await run_sync(engine, "pull")
        assert run.status == "failed"
        assert "bug in the source" in (run.error or "")
        assert (await get_sync(db, "pull")).state == {"next": 10}
        assert await events(db) == 10  # the records after it were never committed
        detail = await get_run(db, run.id)
        assert [b.size for b in detail.batches] == [10]
        CounterSource.crash_after = None
        resumed = await run_sync(engine, "pull")
        assert resumed.status == "succeeded"
        assert CounterSource.reads[-1] == 10
        assert await events(db) == 25
    finally:
        await intake.stop()
