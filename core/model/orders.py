"""Orders: what a person bought, as order sources report it."""

from __future__ import annotations

import re
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Final

import msgspec
from msgspec import Meta
from msgspec.structs import force_setattr

from ._checks import AwareDatetime, check_aware, check_decimal, check_text
from .errors import ModelError
from .identifiers import Identifier

__all__ = ["CURRENCY_PATTERN", "Order", "OrderItem", "OrderStatus"]

CURRENCY_PATTERN: Final = r"^[A-Z]{3}$"
# Matched with fullmatch: `$` alone also accepts a trailing newline.
_CURRENCY = re.compile(CURRENCY_PATTERN)

_Currency = Annotated[
    str, Meta(pattern=CURRENCY_PATTERN, description="An ISO 4217 code, e.g. `CNY`.")
]


class OrderStatus(StrEnum):
    """Where an order is in its life."""

    PENDING = "pending"
    PAID = "paid"
    SHIPPED = "shipped"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"


def _as_decimal(owner: msgspec.Struct, name: str) -> Decimal:
    # An int is exact, so `amount=100` is taken; a float is not, so it is refused.
    value: Decimal = getattr(owner, name)
    if isinstance(value, int) and not isinstance(value, bool):
        value = Decimal(value)
        force_setattr(owner, name, value)
    check_decimal(value, f"$.{name}")
    return value


class OrderItem(msgspec.Struct, kw_only=True, frozen=True):
    """One line of an order.

    Attributes:
        sku: The product's stock-keeping unit.
        name: The product's name as shown to the buyer.
        quantity: How many were bought (at least 1).
        unit_price: The price of one, in the order's currency. Not checked for
            sign, as some sources send discounts as negative lines.
    """

    sku: Annotated[str, Meta(min_length=1)]
    name: str = ""
    quantity: Annotated[int, Meta(ge=1)] = 1
    unit_price: Decimal

    def __post_init__(self) -> None:
        check_text(self.sku, "$.sku")
        if not isinstance(self.quantity, int) or isinstance(self.quantity, bool):
            raise ModelError(f"Expected `int`, got `{type(self.quantity).__name__}`", "$.quantity")
        if self.quantity < 1:
            raise ModelError("Expected `int` >= 1", "$.quantity")
        _as_decimal(self, "unit_price")


class Order(msgspec.Struct, kw_only=True, frozen=True):
    """An order, in the state its source last reported.

    Attributes:
        order_id: The source's order id.
        identifiers: Identifiers of the buyer, for identity resolution.
        status: Where the order is in its life.
        amount: What the buyer paid, after discounts (at least 0). It need not be
            the sum of the items, for the same reason.
        currency: The ISO 4217 code of ``amount`` and of the items' prices.
        items: The order's lines.
        created_at: When the order was placed (timezone-aware).
        updated_at: When the source last changed it (timezone-aware).
        properties: Anything else the source reports (channel, coupon, store, ...).

    Raises:
        ModelError: When an id is empty, ``amount`` is negative or not finite,
            ``currency`` is not three upper-case letters, a quantity is below 1,
            or a datetime is naive.
    """

    order_id: Annotated[str, Meta(min_length=1)]
    identifiers: list[Identifier] = []
    status: OrderStatus
    amount: Decimal
    currency: _Currency
    items: list[OrderItem] = []
    created_at: AwareDatetime
    updated_at: AwareDatetime
    properties: dict[str, Any] = {}

    def __post_init__(self) -> None:
        check_text(self.order_id, "$.order_id")
        if _as_decimal(self, "amount") < 0:
            raise ModelError("Expected `decimal` >= 0", "$.amount")
        if not isinstance(self.currency, str) or _CURRENCY.fullmatch(self.currency) is None:
            raise ModelError(
                f"Expected `str` matching regex {CURRENCY_PATTERN!r}, got {self.currency!r}",
                "$.currency",
            )
        check_aware(self.created_at, "$.created_at")
        check_aware(self.updated_at, "$.updated_at")
