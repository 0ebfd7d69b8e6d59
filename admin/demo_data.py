"""Realistic sample data for `junction demo`: a shop's order database and its web events.

Seeded, so every demo looks the same: about 300 customers of a Shanghai tea shop,
their orders in a SQLite "order database" the orderdb source reads, and the events
their visits left (page views, sign-ups, mini-program opens, purchases), sent to the
hub through the same intake the HTTP tracking API uses.
"""

from __future__ import annotations

import random
import sqlite3
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from junction.core.model import Event, decode_event

SEED = 20261122
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["伟", "芳", "娜", "敏", "静", "磊", "洋", "艳", "勇", "军", "杰", "娟", "涛", "明", "超"]
PRODUCTS = [
    ("TEA-LJ-250", "西湖龙井 250g", Decimal("268.00")),
    ("TEA-PE-357", "普洱饼 357g", Decimal("198.00")),
    ("TEA-BL-100", "碧螺春 100g", Decimal("128.00")),
    ("SET-GIFT-01", "礼盒装 · 四季", Decimal("588.00")),
    ("CUP-GL-02", "玻璃品茗杯 2只", Decimal("49.90")),
]
STATUSES = ["TRADE_SUCCESS"] * 8 + ["WAIT_BUYER_PAY", "TRADE_CLOSED", "REFUND_SUCCESS"]


class Customer:
    def __init__(self, number: int, rng: random.Random, now: datetime) -> None:
        self.user_id = f"c{10000 + number}"
        self.name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(["", *GIVEN])
        self.phone = f"13{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}"
        self.email = f"{self.user_id}@example.com" if rng.random() < 0.6 else None
        self.anonymous_id = f"web-{rng.getrandbits(48):012x}"
        self.registered = now - timedelta(days=rng.randint(0, 200), hours=rng.randint(0, 23))
        self.city = rng.choice(["上海", "杭州", "北京", "苏州", "深圳"])
        self.sms_ok = rng.random() < 0.7
        self.ads_ok = rng.random() < 0.5


def customers(count: int = 300, *, now: datetime | None = None) -> list[Customer]:
    rng = random.Random(SEED)
    now = now or datetime.now(UTC)
    return [Customer(number, rng, now) for number in range(count)]


def write_order_database(path: Path, people: list[Customer]) -> int:
    """Create the shop's order database (SQLite); return how many orders it holds."""
    rng = random.Random(SEED + 1)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    with sqlite3.connect(path) as db:
        db.executescript(
            """
            CREATE TABLE orders (
                id INTEGER PRIMARY KEY, customer_id TEXT, mobile TEXT, status TEXT,
                pay_amount TEXT, currency TEXT, created_at TEXT, updated_at TEXT);
            CREATE TABLE order_items (
                order_id INTEGER, sku TEXT, title TEXT, qty INTEGER, price TEXT);
            """
        )
        order_id = 100_000
        for person in people:
            for _ in range(rng.choice([0, 0, 1, 1, 2, 3, 5])):
                order_id += 1
                placed = person.registered + timedelta(days=rng.randint(1, 120))
                placed = min(placed, datetime.now(UTC) - timedelta(hours=1))
                lines = rng.sample(PRODUCTS, rng.randint(1, 3))
                total = Decimal(0)
                for sku, title, price in lines:
                    quantity = rng.randint(1, 3)
                    total += price * quantity
                    db.execute(
                        "INSERT INTO order_items VALUES (?, ?, ?, ?, ?)",
                        (order_id, sku, title, quantity, str(price)),
                    )
                stamp = placed.strftime("%Y-%m-%d %H:%M:%S")
                db.execute(
                    "INSERT INTO orders VALUES (?, ?, ?, ?, ?, 'CNY', ?, ?)",
                    (order_id, person.user_id, person.phone, rng.choice(STATUSES),
                     str(total), stamp, stamp),
                )  # fmt: skip
    return order_id - 100_000


ORDER_SOURCE_CONFIG: dict[str, Any] = {
    "table": "orders",
    "columns": {
        "order_id": "id",
        "status": "status",
        "amount": "pay_amount",
        "currency": "currency",
        "created_at": "created_at",
        "updated_at": "updated_at",
    },
    "identifiers": {"user_id": "customer_id", "phone": "mobile"},
    "status_map": {
        "WAIT_BUYER_PAY": "pending",
        "TRADE_SUCCESS": "paid",
        "TRADE_CLOSED": "cancelled",
        "REFUND_SUCCESS": "refunded",
    },
    "items": {
        "table": "order_items",
        "order_id": "order_id",
        "sku": "sku",
        "name": "title",
        "quantity": "qty",
        "unit_price": "price",
    },
    "timezone": "Asia/Shanghai",
}


def web_events(people: list[Customer]) -> list[Event]:
    """What the customers' visits sent: anonymous browsing, sign-up, identify, activity."""
    rng = random.Random(SEED + 2)
    events: list[Event] = []

    def add(person: Customer, at: datetime, **call: Any) -> None:
        call.setdefault("anonymousId", person.anonymous_id)
        call["timestamp"] = at.isoformat()
        call["messageId"] = f"demo-{len(events):06d}"
        events.append(decode_event(call))

    for person in people:
        at = person.registered - timedelta(hours=rng.randint(1, 48))
        add(person, at, type="page", name="Home", properties={"path": "/"})
        add(person, at + timedelta(minutes=3), type="page", name="Tea", properties={"path": "/tea"})
        add(person, person.registered, type="track", event="Registered", userId=person.user_id)
        traits: dict[str, Any] = {
            "name": person.name,
            "city": person.city,
            "phone": person.phone,
            "registered_at": person.registered.isoformat(),
        }
        if person.email:
            traits["email"] = person.email
        traits["consent"] = {"sms": person.sms_ok, "ads": person.ads_ok, "email": True}
        add(
            person,
            person.registered + timedelta(seconds=5),
            type="identify",
            userId=person.user_id,
            traits=traits,
            context={"ip": f"203.0.113.{rng.randint(1, 254)}", "userAgent": "Mozilla/5.0"},
        )
        for _ in range(rng.randint(0, 6)):
            later = person.registered + timedelta(days=rng.randint(0, 90), hours=rng.randint(0, 23))
            add(
                person,
                min(later, datetime.now(UTC)),
                type="track",
                userId=person.user_id,
                event=rng.choice(["Opened Mini Program", "Viewed Product", "Added to Cart"]),
                properties={"sku": rng.choice(PRODUCTS)[0]},
            )
    return events


#: The demo's audiences, in the segment DSL (docs/segments.md).
SEGMENTS: dict[str, dict[str, Any]] = {
    # The seeds' scenario: registered a week ago, no order yet -> an SMS coupon.
    "new-no-order": {
        "type": "all",
        "conditions": [
            {"type": "trait", "name": "registered_at", "op": "more_than_days_ago", "value": 7},
            {"type": "trait", "name": "registered_at", "op": "within_days", "value": 14},
            {"type": "order", "compare": {"op": "eq", "value": 0}},
            {"type": "consent", "purpose": "sms"},
        ],
    },
    # Buyers who allow ads: an audience for ad platforms.
    "buyers-ads-ok": {
        "type": "all",
        "conditions": [
            {"type": "order", "compare": {"op": "gte", "value": 1}},
            {"type": "consent", "purpose": "ads"},
        ],
    },
}
