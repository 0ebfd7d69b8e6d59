"""ID-mapping as a pure, in-memory computation over one batch of observations.

:class:`IdentityGraph` starts from what the database knows about the batch's
identifiers (which profile owns each, and the limited identifiers of those profiles)
and replays the batch's observations in order. It never touches the database: the
store loads its input and writes its :class:`Plan` back, which keeps the rules
testable on their own and the database work set-based.

Profiles created during the batch get negative temporary ids (-1, -2, ...); the store
swaps them for real ids when it inserts them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any, NamedTuple

from junction.core.identity.keys import Key
from junction.core.identity.rules import IdentityRules


class Observation(NamedTuple):
    """One event's identifiers (and identify traits) as ID-mapping sees them."""

    ref: int
    message_id: str
    source_id: int | None
    keys: tuple[Key, ...]
    at: datetime
    traits: dict[str, Any]
    #: Traits to set only where the profile has none (Sensors' profile_set_once).
    once: dict[str, Any] | None = None
    #: Trait names to delete (Sensors' profile_unset).
    unset: tuple[str, ...] = ()
    #: Tags a source put on the person (WeChat follower tags...).
    tags: tuple[str, ...] = ()


class TraitWrite(NamedTuple):
    """One identify call's trait changes, applied in timestamp order by the store."""

    traits: dict[str, Any]
    at: datetime
    once: dict[str, Any] | None = None
    unset: tuple[str, ...] = ()


class MergeRecord(NamedTuple):
    survivor: int
    merged: int
    message_id: str
    source_id: int | None
    #: The event's identifiers that were already on each side.
    survivor_keys: tuple[Key, ...]
    merged_keys: tuple[Key, ...]


class ConflictRecord(NamedTuple):
    message_id: str
    source_id: int | None
    key: Key
    kept: int
    refused: int | None
    reason: str


class Plan(NamedTuple):
    """What the batch changes. Profile ids are final (merges already followed)."""

    new_profiles: list[int]
    links: dict[Key, int]
    merges: list[MergeRecord]
    conflicts: list[ConflictRecord]
    assignments: dict[int, int]
    trait_writes: dict[int, list[TraitWrite]]
    #: Source tags per final profile.
    tags: dict[int, set[str]]


