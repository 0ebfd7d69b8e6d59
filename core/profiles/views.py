"""What the API and CLI show of a profile. PII is masked unless revealed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec


class IdentityView(msgspec.Struct, frozen=True, kw_only=True):
    type: str
    scope: str
    #: Masked for phone/e-mail (``138****5678``) unless the caller revealed PII.
    value: str
    first_seen_at: datetime
    source_id: int | None
    #: The event that first linked this identifier to the profile.
    message_id: str | None


class MergeView(msgspec.Struct, frozen=True, kw_only=True):
    survivor_id: int
    #: None when both records were first seen in the same batch (never stored apart).
    merged_id: int | None
    reason: str
    at: datetime
    #: The event (message id, source) whose identifiers linked the two profiles.
    message_id: str | None
    source_id: int | None
    #: Identifier types on each side (values are not shown: they are evidence, not data).
    survivor_identifiers: list[str]
    merged_identifiers: list[str]


class ConflictView(msgspec.Struct, frozen=True, kw_only=True):
    type: str
    scope: str
    kept_profile_id: int
    refused_profile_id: int | None
    reason: str
    message_id: str | None
    at: datetime


class ConsentView(msgspec.Struct, frozen=True, kw_only=True):
    purpose: str
    status: str
    recorded_at: datetime
    source: str
    ip: str | None
    user_agent: str | None
    policy_version: str | None


class EventView(msgspec.Struct, frozen=True, kw_only=True):
    message_id: str
    type: str
    name: str | None
    timestamp: datetime
    source_id: int
    properties: dict[str, Any]


class ProfileView(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    created_at: datetime
    updated_at: datetime
    erased_at: datetime | None
    traits: dict[str, Any]
    identities: list[IdentityView]
    #: Current status per purpose (the latest decision).
    consent: dict[str, str]
    consent_history: list[ConsentView]
    merges: list[MergeView]
    conflicts: list[ConflictView]
    recent_events: list[EventView]
    #: The profile ids merged into this one, directly or through others.
    merged_profiles: list[int]
    revealed: bool


class ErasureReport(msgspec.Struct, frozen=True, kw_only=True):
    profile_ids: list[int]
    identities_tombstoned: int
    events_deleted: int
    consents_deleted: int
    orders_anonymized: int
