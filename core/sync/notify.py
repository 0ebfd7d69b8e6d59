"""Telling operators when a run failed or came back partial, through a notify connection.

A sync may name a connection with the ``notify`` capability (a WeCom or Feishu group
bot). When one of its runs ends ``failed`` or ``partial`` — or succeeded with warnings,
such as removals held back by a platform's minimum audience size — the operators get
one concise message with the counts, the error and a link to the run. A notification
that can't be delivered is logged; it never changes the run's outcome.
"""

from __future__ import annotations

import logging
from typing import Any

from junction.core.db.tables import Connection, Sync, SyncRun
from junction.core.sync.outcomes import describe
from junction.core.sync.ratelimit import TokenBucket
from junction.core.sync.retry import RetryPolicy, call_with_retries
from junction.core.sync.runs import RunStatus
from junction.plugins import Capability, Messenger, Notification

__all__ = ["run_notification", "send_notification"]

log = logging.getLogger("junction.sync")


def run_notification(sync: Sync, run: SyncRun, public_url: str | None) -> Notification | None:
    """The message about ``run``, or None when there is nothing to tell."""
    warnings = list((run.details or {}).get("warnings") or [])
    status = RunStatus(run.status)
    if status is RunStatus.SUCCEEDED and not warnings:
        return None
    if status not in (RunStatus.SUCCEEDED, RunStatus.PARTIAL, RunStatus.FAILED):
        return None
    lines = [
        f"planned {run.planned} · accepted {run.accepted} · dead-lettered {run.dead_lettered}"
        f" · unknown {run.unknown} · failed {run.failed}"
    ]
    if run.error:
        lines.append(f"error: {run.error}")
    lines.extend(f"warning: {warning}" for warning in warnings[:3])
    url = f"{public_url.rstrip('/')}/admin/runs/{run.id}" if public_url else None
    return Notification(
        title=f"Junction: sync {sync.name} run {run.id} {status.value}",
        text="\n".join(lines),
        url=url,
        severity="error" if status is RunStatus.FAILED else "warning",
    )


async def send_notification(
    connector: Any,
    ctx: Any,
    connection: Connection,
    notification: Notification,
    policy: RetryPolicy,
    bucket: TokenBucket | None = None,
) -> bool:
    """Post ``notification`` within the connection's rate limit (a WeCom robot takes 20
    a minute); True when it went out. Never raises."""
    if not isinstance(connector, Messenger) or Capability.NOTIFY not in connector.spec.capabilities:
        log.warning("connection %s can't notify operators; skipped", connection.name)
        return False

    async def call() -> None:
        if bucket is not None:
            await bucket.acquire()
        await connector.notify(ctx, notification)

    try:
        await call_with_retries(call, policy=policy, budget=policy.budget())
    except Exception as exc:
        log.warning("could not notify %s: %s", connection.name, describe(exc))
        return False
    return True
