"""Turning recipients into ``message/send`` calls: one body per distinct message.

WeCom sends one body to up to 1000 userids (``touser`` joined by ``|``), so recipients
whose rendered message is the same share a call; personalised messages take a call
each. Lengths are checked here, before anything is sent: a person must never get a
message cut short, so too long a message is refused for them, with the reason.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec

from junction.destinations.wecom.config import WeComOptions
from junction.destinations.wecom.text import byte_length
from junction.plugins import Content, Message, Recipient, RecordResult, RecordStatus

__all__ = ["ADDRESS", "MAX_USERS", "Outgoing", "body", "calls", "outgoing"]

#: The hub identifier type whose value is a WeCom userid (see docs/destinations/wecom.md).
ADDRESS = "user_id"
#: ``touser`` takes at most 1000 userids.
MAX_USERS = 1000
#: Byte caps of app message fields (UTF-8).
CAPS = {"text": 2048, "markdown": 2048, "title": 128, "description": 512}
#: WeCom userids: 1-64 letters, digits and _-@. ("|" would split the list).
_USERID = re.compile(r"^[A-Za-z0-9_@.\-]{1,64}$")


class Outgoing(msgspec.Struct, frozen=True):
    """A recipient ready to go: its key, WeCom userid and the message part of the body."""

    key: str
    userid: str
    #: (msgtype, fields...) — hashable, so equal messages share a call.
    message: tuple[str, ...]


def outgoing(
    options: WeComOptions, message: Message, recipient: Recipient
) -> Outgoing | RecordResult:
    """The recipient ready to send, or why they can't be sent to (REJECTED)."""
    userid = recipient.address.get(ADDRESS, "")
    if not userid:
        return _rejected(
            recipient.key, f"the recipient has no {ADDRESS} (WeCom userid)", "no_userid"
        )
    if not _USERID.match(userid):
        return _rejected(recipient.key, "the user_id is not a WeCom userid", "invalid_userid")
    content = recipient.content or message.content or Content()
    text = content.text or ""
    if options.msgtype == "textcard":
        parts = {"title": content.subject or "", "description": text}
    else:
        parts = {options.msgtype: text}
    for name, value in parts.items():
        if not value.strip():
            what = "subject" if name == "title" else "text"
            return _rejected(recipient.key, f"the message has no {what} to send", "empty")
        size = byte_length(value)
        if size > CAPS[name]:
            reason = f"the {name} is {size} bytes of UTF-8; WeCom takes at most {CAPS[name]}"
            return _rejected(recipient.key, reason, "too_long")
    return Outgoing(recipient.key, userid, (options.msgtype, *parts.values()))


def calls(ready: list[Outgoing]) -> list[list[Outgoing]]:
    """Calls of at most 1000 userids sharing one message, no userid twice in a call."""
    groups: dict[tuple[str, ...], list[list[Outgoing]]] = {}
    for item in ready:
        chunks = groups.setdefault(item.message, [])
        for chunk in chunks:
            # Userids are case-insensitive to WeCom (it reports them lower-cased).
            if len(chunk) < MAX_USERS and all(
                o.userid.lower() != item.userid.lower() for o in chunk
            ):
                chunk.append(item)
                break
        else:
            chunks.append([item])
    return [chunk for chunks in groups.values() for chunk in chunks]


def body(options: WeComOptions, chunk: list[Outgoing]) -> dict[str, Any]:
    """The ``message/send`` body for ``chunk`` (``agentid`` is added by the caller)."""
    msgtype, *fields = chunk[0].message
    payload: dict[str, Any] = {"touser": "|".join(o.userid for o in chunk), "msgtype": msgtype}
    if msgtype == "textcard":
        title, description = fields
        card = {"title": title, "description": description, "url": options.url}
        if options.btntxt:
            card["btntxt"] = options.btntxt
        payload["textcard"] = card
    else:
        payload[msgtype] = {"content": fields[0]}
    if options.toparty:
        payload["toparty"] = "|".join(options.toparty)
    if options.totag:
        payload["totag"] = "|".join(options.totag)
    if options.safe:
        payload["safe"] = 1
    if options.enable_duplicate_check:
        payload["enable_duplicate_check"] = 1
        payload["duplicate_check_interval"] = options.duplicate_check_interval
    return payload


def _rejected(key: str, reason: str, code: str) -> RecordResult:
    return RecordResult(key=key, status=RecordStatus.REJECTED, reason=reason, code=code)
