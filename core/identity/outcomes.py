"""Writing a batch's event outcomes: profiles assigned, consent policy applied, counted."""

from __future__ import annotations

from collections import Counter
from typing import Any, NamedTuple

from sqlalchemy import bindparam, delete, update
from sqlalchemy.ext.asyncio import AsyncSession

from junction.core.counters import add_counters
from junction.core.db.tables import Event
from junction.core.db.types import utcnow
from junction.core.identity.states import Resolution, ResolveStats


async def write_event_outcomes(
    session: AsyncSession,
    rows: list[Any],
    outcome: dict[int, Resolution | None],
    assignments: dict[int, int],
    real: dict[int, int],
    stats: ResolveStats,
) -> None:
    counters: Counter[tuple[int, str, str]] = Counter()
    day = utcnow().date().isoformat()
    resolved, stripped, dropped = [], [], []
    for row in rows:
        state = outcome[row.id]
        if state is None:
            dropped.append(row.id)
            counters[(row.source_id, day, "dropped_no_consent")] += 1
        elif state is Resolution.STRIPPED:
            stripped.append({"eid": row.id, "new_context": strip_context(row.context)})
            counters[(row.source_id, day, "stripped_no_consent")] += 1
        else:
            profile = assignments.get(row.id)
            resolved.append(
                {
                    "eid": row.id,
                    "pid": None if profile is None else real.get(profile, profile),
                    "state": int(state),
                }
            )
    events = Event.__table__  # Core: executemany UPDATE by primary key
    if resolved:
        await session.execute(
            update(events)
            .where(events.c.id == bindparam("eid"))
            .values(profile_id=bindparam("pid"), resolution=bindparam("state")),
            resolved,
        )
    if stripped:
        await session.execute(
            update(events)
            .where(events.c.id == bindparam("eid"))
            .values(
                user_id=None,
                anonymous_id=None,
                traits={},
                context=bindparam("new_context"),
                resolution=int(Resolution.STRIPPED),
            ),
            stripped,
        )
    if dropped:
        await session.execute(delete(Event).where(Event.id.in_(dropped)))
    await add_counters(session, counters)
    stats.resolved = sum(1 for r in resolved if r["state"] == Resolution.RESOLVED)
    stats.unresolvable = len(resolved) - stats.resolved
    stats.stripped, stats.dropped = len(stripped), len(dropped)


def identify_traits(row: Any) -> dict[str, Any]:
    if row.type != "identify" or not isinstance(row.traits, dict):
        return {}
    # Consent is recorded as consent history, and phone / e-mail as identities (hashed,
    # with an encrypted copy): neither is kept as a plain trait.
    return {name: value for name, value in row.traits.items() if name not in NOT_TRAITS}


NOT_TRAITS = frozenset({"consent", "phone", "email"})


class TraitOps(NamedTuple):
    """What a profile record says beyond plain traits (see ``ingest.records.profile_row``)."""

    once: dict[str, Any]
    unset: tuple[str, ...]
    tags: tuple[str, ...]


def identify_ops(row: Any) -> TraitOps:
    """The set-once traits, unset names and tags a stored profile record carries."""
    context = row.context if isinstance(row.context, dict) else {}
    extra = context.get("junction") if row.type == "identify" else None
    if not isinstance(extra, dict):
        return TraitOps({}, (), ())
    once = extra.get("traitsOnce")
    unset, tags = extra.get("unset"), extra.get("tags")
    return TraitOps(
        {k: v for k, v in once.items() if k not in NOT_TRAITS} if isinstance(once, dict) else {},
        tuple(str(name) for name in unset) if isinstance(unset, list) else (),
        tuple(str(tag) for tag in tags) if isinstance(tags, list) else (),
    )


#: Context fields that identify a person, removed from stripped events.
IDENTIFYING_CONTEXT = ("traits", "identifiers", "ip", "device", "userAgent", "consent")


def strip_context(context: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in context.items() if k not in IDENTIFYING_CONTEXT}
