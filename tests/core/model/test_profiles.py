from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from functools import reduce
from typing import Any

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from junction.core.model import (
    ConsentStatus,
    Identifier,
    IdentifierType,
    ModelError,
    Profile,
    merge_traits,
)

T0 = datetime(2024, 5, 1, tzinfo=UTC)
T1 = T0 + timedelta(hours=1)

State = tuple[dict[str, Any], dict[str, datetime]]


def profile(**fields: Any) -> Profile:
    return Profile(**{"id": 1, "created_at": T0, "updated_at": T0, **fields})


def test_decodes_a_profile_from_json() -> None:
    wire = b"""{
      "id": 7,
      "identifiers": [{"type": "wechat_openid", "value": "o6_x", "scope": "wx1"}],
      "traits": {"name": "Ann", "vip": true},
      "trait_updated_at": {"name": "2024-05-01T08:00:00+08:00"},
      "tags": ["high_value"],
      "consents": {"sms": "granted", "loyalty_program": "withdrawn"},
      "created_at": "2024-05-01T00:00:00Z",
      "updated_at": "2024-05-01T00:00:00Z"
    }"""

    decoded = msgspec.json.decode(wire, type=Profile)

    assert decoded.identifiers == [Identifier(IdentifierType.WECHAT_OPENID, "o6_x", "wx1")]
    assert decoded.trait_updated_at["name"] == T0
    assert decoded.consents == {"sms": ConsentStatus.GRANTED, "loyalty_program": "withdrawn"}
    assert decoded.merged_into is None


def test_default_collections_are_not_shared_between_profiles() -> None:
    first, second = profile(), profile(id=2)

    first.tags.append("vip")

    assert second.tags == []


@pytest.mark.parametrize(
    ("fields", "path"),
    [
        ({"created_at": datetime(2024, 5, 1)}, "$.created_at"),
        ({"trait_updated_at": {"name": datetime(2024, 5, 1)}}, "$.trait_updated_at.name"),
        ({"consents": {"SMS": ConsentStatus.GRANTED}}, "$.consents"),
        ({"merged_into": 1}, "$.merged_into"),
    ],
)
def test_invalid_profiles_are_refused(fields: dict[str, Any], path: str) -> None:
    with pytest.raises(ModelError) as caught:
        profile(**fields)

    assert caught.value.path == path


def test_a_later_write_wins_and_an_earlier_one_is_ignored() -> None:
    traits, stamps = merge_traits({"plan": "free"}, {"plan": T0}, {"plan": "pro"}, T1)
    assert (traits, stamps) == ({"plan": "pro"}, {"plan": T1})

    traits, stamps = merge_traits(traits, stamps, {"plan": "trial", "city": "Shanghai"}, T0)
    assert traits == {"plan": "pro", "city": "Shanghai"}
    assert stamps == {"plan": T1, "city": T0}


def test_replaying_the_same_write_changes_nothing() -> None:
    once = merge_traits({}, {}, {"plan": "pro"}, T0)

    assert merge_traits(*once, {"plan": "pro"}, T0) == once


def test_per_trait_timestamps_merge_another_profile() -> None:
    traits, stamps = merge_traits(
        {"plan": "pro", "city": "Beijing"},
        {"plan": T1, "city": T0},
        {"plan": "free", "city": "Shanghai"},
        {"plan": T0, "city": T1},
    )

    assert traits == {"plan": "pro", "city": "Shanghai"}
    assert stamps == {"plan": T1, "city": T1}


def test_merge_does_not_modify_its_arguments() -> None:
    current, current_ts = {"plan": "free"}, {"plan": T0}

    merge_traits(current, current_ts, {"plan": "pro"}, T1)

    assert (current, current_ts) == ({"plan": "free"}, {"plan": T0})


def test_merge_refuses_naive_or_missing_timestamps() -> None:
    with pytest.raises(ModelError, match="timezone"):
        merge_traits({}, {}, {"plan": "pro"}, datetime(2024, 5, 1))
    with pytest.raises(ModelError, match="no timestamp for trait `city`"):
        merge_traits({}, {}, {"plan": "pro", "city": "Beijing"}, {"plan": T0})


# Few names and few instants, so that collisions and timestamp ties are common.
_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-2, 2),
    st.floats(-2, 2, allow_nan=False),
    st.sampled_from(["pro", "free", ""]),
    st.lists(st.integers(0, 2), max_size=2),
)
_instants = st.sampled_from(
    [T0, T1, T0 + timedelta(days=1), T1.astimezone(timezone(timedelta(hours=8)))]
)
_writes = st.lists(
    st.dictionaries(st.sampled_from("abc"), st.tuples(_values, _instants), max_size=3),
    max_size=6,
)


def _apply(state: State, write: dict[str, tuple[Any, datetime]]) -> State:
    values = {name: value for name, (value, _) in write.items()}
    stamps = {name: stamp for name, (_, stamp) in write.items()}
    return merge_traits(*state, values, stamps)


def _fold(writes: list[dict[str, tuple[Any, datetime]]]) -> State:
    empty: State = ({}, {})
    return reduce(_apply, writes, empty)


@given(writes=_writes, data=st.data())
def test_merging_in_any_order_gives_the_same_traits(
    writes: list[dict[str, tuple[Any, datetime]]], data: st.DataObject
) -> None:
    shuffled = data.draw(st.permutations(writes))

    assert _fold(shuffled) == _fold(writes)


@given(writes=_writes, split=st.integers(0, 6))
def test_merging_two_profiles_equals_seeing_all_their_writes(
    writes: list[dict[str, tuple[Any, datetime]]], split: int
) -> None:
    left, right = _fold(writes[:split]), _fold(writes[split:])

    assert merge_traits(*left, *right) == _fold(writes)
    assert merge_traits(*right, *left) == _fold(writes)
