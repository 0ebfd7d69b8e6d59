"""Build people with traits, tags, consents, events and orders straight in the database."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, update

from junction.core.db import Database
from junction.core.db.tables import (
    Connection,
    Consent,
    Event,
    Order,
    Profile,
    ProfileTag,
)

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


@dataclass
class Person:
    traits: dict[str, Any] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    #: (purpose, status, minutes before NOW)
    consents: list[tuple[str, str, int]] = field(default_factory=list)
    #: (name, minutes before NOW (negative: in the future), properties)
    events: list[tuple[str, int, dict[str, Any]]] = field(default_factory=list)
    #: (status, amount, minutes before NOW)
    orders: list[tuple[str, Decimal, int]] = field(default_factory=list)
    created_days_ago: int = 100
    merged: bool = False
    erased: bool = False


def ago(minutes: int) -> datetime:
    return NOW - timedelta(minutes=minutes)


async def make_source(db: Database, name: str = "web") -> int:
    async with db.transaction() as session:
        row = Connection(name=name, plugin="http", kind="source", config={})
        session.add(row)
        await session.flush()
        return row.id


async def insert_people(db: Database, people: list[Person], *, orphans: bool = True) -> list[int]:
    """Insert ``people``; return their profile ids in order.

    With ``orphans``, also an unresolved event and order (NULL profile id) of every
    event name and status used, which a careless ``NOT IN`` would trip over.
    """
    source = await make_source(db)
    async with db.transaction() as session:
        ids = []
        for person in people:
            created = NOW - timedelta(days=person.created_days_ago)
            row = Profile(
                traits=person.traits, trait_updated_at={}, created_at=created, updated_at=created
            )
            session.add(row)
            await session.flush()
            ids.append(row.id)
        survivor = next(
            (pid for pid, p in zip(ids, people, strict=True) if not p.merged and not p.erased), None
        )
        events, orders, consents, tags = [], [], [], []
        serial = 0
        for pid, person in zip(ids, people, strict=True):
            if person.merged and survivor is not None:
                await session.execute(
                    update(Profile).where(Profile.id == pid).values(merged_into=survivor)
                )
            if person.erased:
                await session.execute(
                    update(Profile).where(Profile.id == pid).values(erased_at=NOW)
                )
            for name, minutes, properties in person.events:
                serial += 1
                events.append(_event(source, pid, name, ago(minutes), properties, serial))
            for status, amount, minutes in person.orders:
                serial += 1
                orders.append(_order(source, pid, status, amount, ago(minutes), serial))
            for purpose, status, minutes in person.consents:
                consents.append(
                    {
                        "profile_id": pid,
                        "purpose": purpose,
                        "status": status,
                        "recorded_at": ago(minutes),
                        "source": "test",
                    }
                )
            tags.extend({"tag": t, "profile_id": pid, "origin": "manual"} for t in person.tags)
        if orphans:
            names = {e["name"] for e in events} | {"purchase"}
            for name in sorted(names):
                serial += 1
                events.append(_event(source, None, name, ago(1), {"amount": 500}, serial))
            serial += 1
            orders.append(_order(source, None, "paid", Decimal(1000), ago(1), serial))
        if events:
            await session.execute(insert(Event), events)
        if orders:
            await session.execute(insert(Order), orders)
        if consents:
            await session.execute(insert(Consent), consents)
        if tags:
            await session.execute(insert(ProfileTag), tags)
    return ids


def _event(
    source: int, pid: int | None, name: str, at: datetime, properties: dict[str, Any], serial: int
) -> dict[str, Any]:
    return {
        "source_id": source,
        "message_id": f"m-{serial}",
        "type": "track",
        "name": name,
        "profile_id": pid,
        "timestamp": at,
        "received_at": at,
        "properties": properties,
        "traits": {},
        "context": {},
    }


def _order(
    source: int, pid: int | None, status: str, amount: Decimal, at: datetime, serial: int
) -> dict[str, Any]:
    return {
        "source_id": source,
        "order_id": f"o-{serial}",
        "profile_id": pid,
        "status": status,
        "amount": amount,
        "currency": "CNY",
        "created_at": at,
        "updated_at": at,
    }
