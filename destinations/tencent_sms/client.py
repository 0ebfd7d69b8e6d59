"""One signed SendSms call to Tencent Cloud, and what its answer means at call level."""

from __future__ import annotations

from typing import Any, TypeAlias

import httpx
import msgspec

from junction.destinations.tencent_sms.codes import HINTS, Verdict, verdict
from junction.destinations.tencent_sms.config import TencentSmsConfig
from junction.destinations.tencent_sms.signing import authorization
from junction.plugins import (
    AuthFailed,
    ConnectorContext,
    OutcomeUnknown,
    PermanentFailure,
    RateLimited,
    Retryable,
)

__all__ = ["API_VERSION", "CONTENT_TYPE", "CallError", "SendStatus", "call"]

API_VERSION = "2021-01-11"
SERVICE = "sms"
CONTENT_TYPE = "application/json; charset=utf-8"
Ctx: TypeAlias = ConnectorContext[TencentSmsConfig]


class SendStatus(msgspec.Struct, frozen=True):
    """One number's outcome in ``SendStatusSet``."""

    PhoneNumber: str
    Code: str
    Message: str = ""
    SerialNo: str | None = None
    SessionContext: str | None = None
    Fee: int | None = None
    IsoCode: str | None = None


class CallError(msgspec.Struct, frozen=True):
    """A call-level ``Response.Error`` the caller has to judge (nothing was sent)."""

    Code: str
    Message: str = ""

    def describe(self) -> str:
        return f"{self.Code}: {self.Message[:200] or 'no message'}"


class _Response(msgspec.Struct, frozen=True):
    RequestId: str = ""
    Error: CallError | None = None
    SendStatusSet: list[SendStatus] = []


class _Envelope(msgspec.Struct, frozen=True):
    Response: _Response


async def call(
    ctx: Ctx, client: httpx.AsyncClient, payload: dict[str, Any]
) -> list[SendStatus] | CallError:
    """POST SendSms with ``payload``, signed; per-number statuses, or the call's error.

    Errors that concern no recipient are raised here.

    Raises:
        AuthFailed: bad SecretId/SecretKey, signature, permission or clock.
        RateLimited: ``RequestLimitExceeded*``.
        Retryable: the request never reached Tencent, or its backend failed and said so.
        OutcomeUnknown: the request went out but no usable answer came back.
        PermanentFailure: Tencent refused the request as malformed.
    """
    config = ctx.config
    body = msgspec.json.encode(payload)
    timestamp = int(ctx.now().timestamp())
    host = httpx.URL(config.endpoint).host
    headers = {
        "Content-Type": CONTENT_TYPE,
        "Host": host,
        "X-TC-Action": "SendSms",
        "X-TC-Version": API_VERSION,
        "X-TC-Timestamp": str(timestamp),
        "X-TC-Region": config.region,
        "Authorization": authorization(
            config.secret_id,
            config.secret_key,
            timestamp=timestamp,
            service=SERVICE,
            content_type=CONTENT_TYPE,
            host=host,
            body=body,
        ),
    }
    try:
        response = await client.post(config.endpoint, content=body, headers=headers)
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
        # No connection was made, so nothing was sent: safe to try again.
        raise Retryable(f"could not reach {host} ({type(exc).__name__})") from exc
    except httpx.TimeoutException as exc:
        raise OutcomeUnknown(
            f"{host} did not answer SendSms within {config.timeout_seconds:g}s; "
            "the SMS may have been sent"
        ) from exc
    except httpx.TransportError as exc:
        raise OutcomeUnknown(
            f"the connection to {host} failed during SendSms ({type(exc).__name__}); "
            "the SMS may have been sent"
        ) from exc
    return _answer(host, response)


def _answer(host: str, response: httpx.Response) -> list[SendStatus] | CallError:
    where = f"{host} answered SendSms with HTTP {response.status_code}"
    try:
        answer = msgspec.json.decode(response.content, type=_Envelope).Response
    except msgspec.DecodeError as exc:
        # API 3.0 answers 200 with a JSON envelope; anything else came from in between.
        raise OutcomeUnknown(f"{where} and no readable result; the SMS may have been sent") from exc
    error = answer.Error
    if error is None:
        if response.status_code >= 300:
            raise OutcomeUnknown(f"{where}; the SMS may have been sent")
        return answer.SendStatusSet
    found = verdict(error.Code)
    if found is Verdict.AUTH:
        hint = HINTS.get(error.Code, "check the SecretId and SecretKey")
        raise AuthFailed(
            f"Tencent Cloud refused the request ({error.Code}): {hint}", code=error.Code
        )
    if found is Verdict.THROTTLED:
        raise RateLimited(f"{where}: throttled ({error.describe()})", code=error.Code)
    if found is Verdict.RETRY:
        raise Retryable(f"{where} ({error.describe()})", code=error.Code)
    if found is Verdict.UNKNOWN:
        raise OutcomeUnknown(f"{where} ({error.describe()}); the SMS may have been sent")
    if found is Verdict.MALFORMED:
        raise PermanentFailure(f"{where}: {error.describe()}", code=error.Code)
    # A business code about a number, the setup or the application, for the caller.
    return error
