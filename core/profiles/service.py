"""Finding profiles by any identifier and reading everything the hub knows of them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from junction.core.db import Database
from junction.core.db.tables import (
    Consent,
    Event,
    Identity,
    IdentityConflict,
    Merge,
    Profile,
)
from junction.core.errors import NotFoundError
from junction.core.identity.keys import prepare_keys
from junction.core.identity.store import open_identity_value
from junction.core.model import PII_TYPES, Identifier
from junction.core.pii import PiiRegistry
from junction.core.profiles.views import (
    ConflictView,
    ConsentView,
    EventView,
    IdentityView,
    MergeView,
    ProfileView,
)
from junction.core.secrets import SecretBox


class Profiles:
    """Read access to profiles. Writing happens through ID-mapping and erasure."""

    def __init__(self, db: Database, box: SecretBox, registry: PiiRegistry | None = None) -> None:
        self.db = db
        self.box = box
        self.registry = registry or PiiRegistry()

    async def lookup(self, type: str, value: str, scope: str = "") -> int:
        """The live profile holding identifier (type, value, scope).

        The value is normalized (and hashed for phone/e-mail) the way ID-mapping stores
        it, so "138 0013 8000" finds the profile that sent "+8613800138000".

        Raises:
            NotFoundError: no profile has it (or the value isn't a valid identifier).
            ModelError: the type or scope is malformed.
        """
        keys, _ = prepare_keys([Identifier.of(type, value, scope)], self.registry)
        if not keys:
            raise NotFoundError(f"no profile has that {type}: the value isn't a valid {type}")
        key = keys[0].key
        async with self.db.sessions() as session:
            profile_id = await session.scalar(
                select(Identity.profile_id).where(
                    Identity.type == key.type,
                    Identity.scope == key.scope,
                    Identity.value == key.value,
                )
            )
        if profile_id is None:
            raise NotFoundError(f"no profile has that {type}")
        return profile_id

    async def live_id(self, session: AsyncSession, profile_id: int) -> int:
        """``profile_id``, or the profile it was merged into (following the chain)."""
        seen = set()
        while True:
            row = await session.get(Profile, profile_id)
            if row is None:
                raise NotFoundError(f"no profile with id {profile_id}")
            if row.merged_into is None or row.merged_into in seen:
                return row.id
            seen.add(row.id)
            profile_id = row.merged_into

    async def merged_ids(self, session: AsyncSession, profile_id: int) -> list[int]:
        """Every profile merged into ``profile_id``, directly or transitively."""
        found: list[int] = []
        frontier = [profile_id]
        while frontier:
            rows = await session.scalars(
                select(Profile.id).where(Profile.merged_into.in_(frontier))
            )
            frontier = [pid for pid in rows.all() if pid not in found]
            found.extend(frontier)
        return sorted(found)

    async def get(self, profile_id: int, *, reveal: bool = False, events: int = 20) -> ProfileView:
        """Everything about one profile; a merged id answers with its survivor.

        With ``reveal`` the phone and e-mail values are decrypted; callers must check the
        role and audit the reveal (the API does both).
        """
        async with self.db.sessions() as session:
            pid = await self.live_id(session, profile_id)
            profile = await session.get(Profile, pid)
            assert profile is not None
            family = [pid, *await self.merged_ids(session, pid)]
            identities = (
                await session.scalars(
                    select(Identity).where(Identity.profile_id == pid).order_by(Identity.id)
                )
            ).all()
            merges = (
                await session.scalars(
                    select(Merge).where(Merge.survivor_id.in_(family)).order_by(Merge.id)
                )
            ).all()
            conflicts = (
                await session.scalars(
                    select(IdentityConflict)
                    .where(
                        or_(
                            IdentityConflict.kept_profile_id == pid,
                            IdentityConflict.refused_profile_id == pid,
                        )
                    )
                    .order_by(IdentityConflict.id)
                )
            ).all()
            consents = (
                await session.scalars(
                    select(Consent)
                    .where(Consent.profile_id == pid)
                    .order_by(Consent.recorded_at, Consent.id)
                )
            ).all()
            recent = (
                await session.scalars(
                    select(Event)
                    .where(Event.profile_id == pid)
                    .order_by(Event.timestamp.desc(), Event.id.desc())
                    .limit(events)
                )
            ).all()
        return ProfileView(
            id=pid,
            created_at=profile.created_at,
            updated_at=profile.updated_at,
            erased_at=profile.erased_at,
            traits=profile.traits if reveal else self._mask_fields(profile.traits),
            identities=[self._identity(row, reveal) for row in identities],
            consent={row.purpose: row.status for row in consents},
            consent_history=[_consent(row) for row in consents],
            merges=[_merge(row) for row in merges],
            conflicts=[_conflict(row) for row in conflicts],
            recent_events=[
                _event(row, row.properties if reveal else self._mask_fields(row.properties))
                for row in recent
            ],
            merged_profiles=family[1:],
            revealed=reveal,
        )

    def _mask_fields(self, values: dict[str, Any]) -> dict[str, Any]:
        """Mask values stored under PII field names ("phone", "email", "mobile"...)."""
        masked: dict[str, Any] = {}
        for name, value in values.items():
            kind = PII_FIELD_NAMES.get(name.lower())
            if kind and isinstance(value, str | int):
                masked[name] = self.registry.mask(kind, str(value))
            elif isinstance(value, dict):
                masked[name] = self._mask_fields(value)
            else:
                masked[name] = value
        return masked

    def _identity(self, row: Identity, reveal: bool) -> IdentityView:
        value = row.value
        if row.type in PII_TYPES:
            raw = (
                open_identity_value(self.box, row.type, row.value, row.value_encrypted)
                if row.value_encrypted
                else None
            )
            if raw is None:
                value = "********"
            else:
                value = raw if reveal else self.registry.mask(row.type, raw)
        return IdentityView(
            type=row.type,
            scope=row.scope,
            value=value,
            first_seen_at=row.first_seen_at,
            source_id=row.source_id,
            message_id=row.message_id,
        )


def _merge(row: Merge) -> MergeView:
    evidence = row.evidence or {}
    return MergeView(
        survivor_id=row.survivor_id,
        merged_id=row.merged_id,
        reason=row.reason,
        at=row.created_at,
        message_id=evidence.get("message_id"),
        source_id=evidence.get("source_id"),
        survivor_identifiers=[i["type"] for i in evidence.get("survivor_identifiers", [])],
        merged_identifiers=[i["type"] for i in evidence.get("merged_identifiers", [])],
    )


def _conflict(row: IdentityConflict) -> ConflictView:
    return ConflictView(
        type=row.type,
        scope=row.scope,
        kept_profile_id=row.kept_profile_id,
        refused_profile_id=row.refused_profile_id,
        reason=row.reason,
        message_id=row.message_id,
        at=row.created_at,
    )


def _consent(row: Consent) -> ConsentView:
    return ConsentView(
        purpose=row.purpose,
        status=row.status,
        recorded_at=row.recorded_at,
        source=row.source,
        ip=row.ip,
        user_agent=row.user_agent,
        policy_version=row.policy_version,
    )


#: Field names whose values are a phone number or e-mail address, wherever they appear.
PII_FIELD_NAMES = {
    "phone": "phone",
    "mobile": "phone",
    "phone_number": "phone",
    "email": "email",
    "email_address": "email",
}


def _event(row: Event, properties: dict[str, Any]) -> EventView:
    return EventView(
        message_id=row.message_id,
        type=row.type,
        name=row.name,
        timestamp=row.timestamp,
        source_id=row.source_id,
        properties=properties,
    )
