"""Traits: typed values, promotion, computed traits (aggregates, RFM, lifecycle), tags.

::

    from junction.core.traits import declare_trait, recompute_traits, TraitType

    await declare_trait(db, "age", TraitType.NUMBER, actor="admin")
    report = await recompute_traits(db)           # promote changes, recompute all
"""

from __future__ import annotations

from .declare import (
    declare_computed_trait,
    declare_event_property,
    declare_trait,
    drop_computed_trait,
)
from .definitions import (
    BUYING_STATUSES,
    DEFAULT_COMPUTED_TRAITS,
    ComputedTrait,
    EventAggregate,
    Lifecycle,
    OrderAggregate,
    Rfm,
    decode_computed_trait,
    outputs,
)
from .engine import TraitRunReport, recompute_traits
from .forget import forget_profiles
from .promote import promote_event_properties, promote_profile_traits
from .rfm import RFM_GROUPS, rfm_group
from .tags import add_tag, remove_tag
from .values import TraitType, TypedValue, read_value

__all__ = [
    "BUYING_STATUSES",
    "DEFAULT_COMPUTED_TRAITS",
    "RFM_GROUPS",
    "ComputedTrait",
    "EventAggregate",
    "Lifecycle",
    "OrderAggregate",
    "Rfm",
    "TraitRunReport",
    "TraitType",
    "TypedValue",
    "add_tag",
    "declare_computed_trait",
    "declare_event_property",
    "declare_trait",
    "decode_computed_trait",
    "drop_computed_trait",
    "forget_profiles",
    "outputs",
    "promote_event_properties",
    "promote_profile_traits",
    "read_value",
    "recompute_traits",
    "remove_tag",
    "rfm_group",
]
