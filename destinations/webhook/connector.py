"""The ``webhook`` connector: members as JSON batches, each request signed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Literal, TypeAlias

import httpx
import msgspec
from msgspec import Meta

from junction.destinations.webhook.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from junction.plugins import (
    Audience,
    AudienceDestination,
    AudienceRequest,
    AuthFailed,
    BatchResult,
    Capability,
    CheckResult,
    ConnectorContext,
    ConnectorSpec,
    Hashing,
    IdentifierRule,
    Kind,
    Limits,
    Member,
    PermanentFailure,
    RateLimited,
    RecordResult,
    RecordStatus,
    ReplaceSession,
    Retryable,
    secret,
)
from junction.plugins.http import retry_after

__all__ = ["Webhook", "WebhookConfig"]


class WebhookConfig(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    """Where to POST and the secret to sign with."""

    url: Annotated[
        str,
        Meta(
            title="Endpoint URL",
            description="Receives every batch as a signed JSON POST.",
            pattern=r"^https?://[^\s/]+(/\S*)?$",
        ),
    ]
    signing_secret: Annotated[
        str,
        secret(
            "Signing secret",
            "Shared with the receiver, which checks X-Junction-Signature with it.",
        ),
        Meta(min_length=16),
    ]
    timeout_seconds: Annotated[
        float, Meta(title="Timeout (seconds)", description="Per request.", gt=0, le=300)
    ] = 30.0


Ctx: TypeAlias = ConnectorContext[WebhookConfig]
Operation = Literal["audience.add", "audience.remove", "audience.replace", "ping"]


class Webhook(AudienceDestination[WebhookConfig]):
    """POSTs audience adds, removes and replacements to an HTTP endpoint."""

    spec = ConnectorSpec(
        name="webhook",
        kind=Kind.DESTINATION,
        title="Webhook",
        description=(
            "POST audience changes as signed JSON batches (HMAC-SHA256) to any HTTP "
            "endpoint: adds, removes or whole replacements, with hashed identifiers."
        ),
        config=WebhookConfig,
        capabilities=frozenset({Capability.AUDIENCE, Capability.AUDIENCE_REPLACE}),
        accepts=(
            IdentifierRule(type="email", hashing=Hashing.SHA256, platform_key="email_sha256"),
            IdentifierRule(type="phone", hashing=Hashing.SHA256, platform_key="phone_sha256"),
            IdentifierRule(type="user_id", platform_key="user_id"),
            IdentifierRule(type="wechat_unionid", platform_key="wechat_unionid"),
            IdentifierRule(type="wechat_openid", platform_key="wechat_openid"),
        ),
        limits=Limits(max_batch_records=10_000, requests_per_second=20, burst=20),
        idempotent=True,
    )

    async def check(self, ctx: Ctx) -> CheckResult:
        try:
            await _post(ctx, {"type": "ping"})
        except (AuthFailed, Retryable, PermanentFailure) as exc:
            return CheckResult(ok=False, message=exc.message)
        return CheckResult(ok=True, message=f"{_host(ctx)} accepted a signed ping.")

    async def ensure_audience(self, ctx: Ctx, request: AudienceRequest) -> Audience:
        # The receiver keys audiences by the id in every payload; nothing to create.
        return Audience(id=request.existing_id or request.name, name=request.name)

    async def add(self, ctx: Ctx, audience: Audience, members: Sequence[Member]) -> BatchResult:
        return await _change(ctx, "audience.add", audience, members)

    async def remove(self, ctx: Ctx, audience: Audience, members: Sequence[Member]) -> BatchResult:
        return await _change(ctx, "audience.remove", audience, members)

    async def replace(
        self, ctx: Ctx, audience: Audience, members: Sequence[Member], session: ReplaceSession
    ) -> BatchResult:
        extra = {"session": {"id": session.id, "seq": session.seq, "last": session.last}}
        return await _change(ctx, "audience.replace", audience, members, extra)


async def _change(
    ctx: Ctx,
    operation: Operation,
    audience: Audience,
    members: Sequence[Member],
    extra: dict[str, Any] | None = None,
) -> BatchResult:
    payload = {
        "type": operation,
        "audience": {"id": audience.id, "name": audience.name},
        **(extra or {}),
        "members": [
            {
                "key": member.key,
                "identifiers": [
                    {"type": i.platform_key or i.type, "value": i.value, **_scope(i.scope)}
                    for i in member.identifiers
                ],
            }
            for member in members
        ],
    }
    body = await _post(ctx, payload)
    answers: dict[str, Any] = {}
    if isinstance(body, dict) and isinstance(body.get("results"), list):
        answers = {str(r.get("key")): r for r in body["results"] if isinstance(r, dict)}
    elif body is not None:
        raise Retryable(f"{_host(ctx)} answered {operation} with an unexpected body")
    results = tuple(_result(member.key, answers, body is None) for member in members)
    return BatchResult(results=results, received=len(members))


def _scope(scope: str) -> dict[str, str]:
    return {"scope": scope} if scope else {}


def _result(key: str, answers: dict[str, Any], all_accepted: bool) -> RecordResult:
    if all_accepted:
        return RecordResult(key=key, status=RecordStatus.ACCEPTED)
    answer = answers.get(key)
    if answer is None:
        # The batch is idempotent by key, so sending the member again is safe.
        reason = "the endpoint returned no result for this member"
        return RecordResult(key=key, status=RecordStatus.RETRY, reason=reason)
    if answer.get("status") == "accepted":
        return RecordResult(key=key, status=RecordStatus.ACCEPTED)
    if answer.get("status") == "retry":
        return RecordResult(key=key, status=RecordStatus.RETRY, reason=answer.get("reason"))
    reason = str(answer.get("reason") or "rejected by the endpoint")
    return RecordResult(key=key, status=RecordStatus.REJECTED, reason=reason)


async def _post(ctx: Ctx, payload: dict[str, Any]) -> Any:
    """POST ``payload`` signed; the decoded JSON answer, or None for an empty 2xx."""
    config = ctx.config
    body = msgspec.json.encode(payload)
    timestamp = int(ctx.now().timestamp())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "junction-webhook/1",
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(config.signing_secret, timestamp, body),
    }
    timeout = httpx.Timeout(config.timeout_seconds)
    async with ctx.http(timeout=timeout) as client:
        try:
            response = await client.post(config.url, content=body, headers=headers)
        except httpx.TimeoutException as exc:
            # Changes are keyed and so idempotent: a timeout is safe to retry.
            raise Retryable(f"{_host(ctx)} did not answer in {config.timeout_seconds:g}s") from exc
        except httpx.TransportError as exc:
            raise Retryable(f"could not reach {_host(ctx)} ({type(exc).__name__})") from exc
    _raise_for_status(ctx, response, str(payload["type"]))
    if not response.content.strip():
        return None
    try:
        return response.json()
    except ValueError as exc:
        raise Retryable(f"{_host(ctx)} answered with a body that is not JSON") from exc


def _raise_for_status(ctx: Ctx, response: httpx.Response, operation: str) -> None:
    status = response.status_code
    if status < 400:
        return
    where = f"{_host(ctx)} answered {operation} with HTTP {status}"
    if status in (401, 403):
        raise AuthFailed(f"{where}: it refused the signature; check the signing secret")
    if status == 429:
        raise RateLimited(f"{where} (throttled)", retry_after=retry_after(response))
    if status >= 500 or status in (408, 425):
        raise Retryable(where, retry_after=retry_after(response))
    raise PermanentFailure(f"{where}: {response.text[:200]}")


def _host(ctx: Ctx) -> str:
    return httpx.URL(ctx.config.url).host or "the endpoint"
