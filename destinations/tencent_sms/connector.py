"""The ``tencent_sms`` connector: template SMS through SendSms (API 2021-01-11)."""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, TypeAlias

import httpx
import msgspec

from junction.destinations.tencent_sms.client import CallError, SendStatus, call
from junction.destinations.tencent_sms.codes import Verdict, verdict
from junction.destinations.tencent_sms.config import SendPlan, TencentSmsConfig, plan
from junction.destinations.tencent_sms.numbers import InvalidNumber, is_mainland, to_tencent
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

__all__ = ["MAX_NUMBERS", "TencentSms"]

#: PhoneNumberSet takes at most 200 numbers.
MAX_NUMBERS = 200
Ctx: TypeAlias = ConnectorContext[TencentSmsConfig]


class Outgoing(msgspec.Struct, frozen=True):
    """A recipient ready to go: key, E.164 number and TemplateParamSet."""

    key: str
    number: str
    values: tuple[str, ...]

    @property
    def group(self) -> tuple[tuple[str, ...], bool]:
        # One call shares its TemplateParamSet and may not mix mainland and abroad.
        return self.values, is_mainland(self.number)


class TencentSms(Messenger[TencentSmsConfig]):
    """Sends an approved Tencent Cloud SMS template to each recipient."""

    spec = ConnectorSpec(
        name="tencent_sms",
        kind=Kind.DESTINATION,
        title="Tencent Cloud SMS",
        description=(
            "Send approved SMS templates (腾讯云短信) to people entering a segment, with "
            "per-person template variables, through SendSms (API 3.0, 2021-01-11)."
        ),
        config=TencentSmsConfig,
        capabilities=frozenset({Capability.MESSAGE}),
        accepts=(IdentifierRule(type="phone", normalizer="e164"),),
        # SendSms allows 3000 calls/s. Personalised messages take one call per person,
        # so a 200-person batch may take 200 calls: 15 batches/s stays under the cap.
        limits=Limits(max_batch_records=MAX_NUMBERS, requests_per_second=15, burst=5),
        idempotent=False,
        docs_url="https://cloud.tencent.com/document/api/382/55981",
    )

    async def check(self, ctx: Ctx) -> CheckResult:
        # The spec documents no read-only call, so check sends SendSms to no numbers:
        # it can't deliver anything, and MissingParameter.EmptyPhoneNumberSet proves the
        # signature and the SmsSdkAppId were accepted.
        payload = {"PhoneNumberSet": [], "SmsSdkAppId": ctx.config.sms_sdk_app_id}
        async with _client(ctx) as client:
            try:
                answer = await call(ctx, client, payload)
            except PermanentFailure as exc:
                if exc.code and exc.code.startswith("MissingParameter"):
                    app = ctx.config.sms_sdk_app_id
                    return CheckResult(
                        ok=True, message=f"Tencent Cloud accepted the key for SMS app {app}."
                    )
                return CheckResult(ok=False, message=exc.message)
            except (Retryable, OutcomeUnknown) as exc:
                return CheckResult(ok=False, message=exc.message)
        if isinstance(answer, CallError):
            return CheckResult(ok=False, message=f"Tencent Cloud refused: {answer.describe()}")
        return CheckResult(ok=False, message="Tencent Cloud answered the probe unexpectedly")

    async def send(
        self, ctx: Ctx, message: Message, recipients: Sequence[Recipient]
    ) -> BatchResult:
        send_plan = plan(ctx.config, message)
        results: dict[str, RecordResult] = {}
        ready: list[Outgoing] = []
        for recipient in recipients:
            outgoing = _outgoing(send_plan, recipient)
            if isinstance(outgoing, RecordResult):
                results[recipient.key] = outgoing
            else:
                ready.append(outgoing)
        if send_plan.sign_name is None and any(is_mainland(o.number) for o in ready):
            raise ConfigInvalid(
                "mainland China numbers need an SMS signature: set options.sign_name on the "
                "sync or sign_name on the connection",
                field="sign_name",
            )
        queue = deque(_calls(ready))
        went_out = False
        async with _client(ctx) as client:
            while queue:
                chunk = queue.popleft()
                try:
                    answer = await call(ctx, client, _payload(ctx, send_plan, chunk))
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
                if not isinstance(answer, CallError):
                    results |= _statuses(chunk, answer)
                    went_out = True
                    continue
                found = verdict(answer.Code)
                if found in (Verdict.REJECT, Verdict.DEFER) and len(chunk) > 1:
                    # A refused call sent nothing: send its numbers one by one to find
                    # which one Tencent objects to.
                    queue.extendleft([one] for one in reversed(chunk))
                    continue
                if found is Verdict.CONFIG and not went_out:
                    raise ConfigInvalid(f"Tencent Cloud refused the message: {answer.describe()}")
                status = RecordStatus.REJECTED if found is Verdict.REJECT else RecordStatus.RETRY
                results |= _all(chunk, status, answer.describe(), answer.Code)
                if found in (Verdict.DEFER_ALL, Verdict.CONFIG):
                    reason = f"not sent: {answer.describe()}"
                    results |= _all(_rest(queue), RecordStatus.RETRY, reason, answer.Code)
                    break
        return BatchResult(
            results=tuple(results[r.key] for r in recipients), received=len(recipients)
        )


