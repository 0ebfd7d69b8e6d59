"""The ``aliyun_sms`` connector: template SMS through SendSms / SendBatchSms."""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from typing import TypeAlias

import httpx
import msgspec

from junction.destinations.aliyun_sms.client import Reply, call
from junction.destinations.aliyun_sms.codes import Verdict, verdict
from junction.destinations.aliyun_sms.config import AliyunSmsConfig, SendPlan, plan
from junction.destinations.aliyun_sms.numbers import InvalidNumber, to_aliyun
from junction.plugins import (
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
    OutcomeUnknown,
    PermanentFailure,
    PluginError,
    Recipient,
    RecordResult,
    RecordStatus,
    Retryable,
)

__all__ = ["MAX_BATCH", "AliyunSms"]

#: SendBatchSms takes at most 100 numbers (SendSms 1000, but with one TemplateParam).
MAX_BATCH = 100
Ctx: TypeAlias = ConnectorContext[AliyunSmsConfig]


class Outgoing(msgspec.Struct, frozen=True):
    """A recipient ready to go: its key, number in Aliyun's form, and template params."""

    key: str
    number: str
    params: dict[str, str]


class AliyunSms(Messenger[AliyunSmsConfig]):
    """Sends an approved Aliyun SMS template to each recipient, with their own params."""

    spec = ConnectorSpec(
        name="aliyun_sms",
        kind=Kind.DESTINATION,
        title="Aliyun SMS",
        description=(
            "Send approved SMS templates (阿里云短信服务) to people entering a segment, with "
            "per-person template variables, through dysmsapi SendSms / SendBatchSms."
        ),
        config=AliyunSmsConfig,
        capabilities=frozenset({Capability.MESSAGE}),
        accepts=(IdentifierRule(type="phone", normalizer="e164"),),
        # Aliyun allows 5000 calls/s per account. A batch may take up to 100 calls when
        # refused numbers are sent one by one, so 50 batches/s stays under that.
        limits=Limits(max_batch_records=MAX_BATCH, requests_per_second=50, burst=10),
        idempotent=False,
        docs_url="https://help.aliyun.com/en/sms/developer-reference/api-dysmsapi-2017-05-25-sendsms",
    )

    async def check(self, ctx: Ctx) -> CheckResult:
        # The spec documents no read-only call, so check sends a SendSms without numbers:
        # the gateway verifies key and signature first, and the call can't deliver
        # anything. "Missing..." proves the credentials were accepted.
        async with _client(ctx) as client:
            try:
                reply = await call(ctx, client, "SendSms", {})
            except PermanentFailure as exc:
                if exc.code and exc.code.startswith("Missing"):
                    return CheckResult(
                        ok=True, message=f"Aliyun accepted AccessKey {_key_hint(ctx)}."
                    )
                return CheckResult(ok=False, message=exc.message)
            except (Retryable, OutcomeUnknown) as exc:
                return CheckResult(ok=False, message=exc.message)
        return CheckResult(ok=False, message=f"unexpected answer to the probe: {reply.Code}")

    async def send(
        self, ctx: Ctx, message: Message, recipients: Sequence[Recipient]
    ) -> BatchResult:
        send_plan = plan(ctx.config, message)
        results: dict[str, RecordResult] = {}
        ready: list[Outgoing] = []
        for recipient in recipients:
            outgoing = _outgoing(recipient)
            if isinstance(outgoing, RecordResult):
                results[recipient.key] = outgoing
            else:
                ready.append(outgoing)
        queue = deque(ready[i : i + MAX_BATCH] for i in range(0, len(ready), MAX_BATCH))
        went_out = False
        async with _client(ctx) as client:
            while queue:
                chunk = queue.popleft()
                try:
                    reply = await _send_chunk(ctx, client, send_plan, chunk)
                except OutcomeUnknown as exc:
                    results |= _all(chunk, RecordStatus.UNKNOWN, exc.message)
                    results |= _all(_rest(queue), RecordStatus.RETRY, "not sent: " + exc.message)
                    break
                except PluginError as exc:
                    # Raising would make the engine resend the whole batch, so once
                    # anything went out the rest is handed back for a later pass.
                    if not went_out:
                        raise
                    reason = f"not sent: {exc.message}"
                    results |= _all([*chunk, *_rest(queue)], RecordStatus.RETRY, reason, exc.code)
                    break
                found = verdict(reply.Code)
                if found in (Verdict.REJECT, Verdict.DEFER) and len(chunk) > 1:
                    # A refused batch sent nothing: send its numbers one by one to find
                    # which one Aliyun objects to.
                    queue.extendleft([one] for one in reversed(chunk))
                    continue
                if found is Verdict.CONFIG and not went_out:
                    raise ConfigInvalid(f"Aliyun refused the message: {reply.describe()}")
                results |= _judge(reply, found, chunk)
                went_out = went_out or found is Verdict.OK
                if found in (Verdict.DEFER_ALL, Verdict.CONFIG):
                    reason = f"not sent: {reply.describe()}"
                    results |= _all(_rest(queue), RecordStatus.RETRY, reason, reply.Code)
                    break
        return BatchResult(
            results=tuple(results[r.key] for r in recipients), received=len(recipients)
        )


