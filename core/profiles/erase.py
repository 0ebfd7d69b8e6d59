"""The right to erasure: a person's data deleted, their identifiers never linked again.

Erasing a profile (and every profile merged into it) in one transaction:

- identities are deleted and their (type, scope, value) tombstoned, so ID-mapping
  ignores them if they arrive again; PII values were already only hashes there;
- events and consent records are deleted (they hold properties, IPs, user agents);
- orders stay for the books but lose their customer identifiers and profile link;
- merge evidence and identity conflicts mentioning the profiles are deleted;
- promoted and computed traits and tags are deleted;
- the profile rows stay as empty shells with ``erased_at`` set, so ids held by
  destinations still resolve to "erased" rather than to nothing;
- the audit log records who erased what, with counts and no personal data.
"""

from __future__ import annotations

from sqlalchemy import delete, insert, or_, select, update

from junction.core import audit
from junction.core.db.tables import (
    Consent,
    Event,
    Identity,
    IdentityConflict,
    IdentityTombstone,
    Merge,
    Order,
    Profile,
)
from junction.core.db.types import utcnow
from junction.core.profiles.service import Profiles
from junction.core.profiles.views import ErasureReport
from junction.core.traits import forget_profiles


async def erase_profile(profiles: Profiles, profile_id: int, *, actor: str) -> ErasureReport:
    """Erase ``profile_id`` (or the profile it was merged into) and its merged family.

    Raises:
        NotFoundError: no such profile.
    """
    async with profiles.db.transaction() as session:
        pid = await profiles.live_id(session, profile_id)
        family = [pid, *await profiles.merged_ids(session, pid)]
        keys = (
            await session.execute(
                select(Identity.type, Identity.scope, Identity.value).where(
                    Identity.profile_id.in_(family)
                )
            )
        ).all()
        if keys:
            await session.execute(
                insert(IdentityTombstone),
                [{"type": t, "scope": s, "value": v, "erased_at": utcnow()} for t, s, v in keys],
            )
        await session.execute(delete(Identity).where(Identity.profile_id.in_(family)))
        events = await session.execute(delete(Event).where(Event.profile_id.in_(family)))
        consents = await session.execute(delete(Consent).where(Consent.profile_id.in_(family)))
        orders = await session.execute(
            update(Order)
            .where(Order.profile_id.in_(family))
            .values(profile_id=None, identifiers=[])
        )
        await session.execute(
            delete(Merge).where(or_(Merge.survivor_id.in_(family), Merge.merged_id.in_(family)))
        )
        await session.execute(
            delete(IdentityConflict).where(
                or_(
                    IdentityConflict.kept_profile_id.in_(family),
                    IdentityConflict.refused_profile_id.in_(family),
                )
            )
        )
        await session.execute(
            update(Profile)
            .where(Profile.id.in_(family))
            .values(traits={}, trait_updated_at={}, erased_at=utcnow())
        )
        # Traits copied for segments (typed traits, computed traits, tags) go too; segment
        # memberships stay, so the next computation reports the removal to destinations.
        await forget_profiles(session, family)
        report = ErasureReport(
            profile_ids=family,
            identities_tombstoned=len(keys),
            events_deleted=events.rowcount,  # type: ignore[attr-defined]
            consents_deleted=consents.rowcount,  # type: ignore[attr-defined]
            orders_anonymized=orders.rowcount,  # type: ignore[attr-defined]
        )
        await audit.append(
            session,
            actor=actor,
            action="profile.erase",
            target=f"profile:{pid}",
            details={
                "profiles": family,
                "identities_tombstoned": report.identities_tombstoned,
                "events_deleted": report.events_deleted,
                "consents_deleted": report.consents_deleted,
                "orders_anonymized": report.orders_anonymized,
            },
        )
    return report
