"""Bad definitions get a precise error (message and JSONPath), and nothing is stored."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from junction.core.db import Database
from junction.core.db.tables import AuditEntry, Segment
from junction.core.model import ModelError
from junction.core.segments import (
    Catalog,
    DefinitionError,
    SegmentCondition,
    TagCondition,
    create_segment,
    decode_condition,
    update_segment,
    validate,
)
from junction.core.segments.api import SegmentCreate, create
from junction.core.traits import TraitType

CATALOG = Catalog(
    traits={
        "age": TraitType.NUMBER,
        "city": TraitType.TEXT,
        "signup": TraitType.TIME,
        "interests": TraitType.LIST,
    },
    event_properties={"purchase": {"amount": TraitType.NUMBER}},
    computed={"orders.total": TraitType.NUMBER, "rfm.group": TraitType.TEXT},
)


def _all(*conditions: dict[str, Any]) -> dict[str, Any]:
    return {"type": "all", "conditions": [{"type": "tag", "tag": "vip"}, *conditions]}


@pytest.mark.parametrize(
    ("definition", "path", "message"),
    [
        (
            _all({"type": "trait", "name": "agee", "op": "eq", "value": 3}),
            "$.conditions[1].name",
            "unknown trait `agee` (declared: age, city, interests, signup)",
        ),
        (
            _all({"type": "trait", "name": "age", "op": "eq", "value": "old"}),
            "$.conditions[1].value",
            "trait `age` is a number: expected a number, got 'old'",
        ),
        (
            _all({"type": "trait", "name": "age", "op": "in", "value": [1, "x"]}),
            "$.conditions[1].value[1]",
            "expected a number",
        ),
        (
            _all({"type": "trait", "name": "city", "op": "gt", "value": "A"}),
            "$.conditions[1].op",
            "compares numbers or times; trait `city` is text",
        ),
        (
            _all({"type": "trait", "name": "age", "op": "within_days", "value": 3}),
            "$.conditions[1].op",
            "needs a time, but trait `age` is number",
        ),
        (
            _all({"type": "trait", "name": "signup", "op": "within_days", "value": 0}),
            "$.conditions[1].value",
            "a window is a whole number of days",
        ),
        (
            _all({"type": "trait", "name": "signup", "op": "gte", "value": "yesterday"}),
            "$.conditions[1].value",
            "expected an ISO 8601 date or time",
        ),
        (
            _all({"type": "trait", "name": "age", "op": "between", "value": [9, 1]}),
            "$.conditions[1].value",
            "low <= high",
        ),
        (
            _all({"type": "trait", "name": "age", "op": "exists", "value": 1}),
            "$.conditions[1].value",
            "`exists` takes no value",
        ),
        (
            _all({"type": "trait", "name": "interests", "op": "eq", "value": "golf"}),
            "$.conditions[1].op",
            "is a list: use `contains`",
        ),
        (
            _all({"type": "computed", "name": "rfm.grup", "op": "eq", "value": "x"}),
            "$.conditions[1].name",
            "unknown computed trait `rfm.grup`",
        ),
        (
            _all({"type": "event", "name": "purchase", "within_days": -1}),
            "$.conditions[1].within_days",
            "a window is a whole number of days",
        ),
        (
            _all(
                {
                    "type": "event",
                    "name": "purchase",
                    "where": [{"property": "coupon", "op": "exists"}],
                }
            ),
            "$.conditions[1].where[0].property",
            "property `coupon` of event `purchase` is not declared (declared: amount)",
        ),
        (
            _all({"type": "event", "name": "purchase", "count": {"op": "gte", "value": 0}}),
            "$.conditions[1]",
            "`gte 0` holds for everyone",
        ),
        (
            _all({"type": "event", "name": "purchase", "count": {"op": "gte", "value": 1.5}}),
            "$.conditions[1].count.value",
            "expected a whole number >= 0",
        ),
        (
            _all({"type": "order", "statuses": ["paid", "lost"]}),
            "$.conditions[1].statuses[1]",
            "unknown order status 'lost'",
        ),
        (
            _all({"type": "consent", "purpose": "Ads!"}),
            "$.conditions[1].purpose",
            "Expected `str` matching regex",
        ),
        ({"type": "any", "conditions": []}, "$", "`any` needs a condition"),
        (
            _all({"type": "segment", "segment": "nobody"}),
            "$.conditions[1].segment",
            "unknown segment `nobody`",
        ),
    ],
)
def test_errors_name_the_path(definition: dict[str, Any], path: str, message: str) -> None:
    with pytest.raises(DefinitionError) as caught:
        validate(decode_condition(definition), CATALOG)
    assert caught.value.path == path
    assert message in caught.value.message


@pytest.mark.parametrize(
    ("definition", "path"),
    [
        ({"type": "nope"}, "$.type"),
        (_all({"type": "trait", "name": "age", "op": "equals", "value": 1}), "$.conditions[1].op"),
        (_all({"type": "tag", "tag": "vip", "extra": 1}), "$.conditions[1]"),
    ],
)
def test_malformed_json_is_a_model_error_with_a_path(definition: dict[str, Any], path: str) -> None:
    with pytest.raises(ModelError) as caught:
        decode_condition(definition)
    assert caught.value.path == path


def test_undeclared_traits_take_their_type_from_the_operand() -> None:
    undeclared = Catalog()
    validate(decode_condition({"type": "trait", "name": "x", "op": "gt", "value": 3}), undeclared)
    validate(
        decode_condition({"type": "trait", "name": "x", "op": "lt", "value": "2026-01-01"}),
        undeclared,
    )
    with pytest.raises(DefinitionError, match="ISO 8601"):
        validate(
            decode_condition({"type": "trait", "name": "x", "op": "lt", "value": "abc"}),
            undeclared,
        )


async def _stored(db: Database) -> tuple[int, int]:
    async with db.sessions() as session:
        segments = await session.scalar(select(func.count()).select_from(Segment))
        audits = await session.scalar(select(func.count()).select_from(AuditEntry))
    return int(segments or 0), int(audits or 0)


async def test_a_cycle_between_segments_is_refused_and_nothing_changes(db: Database) -> None:
    await create_segment(db, "a", TagCondition(tag="vip"), actor="t")
    await create_segment(db, "b", SegmentCondition(segment="a"), actor="t")
    await create_segment(db, "c", SegmentCondition(segment="b"), actor="t")
    before = await _stored(db)
    with pytest.raises(DefinitionError) as caught:
        await update_segment(db, "a", actor="t", condition=SegmentCondition(segment="c"))
    assert caught.value.path == "$.condition.segment"
    assert "cycle: a → c → b → a" in caught.value.message
    with pytest.raises(DefinitionError, match="cycle: d → d"):
        await create_segment(db, "d", SegmentCondition(segment="d"), actor="t")
    assert await _stored(db) == before


async def test_an_invalid_create_through_the_api_stores_nothing(db: Database) -> None:
    before = await _stored(db)
    body = SegmentCreate(
        name="bad",
        condition={"type": "all", "conditions": [{"type": "event", "name": "x", "within_days": 0}]},
    )
    with pytest.raises(DefinitionError) as caught:
        await create(db, body, actor="t")
    assert caught.value.path == "$.condition.conditions[0].within_days"
    malformed = SegmentCreate(name="bad", condition={"type": "all", "conditions": [{}]})
    with pytest.raises(ModelError) as caught_model:
        await create(db, malformed, actor="t")
    assert caught_model.value.path.startswith("$.condition.conditions[0]")
    with pytest.raises(DefinitionError, match="segment name"):
        await create(
            db, SegmentCreate(name="Bad Name", condition={"type": "tag", "tag": "x"}), actor="t"
        )
    await create(db, SegmentCreate(name="good", condition={"type": "tag", "tag": "x"}), actor="t")
    with pytest.raises(DefinitionError, match="already exists"):
        await create(
            db, SegmentCreate(name="good", condition={"type": "tag", "tag": "y"}), actor="t"
        )
    segments, audits = await _stored(db)
    assert (segments, audits) == (before[0] + 1, before[1] + 1)
