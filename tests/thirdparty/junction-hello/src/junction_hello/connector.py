"""The ``hello_webhook`` destination: keeps Hello audiences in step with segments.

Hello's API is described in :mod:`junction_hello.fake`. Members go out as their SHA-256
hashed e-mail addresses and phone numbers, at most 100 per request.
"""

from __future__ import annotations

import email.utils
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated, Any, TypeAlias

import httpx
import msgspec
from msgspec import Meta

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
    Retryable,
    secret,
)


class HelloWebhookConfig(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    """How to reach a Hello account."""

    url: Annotated[
        str,
        Meta(
            title="API URL",
            description="Base URL of the Hello API, e.g. https://hello.example.",
            pattern=r"^https?://[^\s/]+(/\S*)?$",
        ),
    ]
    token: Annotated[str, secret("API token", "A bearer token from Hello's settings page.")]
    timeout_seconds: Annotated[
        float, Meta(title="Timeout (seconds)", description="Per request.", gt=0, le=120)
    ] = 30.0


Ctx: TypeAlias = ConnectorContext[HelloWebhookConfig]


class HelloWebhook(AudienceDestination[HelloWebhookConfig]):
    """Adds and removes members of Hello audiences."""

    spec = ConnectorSpec(
        name="hello_webhook",
        kind=Kind.DESTINATION,
        title="Hello webhook",
        description="Sync segments to Hello audiences as hashed e-mail addresses and phones.",
        config=HelloWebhookConfig,
        capabilities=frozenset({Capability.AUDIENCE}),
        accepts=(
            IdentifierRule(type="email", hashing=Hashing.SHA256, platform_key="email_sha256"),
            IdentifierRule(type="phone", hashing=Hashing.SHA256, platform_key="phone_sha256"),
        ),
        limits=Limits(max_batch_records=100, requests_per_second=5, burst=10),
        idempotent=True,
        docs_url="https://hello.example/docs/api",
    )

    async def check(self, ctx: Ctx) -> CheckResult:
        try:
            body = await _call(ctx, "GET", "/v1/me")
        except (AuthFailed, Retryable) as exc:
            return CheckResult(ok=False, message=exc.message)
        return CheckResult(ok=True, message=f"Connected to Hello account {body.get('account')}.")

    async def ensure_audience(self, ctx: Ctx, request: AudienceRequest) -> Audience:
        if request.existing_id:
            found = await _call(ctx, "GET", f"/v1/audiences/{request.existing_id}", missing_ok=True)
            if found is not None:
                return _audience(found)
        # Deleted on Hello's side (or never created): Hello finds an audience by name.
        body = {"name": request.name, "description": request.description}
        return _audience(await _call(ctx, "POST", "/v1/audiences", json=body))

    async def add(self, ctx: Ctx, audience: Audience, members: Sequence[Member]) -> BatchResult:
        return await _change(ctx, audience, members, "add")

    async def remove(self, ctx: Ctx, audience: Audience, members: Sequence[Member]) -> BatchResult:
        return await _change(ctx, audience, members, "remove")


async def _change(
    ctx: Ctx, audience: Audience, members: Sequence[Member], action: str
) -> BatchResult:
    payload = {
        "action": action,
        "members": [
            {
                "key": member.key,
                "identifiers": {i.platform_key or i.type: i.value for i in member.identifiers},
            }
            for member in members
        ],
    }
    body = await _call(ctx, "POST", f"/v1/audiences/{audience.id}/members", json=payload)
    answers = {item["key"]: item for item in body.get("results", []) if isinstance(item, dict)}
    results = tuple(_result(member.key, answers.get(member.key)) for member in members)
    invalid = sum(result.status is RecordStatus.REJECTED for result in results)
    return BatchResult(results=results, received=len(answers), invalid=invalid)


def _result(key: str, answer: dict[str, Any] | None) -> RecordResult:
    if answer is None:
        # Hello always answers every key; if it ever doesn't, sending again is safe.
        reason = "Hello returned no result for this member"
        return RecordResult(key=key, status=RecordStatus.RETRY, reason=reason)
    if answer.get("status") == "accepted":
        return RecordResult(key=key, status=RecordStatus.ACCEPTED)
    reason = str(answer.get("reason") or "rejected by Hello")
    return RecordResult(key=key, status=RecordStatus.REJECTED, reason=reason)


def _audience(body: dict[str, Any]) -> Audience:
    return Audience(id=str(body["id"]), name=str(body["name"]), size=body.get("size"))


async def _call(
    ctx: Ctx, method: str, path: str, *, json: Any = None, missing_ok: bool = False
) -> Any:
    """One request to Hello, its failures mapped onto the plugin error hierarchy.

    Returns the decoded JSON body, or None for a 404 when ``missing_ok``.
    """
    config = ctx.config
    headers = {"Authorization": f"Bearer {config.token}"}
    timeout = httpx.Timeout(config.timeout_seconds)
    async with ctx.http(base_url=config.url, timeout=timeout, headers=headers) as client:
        try:
            response = await client.request(method, path, json=json)
        except httpx.TimeoutException as exc:
            # Adds and removes are idempotent on Hello, so a timeout is safe to retry.
            raise Retryable(f"Hello did not answer {method} {path} in time") from exc
        except httpx.TransportError as exc:
            raise Retryable(
                f"could not reach Hello at {config.url} ({type(exc).__name__})"
            ) from exc
    if response.status_code == 404 and missing_ok:
        return None
    _raise_for_status(response, f"{method} {path}")
    try:
        return response.json()
    except ValueError as exc:
        raise Retryable(f"Hello answered {method} {path} with a body that is not JSON") from exc


def _raise_for_status(response: httpx.Response, call: str) -> None:
    status = response.status_code
    if status < 400:
        return
    error = _error_code(response)
    if status in (401, 403):
        raise AuthFailed(
            f"Hello refused the API token (HTTP {status}): create a new one in its settings",
            code=error,
        )
    if status == 429:
        retry_after = _retry_after(response)
        raise RateLimited(f"Hello is throttling {call}", retry_after=retry_after, code=error)
    if status >= 500:
        raise Retryable(f"Hello failed {call} (HTTP {status})", retry_after=_retry_after(response))
    raise PermanentFailure(f"Hello refused {call} (HTTP {status}): {error}", code=error)


def _error_code(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return str(body["error"]) if isinstance(body, dict) and "error" in body else None


def _retry_after(response: httpx.Response) -> float | None:
    """``Retry-After`` in seconds: a number of seconds or an HTTP date (RFC 9110)."""
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
