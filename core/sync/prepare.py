"""Turning profiles into members a destination can match: its identifiers, its way.

For each identifier type the sync sends, every identity of the profile is normalized
and hashed as the destination's :class:`IdentifierRule` says, through the PII
registry. Phone and e-mail identities are stored as the SHA-256 of the hub's own
normalization: when the rule asks for exactly that, the stored digest is sent as it is;
otherwise the raw (normalized) value is opened from ``identities.value_encrypted``.
Values the rule can't take are skipped; a member left with no identifier can't be
matched by anyone and is dead-lettered by the caller.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from junction.core.db.tables import Consent, Identity
from junction.core.errors import ConfigError, SecretKeyError
from junction.core.identity.store import open_identity_value
from junction.core.pii import InvalidIdentifier, PiiRegistry, default_normalizer
from junction.core.secrets import SecretBox
from junction.core.sync.ledger import Op
from junction.core.sync.sql import among
from junction.plugins import Hashing, IdentifierRule, Member, PreparedIdentifier

__all__ = ["MemberFactory"]

_CHUNK = 5000


class MemberFactory:
    """Builds :class:`Member` values for one sync's destination rules.

    Args:
        rules: The destination's rule for each identifier type the sync sends.
        registry: The PII registry normalizers come from.
        box: Opens the encrypted raw values of PII identities.
    """

    def __init__(
        self, rules: Sequence[IdentifierRule], registry: PiiRegistry, box: SecretBox
    ) -> None:
        self.rules = {rule.type: rule for rule in rules}
        self.registry = registry
        self.box = box

    async def build(
        self, session: AsyncSession, ops: Sequence[Op]
    ) -> tuple[list[Member], dict[str, str]]:
        """Members for ``ops``, and why others have none.

        Returns the members (in ``ops`` order) and, for each key left without any
        identifier, the reason.
        """
        profile_ids = sorted({op.profile_id for op in ops})
        found = await self._identities(session, profile_ids)
        consents = await _consents(session, profile_ids)
        members: list[Member] = []
        problems: dict[str, str] = {}
        for op in ops:
            key, identifiers = op.key, found.get(op.profile_id, [])
            if identifiers:
                members.append(
                    Member(
                        key=key,
                        identifiers=tuple(identifiers),
                        consent=consents.get(op.profile_id, {}),
                    )
                )
            else:
                wanted = ", ".join(self.rules)
                problems[key] = f"the profile has no usable identifier of the types sent ({wanted})"
        return members, problems

    async def _identities(
        self, session: AsyncSession, profile_ids: list[int]
    ) -> dict[int, list[PreparedIdentifier]]:
        prepared: dict[int, list[PreparedIdentifier]] = {}
        types = list(self.rules)
        # Core rows, not ORM ones: this reads every identity of every member.
        connection = await session.connection()
        for start in range(0, len(profile_ids), _CHUNK):
            rows = await connection.execute(
                select(
                    Identity.profile_id,
                    Identity.type,
                    Identity.scope,
                    Identity.value,
                    Identity.hashed,
                    Identity.value_encrypted,
                )
                .where(
                    among(
                        Identity.profile_id,
                        profile_ids[start : start + _CHUNK],
                        connection.dialect.name,
                    ),
                    Identity.type.in_(types),
                )
                .order_by(Identity.profile_id, Identity.type, Identity.id)
            )
            for pid, kind, scope, value, hashed, sealed in rows:
                identifier = self._prepare(kind, scope, value, hashed, sealed)
                if identifier is not None:
                    prepared.setdefault(pid, []).append(identifier)
        return prepared

    def _prepare(
        self, kind: str, scope: str, value: str, hashed: bool, sealed: bytes | None
    ) -> PreparedIdentifier | None:
        rule = self.rules[kind]
        if hashed and self._stored_digest_fits(kind, rule):
            # The hub matches on SHA-256 of the default normalization, which is exactly
            # what this rule asks for: send the stored digest, no decryption needed.
            return PreparedIdentifier(
                type=kind, value=value, scope=scope, platform_key=rule.platform_key
            )
        if hashed:
            if sealed is None:
                return None  # only the digest is kept: no rule but the hub's own could use it
            try:
                raw = open_identity_value(self.box, kind, value, sealed)
            except SecretKeyError as exc:
                raise ConfigError(f"can't open identity values: {exc}") from None
        else:
            raw = value
        try:
            prepared = self.registry.prepare(raw, rule, kind)
        except InvalidIdentifier:
            return None
        return PreparedIdentifier(
            type=kind, value=prepared, scope=scope, platform_key=rule.platform_key
        )

    def _stored_digest_fits(self, kind: str, rule: IdentifierRule) -> bool:
        # ID-mapping stores SHA-256 of the built-in default normalization.
        effective = rule.normalizer or self.registry.default_for(kind)
        return rule.hashing == Hashing.SHA256 and effective == default_normalizer(kind)


async def _consents(session: AsyncSession, profile_ids: list[int]) -> dict[int, dict[str, str]]:
    """Each profile's newest decision per purpose, as "granted" or "denied".

    Destinations with consent fields (Google's adUserData / adPersonalization...) send
    them per member; a withdrawal is a denial as far as a platform is concerned.
    """
    newest: dict[int, dict[str, str]] = {}
    connection = await session.connection()
    for start in range(0, len(profile_ids), _CHUNK):
        rows = await connection.execute(
            select(Consent.profile_id, Consent.purpose, Consent.status)
            .where(
                among(
                    Consent.profile_id, profile_ids[start : start + _CHUNK], connection.dialect.name
                )
            )
            .order_by(Consent.recorded_at, Consent.id)
        )
        for pid, purpose, status in rows:  # later rows overwrite earlier ones
            newest.setdefault(pid, {})[purpose] = "granted" if status == "granted" else "denied"
    return newest
