"""kill -9 a worker process mid-run on PostgreSQL: the run resumes elsewhere, nothing is
lost and nothing is applied twice (by operation id, at the destination)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from junction.core.db import Database
from junction.core.db.tables import SyncOperation
from junction.core.secrets import SecretBox, generate_key
from junction.core.sync import enqueue, get_run

from ...fakes.webhook import FakeWebhook
from .test_push import emails
from .world import SECRET, add_people, compute, make_push, make_segment, make_webhook, plugins

MEMBERS = 400
JUNCTION = Path(sys.executable).parent / "junction"


def start_worker(database_url: str, key: str, home: Path, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "JUNCTION_DATABASE_URL": database_url,
        "JUNCTION_SECRET_KEY": key,
        "JUNCTION_HOME": str(home),
        "JUNCTION_PLUGINS": "webhook",
    }
    command = [str(JUNCTION), "worker", "--lease", "2", "--concurrency", "1", "--no-scheduler"]
    return subprocess.Popen(command, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT)


async def wait_for(condition, seconds: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not await condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


@pytest.mark.parametrize("backend", ["postgresql"])
async def test_kill_9_mid_run_loses_nothing_and_applies_nothing_twice(
    db: Database, database_url: str, tmp_path: Path
) -> None:
    key = generate_key()
    secrets = SecretBox.from_settings(key, tmp_path)
    registry = plugins()
    people = await add_people(db, secrets, MEMBERS)
    await make_segment(db)
    await compute(db)
    fake = FakeWebhook(SECRET, delay=0.04)
    log = tmp_path / "workers.log"
    with fake.serve() as url:
        await make_webhook(db, registry, secrets, url=url)
        await make_push(db, registry, batch_size=10)
        run_id = await enqueue(db, "vips-to-hook", trigger="manual", actor="test")

        first = start_worker(database_url, key, tmp_path, log)
        try:
            await wait_for(
                lambda: _true(len(fake.applied) >= 120), 60, "the first worker to make progress"
            )
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait()
        killed_at = len(fake.applied)
        assert killed_at < MEMBERS, "the run finished before it could be killed"
        assert (await get_run(db, run_id)).run.status == "running"

        second = start_worker(database_url, key, tmp_path, log)
        try:

            async def finished() -> bool:
                return (await get_run(db, run_id)).run.status != "running"

            await wait_for(finished, 90, "the second worker to resume and finish the run")
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(timeout=30)

    detail = await get_run(db, run_id)
    run = detail.run
    assert run.status == "succeeded", (run.error, log.read_text()[-2000:])
    assert run.starts == 2  # claimed by the first worker, taken over by the second
    # Nothing lost: every member is in the audience, every operation accepted.
    assert fake.members["vips"] == emails(people)
    async with db.sessions() as session:
        statuses = dict(
            (
                await session.execute(
                    select(SyncOperation.status, func.count()).group_by(SyncOperation.status)
                )
            ).all()
        )
    assert statuses == {"accepted": MEMBERS}
    # Nothing applied twice: each operation id changed the audience once, and no batch
    # the first worker had acknowledged was sent again; at most the batch in flight was.
    assert len(fake.applied) == MEMBERS and set(fake.applied.values()) == {1}
    # (its answer may have been written to the socket of the killed worker).
    assert len(fake.resent_after_ack) <= 10
    assert sum(fake.received.values()) - MEMBERS <= 10
    # The counts reconcile exactly across the crash.
    assert (run.planned, run.sent, run.accepted, run.failed) == (MEMBERS, MEMBERS, MEMBERS, 0)
    assert sum(b.accepted for b in detail.batches) == MEMBERS


async def _true(value: bool) -> bool:
    return value
