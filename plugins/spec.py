"""What a connector declares about itself, so the hub can plan without calling it.

A connector's :class:`ConnectorSpec` names it, says whether it is a source or a
destination, gives its config Struct (which becomes a JSON Schema and an admin form),
its capabilities, the identifiers it accepts or produces and how they must be
normalized and hashed, and the platform's batch and rate limits.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any

import msgspec
from msgspec import Meta

_NAME = re.compile(r"^[a-z][a-z0-9_]{1,62}$")


class Kind(StrEnum):
    SOURCE = "source"
    DESTINATION = "destination"


class Capability(StrEnum):
    """What a connector can do; the engine and the admin offer only what is declared."""

    #: Source: ``read(ctx, state)`` pulls records incrementally with checkpoints.
    PULL = "pull"
    #: Source: the platform pushes to routes the plugin contributes (callbacks, SDKs).
    RECEIVE = "receive"
    #: Destination: audiences with ``ensure_audience`` / ``add`` / ``remove``.
    AUDIENCE = "audience"
    #: Destination: ``replace`` swaps a whole audience's membership.
    AUDIENCE_REPLACE = "audience_replace"
    #: Destination: ``send`` delivers messages to people (SMS, email, app messages).
    MESSAGE = "message"
    #: Destination: ``notify`` posts operator notifications (group bots).
    NOTIFY = "notify"


class Hashing(StrEnum):
    """How an identifier value must be digested before it leaves the hub."""

    NONE = "none"
    SHA256 = "sha256"
    MD5 = "md5"
    #: SHA-256 of the lowercase MD5 hex (Tencent Ads' ``MD5_SHA256_*`` device ids).
    MD5_SHA256 = "md5_sha256"


class IdentifierRule(msgspec.Struct, frozen=True, kw_only=True):
    """One identifier type a destination accepts (or a source produces), and its form.

    ``normalizer`` names an entry of the hub's PII registry ("e164", "email_lower",
    "device_upper", ...); ``None`` uses the type's default normalizer.
    """

    type: str
    hashing: Hashing = Hashing.NONE
    normalizer: str | None = None
    #: The platform's own name for this key (Meta "EMAIL", Tencent "HASH_PHONE"...).
    platform_key: str | None = None


class Limits(msgspec.Struct, frozen=True, kw_only=True):
    """Platform limits the engine plans batches and rate limiting by. None = no limit."""

    max_batch_records: int | None = None
    max_batch_bytes: int | None = None
    #: Sustained calls per second per connection (token bucket refill rate).
    requests_per_second: float | None = None
    #: Calls allowed in a burst (token bucket size).
    burst: int = 1
    #: Audiences smaller than this can't be targeted or shrunk further by removals.
    min_audience_size: int | None = None


class ConnectorSpec(msgspec.Struct, frozen=True, kw_only=True):
    """Everything the hub knows about a connector before it runs any code of it."""

    name: str
    kind: Kind
    title: str
    description: str
    config: type[msgspec.Struct]
    capabilities: frozenset[Capability]
    accepts: tuple[IdentifierRule, ...] = ()
    produces: tuple[str, ...] = ()
    limits: Limits = Limits()
    #: True when resending the same operation can't apply it twice (audience adds and
    #: removes are; most message sends are not).
    idempotent: bool = True
    docs_url: str | None = None

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise ValueError(
                f"connector name {self.name!r} must be 2-63 characters of a-z, 0-9 and _, "
                "starting with a letter"
            )

    def config_schema(self) -> dict[str, Any]:
        """The config as a JSON Schema (draft 2020-12), secrets marked ``writeOnly``."""
        return config_schema(self.config)

    @property
    def secret_fields(self) -> frozenset[str]:
        """Names of the config fields that are secrets, as they appear in config dicts."""
        properties = self.config_schema().get("properties", {})
        return frozenset(name for name, prop in properties.items() if prop.get("writeOnly"))


def secret(title: str, description: str = "") -> Meta:
    """Annotation metadata for a secret config field: write-only, never shown or logged.

    Example::

        api_key: Annotated[str, secret("API key")]
    """
    return Meta(
        title=title,
        description=description or None,
        extra_json_schema={"writeOnly": True, "format": "password"},
    )


def config_schema(config: type[msgspec.Struct]) -> dict[str, Any]:
    """The JSON Schema of a config Struct, inlined (no ``$ref``) for form generation."""
    schema = msgspec.json.schema(config)
    definitions = schema.pop("$defs", {})
    return _inline(schema, definitions)


def _inline(node: Any, definitions: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            resolved = _inline(definitions[ref.removeprefix("#/$defs/")], definitions)
            extra = {k: v for k, v in node.items() if k != "$ref"}
            return {**resolved, **extra}
        return {key: _inline(value, definitions) for key, value in node.items()}
    if isinstance(node, list):
        return [_inline(item, definitions) for item in node]
    return node
