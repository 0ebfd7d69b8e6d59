"""Reading ID-mapping's input from the database and writing its plan back, set-based.

Every query here takes the whole batch: identifiers are looked up with one
``(type, scope, value) IN (...)`` per chunk, profiles are inserted with one
``INSERT ... RETURNING``, links and event assignments with one executemany each.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import String, bindparam, delete, func, insert, select, text, tuple_, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from junction.core.db.tables import (
    Consent,
    Event,
    Identity,
    IdentityConflict,
    IdentityTombstone,
    Merge,
    Order,
    Profile,
    ProfileTag,
)
from junction.core.db.types import utcnow
from junction.core.identity.graph import MergeRecord, Plan, TraitWrite
from junction.core.identity.keys import Key
from junction.core.identity.rules import IdentityRules
from junction.core.model import PII_TYPES, merge_traits
from junction.core.secrets import SecretBox

_CHUNK = 2000  # SQLite allows 32766 bound parameters; three per key


class StaleBatch(Exception):
    """A profile this batch read was merged by another worker; redo the batch."""


class ProfileState(NamedTuple):
    traits: dict[str, Any]
    stamps: dict[str, datetime]


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


async def lock_keys(session: AsyncSession, keys: Iterable[Key]) -> None:
    """Serialize workers whose batches share identifiers (PostgreSQL only).

    Transaction-scoped advisory locks, taken in one sorted order by every worker, so
    two batches that overlap wait for each other instead of both creating a profile
    for the same new identifier, and can't deadlock on these locks. SQLite already
    runs one writer at a time.
    """
    if session.bind.dialect.name != "postgresql":
        return
    hashes = sorted({_lock_id(key) for key in keys})
    if hashes:
        await session.execute(
            text("SELECT count(pg_advisory_xact_lock(h)) FROM unnest(CAST(:hs AS bigint[])) h"),
            {"hs": hashes},
        )


def _lock_id(key: Key) -> int:
    digest = hashlib.blake2b("\x1f".join(key).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


async def load_owners(session: AsyncSession, keys: Sequence[Key]) -> dict[Key, int]:
    """Which profile owns each of ``keys`` (keys nobody has are absent)."""
    rows = await _rows_for_keys(session, Identity.__table__, keys, extra="profile_id")
    return {Key(t, s, v): p for t, s, v, p in rows}


async def load_tombstones(session: AsyncSession, keys: Sequence[Key]) -> set[Key]:
    """Those of ``keys`` that belonged to an erased profile."""
    rows = await _rows_for_keys(session, IdentityTombstone.__table__, keys)
    return {Key(*row) for row in rows}


async def _rows_for_keys(
    session: AsyncSession, table: Any, keys: Sequence[Key], extra: str | None = None
) -> list[Any]:
    """Rows of ``table`` whose (type, scope, value) is among ``keys``, set-based.

    PostgreSQL gets the keys as three arrays joined through ``unnest``, which its
    planner turns into index lookups on the unique key; a row-value ``IN`` list of
    thousands of tuples was planned far worse (measured: over half of a batch's time).
    SQLite handles the ``IN`` list well.
    """
    columns = [table.c.type, table.c.scope, table.c.value]
    if extra:
        columns.append(table.c[extra])
    found: list[Any] = []
    for chunk in _chunks(keys):
        if session.bind.dialect.name == "postgresql":
            wanted = (
                select(
                    func.unnest(bindparam("types", type_=ARRAY(String))).label("type"),
                    func.unnest(bindparam("scopes", type_=ARRAY(String))).label("scope"),
                    func.unnest(bindparam("vals", type_=ARRAY(String))).label("value"),
                )
            ).subquery()
            query = select(*columns).join(
                wanted,
                (table.c.type == wanted.c.type)
                & (table.c.scope == wanted.c.scope)
                & (table.c.value == wanted.c.value),
            )
            params = {
                "types": [k.type for k in chunk],
                "scopes": [k.scope for k in chunk],
                "vals": [k.value for k in chunk],
            }
            found.extend(await session.execute(query, params))
        else:
            query = select(*columns).where(tuple_(*columns[:3]).in_([tuple(key) for key in chunk]))
            found.extend(await session.execute(query))
    return found


async def load_profiles(
    session: AsyncSession, profile_ids: set[int], rules: IdentityRules
) -> tuple[dict[int, ProfileState], list[tuple[int, Key]]]:
    """Lock the profiles the batch touches and read their traits and limited identifiers.

    Raises:
        StaleBatch: one of them was merged away since its identifiers were read.
    """
    ids = sorted(profile_ids)
    states: dict[int, ProfileState] = {}
    limited: list[tuple[int, Key]] = []
    limited_types = [t for t, rule in rules.rules.items() if rule.limit is not None]
    for chunk in _chunks(ids, 5000):
        query = select(Profile.id, Profile.traits, Profile.trait_updated_at, Profile.merged_into)
        query = query.where(Profile.id.in_(chunk)).order_by(Profile.id)
        if session.bind.dialect.name == "postgresql":
            query = query.with_for_update()
        for pid, traits, stamps, merged_into in await session.execute(query):
            if merged_into is not None:
                raise StaleBatch(f"profile {pid} was merged into {merged_into}")
            states[pid] = ProfileState(dict(traits), _parse_stamps(stamps))
        rows = await session.execute(
            select(Identity.profile_id, Identity.type, Identity.scope, Identity.value).where(
                Identity.profile_id.in_(chunk), Identity.type.in_(limited_types)
            )
        )
        limited.extend((pid, Key(t, s, v)) for pid, t, s, v in rows)
    return states, limited


async def apply_plan(
    session: AsyncSession,
    plan: Plan,
    states: dict[int, ProfileState],
    raw_values: dict[Key, str | None],
    link_sources: dict[Key, tuple[int | None, str]],
    box: SecretBox,
) -> dict[int, int]:
    """Write ``plan``; return the mapping from temporary to real profile ids."""
    now = utcnow()
    final_traits = _final_traits(plan, states)
    real: dict[int, int] = {}
    if plan.new_profiles:
        rows = [
            {
                "traits": final_traits.get(temp, ProfileState({}, {})).traits,
                "trait_updated_at": _dump_stamps(final_traits.get(temp, ProfileState({}, {}))),
                "created_at": now,
                "updated_at": now,
            }
            for temp in plan.new_profiles
        ]
        profiles = Profile.__table__
        result = await session.execute(
            insert(profiles).returning(profiles.c.id, sort_by_parameter_order=True), rows
        )
        real = dict(zip(plan.new_profiles, result.scalars().all(), strict=True))

    def final(profile: int) -> int:
        return real.get(profile, profile)

    if plan.links:
        await session.execute(
            insert(Identity.__table__),  # Core: no ORM bookkeeping per row
            [
                {
                    "profile_id": final(profile),
                    "type": key.type,
                    "scope": key.scope,
                    "value": key.value,
                    "hashed": key.type in PII_TYPES,
                    "value_encrypted": _seal(box, key, raw_values.get(key)),
                    "source_id": link_sources.get(key, (None, None))[0],
                    "message_id": link_sources.get(key, (None, None))[1],
                    "first_seen_at": now,
                    "last_seen_at": now,
                }
                for key, profile in plan.links.items()
            ],
        )
    await _apply_merges(session, plan, final, now)
    await _write_tags(session, plan.tags, final, now)
    updates = [
        {"pid": pid, "new_traits": state.traits, "stamps": _dump_stamps(state), "now": now}
        for pid, state in final_traits.items()
        if pid > 0
    ]
    if updates:
        profiles = Profile.__table__
        await session.execute(
            update(profiles)
            .where(profiles.c.id == bindparam("pid"))
            .values(
                traits=bindparam("new_traits"),
                trait_updated_at=bindparam("stamps"),
                updated_at=bindparam("now"),
            ),
            updates,
        )
    if plan.conflicts:
        await session.execute(
            insert(IdentityConflict.__table__),
            [
                {
                    "message_id": c.message_id,
                    "source_id": c.source_id,
                    "type": c.key.type,
                    "scope": c.key.scope,
                    "value": c.key.value,
                    "kept_profile_id": final(c.kept),
                    "refused_profile_id": None if c.refused is None else final(c.refused),
                    "reason": c.reason,
                    "created_at": now,
                }
                for c in plan.conflicts
            ],
        )
    return real


async def _apply_merges(session: AsyncSession, plan: Plan, final: Any, now: datetime) -> None:
    """Re-point everything of each merged profile at its final survivor, set-based."""
    if not plan.merges:
        return
    survivor_of = _survivor_of(plan)

    def root(pid: int) -> int:
        return final(survivor_of(pid))

    # Point at the final survivor, so a merged profile is one hop from its owner. A
    # profile born in this batch (negative id) was never stored: its links already
    # point at the survivor, and only the evidence of the merge is written.
    moves = [
        {"merged": m.merged, "survivor": root(m.survivor)} for m in plan.merges if m.merged > 0
    ]
    await session.execute(
        insert(Merge.__table__),
        [
            _merge_row(m, root(m.survivor), m.merged if m.merged > 0 else None, now)
            for m in plan.merges
        ],
    )
    if not moves:
        return
    for table in (Identity, Event, Order, Consent):
        core = table.__table__
        await session.execute(
            update(core)
            .where(core.c.profile_id == bindparam("merged"))
            .values(profile_id=bindparam("survivor")),
            moves,
        )
    await _move_tags(session, moves)
    conflicts = IdentityConflict.__table__
    await session.execute(
        update(conflicts)
        .where(conflicts.c.refused_profile_id == bindparam("merged"))
        .values(refused_profile_id=bindparam("survivor")),
        moves,
    )
    profiles = Profile.__table__
    await session.execute(
        update(profiles)
        .where(profiles.c.id == bindparam("merged"))
        .values(merged_into=bindparam("survivor"), traits={}, trait_updated_at={}, updated_at=now),
        moves,
    )


#: The origin of tags a source put on a person (beside "manual" and "rule").
SOURCE_TAG = "source"
TAG_LENGTH = 100


async def _move_tags(session: AsyncSession, moves: list[dict[str, int]]) -> None:
    """Give each survivor the merged profile's tags (those it lacks), then drop them."""
    tags = ProfileTag.__table__
    dialect_insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    copy = dialect_insert(tags).from_select(
        ["tag", "profile_id", "origin", "created_at"],
        select(tags.c.tag, bindparam("survivor"), tags.c.origin, tags.c.created_at).where(
            tags.c.profile_id == bindparam("merged")
        ),
    )
    await session.execute(copy.on_conflict_do_nothing(), moves)
    await session.execute(delete(tags).where(tags.c.profile_id == bindparam("merged")), moves)


async def _write_tags(
    session: AsyncSession, tags: dict[int, set[str]], final: Any, now: datetime
) -> None:
    """Source tags (origin ``source``): added, never removed by a later record."""
    rows = [
        {"tag": tag, "profile_id": final(pid), "origin": SOURCE_TAG, "created_at": now}
        for pid, names in tags.items()
        for tag in sorted(names)
        if 0 < len(tag) <= TAG_LENGTH
    ]
    if rows:
        dialect_insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
        await session.execute(dialect_insert(ProfileTag.__table__).on_conflict_do_nothing(), rows)


def _survivor_of(plan: Plan) -> Callable[[int], int]:
    """Follows a batch's merge chain: a survivor may itself be merged later on."""
    parents = {m.merged: m.survivor for m in plan.merges}

    def survivor(pid: int) -> int:
        while pid in parents:
            pid = parents[pid]
        return pid

    return survivor


def _merge_row(
    merge: MergeRecord, survivor: int, merged: int | None, now: datetime
) -> dict[str, Any]:
    return {
        "survivor_id": survivor,
        "merged_id": merged,
        "reason": "an event carried identifiers of both profiles",
        "evidence": {
            "message_id": merge.message_id,
            "source_id": merge.source_id,
            "survivor_identifiers": [_key_json(k) for k in merge.survivor_keys],
            "merged_identifiers": [_key_json(k) for k in merge.merged_keys],
        },
        "created_at": now,
    }


def _final_traits(plan: Plan, states: dict[int, ProfileState]) -> dict[int, ProfileState]:
    """Each touched profile's traits after merges and this batch's identify calls."""
    result: dict[int, ProfileState] = {}
    absorbed: dict[int, list[int]] = {}
    for merge in plan.merges:
        if merge.merged > 0:
            absorbed.setdefault(merge.survivor, []).append(merge.merged)
    # Follow chains: a survivor may itself have been merged later in the batch.
    root = _survivor_of(plan)

    for survivor, merged_ids in absorbed.items():
        for merged in merged_ids:
            target = root(survivor)
            base = result.get(target) or states.get(target) or ProfileState({}, {})
            other = states.get(merged, ProfileState({}, {}))
            result[target] = ProfileState(*merge_traits(*base, other.traits, other.stamps))
    for pid, writes in plan.trait_writes.items():
        state = result.get(pid) or states.get(pid) or ProfileState({}, {})
        # In time order, so "set once" and "unset" see the traits as they were then.
        for write in sorted(writes, key=lambda w: w.at):
            state = _apply_write(state, write)
        result[pid] = state
    return result


def _apply_write(state: ProfileState, write: TraitWrite) -> ProfileState:
    traits, stamps = merge_traits(state.traits, state.stamps, write.traits, write.at)
    absent = {name: value for name, value in (write.once or {}).items() if name not in traits}
    if absent:
        traits, stamps = merge_traits(traits, stamps, absent, write.at)
    for name in write.unset:
        # Only a trait written before the unset goes: a later write stands.
        held = stamps.get(name)
        if name in traits and (held is None or held <= write.at):
            del traits[name]
            stamps.pop(name, None)
    return ProfileState(traits, stamps)


def _seal(box: SecretBox, key: Key, raw: str | None) -> bytes | None:
    if raw is None:
        return None
    return box.seal({"value": raw}, context=f"identity:{key.type}:{key.value}")


def open_identity_value(box: SecretBox, type: str, hashed_value: str, sealed: bytes) -> str:
    """The raw (normalized) value of a PII identity, for channels that must send to it."""
    return str(box.open(sealed, context=f"identity:{type}:{hashed_value}")["value"])


def _key_json(key: Key) -> dict[str, str]:
    return {"type": key.type, "scope": key.scope, "value": key.value}


def _parse_stamps(raw: dict[str, str]) -> dict[str, datetime]:
    return {name: datetime.fromisoformat(value) for name, value in raw.items()}


def _dump_stamps(state: ProfileState) -> dict[str, str]:
    return {name: stamp.isoformat() for name, stamp in state.stamps.items()}
