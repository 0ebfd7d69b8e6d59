"""What sources yield and destinations receive."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from junction.core.model import Consent, Event, Identifier, Order

# --- Source side: records flowing into the hub --------------------------------------


class EventRecord(msgspec.Struct, frozen=True, kw_only=True, tag="event"):
    """A behavioural event, in the Segment-compatible canonical form."""

    event: Event


class ProfileRecord(msgspec.Struct, frozen=True, kw_only=True, tag="profile"):
    """Facts about a person: identifiers to resolve and traits observed at ``observed_at``."""

    identifiers: tuple[Identifier, ...]
    observed_at: datetime
    traits: dict[str, Any] = {}
    #: Traits to set only when the profile has none yet (Sensors' profile_set_once).
    traits_once: dict[str, Any] = {}
    #: Traits to delete (Sensors' profile_unset).
    unset: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()


class OrderRecord(msgspec.Struct, frozen=True, kw_only=True, tag="order"):
    """An order, new or updated (cancellations arrive as a status change)."""

    order: Order


class ConsentRecord(msgspec.Struct, frozen=True, kw_only=True, tag="consent"):
    """A consent decision for the person behind ``identifiers``."""

    identifiers: tuple[Identifier, ...]
    consent: Consent


class ItemRecord(msgspec.Struct, frozen=True, kw_only=True, tag="item"):
    """A catalog item (a product, an article, a course...) as of ``observed_at``.

    Items are not people: they land in the hub's item catalog, keyed by (source,
    ``item_type``, ``item_id``), the newest state winning. ``deleted`` marks an item
    the source removed (Sensors' ``item_delete``); it stays in the catalog as deleted.
    """

    item_type: str
    item_id: str
    observed_at: datetime
    properties: dict[str, Any] = {}
    deleted: bool = False


class Checkpoint(msgspec.Struct, frozen=True, kw_only=True, tag="checkpoint"):
    """Yielded after the records it covers; the engine commits ``state`` only after them.

    ``state`` must be JSON-serializable; it comes back as ``ctx.state`` on the next read.
    """

    state: dict[str, Any]


Record = EventRecord | ProfileRecord | OrderRecord | ConsentRecord | ItemRecord

# --- Destination side: members and recipients flowing out --------------------------


class PreparedIdentifier(msgspec.Struct, frozen=True, kw_only=True):
    """An identifier already normalized and hashed as the destination's rule says."""

    type: str
    value: str
    scope: str = ""
    #: The platform's name for this key, copied from the matching IdentifierRule.
    platform_key: str | None = None


class Member(msgspec.Struct, frozen=True, kw_only=True):
    """One audience member as a destination receives it.

    ``key`` is the deterministic operation key of this change; a result for the member
    must carry it back.
    """

    key: str
    identifiers: tuple[PreparedIdentifier, ...]
    #: Consent state per purpose ("granted", "denied"), for platforms with consent fields.
    consent: dict[str, str] = {}


class AudienceRequest(msgspec.Struct, frozen=True, kw_only=True):
    """What the hub asks for: an audience of this name, or the one it created before."""

    name: str
    description: str = ""
    #: The platform id remembered from an earlier run, if any.
    existing_id: str | None = None


class Audience(msgspec.Struct, frozen=True, kw_only=True):
    """An audience as it exists on the platform."""

    id: str
    name: str
    size: int | None = None
    #: Plugin-private facts to keep with the sync (e.g. an upload account id).
    data: dict[str, Any] = {}


class ReplaceSession(msgspec.Struct, frozen=True, kw_only=True):
    """One batch of a full-membership replacement (Meta's session, Google's replace)."""

    id: str
    seq: int
    last: bool
    data: dict[str, Any] = {}


class Content(msgspec.Struct, frozen=True, kw_only=True):
    """A message rendered for one recipient."""

    subject: str | None = None
    text: str | None = None
    html: str | None = None


class Recipient(msgspec.Struct, frozen=True, kw_only=True):
    """One person a message goes to.

    ``key`` is the idempotency reference of this send: plugins pass it to the platform
    where it has a caller reference, so an unknown outcome can be looked up.
    """

    key: str
    #: Raw channel addresses by identifier type: {"phone": "+86138...", "email": ...}.
    address: dict[str, str]
    #: Template variables for platform-side templates (SMS TemplateParam...).
    params: dict[str, str] = {}
    content: Content | None = None


class Message(msgspec.Struct, frozen=True, kw_only=True):
    """What to send: a platform template id and/or content shared by all recipients."""

    template: str | None = None
    content: Content | None = None
    #: Channel options validated by the plugin (sign name, message type...).
    options: dict[str, Any] = {}


class Notification(msgspec.Struct, frozen=True, kw_only=True):
    """An operator notification (a failed sync run...)."""

    title: str
    text: str
    url: str | None = None
    severity: str = "info"
