"""`SyncEngine`: runs one claimed sync run to its end, with a heartbeat keeping its lease.

Whatever delivers "run X" (the embedded executor, ``junction worker``, the CLI) calls
:meth:`SyncEngine.execute` after claiming or taking over the run. A failure is written
to the run record (status ``failed`` and the error), not only to a log.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import Callable

import httpx

from junction.core.connections import Connections
from junction.core.db import Database
from junction.core.db.tables import Connection, Sync, SyncRun
from junction.core.pii import PiiRegistry, default_registry
from junction.core.secrets import SecretBox
from junction.core.sync.job import Job, Progress, RunAborted
from junction.core.sync.messages import run_message
from junction.core.sync.notify import run_notification, send_notification
from junction.core.sync.outcomes import describe
from junction.core.sync.pull import RecordWriter, run_pull
from junction.core.sync.push import run_push
from junction.core.sync.ratelimit import RateLimiters
from junction.core.sync.retry import RetryPolicy
from junction.core.sync.runs import LeaseLost, RunStatus, finish, release, renew
from junction.plugins.manager import Plugins

__all__ = ["SyncEngine", "worker_name"]

log = logging.getLogger("junction.sync")

#: Builds the HTTP transport for a connection (tests inject fakes); None = the network.
TransportFactory = Callable[[str], httpx.AsyncBaseTransport | None]


def worker_name() -> str:
    """A name unique to this process, shown in run records: host, pid and a nonce."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class SyncEngine:
    """Executes sync runs.

    Args:
        db: The hub's database.
        plugins: The loaded plugins (connectors by name).
        box: Opens connection secrets and PII identity values.
        intake: Where pull syncs write records (the app's ``HubIngest``); None refuses
            pull runs.
        registry: The PII registry identifiers are normalized and hashed with.
        policy: Retry policy of every run.
        lease: Seconds a worker owns a run without a heartbeat; heartbeats come every
            third of it.
        transports: Per-connection HTTP transport, for tests and local fakes.
        worker: This process's name in run records.
        public_url: Where the admin is served, for links in operator notifications.
    """

    def __init__(
        self,
        db: Database,
        plugins: Plugins,
        box: SecretBox,
        *,
        intake: RecordWriter | None = None,
        registry: PiiRegistry = default_registry,
        policy: RetryPolicy | None = None,
        lease: float = 60.0,
        transports: TransportFactory | None = None,
        worker: str | None = None,
        public_url: str | None = None,
    ) -> None:
        self.db = db
        self.public_url = public_url
        self.plugins = plugins
        self.box = box
        self.intake = intake
        self.registry = registry
        self.policy = policy or RetryPolicy()
        self.lease = lease
        self.transports = transports or (lambda name: None)
        self.worker = worker or worker_name()
        self.limiters = RateLimiters()
        self.connections = Connections(db, plugins, box)

    async def execute(self, run_id: int, progress: Progress | None = None) -> RunStatus:
        """Run ``run_id`` (claimed by this engine's worker) to its end; return its status.

        Never raises for a failure of the sync itself: that goes into the run record.
        """
        heartbeat = asyncio.create_task(self._heartbeat(run_id, asyncio.current_task()))
        try:
            status, error = await self._execute(run_id, progress)
        except LeaseLost:
            log.warning("run %s was taken over by another worker; stopping", run_id)
            return RunStatus.RUNNING
        except asyncio.CancelledError:
            # Shutting down (or the lease was lost): let another worker resume it now.
            with contextlib.suppress(Exception):
                await asyncio.shield(release(self.db, run_id, self.worker))
            raise
        finally:
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat
        if not await finish(self.db, run_id, self.worker, status, error):
            log.warning("run %s was taken over before it could be finished here", run_id)
            return status
        await self._notify(run_id)
        return status

    async def _notify(self, run_id: int) -> None:
        """Tell the sync's notify connection about a failed, partial or degraded run."""
        try:
            async with self.db.sessions() as session:
                run = await session.get(SyncRun, run_id)
                sync = await session.get(Sync, run.sync_id) if run else None
                if run is None or sync is None or sync.notify_connection_id is None:
                    return
                connection = await session.get(Connection, sync.notify_connection_id)
            notification = run_notification(sync, run, self.public_url)
            if connection is None or notification is None or not connection.enabled:
                return
            connector = self.plugins.connector(connection.plugin)()
            ctx = await self.connections.context(
                connection.name, transport=self.transports(connection.name)
            )
        except Exception as exc:
            log.warning("run %s: could not prepare the notification: %s", run_id, describe(exc))
            return
        bucket = self.limiters.for_connection(connection.id, connector.spec.limits)
        await send_notification(connector, ctx, connection, notification, self.policy, bucket)

    async def _execute(
        self, run_id: int, progress: Progress | None
    ) -> tuple[RunStatus, str | None]:
        try:
            job = await self._job(run_id, progress)
            if job.sync.kind == "pull":
                if self.intake is None:
                    raise RunAborted("this process has no intake to store pulled records")
                await run_pull(job, self.intake)
            elif job.sync.kind == "message":
                await run_message(job, self.registry, self.box)
            else:
                await run_push(job, self.registry, self.box)
        except RunAborted as exc:
            log.warning("run %s failed: %s", run_id, exc)
            return RunStatus.FAILED, str(exc)
        except LeaseLost:
            raise
        except Exception as exc:
            log.exception("run %s failed unexpectedly", run_id)
            return RunStatus.FAILED, f"unexpected error: {describe(exc)}"
        async with self.db.sessions() as session:
            run = await session.get(SyncRun, run_id)
        assert run is not None
        partial = run.failed or run.unknown or run.dead_lettered
        return (RunStatus.PARTIAL if partial else RunStatus.SUCCEEDED), None

    async def _job(self, run_id: int, progress: Progress | None) -> Job:
        async with self.db.sessions() as session:
            run = await session.get(SyncRun, run_id)
            if run is None:
                raise RunAborted(f"no run {run_id}")
            sync = await session.get(Sync, run.sync_id)
            connection = await session.get(Connection, sync.connection_id) if sync else None
        if sync is None or connection is None:
            raise RunAborted("the sync or its connection no longer exists")
        if not connection.enabled:
            raise RunAborted(f"connection {connection.name!r} is disabled")
        try:
            cls = self.plugins.connector(connection.plugin)
            ctx = await self.connections.context(
                connection.name, transport=self.transports(connection.name)
            )
        except Exception as exc:
            raise RunAborted(f"can't open connection {connection.name!r}: {describe(exc)}") from exc
        spec = cls.spec
        return Job(
            db=self.db,
            worker=self.worker,
            sync=sync,
            run=run,
            connection=connection,
            spec=spec,
            connector=cls(),
            ctx=ctx,
            policy=self.policy,
            bucket=self.limiters.for_connection(connection.id, spec.limits),
            progress=progress,
        )

    async def _heartbeat(self, run_id: int, owner: asyncio.Task[object] | None) -> None:
        while True:
            await asyncio.sleep(self.lease / 3)
            try:
                still_ours = await renew(self.db, run_id, self.worker, self.lease)
            except Exception:
                log.exception("heartbeat of run %s failed; trying again", run_id)
                continue
            if not still_ours:
                log.warning("run %s lost its lease; cancelling it here", run_id)
                if owner is not None:
                    owner.cancel()
                return
