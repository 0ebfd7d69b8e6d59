"""HubIngest: what gets stored for events, profiles, consents and orders."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from junction.core.consent import decisions_from_event
from junction.core.db import Database
from junction.core.db.tables import CatalogItem
from junction.core.db.tables import Order as OrderRow
from junction.core.db.tables import OrderItem as OrderItemRow
from junction.core.db.types import utcnow
from junction.core.ingest import HubIngest
from junction.core.model import (
    Consent,
    ConsentEvidence,
    ConsentStatus,
    Event,
    Identifier,
    ModelError,
    Order,
    OrderItem,
    OrderStatus,
    decode_batch,
)
from junction.plugins import ConsentRecord, EventRecord, ItemRecord, OrderRecord, ProfileRecord
from junction.plugins.receiver import IngestResult, SourceRef

AT = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
PHONE = Identifier.of("phone", "+8613800000000")
OPENID = Identifier.of("wechat_openid", "o-abc", scope="wx123")


async def test_events_are_stored_as_sent_and_unresolved(
    ingest: HubIngest, source: SourceRef, stored: Any
) -> None:
    sent = datetime.now(UTC)
    events = decode_batch(
        {
            "sentAt": sent.isoformat(),
            "context": {"library": {"name": "analytics-python", "version": "2.3.3"}},
            "batch": [
                {
                    "type": "track",
                    "messageId": "t1",
                    "userId": 42,
                    "event": "Order Completed",
                    "properties": {"revenue": 99.5},
                    "timestamp": (sent - timedelta(seconds=5)).isoformat(),
                    "context": {"ip": "203.0.113.7"},
                },
                {
                    "type": "page",
                    "messageId": "p1",
                    "anonymousId": "a1",
                    "name": "Home",
                    "category": "Docs",
                    "properties": {"path": "/"},
                },
                {"type": "screen", "messageId": "s1", "anonymousId": "a1", "name": "Cart"},
                {
                    "type": "identify",
                    "messageId": "i1",
                    "userId": "42",
                    "traits": {"email": "ada@example.com"},
                },
                {
                    "type": "group",
                    "messageId": "g1",
                    "userId": "42",
                    "groupId": "acme",
                    "traits": {"plan": "pro"},
                },
                {"type": "alias", "messageId": "a1", "userId": "42", "previousId": "a1"},
            ],
        }
    )
    before = utcnow()
    result = await ingest.write_events(source, events)
    assert result == IngestResult(accepted=6, duplicates=0)
    rows = {row.message_id: row for row in await stored.events()}
    track = rows["t1"]
    assert (track.type, track.name, track.user_id, track.anonymous_id) == (
        "track",
        "Order Completed",
        "42",
        None,
    )
    assert (track.profile_id, track.resolution, track.source_id) == (None, 0, source.id)
    assert track.properties == {"revenue": 99.5}
    assert track.context == {
        "library": {"name": "analytics-python", "version": "2.3.3"},
        "ip": "203.0.113.7",
    }
    assert before <= track.received_at <= utcnow()
    assert track.sent_at == sent
    assert track.original_timestamp == sent - timedelta(seconds=5)
    assert track.timestamp == track.received_at - timedelta(seconds=5)
    assert (rows["p1"].name, rows["p1"].properties) == ("Home", {"path": "/", "category": "Docs"})
    assert rows["s1"].name == "Cart"
    assert (rows["i1"].name, rows["i1"].traits) == (None, {"email": "ada@example.com"})
    assert (rows["g1"].group_id, rows["g1"].traits) == ("acme", {"plan": "pro"})
    assert (rows["a1"].previous_id, rows["a1"].user_id) == ("a1", "42")
    assert rows["g1"].properties == rows["a1"].properties == {}
    assert track.previous_id is None and track.group_id is None


async def test_an_event_without_message_id_gets_one(
    ingest: HubIngest, source: SourceRef, stored: Any
) -> None:
    await ingest.write_events(source, [Event(type="track", event="x", user_id="u")])
    (row,) = await stored.events()
    assert len(row.message_id) == 36


@pytest.mark.parametrize(
    ("fields", "path"),
    [
        ({"userId": "u" * 256}, "$[1].userId"),
        ({"anonymousId": "a" * 300}, "$[1].anonymousId"),
        ({"messageId": "m" * 201}, "$[1].messageId"),
        ({"event": "e" * 201}, "$[1].event"),
        ({"type": "group", "groupId": "g" * 256}, "$[1].groupId"),
        ({"properties": {"note": "a\x00b"}}, "$[1].properties.note"),
        ({"context": {"page": {"title": ["ok", "\x00"]}}}, "$[1].context.page.title[1]"),
    ],
)
async def test_what_the_table_cannot_hold_is_refused_whole(
    ingest: HubIngest, source: SourceRef, stored: Any, fields: dict[str, Any], path: str
) -> None:
    good = {"type": "track", "userId": "u", "event": "ok", "messageId": "ok"}
    events = decode_batch([good, {**good, "messageId": "bad", **fields}])
    with pytest.raises(ModelError) as caught:
        await ingest.write_events(source, events)
    assert caught.value.path == path
    assert await stored.events() == []


async def test_profile_records_become_identify_events_deduplicated_by_content(
    ingest: HubIngest, source: SourceRef, stored: Any
) -> None:
    record = ProfileRecord(
        identifiers=(Identifier.of("user_id", "42"), PHONE, OPENID),
        observed_at=AT,
        traits={"name": "Ada"},
        traits_once={"first_seen": "2024-05-01"},
        tags=("vip",),
    )
    assert await ingest.write_records(source, [record]) == IngestResult(accepted=1, duplicates=0)
    assert await ingest.write_records(source, [record]) == IngestResult(accepted=0, duplicates=1)
    changed = ProfileRecord(identifiers=record.identifiers, observed_at=AT, traits={"name": "Eve"})
    assert (await ingest.write_records(source, [changed])).accepted == 1
    first, second = await stored.events()
    assert first.message_id.startswith("jx-profile-") and first.message_id != second.message_id
    assert (first.type, first.user_id, first.anonymous_id) == ("identify", "42", None)
    assert (first.timestamp, first.original_timestamp, first.sent_at) == (AT, AT, None)
    assert first.traits == {"name": "Ada"}
    assert first.context == {
        "identifiers": [
            {"type": "user_id", "value": "42", "scope": ""},
            {"type": "phone", "value": "+8613800000000", "scope": ""},
            {"type": "wechat_openid", "value": "o-abc", "scope": "wx123"},
        ],
        "junction": {"traitsOnce": {"first_seen": "2024-05-01"}, "tags": ["vip"]},
    }
    assert (first.profile_id, first.resolution) == (None, 0)


async def test_consent_records_become_identify_events_with_context_consent(
    ingest: HubIngest, source: SourceRef, stored: Any
) -> None:
    record = ConsentRecord(
        identifiers=(PHONE,),
        consent=Consent(
            purpose="sms",
            status=ConsentStatus.GRANTED,
            evidence=ConsentEvidence(
                source="web_signup_form", recorded_at=AT, ip="203.0.113.7", policy_version="v3"
            ),
        ),
    )
    await ingest.write_records(source, [record, record])
    (row,) = await stored.events()
    assert row.message_id.startswith("jx-consent-")
    assert (row.type, row.user_id, row.anonymous_id, row.timestamp) == ("identify", None, None, AT)
    assert row.context == {
        "identifiers": [{"type": "phone", "value": "+8613800000000", "scope": ""}],
        "consent": {
            "purpose": "sms",
            "status": "granted",
            "source": "web_signup_form",
            "policyVersion": "v3",
            "ip": "203.0.113.7",
            "userAgent": None,
            "recordedAt": "2024-05-01T08:00:00+00:00",
        },
        "ip": "203.0.113.7",
    }
    # What the consent engine reads from an identify call is this record's decision.
    (decision,) = decisions_from_event(row.context, row.traits, row.timestamp)
    assert (decision.purpose, decision.status, decision.ip, decision.policy_version) == (
        "sms",
        "granted",
        "203.0.113.7",
        "v3",
    )


def order(status: OrderStatus, updated: datetime, *items: OrderItem) -> OrderRecord:
    return OrderRecord(
        order=Order(
            order_id="SO-1",
            identifiers=[PHONE],
            status=status,
            amount=Decimal("199.00"),
            currency="CNY",
            items=list(items),
            created_at=AT,
            updated_at=updated,
            properties={"store": "sh-01"},
        )
    )


async def read_orders(db: Database) -> list[tuple[OrderRow, list[tuple[str, int]]]]:
    async with db.sessions() as session:
        orders = (await session.scalars(select(OrderRow))).all()
        out = []
        for row in orders:
            items = (
                await session.scalars(select(OrderItemRow).where(OrderItemRow.order_pk == row.id))
            ).all()
            out.append((row, sorted((item.sku, item.quantity) for item in items)))
    return out


async def test_orders_are_upserted_newest_state_wins(
    ingest: HubIngest, source: SourceRef, db: Database, stored: Any
) -> None:
    shoe = OrderItem(sku="SHOE-1", name="Shoe", quantity=1, unit_price=Decimal("199.00"))
    sock = OrderItem(sku="SOCK-1", quantity=2, unit_price=Decimal("0"))
    later = AT + timedelta(hours=1)
    assert await ingest.write_records(source, [order(OrderStatus.PAID, AT, shoe)]) == IngestResult(
        accepted=1, duplicates=0
    )
    assert (
        await ingest.write_records(source, [order(OrderStatus.SHIPPED, later, shoe, sock)])
    ).accepted == 1
    # A re-read of the older state changes nothing and counts as a duplicate.
    assert await ingest.write_records(source, [order(OrderStatus.PAID, AT, shoe)]) == IngestResult(
        accepted=0, duplicates=1
    )
    ((row, items),) = await read_orders(db)
    assert (row.source_id, row.order_id, row.profile_id) == (source.id, "SO-1", None)
    assert (row.status, row.amount, row.currency) == ("shipped", Decimal("199.00"), "CNY")
    assert row.updated_at == later and row.created_at == AT
    assert row.identifiers == [{"type": "phone", "value": "+8613800000000", "scope": ""}]
    assert row.properties == {"store": "sh-01"}
    assert items == [("SHOE-1", 1), ("SOCK-1", 2)]
    assert await stored.events() == []
    assert await stored.counters() == {"accepted": 2, "duplicates": 1}


async def test_mixed_records_are_written_in_one_commit(
    ingest: HubIngest, source: SourceRef, db: Database, stored: Any
) -> None:
    records = [
        EventRecord(event=Event(type="track", event="Viewed", user_id="u", message_id="e1")),
        order(OrderStatus.PAID, AT),
        ProfileRecord(identifiers=(PHONE,), observed_at=AT, traits={"vip": True}),
    ]
    commits = ingest.writer.commits
    assert await ingest.write_records(source, records) == IngestResult(accepted=3, duplicates=0)
    assert ingest.writer.commits == commits + 1
    assert len(await stored.events()) == 2
    assert len(await read_orders(db)) == 1


async def test_an_order_the_table_cannot_hold_stores_nothing(
    ingest: HubIngest, source: SourceRef, db: Database, stored: Any
) -> None:
    huge = OrderItem(sku="X", quantity=2**31, unit_price=Decimal(1))
    records = [
        EventRecord(event=Event(type="track", event="Viewed", user_id="u", message_id="e1")),
        order(OrderStatus.PAID, AT, huge),
    ]
    with pytest.raises(ModelError) as caught:
        await ingest.write_records(source, records)
    assert caught.value.path == "$[1].order.items[0].quantity"
    assert await stored.events() == [] and await read_orders(db) == []


async def test_a_non_record_is_a_type_error(ingest: HubIngest, source: SourceRef) -> None:
    with pytest.raises(TypeError, match="records\\[0\\] is a dict"):
        await ingest.write_records(source, [{"type": "track"}])  # type: ignore[list-item]


async def test_an_item_the_catalog_cannot_hold_stores_nothing(
    ingest: HubIngest, source: SourceRef, db: Database
) -> None:
    at = datetime(2026, 11, 1, tzinfo=UTC)
    good = ItemRecord(item_type="book", item_id="b1", observed_at=at, properties={"t": "x"})
    for bad, path in (
        (ItemRecord(item_type="book", item_id="x" * 256, observed_at=at), "$[1].item_id"),
        (ItemRecord(item_type="", item_id="b2", observed_at=at), "$[1].item_type"),
        (
            ItemRecord(item_type="book", item_id="b3", observed_at=at, properties={"n": "a\x00"}),
            "$[1].properties.n",
        ),
    ):
        with pytest.raises(ModelError) as caught:
            await ingest.write_records(source, [good, bad])
        assert caught.value.path == path
    async with db.sessions() as session:
        assert (await session.scalars(select(CatalogItem))).all() == []
    assert await ingest.write_records(source, [good]) == IngestResult(accepted=1, duplicates=0)
    assert await ingest.write_records(source, [good]) == IngestResult(accepted=0, duplicates=1)
