"""Identifier types' priority and per-profile limits: the rules ID-mapping applies.

Priority decides which links win when an event's identifiers point at profiles that
can't be merged (two different user ids): the higher-priority identifier's profile
keeps the event, the others are refused and recorded as conflicts. A limit caps how
many distinct values of a type one profile may hold; scoped types (WeChat openids)
count per scope, so a person has at most one openid per WeChat app and any number of
apps.
"""

from __future__ import annotations

import msgspec

from junction.core.model import SCOPED_TYPES, IdentifierType


class TypeRule(msgspec.Struct, frozen=True, kw_only=True):
    priority: int
    #: Distinct values per profile (per scope for scoped types); None = unlimited.
    limit: int | None = None


T = IdentifierType

DEFAULT_RULES: dict[str, TypeRule] = {
    T.USER_ID: TypeRule(priority=100, limit=1),
    T.WECHAT_UNIONID: TypeRule(priority=90, limit=1),
    T.PHONE: TypeRule(priority=80, limit=1),
    T.EMAIL: TypeRule(priority=70),
    T.WECHAT_OPENID: TypeRule(priority=60, limit=1),  # per app id
    T.IDFA: TypeRule(priority=40),
    T.OAID: TypeRule(priority=40),
    T.IMEI: TypeRule(priority=40),
    T.IDFV: TypeRule(priority=35),
    T.ANDROID_ID: TypeRule(priority=35),
    T.DEVICE_ID: TypeRule(priority=30),
    T.ANONYMOUS_ID: TypeRule(priority=10),
}

_UNKNOWN = TypeRule(priority=0)


class IdentityRules:
    """Looks up a type's rule; unknown types rank lowest and are unlimited."""

    def __init__(self, rules: dict[str, TypeRule] | None = None) -> None:
        self.rules = {**DEFAULT_RULES, **(rules or {})}

    def rule(self, type: str) -> TypeRule:
        return self.rules.get(type, _UNKNOWN)

    def priority(self, type: str) -> int:
        return self.rule(type).priority

    def limit(self, type: str) -> int | None:
        return self.rule(type).limit

    def limit_bucket(self, type: str, scope: str) -> tuple[str, str]:
        """What a limit counts within: the type, and the scope for scoped types."""
        return (type, scope if type in SCOPED_TYPES else "")
