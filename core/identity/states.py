"""Where events stand in ID-mapping, and what a batch did."""

from __future__ import annotations

from enum import IntEnum

import msgspec


class Resolution(IntEnum):
    """``events.resolution``: where an event stands in ID-mapping."""

    PENDING = 0
    RESOLVED = 1
    #: No usable identifier (all junk, invalid or tombstoned): kept, linked to nobody.
    UNRESOLVABLE = 2
    #: Kept without identifiers: the source strips events lacking analytics consent.
    STRIPPED = 3


class ResolveStats(msgspec.Struct, kw_only=True):
    events: int = 0
    orders: int = 0
    resolved: int = 0
    unresolvable: int = 0
    stripped: int = 0
    dropped: int = 0
    new_profiles: int = 0
    merges: int = 0
    conflicts: int = 0
