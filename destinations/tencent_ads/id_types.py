"""Tencent Ads ``user_id_type`` values: how each is normalized, hashed and checked.

shared/platforms/tencent-ads.md §5 lists the enum and the rules. Every type the hub can
produce a value for is catalogued here; :data:`DEFAULT_RULES` is the one rule per hub
identifier type that the connector declares in ``spec.accepts`` (the sync engine
prepares one form per identifier type, so only one variant per type can be declared).

The engine normalizes and hashes before the connector sees a member; the shapes here
are a last check that what goes into a file is exactly what Tencent parses, so a bug
upstream (an unhashed phone, an upper-case digest) is refused instead of uploaded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from junction.plugins import Hashing, IdentifierRule

__all__ = ["CATALOG", "DEFAULT_RULES", "IdType", "id_type"]

_MD5 = re.compile(r"[0-9a-f]{32}")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_IDFA = re.compile(r"[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}")
_IMEI = re.compile(r"[0-9]{14,15}|[0-9a-f]{14}")
# OAIDs are kept as issued (UUIDs, 64-hex, vendor formats): anything on one line.
_OAID = re.compile(r"[^\s,]{1,128}")
_WECHAT_ID = re.compile(r"[A-Za-z0-9_-]{6,64}")

_SHAPES: dict[Hashing, re.Pattern[str]] = {
    Hashing.MD5: _MD5,
    Hashing.SHA256: _SHA256,
    Hashing.MD5_SHA256: _SHA256,
}


@dataclass(frozen=True, kw_only=True)
class IdType:
    """One ``user_id_type``: the hub identifier it carries and the rule preparing it."""

    name: str
    rule: IdentifierRule
    #: The shape of a raw (unhashed) value; hashed types are checked as digests.
    raw_shape: re.Pattern[str] | None = None
    #: WeChat openids are only meaningful with the app id that issued them.
    needs_open_app_id: bool = False

    def valid(self, value: str) -> bool:
        """Whether ``value`` is a line Tencent parses as this type."""
        shape = _SHAPES.get(self.rule.hashing, self.raw_shape)
        return shape is not None and shape.fullmatch(value) is not None


def _type(
    name: str,
    identifier: str,
    hashing: Hashing,
    normalizer: str,
    raw_shape: re.Pattern[str] | None = None,
    needs_open_app_id: bool = False,
) -> IdType:
    rule = IdentifierRule(
        type=identifier, hashing=hashing, normalizer=normalizer, platform_key=name
    )
    return IdType(name=name, rule=rule, raw_shape=raw_shape, needs_open_app_id=needs_open_app_id)


#: Every supported ``user_id_type`` by name. Mobile numbers are the 11 mainland digits
#: (no +86); IDFAs upper-case with hyphens kept (the published HASH_IDFA vector only
#: reproduces so); IMEIs lower-case; OAIDs as issued; MD5_SHA256_* is SHA-256 of the
#: lower-case MD5 hex.
CATALOG: dict[str, IdType] = {
    t.name: t
    for t in (
        _type("HASH_MOBILE_PHONE", "phone", Hashing.MD5, "cn_mobile"),
        # Rule inferred from the enum name (tencent-ads.md §5: unconfirmed).
        _type("SHA256_MOBILE_PHONE", "phone", Hashing.SHA256, "cn_mobile"),
        _type("IDFA", "idfa", Hashing.NONE, "device_upper", _IDFA),
        _type("HASH_IDFA", "idfa", Hashing.MD5, "device_upper"),
        _type("MD5_SHA256_IDFA", "idfa", Hashing.MD5_SHA256, "device_upper"),
        _type("IMEI", "imei", Hashing.NONE, "imei", _IMEI),
        _type("HASH_IMEI", "imei", Hashing.MD5, "imei"),
        _type("MD5_SHA256_IMEI", "imei", Hashing.MD5_SHA256, "imei"),
        _type("OAID", "oaid", Hashing.NONE, "trim", _OAID),
        _type("HASH_OAID", "oaid", Hashing.MD5, "trim"),
        _type("MD5_SHA256_OAID", "oaid", Hashing.MD5_SHA256, "trim"),
        _type("WECHAT_OPENID", "wechat_openid", Hashing.NONE, "trim", _WECHAT_ID, True),
        _type("WX_OPENID", "wechat_openid", Hashing.NONE, "trim", _WECHAT_ID, True),
        _type("WX_UNIONID", "wechat_unionid", Hashing.NONE, "trim", _WECHAT_ID),
    )
}

#: What the connector declares: per hub identifier type, the documented (confirmed)
#: hashed form Tencent has matched on longest.
DEFAULT_RULES: tuple[IdentifierRule, ...] = tuple(
    CATALOG[name].rule
    for name in (
        "HASH_MOBILE_PHONE",
        "HASH_IDFA",
        "HASH_IMEI",
        "HASH_OAID",
        "WECHAT_OPENID",
        "WX_UNIONID",
    )
)


def id_type(platform_key: str | None) -> IdType | None:
    """The catalogued type named ``platform_key``, or None."""
    return CATALOG.get(platform_key or "")
