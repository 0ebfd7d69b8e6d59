"""Profiles: look up by any identifier, read with masking, erase on request."""

from __future__ import annotations

from junction.core.profiles.erase import erase_profile
from junction.core.profiles.service import Profiles
from junction.core.profiles.views import ErasureReport, ProfileView

__all__ = ["ErasureReport", "ProfileView", "Profiles", "erase_profile"]
