"""The ``wecom`` connector: group robot notifications and application messages."""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from typing import TypeAlias

import httpx

from junction.destinations.wecom import robot
from junction.destinations.wecom.app import WeComApp
from junction.destinations.wecom.codes import HINTS, THROTTLE_WAIT, Verdict, describe, verdict
from junction.destinations.wecom.config import WeComConfig, options_of
from junction.destinations.wecom.outgoing import MAX_USERS, Outgoing, body, calls, outgoing
from junction.destinations.wecom.wire import Reply
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

__all__ = ["WeCom"]

Ctx: TypeAlias = ConnectorContext[WeComConfig]
#: "user & party & tag all invalid": every recipient of the call is refused.
ALL_INVALID = 81013


class WeCom(Messenger[WeComConfig]):
    """Notifies operators through a group robot; messages members through an app."""

    spec = ConnectorSpec(
        name="wecom",
        kind=Kind.DESTINATION,
        title="WeCom (企业微信)",
        description=(
            "Tell operators about failed or partial sync runs through a WeCom group robot, "
            "and send application messages to the members who enter a segment."
        ),
        config=WeComConfig,
        capabilities=frozenset({Capability.NOTIFY, Capability.MESSAGE}),
        # The hub's user_id must be the person's WeCom userid (账号): see the docs.
        accepts=(IdentifierRule(type="user_id", platform_key="touser"),),
        # A robot takes 20 messages a minute. A shared message reaches 1000 userids in one
        # call; personalised ones take a call each, so throttling answers (45009) still
        # come back as RateLimited with a minute's wait.
        limits=Limits(max_batch_records=MAX_USERS, requests_per_second=20 / 60, burst=1),
        idempotent=False,
        docs_url="docs/destinations/wecom.md",
    )

    async def check(self, ctx: Ctx) -> CheckResult:
        config = ctx.config
        found: list[str] = []
        async with _client(ctx) as client:
            if config.has_robot:
                problem = await robot.probe(client, config.webhook_key)
                if problem is not None:
                    return CheckResult(ok=False, message=f"Group robot: {problem}")
                found.append("the group robot key")
            if config.has_app:
                try:
                    await WeComApp(ctx, client).token()
                except (PluginError, OutcomeUnknown) as exc:
                    return CheckResult(ok=False, message=f"Application: {exc.message}")
                found.append(f"the credentials of application {config.agent_id}")
        missing = []
        if not config.has_robot:
            missing.append("no group robot, so no notifications")
        if not config.has_app:
            missing.append("no application, so no app messages")
        message = f"WeCom accepted {' and '.join(found)}."
        if missing:
            message += f" Not configured: {'; '.join(missing)}."
        return CheckResult(
            ok=True,
            message=message,
            details={"notify": config.has_robot, "message": config.has_app},
        )

    async def notify(self, ctx: Ctx, notification: Notification) -> None:
        key = robot.require_key(ctx.config.webhook_key)
        if ctx.config.notify_format == "text":
            payload = robot.text_body(notification, ctx.config.mention)
        else:
            payload = robot.markdown_body(notification)
        async with _client(ctx) as client:
            await robot.post(client, key, payload)

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
        queue = deque(calls(ready))
        if (options.toparty or options.totag) and len({c[0].message for c in queue}) > 1:
            # Departments and tags get a copy of every call: one message, or they'd get many.
            raise ConfigInvalid(
                "options.toparty / options.totag copy one shared message; this template "
                "renders a different message per person",
                field="options",
            )
        warnings: list[str] = []
        went_out = False
        async with _client(ctx) as client:
            app = WeComApp(ctx, client)
            while queue:
                chunk = queue.popleft()
                try:
                    reply = await app.send(body(options, chunk))
                except OutcomeUnknown as exc:
                    results |= _all(chunk, RecordStatus.UNKNOWN, exc.message)
                    results |= _all(_rest(queue), RecordStatus.RETRY, f"not sent: {exc.message}")
                    break
                except PluginError as exc:
                    # Raising after a call went out would make the engine resend it too,
                    # so from then on what is left is handed back for a later pass.
                    if not went_out:
                        raise
                    reason = f"not sent: {exc.message}"
                    results |= _all([*chunk, *_rest(queue)], RecordStatus.RETRY, reason, exc.code)
                    break
                found = verdict(reply.errcode)
                if found is Verdict.OK:
                    results |= _delivered(chunk, reply, warnings)
                    went_out = True
                    continue
                what, code = describe(reply.errcode, reply.errmsg), str(reply.errcode)
                if found is Verdict.REJECT and len(chunk) > 1 and reply.errcode != ALL_INVALID:
                    # Refused whole for someone unnamed: send one by one to find whom.
                    queue.extendleft([one] for one in reversed(chunk))
                    continue
                if found in (Verdict.THROTTLED, Verdict.BUSY, Verdict.AUTH, Verdict.CONFIG):
                    if not went_out:
                        raise _error(found, reply)
                    reason = f"not sent: {what}"
                    results |= _all([*chunk, *_rest(queue)], RecordStatus.RETRY, reason, code)
                    break
                results |= _all(chunk, RecordStatus.REJECTED, f"WeCom refused: {what}", code)
        return BatchResult(
            results=tuple(results[r.key] for r in recipients),
            received=len(recipients),
            invalid=sum(1 for r in results.values() if r.status is RecordStatus.REJECTED),
            warnings=tuple(dict.fromkeys(warnings)),  # one per department, not per call
        )


