"""One HTTP exchange with WeCom, and what transport-level failures mean.

URLs carry secrets (the robot ``key``, ``corpsecret``, ``access_token``), so nothing
here puts a URL or an httpx exception's text into an error: only the path and the
exception's type name.
"""

from __future__ import annotations

from typing import Any

import httpx
import msgspec

from junction.plugins import OutcomeUnknown, PermanentFailure, RateLimited, Retryable
from junction.plugins.http import retry_after

__all__ = ["Reply", "exchange"]


class Reply(msgspec.Struct, frozen=True, kw_only=True):
    """Every WeCom answer: ``errcode`` 0 is success, anything else an error."""

    errcode: int
    errmsg: str = ""
    # gettoken
    access_token: str = ""
    expires_in: float = 0
    # message/send
    invaliduser: str = ""
    invalidparty: str = ""
    invalidtag: str = ""
    unlicenseduser: str = ""
    msgid: str = ""


async def exchange(
    client: httpx.AsyncClient,
    method: str,
    path: str,
    *,
    params: dict[str, str],
    body: dict[str, Any] | None = None,
    delivers: bool,
) -> Reply:
    """Call ``path`` and decode WeCom's answer.

    ``delivers`` says whether the call can reach a person (a message); if so, an
    answer lost after the request went out means the message may have been delivered.

    Raises:
        Retryable: nothing reached WeCom, or the answer was lost on a call that
            delivers nothing; RateLimited for HTTP 429.
        PermanentFailure: HTTP 4xx without a WeCom answer (a wrong base_url).
        OutcomeUnknown: a delivering call went out and no usable answer came back.
    """
    content = msgspec.json.encode(body) if body is not None else None
    headers = {"Content-Type": "application/json; charset=utf-8"} if body is not None else {}
    try:
        response = await client.request(
            method, path, params=params, content=content, headers=headers
        )
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
        raise Retryable(f"could not reach WeCom for {path} ({type(exc).__name__})") from exc
    except httpx.TransportError as exc:
        lost = f"no answer from WeCom to {path} ({type(exc).__name__})"
        if delivers:
            raise OutcomeUnknown(f"{lost}; the message may have been delivered") from exc
        raise Retryable(lost) from exc
    where = f"WeCom answered {path} with HTTP {response.status_code}"
    if response.status_code == 429:
        raise RateLimited(f"{where} (throttled)", retry_after=retry_after(response))
    try:
        reply = msgspec.json.decode(response.content, type=Reply)
    except msgspec.DecodeError as exc:
        if 400 <= response.status_code < 500:
            raise PermanentFailure(f"{where} and no WeCom answer; check base_url") from exc
        if delivers:
            raise OutcomeUnknown(
                f"{where} and no readable result; the message may have been delivered"
            ) from exc
        raise Retryable(f"{where} and no readable result") from exc
    return reply
