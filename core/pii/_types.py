"""Type aliases shared by the PII modules."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeAlias

__all__ = ["Normalizer"]

#: Turns a raw value into the canonical form platforms match on, or raises
#: :class:`~junction.core.pii.errors.InvalidIdentifier`. Applying it to its own
#: output must return that output unchanged.
Normalizer: TypeAlias = Callable[[str], str]
