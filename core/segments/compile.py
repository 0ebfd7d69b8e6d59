"""The compiler: a definition to ONE SQLAlchemy Core query returning member profile ids.

Every leaf becomes ``profiles.id IN (SELECT profile_id FROM ... [GROUP BY ... HAVING
...])`` over one table, uncorrelated, so the database hashes each subquery once; the
tree becomes AND / OR / NOT of those. Time cutoffs are computed here from ``now`` and
bound as parameters, and values are read from the typed columns the trait engine
promotes, so the same statement runs unchanged on SQLite and PostgreSQL.

A count condition that zero satisfies ("at most 2", "exactly 0") cannot be an ``IN``:
profiles without any matching row never reach a ``GROUP BY``. It is compiled as
``NOT IN`` the profiles whose count fails it. Every subquery drops NULL profile ids,
which would otherwise turn ``NOT IN`` into "unknown" for everyone.
"""

from __future__ import annotations

import operator
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, false, func, not_, or_, select, true
from sqlalchemy.sql.expression import ColumnElement, FromClause

from junction.core.db.tables import (
    ComputedTraitValue,
    Consent,
    Event,
    EventProperty,
    Order,
    Profile,
    ProfileTag,
    ProfileTrait,
)
from junction.core.model import ConsentStatus
from junction.core.segments.catalog import Catalog
from junction.core.segments.checks import ANY, TEXT_OR_LIST, Check, compare, relative_bounds
from junction.core.segments.dsl import (
    All,
    Any_,
    ComputedCondition,
    Condition,
    ConsentCondition,
    EventCondition,
    Not,
    Op,
    OrderCondition,
    SegmentCondition,
    TagCondition,
    TraitCondition,
)
from junction.core.segments.sql import contains_text
from junction.core.segments.validate import comparison_check, property_checks, value_check
from junction.core.traits.values import LIST_SEPARATOR, TraitType

__all__ = ["compile_condition", "live_profiles", "member_query"]


def member_query(condition: Condition, catalog: Catalog, now: datetime) -> Select[tuple[int]]:
    """``SELECT profiles.id`` of the live profiles matching ``condition`` as of ``now``.

    The condition must have been validated against ``catalog``.
    """
    return select(Profile.id).where(live_profiles(), compile_condition(condition, catalog, now))


def live_profiles() -> ColumnElement[bool]:
    """Profiles that are people today: not merged into another, not erased."""
    return and_(Profile.merged_into.is_(None), Profile.erased_at.is_(None))


def compile_condition(condition: Condition, catalog: Catalog, now: datetime) -> ColumnElement[bool]:
    """A boolean expression over ``profiles.id`` that holds for members."""
    return _Compiler(catalog, now).condition(condition)


