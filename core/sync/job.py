"""What one run of a sync works with, gathered once when a worker starts (or resumes) it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from junction.core.db import Database
from junction.core.db.tables import Connection, Sync, SyncRun
from junction.core.sync.ratelimit import TokenBucket
from junction.core.sync.retry import RetryBudget, RetryPolicy
from junction.plugins import Connector, ConnectorContext, ConnectorSpec

__all__ = ["Job", "Progress"]

#: Called after every batch with (run id, records done, records planned).
Progress = Callable[[int, int, int], None]


class RunAborted(Exception):
    """Raised inside a run when it must stop now (auth failure, bad config, plugin bug).

    The message is what the run record shows.
    """


@dataclass
class Job:
    """One run being executed by one worker."""

    db: Database
    worker: str
    sync: Sync
    run: SyncRun
    connection: Connection
    spec: ConnectorSpec
    connector: Connector[Any]
    ctx: ConnectorContext[Any]
    policy: RetryPolicy
    bucket: TokenBucket | None
    progress: Progress | None = None
    budget: RetryBudget = field(init=False)

    def __post_init__(self) -> None:
        self.budget = self.policy.budget()

    def report(self, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(self.run.id, done, total)