def _outgoing(recipient: Recipient) -> Outgoing | RecordResult:
    phone = recipient.address.get("phone")
    if not phone:
        return _rejected(recipient.key, "the recipient has no phone address", "no_phone")
    try:
        number = to_aliyun(phone)
    except InvalidNumber as exc:
        return _rejected(recipient.key, str(exc), "invalid_phone")
    return Outgoing(recipient.key, number, dict(recipient.params))


async def _send_chunk(
    ctx: Ctx, client: httpx.AsyncClient, send_plan: SendPlan, chunk: list[Outgoing]
) -> Reply:
    if len(chunk) == 1:
        # SendSms takes a caller reference: the recipient's key, echoed in receipts.
        [one] = chunk
        params = {
            "PhoneNumbers": one.number,
            "SignName": send_plan.sign_name,
            "TemplateCode": send_plan.template_code,
            "OutId": one.key,
        }
        if one.params:
            params["TemplateParam"] = _json(one.params)
        if send_plan.extend_code:
            params["SmsUpExtendCode"] = send_plan.extend_code
        return await call(ctx, client, "SendSms", params)
    params = {
        "PhoneNumberJson": _json([o.number for o in chunk]),
        "SignNameJson": _json([send_plan.sign_name] * len(chunk)),
        "TemplateCode": send_plan.template_code,
    }
    if any(o.params for o in chunk):
        params["TemplateParamJson"] = _json([o.params for o in chunk])
    if send_plan.extend_code:
        params["SmsUpExtendCodeJson"] = _json([send_plan.extend_code] * len(chunk))
    return await call(ctx, client, "SendBatchSms", params)


def _judge(reply: Reply, found: Verdict, chunk: list[Outgoing]) -> dict[str, RecordResult]:
    if found is Verdict.OK:
        return {
            o.key: RecordResult(key=o.key, status=RecordStatus.ACCEPTED, platform_id=reply.BizId)
            for o in chunk
        }
    if found is Verdict.REJECT:
        return _all(chunk, RecordStatus.REJECTED, reply.describe(), reply.Code)
    # DEFER: this number's flow control; DEFER_ALL / CONFIG: nothing goes out for now.
    return _all(chunk, RecordStatus.RETRY, reply.describe(), reply.Code)


def _all(
    outgoing: Sequence[Outgoing], status: RecordStatus, reason: str, code: str | None = None
) -> dict[str, RecordResult]:
    return {
        o.key: RecordResult(key=o.key, status=status, reason=reason, code=code) for o in outgoing
    }


def _rest(queue: deque[list[Outgoing]]) -> list[Outgoing]:
    return [o for chunk in queue for o in chunk]


def _rejected(key: str, reason: str, code: str) -> RecordResult:
    return RecordResult(key=key, status=RecordStatus.REJECTED, reason=reason, code=code)


def _json(value: object) -> str:
    return msgspec.json.encode(value).decode("utf-8")


def _client(ctx: Ctx) -> AbstractAsyncContextManager[httpx.AsyncClient]:
    return ctx.http(timeout=httpx.Timeout(ctx.config.timeout_seconds))


def _key_hint(ctx: Ctx) -> str:
    key = ctx.config.access_key_id
    return f"{key[:4]}…" if len(key) > 8 else "(id)"