class IdentityGraph:
    """Replays observations against known ownership, applying the identity rules."""

    def __init__(
        self,
        rules: IdentityRules,
        owners: dict[Key, int],
        limited_keys: Iterable[tuple[int, Key]] = (),
    ) -> None:
        self.rules = rules
        self._owner = dict(owners)
        self._values: dict[int, dict[tuple[str, str], set[str]]] = defaultdict(
            lambda: defaultdict(set)
        )
        for profile, key in limited_keys:
            self._track(profile, key)
        for key, profile in owners.items():
            self._track(profile, key)
        self._parent: dict[int, int] = {}
        self._next_temp = -1
        self._new: list[int] = []
        self._links: dict[Key, int] = {}
        self._merges: list[MergeRecord] = []
        self._conflicts: list[ConflictRecord] = []
        self._assignments: dict[int, int] = {}
        self._traits: dict[int, list[TraitWrite]] = defaultdict(list)
        self._tags: dict[int, set[str]] = defaultdict(set)

    def observe(self, observation: Observation) -> int | None:
        """Link the observation's identifiers; return the profile it belongs to."""
        keys = sorted(observation.keys, key=lambda k: (-self.rules.priority(k.type), k))
        primary: int | None = None
        for key in keys:
            owner = self._find_owner(key)
            if primary is None:
                primary = (
                    owner if owner is not None else self._first_profile(key, keys, observation)
                )
            elif owner is None:
                self._attach(primary, key, observation)
            elif owner != primary:
                primary = self._merge(primary, owner, observation, keys)
        if primary is None:
            return None
        self._assignments[observation.ref] = primary
        if observation.traits or observation.once or observation.unset:
            self._traits[primary].append(
                TraitWrite(observation.traits, observation.at, observation.once, observation.unset)
            )
        if observation.tags:
            self._tags[primary].update(observation.tags)
        return primary

    def plan(self) -> Plan:
        find = self._find
        traits: dict[int, list[TraitWrite]] = defaultdict(list)
        for profile, writes in self._traits.items():
            traits[find(profile)].extend(writes)
        tags: dict[int, set[str]] = defaultdict(set)
        for profile, names in self._tags.items():
            tags[find(profile)].update(names)
        return Plan(
            new_profiles=[p for p in self._new if find(p) == p],
            links={key: find(profile) for key, profile in self._links.items()},
            merges=self._merges,
            conflicts=[c._replace(kept=find(c.kept)) for c in self._conflicts],
            assignments={ref: find(p) for ref, p in self._assignments.items()},
            trait_writes=dict(traits),
            tags=dict(tags),
        )

    def final(self, profile: int) -> int:
        """The profile ``profile`` ended up in after this batch's merges."""
        return self._find(profile)

    # -- rules -------------------------------------------------------------------------

    def _first_profile(self, key: Key, keys: list[Key], observation: Observation) -> int:
        """Where an event goes whose highest-priority identifier is new.

        To the profile its other identifiers point at, if that profile can take the new
        identifier; otherwise the new identifier is a different person (a second user
        id on a shared device) and gets a profile of its own.
        """
        known = next((o for k in keys if (o := self._find_owner(k)) is not None), None)
        if known is not None and self._can_attach(known, key):
            self._attach(known, key, observation)
            return known
        return self._create(key)

    def _can_attach(self, profile: int, key: Key) -> bool:
        limit = self.rules.limit(key.type)
        values = self._values[profile][self.rules.limit_bucket(key.type, key.scope)]
        return limit is None or key.value in values or len(values) < limit

    def _attach(self, profile: int, key: Key, observation: Observation) -> None:
        if not self._can_attach(profile, key):
            limit = self.rules.limit(key.type)
            scope = f" for app {key.scope}" if key.scope else ""
            self._conflicts.append(
                ConflictRecord(
                    observation.message_id,
                    observation.source_id,
                    key,
                    kept=profile,
                    refused=None,
                    reason=f"profile already has a different {key.type}{scope} (limit {limit})",
                )
            )
            return
        self._owner[key] = profile
        self._links[key] = profile
        self._track(profile, key)

    def _merge(self, primary: int, other: int, observation: Observation, keys: list[Key]) -> int:
        broken = self._broken_limit(primary, other)
        if broken is not None:
            for key in keys:
                if self._find_owner(key) == other:
                    self._conflicts.append(
                        ConflictRecord(
                            observation.message_id,
                            observation.source_id,
                            key,
                            kept=primary,
                            refused=other,
                            reason=f"merging would give one profile two {broken} values",
                        )
                    )
            return primary
        survivor, merged = sorted((primary, other), key=_age)
        self._merges.append(
            MergeRecord(
                survivor=survivor,
                merged=merged,
                message_id=observation.message_id,
                source_id=observation.source_id,
                survivor_keys=tuple(k for k in keys if self._find_owner(k) == survivor),
                merged_keys=tuple(k for k in keys if self._find_owner(k) == merged),
            )
        )
        self._parent[merged] = survivor
        for bucket, values in self._values.pop(merged, {}).items():
            self._values[survivor][bucket] |= values
        return survivor

    def _broken_limit(self, a: int, b: int) -> str | None:
        values_a, values_b = self._values.get(a, {}), self._values.get(b, {})
        for bucket in values_a.keys() & values_b.keys():
            limit = self.rules.limit(bucket[0])
            if limit is not None and len(values_a[bucket] | values_b[bucket]) > limit:
                return bucket[0]
        return None

    # -- bookkeeping ---------------------------------------------------------------------

    def _create(self, key: Key) -> int:
        profile, self._next_temp = self._next_temp, self._next_temp - 1
        self._new.append(profile)
        self._owner[key] = profile
        self._links[key] = profile
        self._track(profile, key)
        return profile

    def _track(self, profile: int, key: Key) -> None:
        if self.rules.limit(key.type) is not None:
            self._values[profile][self.rules.limit_bucket(key.type, key.scope)].add(key.value)

    def _find(self, profile: int) -> int:
        while profile in self._parent:
            profile = self._parent[profile]
        return profile

    def _find_owner(self, key: Key) -> int | None:
        owner = self._owner.get(key)
        return None if owner is None else self._find(owner)


def _age(profile: int) -> tuple[int, int]:
    # Existing profiles (positive ids) outlive new ones; among each, the oldest wins,
    # so a merge never renames a profile that destinations already know.
    return (0, profile) if profile > 0 else (1, -profile)
