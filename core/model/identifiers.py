"""Identifiers: the (type, value, scope) triples that identity resolution links.

Values are kept exactly as received. Normalizing and hashing PII (E.164 phones,
lower-cased emails, SHA-256) belongs to the PII registry, which needs the raw value.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import msgspec
from msgspec import Meta

from ._checks import check_text
from .errors import ModelError

if TYPE_CHECKING:
    from .events import Event

__all__ = [
    "MAX_IDENTIFIER_LENGTH",
    "PII_TYPES",
    "SCOPED_TYPES",
    "Identifier",
    "IdentifierType",
    "extract_identifiers",
]

MAX_IDENTIFIER_LENGTH = 512


class IdentifierType(StrEnum):
    """The kinds of identifier the hub knows how to link and activate."""

    USER_ID = "user_id"
    ANONYMOUS_ID = "anonymous_id"
    WECHAT_OPENID = "wechat_openid"
    WECHAT_UNIONID = "wechat_unionid"
    PHONE = "phone"
    EMAIL = "email"
    IDFA = "idfa"
    OAID = "oaid"
    IMEI = "imei"
    ANDROID_ID = "android_id"
    IDFV = "idfv"
    DEVICE_ID = "device_id"


#: Types whose values are personal data: normalized, hashed and encrypted at rest.
PII_TYPES: frozenset[IdentifierType] = frozenset({IdentifierType.PHONE, IdentifierType.EMAIL})

#: Types whose values only mean something within a scope. The same person has one
#: openid per WeChat app id, and equal openids under two app ids are unrelated.
SCOPED_TYPES: frozenset[IdentifierType] = frozenset({IdentifierType.WECHAT_OPENID})

_Value = Annotated[str, Meta(min_length=1, max_length=MAX_IDENTIFIER_LENGTH)]


class Identifier(msgspec.Struct, frozen=True):
    """One identifier of one person, e.g. an email or an openid under a WeChat app.

    Attributes:
        type: What kind of identifier ``value`` is.
        value: The identifier as received (1 to 512 characters).
        scope: The namespace of a scoped type (the WeChat app id of an openid);
            ``""`` for every other type.

    Raises:
        ModelError: When built or decoded with an empty or too long value, a scoped
            type without a scope, or an unscoped type with one.
    """

    type: IdentifierType
    value: _Value
    scope: str = ""

    def __post_init__(self) -> None:
        check_text(self.value, "$.value", max_length=MAX_IDENTIFIER_LENGTH)
        if not isinstance(self.scope, str):
            raise ModelError(f"Expected `str`, got `{type(self.scope).__name__}`", "$.scope")
        if self.type in SCOPED_TYPES:
            if not self.scope:
                raise ModelError(f"`scope` is required for identifiers of type `{self.type}`")
        elif self.scope:
            raise ModelError(
                f"`scope` is not allowed for identifiers of type `{self.type}`", "$.scope"
            )

    @classmethod
    def of(cls, type: IdentifierType | str, value: str, scope: str = "") -> Identifier:
        """Build a validated identifier, accepting the type by name.

        Args:
            type: An :class:`IdentifierType` or its value, e.g. ``"wechat_openid"``.
            value: The identifier as received.
            scope: The scope of a scoped type, else ``""``.

        Raises:
            ModelError: When ``type`` is unknown or the identifier is invalid.
        """
        try:
            kind = IdentifierType(type)
        except ValueError:
            raise ModelError(f"Invalid enum value {type!r}", "$.type") from None
        return cls(kind, value, scope)


def parse_identifiers(raw: Any, path: str) -> list[Identifier]:
    """Validate a list of ``{"type", "value", "scope"}`` objects sent on the wire.

    Args:
        raw: The decoded JSON value.
        path: Where ``raw`` sits in the document, for error messages.

    Raises:
        ModelError: Located at the offending entry, e.g. ``$.context.identifiers[0]``.
    """
    try:
        return msgspec.convert(raw, list[Identifier])
    except msgspec.ValidationError as exc:
        raise ModelError.from_msgspec(exc).under(path) from exc


# An advertising id of all zeros is what iOS reports when tracking is not authorized
# (and some Android ROMs report for a limited OAID). Linking on it would merge every
# such user into one profile.
def _is_zeros(value: str) -> bool:
    return not value.strip("0-")


def _advertising_id_type(context: Mapping[str, Any]) -> IdentifierType | None:
    """IDFA on Apple platforms, OAID on Android and HarmonyOS, else unknown."""
    device = context.get("device")
    os = context.get("os")
    names = (
        device.get("type") if isinstance(device, Mapping) else None,
        os.get("name") if isinstance(os, Mapping) else None,
    )
    for name in names:
        if isinstance(name, str):
            name = name.strip().lower()
            if name in {"ios", "ipados", "iphone os", "tvos"}:
                return IdentifierType.IDFA
            if name in {"android", "harmonyos"}:
                return IdentifierType.OAID
    return None


def extract_identifiers(event: Event) -> list[Identifier]:
    """Collect every identifier an event carries, in a stable order, without duplicates.

    Sources, in order: ``userId``, ``anonymousId``; ``email`` and ``phone`` of the
    identify call's ``traits`` and of ``context.traits`` (not of a group call's
    traits, which describe the group); ``context.device.id`` as a generic device id;
    ``context.device.advertisingId`` as IDFA or OAID, decided by ``context.device.type``
    or ``context.os.name``; and the Junction extension ``context.identifiers``.

    Values inferred from free-form fields are taken when they are non-empty strings
    (or integers, e.g. a phone sent as a number) of at most 512 characters, and
    skipped otherwise. An advertising id is skipped when it is all zeros, when the
    platform is unknown, or when ``context.device.adTrackingEnabled`` is ``false``
    (the person opted out of ad tracking). ``context.identifiers`` was validated when
    the event was built, so every entry there is kept.
    """
    found: dict[Identifier, None] = {}  # an ordered set

    def add(kind: IdentifierType, value: Any) -> None:
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if isinstance(value, str) and 0 < len(value) <= MAX_IDENTIFIER_LENGTH:
            found.setdefault(Identifier(kind, value))

    add(IdentifierType.USER_ID, event.user_id)
    add(IdentifierType.ANONYMOUS_ID, event.anonymous_id)
    context = event.context
    trait_sources = [context.get("traits")]
    if event.type == "identify":
        trait_sources.insert(0, event.traits)
    for traits in trait_sources:
        if isinstance(traits, Mapping):
            add(IdentifierType.EMAIL, traits.get("email"))
            add(IdentifierType.PHONE, traits.get("phone"))
    device = context.get("device")
    if isinstance(device, Mapping):
        add(IdentifierType.DEVICE_ID, device.get("id"))
        advertising_id = device.get("advertisingId")
        kind = _advertising_id_type(context)
        if (
            kind is not None
            and isinstance(advertising_id, str)
            and not _is_zeros(advertising_id)
            and device.get("adTrackingEnabled") is not False
        ):
            add(kind, advertising_id)
    if (declared := context.get("identifiers")) is not None:
        for identifier in parse_identifiers(declared, "$.context.identifiers"):
            found.setdefault(identifier)
    return list(found)
