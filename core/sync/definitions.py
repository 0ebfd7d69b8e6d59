"""Sync definitions as the API and CLI exchange them: msgspec Structs, never ORM rows."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

import msgspec
from msgspec import Meta

from junction.core.messaging.settings import MessageSettings

__all__ = [
    "SyncCreate",
    "SyncKind",
    "SyncMode",
    "SyncUpdate",
    "SyncView",
]

_Name = Annotated[str, Meta(pattern=r"^[a-z0-9][a-z0-9_-]{0,99}$", title="Name")]


class SyncKind(StrEnum):
    #: Source connection → hub, incremental with the source's checkpointed state.
    PULL = "pull"
    #: Segment → destination connection.
    PUSH = "push"
    #: Segment entries → a message to each person who entered (SMS, e-mail...).
    MESSAGE = "message"


class SyncMode(StrEnum):
    """How a push sync keeps the destination's audience in step with the segment."""

    #: Members who join are added, members who leave are removed.
    MIRROR = "mirror"
    #: Members who join are added; nobody is ever removed.
    ADD_ONLY = "add_only"
    #: Every run sends the whole membership; the platform drops whoever was not sent.
    REPLACE = "replace"


class SyncCreate(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A new sync. Push syncs name a ``segment``; pull syncs leave it out.

    ``identifiers`` are the profile identifier types the destination receives, in
    order of preference; each must be one the destination accepts. ``schedule`` is a
    cron expression (UTC) or None for manual runs only.
    """

    name: _Name
    kind: SyncKind
    connection: str
    segment: str | None = None
    mode: SyncMode | None = None
    identifiers: list[str] = []
    consent_purpose: Annotated[str, Meta(pattern=r"^[a-z][a-z0-9_]{0,39}$")] | None = None
    schedule: str | None = None
    enabled: bool = True
    #: Records per call; None uses the destination's declared limit (its maximum).
    batch_size: Annotated[int, Meta(ge=1)] | None = None
    #: Message syncs: what to send, the frequency cap and quiet hours.
    message: MessageSettings | None = None
    #: A connection that notifies operators (``notify`` capability) of failed runs.
    notify: str | None = None


class SyncUpdate(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Changes to a sync; fields left None stay as they are."""

    schedule: str | None = None
    #: Set True to drop the schedule (manual runs only); ``schedule`` then must be None.
    manual: bool = False
    enabled: bool | None = None
    identifiers: list[str] | None = None
    consent_purpose: str | None = None
    #: The connection to notify of failed runs; "" stops notifying.
    notify: str | None = None


class SyncView(msgspec.Struct, frozen=True, kw_only=True):
    """A sync as APIs and the CLI show it."""

    id: int
    name: str
    kind: SyncKind
    connection: str
    plugin: str
    segment: str | None
    mode: SyncMode | None
    identifiers: list[str]
    consent_purpose: str | None
    schedule: str | None
    enabled: bool
    batch_size: int | None
    #: Push: the segment run planned so far. Pull: None.
    segment_run_id: int | None
    #: Pull: the committed checkpoint. Push: the platform audience.
    state: dict[str, Any]
    message: dict[str, Any] | None
    notify: str | None
    created_by: str
    created_at: datetime
    updated_at: datetime
