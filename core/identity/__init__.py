"""ID-mapping: identifiers to profiles, with priorities, limits, merges and conflicts."""

from __future__ import annotations

from junction.core.identity.graph import IdentityGraph, Observation, Plan
from junction.core.identity.keys import Key, prepare_keys
from junction.core.identity.resolver import Resolution, Resolver, ResolveStats
from junction.core.identity.rules import DEFAULT_RULES, IdentityRules, TypeRule

__all__ = [
    "DEFAULT_RULES",
    "IdentityGraph",
    "IdentityRules",
    "Key",
    "Observation",
    "Plan",
    "Resolution",
    "ResolveStats",
    "Resolver",
    "TypeRule",
    "prepare_keys",
]
