"""Segments: a JSON DSL over profiles, compiled to one SQL query, evaluated in memory too.

::

    from junction.core.segments import decode_condition, create_segment, compute_segment

    condition = decode_condition(open("high-spenders.json").read())
    await create_segment(db, "high-spenders", condition, actor="admin")
    run = await compute_segment(db, "high-spenders", actor="scheduler")
    diff = await changes_since(db, "high-spenders", last_synced_run)   # for a sync

Errors: :class:`~junction.core.model.ModelError` for malformed JSON and its subclass
:class:`DefinitionError` for definitions that mean nothing valid (both: answer 400);
:class:`~junction.core.errors.NotFoundError` for unknown segments.
"""

from __future__ import annotations

from .catalog import Catalog, load_catalog
from .changes import changes_since, members_for_activation
from .compile import compile_condition, live_profiles, member_query
from .compute import compute_segment, preview, query_members
from .data import load_profile_data
from .dsl import (
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
    decode_condition,
    encode_condition,
)
from .errors import DefinitionError
from .evaluate import ProfileData, evaluate
from .splits import HOLDOUT, Split, assign_variant
from .store import create_segment, delete_segment, get_segment, list_segments, update_segment
from .tag_rules import apply_tag_rules, set_tag_rule
from .uplift import uplift_report
from .validate import validate
from .views import (
    ArmResult,
    MemberSample,
    Preview,
    SegmentDiff,
    SegmentRunView,
    SegmentView,
    UpliftReport,
)

__all__ = [
    "HOLDOUT",
    "All",
    "Any_",
    "ArmResult",
    "Catalog",
    "Comparison",
    "ComputedCondition",
    "Condition",
    "ConsentCondition",
    "DefinitionError",
    "EventCondition",
    "MemberSample",
    "Not",
    "Op",
    "OrderCondition",
    "Preview",
    "ProfileData",
    "PropertyFilter",
    "SegmentCondition",
    "SegmentDiff",
    "SegmentRunView",
    "SegmentView",
    "Split",
    "TagCondition",
    "TraitCondition",
    "UpliftReport",
    "apply_tag_rules",
    "assign_variant",
    "changes_since",
    "compile_condition",
    "compute_segment",
    "create_segment",
    "decode_condition",
    "delete_segment",
    "encode_condition",
    "evaluate",
    "get_segment",
    "list_segments",
    "live_profiles",
    "load_catalog",
    "load_profile_data",
    "member_query",
    "members_for_activation",
    "preview",
    "query_members",
    "set_tag_rule",
    "update_segment",
    "uplift_report",
    "validate",
]
