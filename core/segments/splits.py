"""Deterministic holdout and A/B splits: a profile's variant is a hash, never a coin toss.

The variant of a profile in a segment is ``blake2b(salt:profile_id)`` modulo the sum of
the weights, mapped onto the variants in order. It depends only on the segment's salt,
its splits and the profile id, so it is the same on every run, process and machine,
and two segments (two salts) split the same people independently. The variant named
``holdout`` is the control group: it is computed and stored like any other, but never
reaches a destination (see :func:`junction.core.segments.members_for_activation`).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from typing import Annotated, Final

import msgspec
from msgspec import Meta

from junction.core.segments.errors import DefinitionError

__all__ = ["HOLDOUT", "Split", "assign_variant", "check_splits", "new_salt"]

HOLDOUT: Final = "holdout"
MAX_VARIANTS: Final = 10
_VARIANT = re.compile(r"[a-z][a-z0-9_]{0,39}")


class Split(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """A variant and its relative weight: ``[{"variant": "holdout", "weight": 10},
    {"variant": "treated", "weight": 90}]`` keeps 10% out."""

    variant: str
    weight: Annotated[int, Meta(ge=1, le=10_000)]


def new_salt() -> str:
    """A fresh random salt for a new segment."""
    return secrets.token_hex(8)


def check_splits(splits: list[Split], path: str = "$.splits") -> None:
    """Refuse malformed splits.

    Raises:
        DefinitionError: a variant name is malformed or repeated, a weight is out of
            range, or there are more than :data:`MAX_VARIANTS` variants.
    """
    if len(splits) > MAX_VARIANTS:
        raise DefinitionError(f"at most {MAX_VARIANTS} variants", path)
    seen: set[str] = set()
    for index, split in enumerate(splits):
        if _VARIANT.fullmatch(split.variant) is None:
            raise DefinitionError(
                "a variant is lower-case letters, digits and _ (1-40, starting with a letter)",
                f"{path}[{index}].variant",
            )
        if split.variant in seen:
            raise DefinitionError(f"variant `{split.variant}` appears twice", f"{path}[{index}]")
        if not 1 <= split.weight <= 10_000:
            raise DefinitionError("a weight is from 1 to 10000", f"{path}[{index}].weight")
        seen.add(split.variant)
    if len(splits) == 1:
        raise DefinitionError("a split needs at least two variants", path)


def assign_variant(profile_id: int, salt: str, splits: list[Split]) -> str:
    """The variant of ``profile_id``; ``""`` when the segment has no splits."""
    if not splits:
        return ""
    digest = hashlib.blake2b(f"{salt}:{profile_id}".encode(), digest_size=8).digest()
    point = int.from_bytes(digest, "big") % sum(split.weight for split in splits)
    for split in splits:
        if point < split.weight:
            return split.variant
        point -= split.weight
    raise AssertionError("unreachable: point < total weight")  # pragma: no cover
