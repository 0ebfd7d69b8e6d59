"""Operator notifications through a group robot (群机器人): ``webhook/send?key=``."""

from __future__ import annotations

from typing import Any

import httpx

from junction.destinations.wecom.codes import HINTS, THROTTLE_WAIT, Verdict, describe, verdict
from junction.destinations.wecom.text import MARKER, byte_length, fit
from junction.destinations.wecom.wire import Reply, exchange
from junction.plugins import (
    AuthFailed,
    ConfigInvalid,
    Notification,
    PermanentFailure,
    RateLimited,
    Retryable,
)

__all__ = [
    "MARKDOWN_MAX_BYTES",
    "TEXT_MAX_BYTES",
    "markdown_body",
    "post",
    "probe",
    "require_key",
    "text_body",
]

SEND_PATH = "/cgi-bin/webhook/send"
#: Byte caps of the robot's message types (UTF-8).
TEXT_MAX_BYTES = 2048
MARKDOWN_MAX_BYTES = 4096
#: A title longer than this is cut first, so the body keeps room.
TITLE_MAX_BYTES = 512
#: markdown colours WeCom renders: warning is orange-red, comment grey, info green.
_COLOURS = {"error": "warning", "warning": "comment"}


def markdown_body(notification: Notification) -> dict[str, Any]:
    """A markdown message: bold title, coloured severity, the text, a link to the run.

    The text is what gets cut to fit 4096 bytes; the title, severity and link stay whole
    so the markup stays balanced and the run is one click away.
    """
    colour = _COLOURS.get(notification.severity, "info")
    head = (
        f"**{fit(notification.title, TITLE_MAX_BYTES)}**\n"
        f'> severity: <font color="{colour}">{notification.severity}</font>\n'
    )
    tail = f"\n[Open the run]({notification.url})" if notification.url else ""
    room = _room(MARKDOWN_MAX_BYTES, head, tail)
    content = head + fit(notification.text, room) + tail
    return {"msgtype": "markdown", "markdown": {"content": content}}


def text_body(notification: Notification, mention: list[str]) -> dict[str, Any]:
    """A plain text message (2048 bytes) that can @mention people; the link stays whole."""
    head = f"{fit(notification.title, TITLE_MAX_BYTES)}\n"
    tail = f"\n{notification.url}" if notification.url else ""
    room = _room(TEXT_MAX_BYTES, head, tail)
    text: dict[str, Any] = {"content": head + fit(notification.text, room) + tail}
    if mention:
        text["mentioned_list"] = list(mention)
    return {"msgtype": "text", "text": text}


def _room(cap: int, head: str, tail: str) -> int:
    """Bytes left for the text; PermanentFailure if the link leaves none."""
    room = cap - byte_length(head) - byte_length(tail)
    if room < byte_length(MARKER):
        raise PermanentFailure(f"the notification's title and link alone exceed {cap} bytes")
    return room


async def post(client: httpx.AsyncClient, key: str, body: dict[str, Any]) -> None:
    """Post ``body`` to the robot.

    Raises:
        AuthFailed: the key is invalid or the robot was removed (93000).
        RateLimited: more than 20 messages this minute (45009), or HTTP 429.
        Retryable: WeCom is busy (-1), or could not be reached.
        OutcomeUnknown: the request went out and no answer came back.
        PermanentFailure: WeCom refused the message as malformed or too long.
    """
    reply = await exchange(client, "POST", SEND_PATH, params={"key": key}, body=body, delivers=True)
    _raise_for(reply)


async def probe(client: httpx.AsyncClient, key: str) -> str | None:
    """Test the key without posting anything; None if WeCom accepted it, else why not.

    The robot has no read-only call, so this posts a message of no known type: WeCom
    checks the key first (93000) and then refuses the type (40008), delivering nothing.
    """
    body = {"msgtype": "junction_check"}
    reply = await exchange(client, "POST", SEND_PATH, params={"key": key}, body=body, delivers=True)
    if reply.errcode in (0, 40008):
        return None
    try:
        _raise_for(reply)
    except (AuthFailed, PermanentFailure, Retryable) as exc:
        return exc.message
    return f"WeCom answered the probe with {describe(reply.errcode, reply.errmsg)}"


def _raise_for(reply: Reply) -> None:
    found = verdict(reply.errcode)
    if found is Verdict.OK:
        return
    what = describe(reply.errcode, reply.errmsg)
    code = str(reply.errcode)
    if found is Verdict.AUTH:
        hint = HINTS.get(reply.errcode, "check the robot key")
        raise AuthFailed(f"WeCom refused the group robot ({reply.errcode}): {hint}", code=code)
    if found is Verdict.THROTTLED:
        raise RateLimited(
            f"the group robot is throttled ({what}): at most 20 messages a minute",
            retry_after=THROTTLE_WAIT,
            code=code,
        )
    if found is Verdict.BUSY:
        raise Retryable(f"WeCom is busy ({what})", code=code)
    raise PermanentFailure(f"WeCom refused the robot message ({what})", code=code)


def require_key(key: str) -> str:
    """The robot key, or ConfigInvalid saying the robot part is not configured."""
    if not key:
        raise ConfigInvalid(
            "this WeCom connection has no group robot: set webhook_key to notify operators",
            field="webhook_key",
        )
    return key
