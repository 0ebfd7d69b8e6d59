"""A follower's details (``user/info``) as a profile record.

Traits are prefixed ``wechat_`` so they don't collide with what other sources say
about the same person (an SDK's ``language``). The follower's tags become profile
tags by name, and their current ids and names are kept as traits too, because
profile tags are only ever added.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from junction.core.model import MAX_IDENTIFIER_LENGTH, Identifier, IdentifierType
from junction.plugins import PermanentFailure, ProfileRecord

__all__ = ["openid_identifier", "profile_of"]

# user/info field -> trait name, for the fields copied as they are.
_COPIED = {
    "subscribe_scene": "wechat_subscribe_scene",
    "language": "wechat_language",
    "remark": "wechat_remark",
    "qr_scene": "wechat_qr_scene",
    "qr_scene_str": "wechat_qr_scene_str",
}


def openid_identifier(openid: str, app_id: str) -> Identifier:
    """An openid, scoped to the app it belongs to (equal openids of two apps differ)."""
    return Identifier(IdentifierType.WECHAT_OPENID, openid, app_id)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and 0 < len(value) <= MAX_IDENTIFIER_LENGTH else None


def profile_of(
    info: dict[str, Any], *, app_id: str, tags: dict[int, str], observed_at: datetime
) -> ProfileRecord:
    """The profile record of one ``user_info_list`` entry.

    A follower who unfollowed (``subscribe`` 0) is kept: the record says
    ``wechat_subscribed: false``; WeChat returns no other details for them.

    Raises:
        PermanentFailure: the entry has no openid (WeChat broke its contract).
    """
    openid = _text(info.get("openid"))
    if openid is None:
        raise PermanentFailure(f"user/info/batchget: an entry has no valid openid: {info!r}")
    identifiers = [openid_identifier(openid, app_id)]
    if unionid := _text(info.get("unionid")):
        identifiers.append(Identifier(IdentifierType.WECHAT_UNIONID, unionid))
    traits: dict[str, Any] = {"wechat_subscribed": info.get("subscribe") == 1}
    if traits["wechat_subscribed"]:
        subscribed_at = info.get("subscribe_time")
        if isinstance(subscribed_at, int) and subscribed_at > 0:
            traits["wechat_subscribe_time"] = datetime.fromtimestamp(subscribed_at, UTC).isoformat()
        for field, trait in _COPIED.items():
            value = info.get(field)
            # WeChat sends "" and 0 for "none" (no remark, no QR scene).
            if value is not None and value != "" and value != 0:
                traits[trait] = value
        tag_ids = [t for t in info.get("tagid_list") or [] if isinstance(t, int)]
        traits["wechat_tag_ids"] = tag_ids
        names = tuple(tags[t] for t in tag_ids if t in tags)
        traits["wechat_tags"] = list(names)
    else:
        names = ()
    return ProfileRecord(
        identifiers=tuple(identifiers),
        observed_at=observed_at,
        traits=traits,
        tags=names,
    )
