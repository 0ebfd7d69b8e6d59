"""Operator notifications through a group's custom bot: ``/open-apis/bot/v2/hook/{token}``."""

from __future__ import annotations

from typing import Any

import httpx
import msgspec

from junction.destinations.feishu.codes import HINTS, Verdict, describe, verdict
from junction.destinations.feishu.signing import sign
from junction.destinations.feishu.wire import Reply, exchange
from junction.plugins import (
    AuthFailed,
    ConfigInvalid,
    Notification,
    PermanentFailure,
    RateLimited,
    Retryable,
)

__all__ = ["MAX_BODY_BYTES", "body", "fitted", "post", "probe", "require_token"]

HOOK_PATH = "/open-apis/bot/v2/hook/"
#: The custom bot refuses bodies over 20 KB (9499).
MAX_BODY_BYTES = 20 * 1024
MARKER = "…(truncated)"
#: Card header colours by severity.
_TEMPLATES = {"error": "red", "warning": "orange"}
#: Room for the body before ``timestamp`` and ``sign`` (a 44-character digest) are added.
_ROOM = MAX_BODY_BYTES - 128


def body(notification: Notification, fmt: str, text: str | None = None) -> dict[str, Any]:
    """The bot message for ``notification`` (its text replaced by ``text`` if given)."""
    text = notification.text if text is None else text
    if fmt == "text":
        lines = [notification.title, text]
        if notification.url:
            lines.append(notification.url)
        return {"msg_type": "text", "content": {"text": "\n".join(lines)}}
    elements: list[dict[str, Any]] = [
        {"tag": "div", "text": {"tag": "plain_text", "content": text}}
    ]
    if notification.url:
        button = {
            "tag": "button",
            "text": {"tag": "plain_text", "content": "Open the run"},
            "type": "primary",
            "url": notification.url,
        }
        elements.append({"tag": "action", "actions": [button]})
    card = {
        "config": {"wide_screen_mode": True},
        "header": {
            "title": {"tag": "plain_text", "content": notification.title},
            "template": _TEMPLATES.get(notification.severity, "blue"),
        },
        "elements": elements,
    }
    return {"msg_type": "interactive", "card": card}


def fitted(notification: Notification, fmt: str) -> dict[str, Any]:
    """``body`` within 20 KB once signed: the text is cut, the title and link kept.

    Raises:
        PermanentFailure: the title and link alone don't fit.
    """
    text = notification.text
    marker = len(MARKER.encode())
    while True:
        candidate = body(notification, fmt, text)
        excess = len(msgspec.json.encode(candidate)) - _ROOM
        if excess <= 0:
            return candidate
        if not text:
            raise PermanentFailure("the notification's title alone exceeds Feishu's 20 KB")
        data = text.encode()
        keep = len(data) - excess - marker
        # JSON escapes make the body longer than the text, so the loop may cut again.
        text = data[:keep].decode("utf-8", errors="ignore") + MARKER if keep > 0 else ""


async def post(
    client: httpx.AsyncClient, token: str, secret: str, payload: dict[str, Any], now: float
) -> None:
    """Post ``payload`` to the bot, signed when ``secret`` is set.

    Raises:
        AuthFailed: signature or clock (19021), IP allow-list (19022).
        ConfigInvalid: the keyword the bot requires is missing (19024).
        RateLimited: the bot throttled (9499 "too many request", 11232, HTTP 429).
        Retryable: nothing reached Feishu, or Feishu failed internally.
        OutcomeUnknown: the request went out and no answer came back.
        PermanentFailure: Feishu refused the body as malformed.
    """
    reply = await _post(client, token, secret, payload, now)
    _raise_for(reply)


async def probe(client: httpx.AsyncClient, token: str, secret: str, now: float) -> str | None:
    """Test the token and signature without posting anything; None if both are accepted.

    The bot has no read-only call, so this posts a body of no message type: Feishu checks
    the token and signature first (19021...) and refuses the body (9499 Bad Request).
    """
    reply = await _post(client, token, secret, {"msg_type": "junction_check"}, now)
    found = verdict(reply.code, reply.msg)
    # A missing keyword (19024) is only judged once token and signature passed; real
    # notifications carry "Junction" in their title.
    if found in (Verdict.OK, Verdict.MALFORMED) or reply.code == 19024:
        return None
    try:
        _raise_for(reply)
    except (AuthFailed, ConfigInvalid, PermanentFailure, Retryable) as exc:
        return exc.message
    return f"Feishu answered the probe with {describe(reply.code, reply.msg)}"


async def _post(
    client: httpx.AsyncClient, token: str, secret: str, payload: dict[str, Any], now: float
) -> Reply:
    if secret:
        timestamp = int(now)
        payload = {**payload, "timestamp": str(timestamp), "sign": sign(timestamp, secret)}
    return await exchange(
        client, HOOK_PATH + token, payload, what="the custom bot webhook", delivers=True
    )


def _raise_for(reply: Reply) -> None:
    found = verdict(reply.code, reply.msg)
    if found is Verdict.OK:
        return
    what, code = describe(reply.code, reply.msg), str(reply.code)
    hint = HINTS.get(reply.code)
    if found is Verdict.AUTH:
        raise AuthFailed(f"Feishu refused the custom bot ({reply.code}): {hint}", code=code)
    if found is Verdict.CONFIG:
        raise ConfigInvalid(f"Feishu refused the custom bot ({reply.code}): {hint}", code=code)
    if found is Verdict.THROTTLED:
        # 100 a minute and 5 a second per bot: a short wait clears the per-second tier.
        raise RateLimited(f"the custom bot is throttled ({what})", retry_after=1.0, code=code)
    if found is Verdict.BUSY:
        raise Retryable(f"Feishu failed internally ({what})", code=code)
    raise PermanentFailure(f"Feishu refused the custom bot message ({what})", code=code)


def require_token(token: str) -> str:
    """The bot's token, or ConfigInvalid saying the bot part is not configured."""
    if not token:
        raise ConfigInvalid(
            "this Feishu connection has no custom bot: set webhook_token to notify operators",
            field="webhook_token",
        )
    return token
