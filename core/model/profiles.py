"""Profiles: one person, as identity resolution and the trait engine see them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import msgspec

from ._checks import AwareDatetime, check_aware
from .consent import ConsentStatus, PurposeName, check_purpose
from .errors import ModelError
from .identifiers import Identifier

__all__ = ["Profile", "merge_traits"]


class Profile(msgspec.Struct, kw_only=True):
    """A person: their identifiers, traits, tags and consent state.

    Attributes:
        id: The stable profile id.
        identifiers: Every identifier linked to this person.
        traits: Traits set by identify calls and sources, last write wins.
        trait_updated_at: When each trait in ``traits`` was last written.
        computed_traits: Traits the trait engine derives (order totals, RFM, ...).
        tags: Labels set by people or rules.
        consents: The current status per purpose; the history lives elsewhere.
        created_at: When the profile was created.
        updated_at: When anything in it last changed.
        merged_into: The profile this one was merged into; ``None`` while it is live.

    Raises:
        ModelError: When a datetime is naive, a purpose name is invalid, or the
            profile claims to be merged into itself.
    """

    id: int
    identifiers: list[Identifier] = []
    traits: dict[str, Any] = {}
    trait_updated_at: dict[str, AwareDatetime] = {}
    computed_traits: dict[str, Any] = {}
    tags: list[str] = []
    consents: dict[PurposeName, ConsentStatus] = {}
    created_at: AwareDatetime
    updated_at: AwareDatetime
    merged_into: int | None = None

    def __post_init__(self) -> None:
        check_aware(self.created_at, "$.created_at")
        check_aware(self.updated_at, "$.updated_at")
        for name, stamp in self.trait_updated_at.items():
            check_aware(stamp, f"$.trait_updated_at.{name}")
        for purpose in self.consents:
            try:
                check_purpose(purpose)
            except ModelError as exc:
                raise exc.under("$.consents") from None
        if self.merged_into == self.id:
            raise ModelError("a profile cannot be merged into itself", "$.merged_into")


def merge_traits(
    current: Mapping[str, Any],
    current_ts: Mapping[str, datetime],
    incoming: Mapping[str, Any],
    incoming_ts: datetime | Mapping[str, datetime],
) -> tuple[dict[str, Any], dict[str, datetime]]:
    """Merge incoming traits into current ones, last write wins per trait.

    A trait takes the incoming value when its timestamp is later than the current
    one. On equal timestamps the values themselves decide (the larger canonical JSON
    encoding wins), so the result depends only on the set of writes, never on the
    order they arrive in: replaying an event changes nothing, and merging two
    profiles gives the same traits whichever is merged into which.

    A current trait without a timestamp loses to any incoming write.

    Args:
        current: The traits held now.
        current_ts: When each of them was written.
        incoming: The traits to merge in.
        incoming_ts: When they were written: one datetime for all (an identify
            call), or one per trait (another profile's ``trait_updated_at``).

    Returns:
        New ``(traits, trait_updated_at)`` dicts; the arguments are not modified.

    Raises:
        ModelError: When a timestamp is naive or a per-trait timestamp is missing.
    """
    traits = dict(current)
    stamps = dict(current_ts)
    for name, value in incoming.items():
        if isinstance(incoming_ts, datetime):
            stamp = incoming_ts
        elif name in incoming_ts:
            stamp = incoming_ts[name]
        else:
            raise ModelError(f"no timestamp for trait `{name}`", "$.incoming_ts")
        check_aware(stamp, f"$.incoming_ts.{name}")
        held = stamps.get(name) if name in traits else None
        if held is None or _newer(stamp, value, held, traits[name]):
            traits[name] = value
            stamps[name] = stamp
    return traits, stamps


def _newer(stamp: datetime, value: Any, held_stamp: datetime, held_value: Any) -> bool:
    if stamp != held_stamp:
        return stamp > held_stamp
    # Compared by encoding, not `==`, which holds for 1, 1.0 and True alike and
    # would let arrival order pick among them.
    return _canonical(value) > _canonical(held_value)


def _canonical(value: Any) -> bytes:
    return msgspec.json.encode(value, order="deterministic")
