"""WeChat's pushes (XML) and what they become: canonical track events.

Every push names the follower (``FromUserName``, an openid of our app), when it
happened (``CreateTime``) and what: an event (``MsgType`` ``event`` with ``Event``
subscribe, unsubscribe, SCAN, CLICK, VIEW, LOCATION...) or a message the follower
sent (``MsgType`` text, image, voice, location, link...).

- An event push becomes ``wechat_<event>`` in lower case (``wechat_subscribe``,
  ``wechat_scan``, ``wechat_click``...); a message becomes ``wechat_message``.
- Its other elements become properties under WeChat's own names (``EventKey``,
  ``Ticket``, ``Latitude``, ``MsgType``, ``Content``, ``MsgId``...), nested elements
  as objects and repeated ones as lists.
- The follower is the openid scoped to the app id, in ``context.identifiers``; the
  event's ``anonymousId`` is ``wechat:<app id>:<openid>`` because the canonical model
  needs one, namespaced so equal openids of two apps never meet.
- A follow or unfollow also updates the profile's ``wechat_subscribed`` trait.
- The message id is derived from what WeChat resends unchanged when it retries a
  push (``MsgId``, or the follower, time, event and event key), so a retry is stored
  once.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree

from junction.core.model import Event, EventType, ModelError
from junction.plugins import ProfileRecord
from junction.sources.wechat_oa.profiles import openid_identifier

__all__ = ["CallbackError", "event_of", "parse_xml", "subscription_update"]

#: Elements every push has, which become the event's fields rather than properties.
_ENVELOPE = {"ToUserName", "FromUserName", "CreateTime", "MsgType", "Event", "Encrypt"}


class CallbackError(Exception):
    """A push that is not a WeChat message we can read; the message says what is wrong."""


def parse_xml(body: bytes) -> dict[str, Any]:
    """The children of a push's ``<xml>`` root as a dict (text, dicts, lists).

    Raises:
        CallbackError: not XML, a DTD (WeChat never sends one; refusing it rules out
            entity-expansion attacks), or a root other than ``<xml>``.
    """
    if b"<!DOCTYPE" in body or b"<!ENTITY" in body:
        raise CallbackError("the body declares a DTD or entities, which WeChat never sends")
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError as exc:
        raise CallbackError(f"the body is not well-formed XML ({exc})") from None
    if root.tag != "xml":
        raise CallbackError(f"the XML root is <{root.tag}>, not <xml>")
    value = _element(root)
    return value if isinstance(value, dict) else {}


def _element(node: ElementTree.Element) -> Any:
    children = list(node)
    if not children:
        return (node.text or "").strip()
    out: dict[str, Any] = {}
    for child in children:
        value = _element(child)
        if child.tag in out:
            held = out[child.tag]
            out[child.tag] = [*held, value] if isinstance(held, list) else [held, value]
        else:
            out[child.tag] = value
    return out


def _required(fields: dict[str, Any], name: str) -> str:
    value = fields.get(name)
    if not isinstance(value, str) or not value:
        raise CallbackError(f"the push has no <{name}>")
    return value


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def event_of(fields: dict[str, Any], *, app_id: str) -> Event:
    """The canonical event of one push (already verified and decrypted).

    Raises:
        CallbackError: ``FromUserName``, ``CreateTime`` or ``MsgType`` is missing or
            malformed, or an event push has no ``Event``.
    """
    openid = _required(fields, "FromUserName")
    created = _required(fields, "CreateTime")
    # Ten digits last until the year 2286; more would overflow a datetime.
    if not created.isdigit() or len(created) > 10:
        raise CallbackError(f"<CreateTime> must be unix seconds, not {created[:32]!r}")
    msg_type = _required(fields, "MsgType")
    if msg_type == "event":
        kind = _required(fields, "Event")
        name = f"wechat_{kind.lower()}"
    else:
        kind = ""
        name = "wechat_message"
    properties = {k: v for k, v in fields.items() if k not in _ENVELOPE}
    if msg_type != "event":
        properties["MsgType"] = msg_type
    msg_id = _text(fields.get("MsgId") or fields.get("MsgID"))
    if msg_id and msg_type != "event":
        key = f"msg:{msg_id}"
    else:
        # Events have no id of their own (TEMPLATESENDJOBFINISH's MsgID names the
        # template message): what WeChat resends unchanged identifies the push.
        key = "\n".join((openid, created, msg_type, kind, _text(fields.get("EventKey")), msg_id))
    digest = hashlib.sha256(f"{app_id}\n{key}".encode()).hexdigest()[:40]
    try:
        return Event(
            type=EventType.TRACK,
            event=name,
            message_id=f"wechat-oa-{digest}",
            timestamp=datetime.fromtimestamp(int(created), UTC),
            anonymous_id=f"wechat:{app_id}:{openid}",
            properties=properties,
            context={
                "identifiers": [
                    {"type": "wechat_openid", "value": openid, "scope": app_id},
                ],
                "wechat": {"toUserName": fields.get("ToUserName", "")},
            },
        )
    except ModelError as exc:
        raise CallbackError(f"the push does not make a valid event: {exc}") from None


def subscription_update(fields: dict[str, Any], *, app_id: str) -> ProfileRecord | None:
    """The profile update a follow or unfollow push implies, observed at ``CreateTime``.

    Keeps ``wechat_subscribed`` (and ``wechat_subscribe_time``) current between follower
    pulls, which only ever see current followers. Call after :func:`event_of` accepted
    the push; None for every other push.
    """
    if fields.get("MsgType") != "event" or fields.get("Event") not in ("subscribe", "unsubscribe"):
        return None
    at = datetime.fromtimestamp(int(_required(fields, "CreateTime")), UTC)
    openid = _required(fields, "FromUserName")
    traits: dict[str, Any] = {"wechat_subscribed": fields["Event"] == "subscribe"}
    if traits["wechat_subscribed"]:
        traits["wechat_subscribe_time"] = at.isoformat()
    return ProfileRecord(
        identifiers=(openid_identifier(openid, app_id),), observed_at=at, traits=traits
    )
