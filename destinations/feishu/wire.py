"""One HTTP exchange with Feishu, and what transport-level failures mean.

The bot's URL holds its token, so no URL or httpx exception text goes into an error;
only what was called (a short name) and the exception's type name.
"""

from __future__ import annotations

from typing import Any

import httpx
import msgspec

from junction.plugins import OutcomeUnknown, PermanentFailure, RateLimited, Retryable

__all__ = ["Reply", "exchange"]


class Reply(msgspec.Struct, frozen=True, kw_only=True):
    """Feishu's envelope: ``code`` 0 is success."""

    code: int = -1
    msg: str = ""
    data: dict[str, Any] = {}
    # tenant_access_token/internal
    tenant_access_token: str = ""
    expire: float = 0
    #: Legacy webhook answers carry StatusCode instead of code.
    StatusCode: int | None = None


async def exchange(
    client: httpx.AsyncClient,
    path: str,
    body: dict[str, Any],
    *,
    what: str,
    delivers: bool,
    params: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> Reply:
    """POST ``body`` as JSON to ``path``; Feishu's answer.

    Raises:
        RateLimited: HTTP 429 (``x-ogw-ratelimit-reset`` as retry_after).
        Retryable: nothing reached Feishu, or the answer was lost on a call that
            delivers nothing.
        OutcomeUnknown: a delivering call went out and no usable answer came back.
        PermanentFailure: HTTP 4xx without a Feishu answer (a wrong base_url).
    """
    sent_headers = {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
    try:
        response = await client.post(
            path, params=params, content=msgspec.json.encode(body), headers=sent_headers
        )
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
        raise Retryable(f"could not reach Feishu for {what} ({type(exc).__name__})") from exc
    except httpx.TransportError as exc:
        lost = f"no answer from Feishu to {what} ({type(exc).__name__})"
        if delivers:
            raise OutcomeUnknown(f"{lost}; the message may have been delivered") from exc
        raise Retryable(lost) from exc
    where = f"Feishu answered {what} with HTTP {response.status_code}"
    if response.status_code == 429:
        raise RateLimited(f"{where} (throttled)", retry_after=_reset(response), code="99991400")
    try:
        reply = msgspec.json.decode(response.content, type=Reply)
    except msgspec.DecodeError as exc:
        if 400 <= response.status_code < 500:
            raise PermanentFailure(f"{where} and no Feishu answer; check base_url") from exc
        if delivers:
            raise OutcomeUnknown(
                f"{where} and no readable result; the message may have been delivered"
            ) from exc
        raise Retryable(f"{where} and no readable result") from exc
    if reply.code == -1 and reply.StatusCode is not None:
        reply = msgspec.structs.replace(reply, code=reply.StatusCode)
    return reply


def _reset(response: httpx.Response) -> float | None:
    try:
        return float(response.headers.get("x-ogw-ratelimit-reset", ""))
    except ValueError:
        return None
