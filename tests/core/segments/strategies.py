"""Hypothesis strategies: random people and random definitions over the same vocabulary."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from junction.core.segments.dsl import (
    All,
    Any_,
    Comparison,
    ComputedCondition,
    Condition,
    ConsentCondition,
    EventCondition,
    Not,
    Op,
    OrderCondition,
    PropertyFilter,
    SegmentCondition,
    TagCondition,
    TraitCondition,
)

from .world import NOW, Person

TRAITS = ["age", "city", "signup", "vip", "interests"]
WORDS = ["Shanghai", "shanghai", "Hangzhou", "app", "mini", "sh", "Ha", ""]
EVENTS = ["purchase", "login", "open"]
PROPERTIES = {"purchase": {"amount": "number", "channel": "text"}, "open": {"channel": "text"}}
STATUSES = ["paid", "completed", "cancelled", "refunded"]
COMPUTED = {
    "orders.count": "number",
    "orders.total": "number",
    "rfm.r": "number",
    "rfm.group": "text",
    "lifecycle.stage": "text",
    "lifecycle.last_active_at": "time",
}
COMPUTED_WORDS = [
    "champions",
    "hibernating",
    "new_customers",
    "new",
    "active",
    "dormant",
    "churned",
]

small_numbers = st.integers(-5, 120) | st.sampled_from([0.5, 2.5, 99.75])
times = st.integers(-2 * 24, 40 * 24).map(lambda hours: (NOW - timedelta(hours=hours)).isoformat())
texts = st.sampled_from(WORDS)
scalars = small_numbers | texts | st.booleans() | times


def trait_values() -> st.SearchStrategy[Any]:
    return (
        small_numbers
        | texts
        | st.booleans()
        | times
        | st.sampled_from(["42", "abc", "2026-02-20", "true", None])
        | st.lists(texts, max_size=3)
        | st.just({"nested": 1})
    )


def property_values() -> st.SearchStrategy[Any]:
    return st.integers(0, 300) | st.sampled_from(["120", "n/a", "mini", "app", 7])


@st.composite
def people(draw: st.DrawFn) -> list[Person]:
    result = []
    for _ in range(draw(st.integers(2, 7))):
        events = draw(
            st.lists(
                st.tuples(
                    st.sampled_from(EVENTS),
                    st.integers(-2 * 1440, 40 * 1440),
                    st.dictionaries(
                        st.sampled_from(["amount", "channel"]), property_values(), max_size=2
                    ),
                ),
                max_size=6,
            )
        )
        orders = draw(
            st.lists(
                st.tuples(
                    st.sampled_from(STATUSES),
                    st.integers(0, 2000).map(lambda quarters: Decimal(quarters) / 4),
                    st.integers(-1440, 40 * 1440),
                ),
                max_size=4,
            )
        )
        result.append(
            Person(
                traits=draw(st.dictionaries(st.sampled_from(TRAITS), trait_values(), max_size=4)),
                tags=draw(st.lists(st.sampled_from(["vip", "new"]), unique=True)),
                consents=draw(
                    st.lists(
                        st.tuples(
                            st.sampled_from(["ads", "sms"]),
                            st.sampled_from(["granted", "denied", "withdrawn"]),
                            st.integers(0, 3),  # few distinct times: ties happen
                        ),
                        max_size=4,
                    )
                ),
                events=events,
                orders=orders,
                created_days_ago=draw(st.integers(0, 60)),
                merged=draw(st.booleans()) and draw(st.booleans()),
                erased=draw(st.booleans()) and draw(st.booleans()) and draw(st.booleans()),
            )
        )
    return result


def operands(op: Op, base: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    if op is Op.EXISTS:
        return st.none()
    if op in (Op.WITHIN_DAYS, Op.MORE_THAN_DAYS_AGO):
        return st.integers(1, 40)
    if op is Op.IN:
        return st.lists(base, min_size=1, max_size=3)
    if op is Op.BETWEEN:
        return st.lists(st.integers(-5, 150), min_size=2, max_size=2).map(sorted) | st.lists(
            times, min_size=2, max_size=2
        ).map(sorted)
    if op is Op.CONTAINS:
        return texts.filter(bool)
    if op in (Op.GT, Op.GTE, Op.LT, Op.LTE):
        return small_numbers | times
    return base


@st.composite
def value_condition(draw: st.DrawFn, computed: bool = False) -> Condition:
    op = draw(st.sampled_from(list(Op)))
    if computed:
        name = draw(st.sampled_from(sorted(COMPUTED)))
        base = st.integers(0, 6) | st.sampled_from(COMPUTED_WORDS) | times
        return ComputedCondition(name=name, op=op, value=draw(operands(op, base)))
    name = draw(st.sampled_from(TRAITS))
    return TraitCondition(name=name, op=op, value=draw(operands(op, scalars)))


@st.composite
def comparisons(draw: st.DrawFn, amounts: bool = False) -> Comparison:
    op = draw(st.sampled_from(["eq", "neq", "gt", "gte", "lt", "lte", "between"]))
    number = st.integers(0, 400).map(lambda v: v / 2) if amounts else st.integers(0, 4)
    if op == "between":
        return Comparison(op=op, value=sorted(draw(st.lists(number, min_size=2, max_size=2))))
    value = draw(number)
    if op == "gte" and value == 0:
        value = 1
    return Comparison(op=op, value=value)


@st.composite
def event_condition(draw: st.DrawFn) -> Condition:
    name = draw(st.sampled_from(EVENTS))
    declared = PROPERTIES.get(name, {})
    where = []
    for prop in draw(st.lists(st.sampled_from(sorted(declared)), max_size=2)) if declared else []:
        op = draw(
            st.sampled_from(
                [Op.EQ, Op.NEQ, Op.IN, Op.GTE, Op.LT, Op.BETWEEN, Op.EXISTS, Op.CONTAINS]
            )
        )
        base = st.integers(0, 300) if declared[prop] == "number" else texts
        if declared[prop] == "number" and op in (Op.BETWEEN,):
            value = sorted(draw(st.lists(st.integers(0, 300), min_size=2, max_size=2)))
        else:
            value = draw(operands(op, base))
        where.append(PropertyFilter(property=prop, op=op, value=value))
    return EventCondition(
        name=name,
        count=draw(comparisons()),
        within_days=draw(st.none() | st.integers(1, 40)),
        where=where,
    )


@st.composite
def order_condition(draw: st.DrawFn) -> Condition:
    metric = draw(st.sampled_from(["count", "total"]))
    return OrderCondition(
        metric=metric,
        compare=draw(comparisons(amounts=metric == "total")),
        statuses=draw(st.lists(st.sampled_from(STATUSES), unique=True, max_size=2)),
        within_days=draw(st.none() | st.integers(1, 40)),
    )


def leaves(with_segment: bool) -> st.SearchStrategy[Condition]:
    options = [
        value_condition(),
        value_condition(computed=True),
        st.builds(TagCondition, tag=st.sampled_from(["vip", "new", "absent"])),
        st.builds(ConsentCondition, purpose=st.sampled_from(["ads", "sms"])),
        event_condition(),
        order_condition(),
    ]
    if with_segment:
        options.append(st.just(SegmentCondition(segment="other")))
    return st.one_of(options)


def conditions(with_segment: bool = True) -> st.SearchStrategy[Condition]:
    return st.recursive(
        leaves(with_segment),
        lambda children: st.one_of(
            st.lists(children, min_size=1, max_size=3).map(lambda cs: All(conditions=cs)),
            st.lists(children, min_size=1, max_size=3).map(lambda cs: Any_(conditions=cs)),
            children.map(lambda c: Not(condition=c)),
        ),
        max_leaves=5,
    )
