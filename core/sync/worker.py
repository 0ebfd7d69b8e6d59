"""The executor: workers that claim queued runs and resume stale ones.

:class:`Worker` is the same in both deployments. Embedded, :class:`BackgroundSync`
runs one worker and one scheduler inside ``junction serve``; distributed, each
``junction worker`` process runs another against the shared PostgreSQL database. The
tables decide who runs what (see :mod:`junction.core.sync.runs`), so the executor
only has to deliver "run X" at least once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from junction.core.sync.engine import SyncEngine
from junction.core.sync.runs import RunStatus, claim, stale_runs, take_over
from junction.core.sync.scheduler import Scheduler

__all__ = ["BackgroundSync", "Worker"]

log = logging.getLogger("junction.sync.worker")


class Worker:
    """Claims runs and executes them, up to ``concurrency`` at once.

    Each run is its own task, so one slow or failing destination never holds up the
    runs of others.
    """

    def __init__(self, engine: SyncEngine, *, concurrency: int = 4, poll: float = 1.0) -> None:
        self.engine = engine
        self.concurrency = concurrency
        self.poll = poll
        self.tasks: dict[int, asyncio.Task[RunStatus]] = {}

    async def step(self) -> list[int]:
        """Take over stale runs, then claim queued ones, while slots are free.

        Returns the ids of the runs started.
        """
        self._reap_finished()
        started: list[int] = []
        engine = self.engine
        for run_id in await stale_runs(engine.db):
            if len(self.tasks) >= self.concurrency:
                return started
            if run_id not in self.tasks and await take_over(
                engine.db, run_id, engine.worker, engine.lease
            ):
                log.warning("resuming run %s: its worker stopped renewing its lease", run_id)
                started.append(self._start(run_id))
        while len(self.tasks) < self.concurrency:
            run_id = await claim(engine.db, engine.worker, engine.lease)
            if run_id is None:
                break
            started.append(self._start(run_id))
        return started

    async def run_until_idle(self) -> None:
        """Work until nothing is queued, stale or running here (tests, one-shot CLI)."""
        while True:
            await self.step()
            if not self.tasks:
                return
            await asyncio.wait(list(self.tasks.values()), return_when=asyncio.FIRST_COMPLETED)

    async def run_forever(self, stop: asyncio.Event) -> None:
        """Work until ``stop`` is set, then cancel what runs (it resumes elsewhere)."""
        try:
            while not stop.is_set():
                try:
                    await self.step()
                except Exception:
                    log.exception("worker step failed; trying again")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.poll)
        finally:
            await self.cancel()

    async def cancel(self) -> None:
        for task in self.tasks.values():
            task.cancel()
        await asyncio.gather(*self.tasks.values(), return_exceptions=True)
        self.tasks.clear()

    def _start(self, run_id: int) -> int:
        self.tasks[run_id] = asyncio.create_task(self.engine.execute(run_id), name=f"run-{run_id}")
        return run_id

    def _reap_finished(self) -> None:
        for run_id, task in list(self.tasks.items()):
            if task.done():
                del self.tasks[run_id]
                if not task.cancelled() and task.exception() is not None:
                    log.error("run %s crashed its task", run_id, exc_info=task.exception())


class BackgroundSync:
    """The embedded executor: one scheduler and one worker as tasks of the app's loop.

    Start it in the app's lifespan after the database is open, stop it before closing
    the database::

        background = BackgroundSync(engine)
        await background.start()
        ...
        await background.stop()
    """

    def __init__(self, engine: SyncEngine, *, scheduler: bool = True, concurrency: int = 4) -> None:
        self.worker = Worker(engine, concurrency=concurrency)
        self.scheduler = Scheduler(engine.db, engine.worker) if scheduler else None
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        self._stop.clear()
        self._tasks = [asyncio.create_task(self.worker.run_forever(self._stop))]
        if self.scheduler is not None:
            self._tasks.append(asyncio.create_task(self.scheduler.run_forever(self._stop)))

    async def stop(self) -> None:
        self._stop.set()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
