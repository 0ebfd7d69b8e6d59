"""The sync engine: pull syncs (source → hub) and push syncs (segment → destination).

Definitions (:mod:`.store`), runs with leases (:mod:`.runs`), the operations ledger
(:mod:`.ledger`), planning (:mod:`.plan`), delivery (:mod:`.push`, :mod:`.pull`), the
executor (:mod:`.worker`) and the scheduler (:mod:`.scheduler`). See docs/syncs.md.
"""

from junction.core.sync.changes import AudienceChanges, AudienceDiff, SegmentAudience
from junction.core.sync.deadletters import (
    DeadLetterView,
    ReplayResult,
    list_dead_letters,
    replay_dead_letters,
)
from junction.core.sync.definitions import SyncCreate, SyncKind, SyncMode, SyncUpdate, SyncView
from junction.core.sync.engine import SyncEngine, worker_name
from junction.core.sync.errors import SyncBusy, SyncDefinitionError
from junction.core.sync.ledger import Action, OpStatus, operation_key
from junction.core.sync.match import MatchPoint, match_history
from junction.core.sync.ratelimit import RateLimiters, TokenBucket
from junction.core.sync.retry import RetryBudget, RetryPolicy, call_with_retries
from junction.core.sync.runs import LeaseLost, RunStatus, claim, enqueue
from junction.core.sync.scheduler import Scheduler
from junction.core.sync.store import create_sync, get_sync, list_syncs, update_sync
from junction.core.sync.views import AttemptView, BatchView, RunDetail, RunView, get_run, list_runs
from junction.core.sync.worker import BackgroundSync, Worker

__all__ = [
    "Action",
    "AttemptView",
    "AudienceChanges",
    "AudienceDiff",
    "BackgroundSync",
    "BatchView",
    "DeadLetterView",
    "LeaseLost",
    "MatchPoint",
    "OpStatus",
    "RateLimiters",
    "ReplayResult",
    "RetryBudget",
    "RetryPolicy",
    "RunDetail",
    "RunStatus",
    "RunView",
    "Scheduler",
    "SegmentAudience",
    "SyncBusy",
    "SyncCreate",
    "SyncDefinitionError",
    "SyncEngine",
    "SyncKind",
    "SyncMode",
    "SyncUpdate",
    "SyncView",
    "TokenBucket",
    "Worker",
    "call_with_retries",
    "claim",
    "create_sync",
    "enqueue",
    "get_run",
    "get_sync",
    "list_dead_letters",
    "list_runs",
    "list_syncs",
    "match_history",
    "operation_key",
    "replay_dead_letters",
    "update_sync",
    "worker_name",
]
