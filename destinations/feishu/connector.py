"""The ``feishu`` connector: custom bot notifications and app messages."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from typing import TypeAlias

import httpx

from junction.destinations.feishu import bot
from junction.destinations.feishu.app import FeishuApp
from junction.destinations.feishu.codes import HINTS, Verdict, describe, verdict
from junction.destinations.feishu.config import FeishuConfig, options_of
from junction.destinations.feishu.outgoing import Outgoing, outgoing
from junction.plugins import (
    AuthFailed,
    BatchResult,
    Capability,
    CheckResult,
    ConfigInvalid,
    ConnectorContext,
    ConnectorSpec,
    IdentifierRule,
    Kind,
    Limits,
    Message,
    Messenger,
    Notification,
    OutcomeUnknown,
    PluginError,
    RateLimited,
    Recipient,
    RecordResult,
    RecordStatus,
    Retryable,
)

__all__ = ["MAX_BATCH", "Feishu"]

Ctx: TypeAlias = ConnectorContext[FeishuConfig]
#: Recipients per batch; each takes its own call.
MAX_BATCH = 50


class Feishu(Messenger[FeishuConfig]):
    """Notifies operators through a custom bot; messages people through a self-built app."""

    spec = ConnectorSpec(
        name="feishu",
        kind=Kind.DESTINATION,
        title="Feishu / Lark (飞书)",
        description=(
            "Tell operators about failed or partial sync runs through a Feishu group's "
            "custom bot (signed), and send app messages to the people who enter a segment."
        ),
        config=FeishuConfig,
        capabilities=frozenset({Capability.NOTIFY, Capability.MESSAGE}),
        accepts=(
            IdentifierRule(type="user_id", platform_key="user_id"),
            IdentifierRule(type="email", normalizer="email_lower", platform_key="email"),
        ),
        # im/v1/messages allows 1000 calls a minute per app, one recipient per call:
        # a 50-recipient batch every 3 s stays within it.
        limits=Limits(max_batch_records=MAX_BATCH, requests_per_second=1 / 3, burst=1),
        idempotent=False,
        docs_url="docs/destinations/feishu.md",
    )

    async def check(self, ctx: Ctx) -> CheckResult:
        config = ctx.config
        found: list[str] = []
        async with _client(ctx) as client:
            if config.has_bot:
                now = ctx.now().timestamp()
                problem = await bot.probe(client, config.webhook_token, config.webhook_secret, now)
                if problem is not None:
                    return CheckResult(ok=False, message=f"Custom bot: {problem}")
                signed = " and signature" if config.webhook_secret else ""
                found.append(f"the custom bot's token{signed}")
            if config.has_app:
                try:
                    await FeishuApp(ctx, client).token()
                except (PluginError, OutcomeUnknown) as exc:
                    return CheckResult(ok=False, message=f"App: {exc.message}")
                found.append(f"the credentials of app {config.app_id}")
        message = f"Feishu accepted {' and '.join(found)}."
        missing = []
        if not config.has_bot:
            missing.append("no custom bot, so no notifications")
        if not config.has_app:
            missing.append("no app, so no app messages")
        if missing:
            message += f" Not configured: {'; '.join(missing)}."
        return CheckResult(
            ok=True, message=message, details={"notify": config.has_bot, "message": config.has_app}
        )

    async def notify(self, ctx: Ctx, notification: Notification) -> None:
        config = ctx.config
        token = bot.require_token(config.webhook_token)
        payload = bot.fitted(notification, config.notify_format)
        async with _client(ctx) as client:
            now = ctx.now().timestamp()
            await bot.post(client, token, config.webhook_secret, payload, now)

    async def send(
        self, ctx: Ctx, message: Message, recipients: Sequence[Recipient]
    ) -> BatchResult:
        options = options_of(message)
        results: dict[str, RecordResult] = {}
        ready: list[Outgoing] = []
        for recipient in recipients:
            item = outgoing(options, message, recipient)
            if isinstance(item, RecordResult):
                results[recipient.key] = item
            else:
                ready.append(item)
        async with _client(ctx) as client:
            batch = _Batch(FeishuApp(ctx, client), ctx.config.concurrency)
            if ready:
                # The first call goes alone: refused credentials or scopes, or a throttle,
                # fail the whole batch while nothing has gone out yet.
                results[ready[0].key] = await batch.one(ready[0], first=True)
                rest = await asyncio.gather(*(batch.one(o) for o in ready[1:]))
                results |= {result.key: result for result in rest}
        return BatchResult(
            results=tuple(results[r.key] for r in recipients),
            received=len(recipients),
            invalid=sum(1 for r in results.values() if r.status is RecordStatus.REJECTED),
        )


class _Batch:
    """The calls of one ``send``: at most ``concurrency`` at once, stopped by a refusal."""

    def __init__(self, app: FeishuApp, concurrency: int) -> None:
        self.app = app
        self.slots = asyncio.Semaphore(concurrency)
        #: Why sending stopped (credentials or scope refused mid-batch), if it did.
        self.stopped: str | None = None

    async def one(self, item: Outgoing, *, first: bool = False) -> RecordResult:
        """Send ``item``; its result. With ``first``, batch-wide failures are raised."""
        async with self.slots:
            if self.stopped is not None:
                return _result(item, RecordStatus.RETRY, f"not sent: {self.stopped}")
            try:
                reply = await self.app.send(item.receive_id_type, item.body)
            except OutcomeUnknown as exc:
                return _result(item, RecordStatus.UNKNOWN, exc.message, exc.code)
            except (AuthFailed, ConfigInvalid) as exc:
                if first:
                    raise
                self.stopped = exc.message
                return _result(item, RecordStatus.RETRY, f"not sent: {exc.message}", exc.code)
            except PluginError as exc:
                if first:
                    raise
                return _result(item, RecordStatus.RETRY, exc.message, exc.code)
        found = verdict(reply.code, reply.msg)
        what, code = describe(reply.code, reply.msg), str(reply.code)
        if found is Verdict.OK:
            message_id = reply.data.get("message_id")
            return RecordResult(
                key=item.key,
                status=RecordStatus.ACCEPTED,
                platform_id=message_id if isinstance(message_id, str) else None,
            )
        if found in (Verdict.THROTTLED, Verdict.BUSY):
            if first:
                kind = RateLimited if found is Verdict.THROTTLED else Retryable
                raise kind(f"Feishu deferred im/v1/messages ({what})", code=code)
            return _result(item, RecordStatus.RETRY, f"Feishu deferred it ({what})", code)
        if found in (Verdict.AUTH, Verdict.CONFIG):
            hint = HINTS.get(reply.code, "check the app's permissions")
            error = ConfigInvalid(f"Feishu refused the app ({what}): {hint}", code=code)
            if first:
                raise error
            self.stopped = error.message
            return _result(item, RecordStatus.RETRY, f"not sent: {error.message}", code)
        # REJECT and anything else: about this recipient (unknown id, outside the app's
        # availability, blocked the bot...).
        return _result(item, RecordStatus.REJECTED, f"Feishu refused: {what}", code)


def _result(
    item: Outgoing, status: RecordStatus, reason: str, code: str | None = None
) -> RecordResult:
    return RecordResult(key=item.key, status=status, reason=reason, code=code)


def _client(ctx: Ctx) -> AbstractAsyncContextManager[httpx.AsyncClient]:
    return ctx.http(base_url=ctx.config.base_url, timeout=httpx.Timeout(ctx.config.timeout_seconds))
