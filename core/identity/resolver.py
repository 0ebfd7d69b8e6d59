"""The resolver: turns committed, pending events into profiles, a batch at a time.

Ingestion commits events with ``resolution = PENDING`` and answers the client; the
resolver then claims a batch (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several
workers share the queue), maps their identifiers to profiles, records consent, applies
each source's consent policy, and marks the events resolved, all in one transaction.
A crash between ingestion and resolution loses nothing: the events stay pending.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, NamedTuple

import msgspec
from sqlalchemy import select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from junction.core.db import Database
from junction.core.db.tables import Connection, Event
from junction.core.identity.consent_policy import ConsentGate
from junction.core.identity.graph import IdentityGraph, Observation
from junction.core.identity.keys import Key, PreparedKey, prepare_keys
from junction.core.identity.orders import (
    claim_orders,
    order_keys,
    order_ref,
    write_order_outcomes,
)
from junction.core.identity.outcomes import (
    identify_ops,
    identify_traits,
    write_event_outcomes,
)
from junction.core.identity.rules import IdentityRules
from junction.core.identity.states import Resolution, ResolveStats
from junction.core.identity.store import (
    StaleBatch,
    apply_plan,
    load_owners,
    load_profiles,
    load_tombstones,
    lock_keys,
)
from junction.core.model import Identifier, IdentifierType, extract_identifiers
from junction.core.pii import PiiRegistry
from junction.core.secrets import SecretBox

log = logging.getLogger("junction.identity")


class _StoredEvent(NamedTuple):
    type: str
    user_id: str | None
    anonymous_id: str | None
    traits: dict[str, Any]
    context: dict[str, Any]


class Resolver:
    """Resolves pending events in batches; safe to run in several processes at once."""

    def __init__(
        self,
        db: Database,
        box: SecretBox,
        *,
        registry: PiiRegistry | None = None,
        rules: IdentityRules | None = None,
        batch_size: int = 1000,
    ) -> None:
        self.db = db
        self.box = box
        self.registry = registry or PiiRegistry()
        self.rules = rules or IdentityRules()
        self.batch_size = batch_size
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Tell a running :meth:`run` that new events were committed."""
        self._wake.set()

    async def resolve_batch(self) -> ResolveStats:
        """Resolve one batch of pending events; retried when another worker interferes."""
        for attempt in range(5):
            try:
                async with self.db.transaction() as session:
                    return await self._resolve(session)
            except StaleBatch as exc:
                log.info("batch raced a merge (%s); retrying", exc)
            except DBAPIError as exc:
                if "deadlock" not in str(exc).lower() or attempt == 4:
                    raise
                log.info("batch hit a deadlock; retrying")
        raise RuntimeError("ID-mapping batch kept racing other workers")

    async def resolve_all(self) -> ResolveStats:
        """Resolve until nothing is pending; return the totals."""
        total = ResolveStats()
        while True:
            stats = await self.resolve_batch()
            for field in ResolveStats.__struct_fields__:
                setattr(total, field, getattr(total, field) + getattr(stats, field))
            if stats.events < self.batch_size and stats.orders < self.batch_size:
                return total

    async def run(self, stop: asyncio.Event, idle_seconds: float = 1.0) -> None:
        """Resolve continuously until ``stop`` is set (the embedded worker loop)."""
        while not stop.is_set():
            try:
                stats = await self.resolve_batch()
            except Exception:
                log.exception("ID-mapping batch failed; retrying shortly")
                stats = ResolveStats()
            if stats.events < self.batch_size and stats.orders < self.batch_size:
                await self._idle(stop, idle_seconds)

    async def _idle(self, stop: asyncio.Event, seconds: float) -> None:
        self._wake.clear()
        waiters = [asyncio.ensure_future(self._wake.wait()), asyncio.ensure_future(stop.wait())]
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        for waiter in waiters:
            waiter.cancel()

    async def _resolve(self, session: AsyncSession) -> ResolveStats:
        if session.bind.dialect.name == "sqlite":
            # Take SQLite's write lock before reading, so the batch can't go stale.
            await session.execute(update(Event).where(Event.id == -1).values(resolution=0))
        rows = await self._claim(session)
        orders = await claim_orders(session, self.batch_size)
        stats = ResolveStats(events=len(rows), orders=len(orders))
        if not rows and not orders:
            return stats
        prepared = {row.id: self._keys(row) for row in rows}
        prepared.update({order_ref(o.id): order_keys(o, self.registry) for o in orders})
        all_keys = sorted({p.key for keys in prepared.values() for p in keys})
        await lock_keys(session, all_keys)
        tombstoned = await load_tombstones(session, all_keys)
        owners = await load_owners(session, all_keys)
        policies = await self._policies(session, {row.source_id for row in rows})
        gate = await ConsentGate.load(session, policies, owners)
        states, limited = await load_profiles(session, set(owners.values()), self.rules)
        graph = IdentityGraph(self.rules, owners, limited)
        raw_values: dict[Key, str | None] = {}
        link_sources: dict[Key, tuple[int | None, str]] = {}
        outcome: dict[int, Resolution | None] = {}
        for row in rows:
            keys = [p for p in prepared[row.id] if p.key not in tombstoned]
            decisions = gate.decisions(row)
            verdict = gate.verdict(row, [p.key for p in keys], decisions)
            if verdict != "keep":
                outcome[row.id] = None if verdict == "drop" else Resolution.STRIPPED
                continue
            for p in keys:
                raw_values.setdefault(p.key, p.raw)
                link_sources.setdefault(p.key, (row.source_id, row.message_id))
            ops = identify_ops(row)
            profile = graph.observe(
                Observation(
                    ref=row.id,
                    message_id=row.message_id,
                    source_id=row.source_id,
                    keys=tuple(p.key for p in keys),
                    at=row.timestamp,
                    traits=identify_traits(row),
                    once=ops.once,
                    unset=ops.unset,
                    tags=ops.tags,
                )
            )
            outcome[row.id] = Resolution.UNRESOLVABLE if profile is None else Resolution.RESOLVED
            if profile is not None:
                gate.record(profile, row, decisions)
        for order in orders:
            ref = order_ref(order.id)
            keys = [p for p in prepared[ref] if p.key not in tombstoned]
            for p in keys:
                raw_values.setdefault(p.key, p.raw)
                link_sources.setdefault(p.key, (order.source_id, f"order:{order.order_id}"))
            graph.observe(
                Observation(
                    ref=ref,
                    message_id=f"order:{order.order_id}",
                    source_id=order.source_id,
                    keys=tuple(p.key for p in keys),
                    at=order.updated_at,
                    traits={},
                )
            )
        plan = graph.plan()
        real = await apply_plan(session, plan, states, raw_values, link_sources, self.box)
        await write_order_outcomes(
            session,
            orders,
            {
                o.id: real.get(p, p)
                for o in orders
                if (p := plan.assignments.get(order_ref(o.id))) is not None
            },
        )
        await gate.write(session, lambda pid: real.get(graph.final(pid), graph.final(pid)))
        await write_event_outcomes(session, rows, outcome, plan.assignments, real, stats)
        stats.new_profiles, stats.merges = len(plan.new_profiles), len(plan.merges)
        stats.conflicts = len(plan.conflicts)
        return stats

    async def _claim(self, session: AsyncSession) -> list[Any]:
        query = (
            select(
                Event.id,
                Event.source_id,
                Event.message_id,
                Event.type,
                Event.name,
                Event.user_id,
                Event.anonymous_id,
                Event.previous_id,
                Event.group_id,
                Event.traits,
                Event.context,
                Event.timestamp,
            )
            .where(Event.resolution == Resolution.PENDING)
            .order_by(Event.id)
            .limit(self.batch_size)
        )
        if session.bind.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        return list((await session.execute(query)).all())

    def _keys(self, row: Any) -> list[PreparedKey]:
        # The stored row was validated on the way in; read it as the fields extraction
        # looks at, without re-applying the wire rules (a profile record stored as an
        # identify call may name its person only in context.identifiers).
        event = _StoredEvent(
            type=row.type,
            user_id=row.user_id,
            anonymous_id=row.anonymous_id,
            traits=row.traits if isinstance(row.traits, dict) else {},
            context=row.context if isinstance(row.context, dict) else {},
        )
        try:
            identifiers = extract_identifiers(event)  # type: ignore[arg-type]
        except (msgspec.ValidationError, ValueError) as exc:
            log.warning("event %s: unreadable identifiers: %s", row.message_id, type(exc).__name__)
            return []
        if row.type == "alias" and row.previous_id:
            # alias(previousId -> userId): the previous id is taken as the anonymous id
            # the person had; two user ids can't be aliased (one user_id per profile).
            identifiers.append(Identifier.of(IdentifierType.ANONYMOUS_ID, row.previous_id))
        keys, skipped = prepare_keys(identifiers, self.registry)
        if skipped:
            log.debug("event %s: skipped identifiers: %s", row.message_id, "; ".join(skipped))
        return keys

    async def _policies(self, session: AsyncSession, source_ids: set[int]) -> dict[int, str]:
        rows = await session.execute(
            select(Connection.id, Connection.consent_policy).where(Connection.id.in_(source_ids))
        )
        return {source: policy for source, policy in rows}
