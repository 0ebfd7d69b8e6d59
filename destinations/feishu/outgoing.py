"""Turning a recipient into one ``im/v1/messages`` body, checked before anything is sent."""

from __future__ import annotations

from typing import Any

import msgspec

from junction.destinations.feishu.config import FeishuOptions
from junction.plugins import Content, Message, Recipient, RecordResult, RecordStatus

__all__ = ["ADDRESSES", "CAPS", "Outgoing", "outgoing"]

#: Hub identifier types Feishu can address, as ``receive_id_type`` values.
ADDRESSES = ("user_id", "email")
#: Content size caps in bytes (the JSON-encoded ``content`` string).
CAPS = {"text": 150 * 1024, "post": 30 * 1024}


class Outgoing(msgspec.Struct, frozen=True):
    """One call: the recipient's key, how they are addressed, and the body."""

    key: str
    receive_id_type: str
    body: dict[str, Any]


def outgoing(
    options: FeishuOptions, message: Message, recipient: Recipient
) -> Outgoing | RecordResult:
    """The call for ``recipient``, or why they can't be sent to (REJECTED)."""
    kinds = [options.receive_id_type] if options.receive_id_type else list(ADDRESSES)
    kind = next((k for k in kinds if recipient.address.get(k)), None)
    if kind is None:
        return _rejected(recipient.key, f"the recipient has no {' or '.join(kinds)}", "no_address")
    content = recipient.content or message.content or Content()
    text = content.text or ""
    if not text.strip():
        return _rejected(recipient.key, "the message has no text to send", "empty")
    encoded: dict[str, Any]
    if options.msg_type == "post":
        paragraphs = [[{"tag": "text", "text": line}] for line in text.splitlines()]
        encoded = {"zh_cn": {"title": content.subject or "", "content": paragraphs}}
    else:
        encoded = {"text": text}
    # Feishu wants ``content`` as a JSON *string*, not an object.
    payload = msgspec.json.encode(encoded).decode()
    size, cap = len(payload.encode()), CAPS[options.msg_type]
    if size > cap:
        reason = f"the {options.msg_type} content is {size} bytes; Feishu takes about {cap}"
        return _rejected(recipient.key, reason, "too_long")
    body = {
        "receive_id": recipient.address[kind],
        "msg_type": options.msg_type,
        "content": payload,
        # Feishu sends a uuid once within its window: a resend of this key is dropped.
        "uuid": recipient.key[:50],
    }
    return Outgoing(recipient.key, kind, body)


def _rejected(key: str, reason: str, code: str) -> RecordResult:
    return RecordResult(key=key, status=RecordStatus.REJECTED, reason=reason, code=code)