def _delivered(chunk: list[Outgoing], reply: Reply, warnings: list[str]) -> dict[str, RecordResult]:
    """Per-userid results of an accepted call: the invalid and unlicensed are refused."""
    invalid = _ids(reply.invaliduser)
    unlicensed = _ids(reply.unlicenseduser)
    if reply.invalidparty:
        warnings.append(f"WeCom does not know departments {reply.invalidparty} (options.toparty)")
    if reply.invalidtag:
        warnings.append(f"WeCom does not know tags {reply.invalidtag} (options.totag)")
    results = {}
    for o in chunk:
        userid = o.userid.lower()
        if userid in invalid:
            reason = "WeCom does not know this userid, or it is outside the app's visible range"
            result = RecordResult(
                key=o.key, status=RecordStatus.REJECTED, reason=reason, code="invaliduser"
            )
        elif userid in unlicensed:
            reason = "this member has no WeCom interoperability licence for app messages"
            result = RecordResult(
                key=o.key, status=RecordStatus.REJECTED, reason=reason, code="unlicenseduser"
            )
        else:
            result = RecordResult(
                key=o.key, status=RecordStatus.ACCEPTED, platform_id=reply.msgid or None
            )
        results[o.key] = result
    return results


def _error(found: Verdict, reply: Reply) -> PluginError:
    what, code = describe(reply.errcode, reply.errmsg), str(reply.errcode)
    if found is Verdict.THROTTLED:
        return RateLimited(
            f"WeCom throttled message/send ({what})", retry_after=THROTTLE_WAIT, code=code
        )
    if found is Verdict.BUSY:
        return Retryable(f"WeCom is busy ({what})", code=code)
    if found is Verdict.AUTH:
        hint = HINTS.get(reply.errcode, "check the application's credentials")
        return AuthFailed(f"WeCom refused the application ({reply.errcode}): {hint}", code=code)
    return ConfigInvalid(f"WeCom refused the message as configured ({what})", field="options")


def _ids(joined: str) -> set[str]:
    return {part.lower() for part in joined.split("|") if part}


def _all(
    items: Sequence[Outgoing], status: RecordStatus, reason: str, code: str | None = None
) -> dict[str, RecordResult]:
    return {o.key: RecordResult(key=o.key, status=status, reason=reason, code=code) for o in items}


def _rest(queue: deque[list[Outgoing]]) -> list[Outgoing]:
    return [o for chunk in queue for o in chunk]


def _client(ctx: Ctx) -> AbstractAsyncContextManager[httpx.AsyncClient]:
    return ctx.http(base_url=ctx.config.base_url, timeout=httpx.Timeout(ctx.config.timeout_seconds))