def _outgoing(send_plan: SendPlan, recipient: Recipient) -> Outgoing | RecordResult:
    phone = recipient.address.get("phone")
    if not phone:
        return _rejected(recipient.key, "the recipient has no phone address", "no_phone")
    try:
        number = to_tencent(phone)
    except InvalidNumber as exc:
        return _rejected(recipient.key, str(exc), "invalid_phone")
    try:
        values = send_plan.template_params(dict(recipient.params))
    except KeyError as exc:
        reason = f"template variable {exc.args[0]} (options.param_order) was not rendered"
        return _rejected(recipient.key, reason, "missing_param")
    return Outgoing(recipient.key, number, tuple(values))


def _calls(ready: list[Outgoing]) -> list[list[Outgoing]]:
    """Calls of at most 200 numbers sharing their params and region, no number twice."""
    groups: dict[tuple[tuple[str, ...], bool], list[list[Outgoing]]] = {}
    for outgoing in ready:
        calls = groups.setdefault(outgoing.group, [])
        for chunk in calls:
            if len(chunk) < MAX_NUMBERS and all(o.number != outgoing.number for o in chunk):
                chunk.append(outgoing)
                break
        else:
            calls.append([outgoing])
    return [chunk for calls in groups.values() for chunk in calls]


def _payload(ctx: Ctx, send_plan: SendPlan, chunk: list[Outgoing]) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "PhoneNumberSet": [o.number for o in chunk],
        "SmsSdkAppId": ctx.config.sms_sdk_app_id,
        "TemplateId": send_plan.template_id,
    }
    if chunk[0].values:
        payload["TemplateParamSet"] = list(chunk[0].values)
    if send_plan.sign_name is not None:
        payload["SignName"] = send_plan.sign_name
    if len(chunk) == 1:
        # Echoed in receipts: the recipient's key, for a later status lookup.
        payload["SessionContext"] = chunk[0].key
    if send_plan.extend_code is not None:
        payload["ExtendCode"] = send_plan.extend_code
    if send_plan.sender_id is not None and not is_mainland(chunk[0].number):
        payload["SenderId"] = send_plan.sender_id
    return payload


def _statuses(chunk: list[Outgoing], statuses: list[SendStatus]) -> dict[str, RecordResult]:
    by_number = {status.PhoneNumber: status for status in statuses}
    results = {}
    for o in chunk:
        status = by_number.get(o.number)
        if status is None:
            reason = "Tencent Cloud accepted the call but gave no status for this number"
            results[o.key] = RecordResult(key=o.key, status=RecordStatus.UNKNOWN, reason=reason)
        else:
            results[o.key] = _status(o.key, status)
    return results


def _status(key: str, status: SendStatus) -> RecordResult:
    found = verdict(status.Code)
    if found is Verdict.OK:
        return RecordResult(key=key, status=RecordStatus.ACCEPTED, platform_id=status.SerialNo)
    reason = f"{status.Code}: {status.Message[:200] or 'no message'}"
    if found is Verdict.UNKNOWN:
        outcome = RecordStatus.UNKNOWN
    elif found in (Verdict.DEFER, Verdict.DEFER_ALL, Verdict.THROTTLED, Verdict.RETRY):
        outcome = RecordStatus.RETRY
    else:
        outcome = RecordStatus.REJECTED
    return RecordResult(key=key, status=outcome, reason=reason, code=status.Code)


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


def _client(ctx: Ctx) -> AbstractAsyncContextManager[httpx.AsyncClient]:
    return ctx.http(timeout=httpx.Timeout(ctx.config.timeout_seconds))