class _Compiler:
    def __init__(self, catalog: Catalog, now: datetime) -> None:
        self.catalog = catalog
        self.now = now

    def condition(self, node: Condition) -> ColumnElement[bool]:
        if isinstance(node, All):
            return and_(true(), *(self.condition(child) for child in node.conditions))
        if isinstance(node, Any_):
            return or_(false(), *(self.condition(child) for child in node.conditions))
        if isinstance(node, Not):
            return not_(self.condition(node.condition))
        if isinstance(node, SegmentCondition):
            # Inlined, not read from the stored snapshot: both sides see the same `now`.
            return self.condition(self.catalog.segments[node.segment])
        return self.leaf(node)

    def leaf(self, node: Condition) -> ColumnElement[bool]:
        if isinstance(node, TraitCondition):
            rows = self.typed(ProfileTrait.__table__, node.name, value_check(node, self.catalog))
            return Profile.id.in_(rows)
        if isinstance(node, ComputedCondition):
            table = ComputedTraitValue.__table__
            return Profile.id.in_(self.typed(table, node.name, value_check(node, self.catalog)))
        if isinstance(node, TagCondition):
            return Profile.id.in_(select(ProfileTag.profile_id).where(ProfileTag.tag == node.tag))
        if isinstance(node, ConsentCondition):
            return Profile.id.in_(self.consent(node))
        if isinstance(node, EventCondition):
            return self.event(node)
        if isinstance(node, OrderCondition):
            return self.order(node)
        raise TypeError(f"not a leaf condition: {node!r}")  # pragma: no cover

    def typed(self, table: FromClause, name: str, check: Check) -> Select[Any]:
        return select(table.c.profile_id).where(
            table.c.name == name, check_clause(check, table, self.now)
        )

    def consent(self, node: ConsentCondition) -> Select[Any]:
        # The latest decision per profile; ties on time go to the later row, as in Python.
        rank = func.row_number().over(
            partition_by=Consent.profile_id,
            order_by=(Consent.recorded_at.desc(), Consent.id.desc()),
        )
        ranked = (
            select(Consent.profile_id, Consent.status, rank.label("rank"))
            .where(Consent.purpose == node.purpose)
            .subquery("latest_consent")
        )
        return select(ranked.c.profile_id).where(
            ranked.c.rank == 1, ranked.c.status == ConsentStatus.GRANTED.value
        )

    def event(self, node: EventCondition) -> ColumnElement[bool]:
        events = Event.__table__.alias("e")
        query = select(events.c.profile_id).where(
            events.c.profile_id.is_not(None), events.c.name == node.name
        )
        if node.within_days is not None:
            cutoff = self.now - timedelta(days=node.within_days)
            query = query.where(events.c.timestamp >= cutoff, events.c.timestamp <= self.now)
        checks = property_checks(node, self.catalog)
        for index, (item, check) in enumerate(zip(node.where, checks, strict=True)):
            prop = EventProperty.__table__.alias(f"p{index}")
            query = query.join(
                prop, and_(prop.c.event_id == events.c.id, prop.c.name == item.property)
            )
            query = query.where(check_clause(check, prop, self.now))
        count = comparison_check(node.count, "$.count", whole=True)
        return self.counted(query, events.c.profile_id, func.count(), count, rows_count=True)

    def order(self, node: OrderCondition) -> ColumnElement[bool]:
        orders = Order.__table__
        query = select(orders.c.profile_id).where(orders.c.profile_id.is_not(None))
        if node.statuses:
            query = query.where(orders.c.status.in_([str(s) for s in node.statuses]))
        if node.within_days is not None:
            cutoff = self.now - timedelta(days=node.within_days)
            query = query.where(orders.c.created_at >= cutoff, orders.c.created_at <= self.now)
        whole = node.metric == "count"
        metric = func.count() if whole else func.sum(orders.c.amount)
        check = comparison_check(node.compare, "$.compare", whole=whole)
        return self.counted(query, orders.c.profile_id, metric, check, rows_count=whole)

    def counted(
        self, rows: Select[Any], profile_id: Any, metric: Any, check: Check, *, rows_count: bool
    ) -> ColumnElement[bool]:
        if rows_count and check.op is Op.GTE and check.operand == 1:
            return Profile.id.in_(rows)  # "at least once": any row will do, no grouping
        grouped = rows.group_by(profile_id)
        if compare(check.op, 0, check.operand):
            # Zero passes, so members are everyone except those whose metric fails.
            return Profile.id.not_in(grouped.having(not_(metric_clause(metric, check))))
        return Profile.id.in_(grouped.having(metric_clause(metric, check)))


def metric_clause(metric: Any, check: Check) -> ColumnElement[bool]:
    """``metric <op> operand`` in SQL."""
    return _ordered(check.op, metric, check.operand)


def check_clause(check: Check, table: FromClause, now: datetime) -> ColumnElement[bool]:
    """The SQL of ``check`` over a typed-value table (profile traits, event properties)."""
    if check.kind == ANY:
        return true()
    text = table.c.text_value
    if check.op is Op.CONTAINS:
        framed = LIST_SEPARATOR + check.operand + LIST_SEPARATOR
        if check.kind == TraitType.LIST:
            return contains_text(text, framed)
        if check.kind == TraitType.TEXT:
            return contains_text(text, check.operand)
        assert check.kind == TEXT_OR_LIST
        return or_(
            and_(table.c.kind == TraitType.LIST.value, contains_text(text, framed)),
            and_(table.c.kind == TraitType.TEXT.value, contains_text(text, check.operand)),
        )
    column = {
        TraitType.TEXT.value: text,
        TraitType.NUMBER.value: table.c.number_value,
        TraitType.TIME.value: table.c.time_value,
        TraitType.BOOL.value: table.c.bool_value,
    }[check.kind]
    if check.op in (Op.WITHIN_DAYS, Op.MORE_THAN_DAYS_AGO):
        low, high = relative_bounds(check, now)
        return column.between(low, high) if low is not None else column < high
    return _ordered(check.op, column, check.operand)


_OPERATORS = {
    Op.EQ: operator.eq,
    Op.NEQ: operator.ne,
    Op.GT: operator.gt,
    Op.GTE: operator.ge,
    Op.LT: operator.lt,
    Op.LTE: operator.le,
}


def _ordered(op: Op, left: Any, operand: Any) -> ColumnElement[bool]:
    if op is Op.IN:
        return left.in_(list(operand))  # type: ignore[no-any-return]
    if op is Op.BETWEEN:
        return left.between(operand[0], operand[1])  # type: ignore[no-any-return]
    return _OPERATORS[op](left, operand)  # type: ignore[no-any-return]
