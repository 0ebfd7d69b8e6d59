"""One signed RPC call to dysmsapi, and what its answer means at the transport level."""

from __future__ import annotations

import uuid
from typing import TypeAlias

import httpx
import msgspec

from junction.destinations.aliyun_sms.codes import HINTS, Verdict, verdict
from junction.destinations.aliyun_sms.config import AliyunSmsConfig
from junction.destinations.aliyun_sms.signing import signed_body
from junction.plugins import (
    AuthFailed,
    ConnectorContext,
    OutcomeUnknown,
    PermanentFailure,
    RateLimited,
    Retryable,
)

__all__ = ["API_VERSION", "Reply", "call"]

API_VERSION = "2017-05-25"
Ctx: TypeAlias = ConnectorContext[AliyunSmsConfig]


class Reply(msgspec.Struct, frozen=True, kw_only=True):
    """An answer that carries a ``Code`` the caller has to judge."""

    Code: str
    Message: str = ""
    BizId: str | None = None
    RequestId: str | None = None

    def describe(self) -> str:
        text = self.Message[:200] or "no message"
        return f"{self.Code}: {text}"


async def call(ctx: Ctx, client: httpx.AsyncClient, action: str, params: dict[str, str]) -> Reply:
    """POST ``action`` with ``params``, signed; the answer's code for the caller to judge.

    Gateway refusals that concern no recipient are raised here.

    Raises:
        AuthFailed: bad key, bad signature, missing permission, or a refused clock.
        RateLimited: the gateway throttled the caller (``Throttling.*``).
        Retryable: the request never reached Aliyun, or was refused for a passing reason.
        OutcomeUnknown: the request went out but no usable answer came back.
        PermanentFailure: Aliyun refused the request as malformed.
    """
    config = ctx.config
    signed = {
        **params,
        "Action": action,
        "Version": API_VERSION,
        "Format": "JSON",
        "RegionId": config.region_id,
        "AccessKeyId": config.access_key_id,
        "SignatureMethod": "HMAC-SHA1",
        "SignatureVersion": "1.0",
        "SignatureNonce": uuid.uuid4().hex,
        "Timestamp": ctx.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    body = signed_body(config.access_key_secret, signed)
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
    try:
        response = await client.post(config.endpoint, content=body, headers=headers)
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
        # No connection was made, so nothing was sent: safe to try again.
        raise Retryable(f"could not reach {_host(ctx)} ({type(exc).__name__})") from exc
    except httpx.TimeoutException as exc:
        raise OutcomeUnknown(
            f"{_host(ctx)} did not answer {action} within {config.timeout_seconds:g}s; "
            "the SMS may have been sent"
        ) from exc
    except httpx.TransportError as exc:
        raise OutcomeUnknown(
            f"the connection to {_host(ctx)} failed during {action} ({type(exc).__name__}); "
            "the SMS may have been sent"
        ) from exc
    return _reply(ctx, action, response)


def _reply(ctx: Ctx, action: str, response: httpx.Response) -> Reply:
    status = response.status_code
    try:
        reply = msgspec.json.decode(response.content, type=Reply)
    except msgspec.DecodeError:
        reply = None
    where = f"{_host(ctx)} answered {action} with HTTP {status}"
    if reply is None:
        if status < 300 or status >= 500:
            # Aliyun advises checking receipts before resending after any such failure.
            raise OutcomeUnknown(f"{where} and no readable result; the SMS may have been sent")
        raise PermanentFailure(f"{where} and no readable result")
    found = verdict(reply.Code)
    if status >= 500 and found is not Verdict.THROTTLED:
        raise OutcomeUnknown(f"{where} ({reply.describe()}); the SMS may have been sent")
    if found is Verdict.AUTH:
        hint = HINTS.get(reply.Code, "check the AccessKey ID and secret")
        raise AuthFailed(f"Aliyun refused the request ({reply.Code}): {hint}", code=reply.Code)
    if found is Verdict.THROTTLED:
        raise RateLimited(f"{where}: throttled ({reply.describe()})", code=reply.Code)
    if found is Verdict.RETRY:
        raise Retryable(f"{where} ({reply.describe()})", code=reply.Code)
    if found is Verdict.MALFORMED:
        raise PermanentFailure(f"{where}: {reply.describe()}", code=reply.Code)
    # OK, or a business code (about a number, the setup or the account) for the caller.
    return reply


def _host(ctx: Ctx) -> str:
    return httpx.URL(ctx.config.endpoint).host or "dysmsapi"
