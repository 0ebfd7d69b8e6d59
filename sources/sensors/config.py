"""The ``sensors`` connection's config: the project SDKs send to, and the optional export.

Receiving needs nothing but the project name: SDKs authenticate with the connection's
write key, carried as ``token`` in their ``server_url``. Pulling history needs the
Sensors web host (``api_url``) and its ``API_SECRET``; without them the connection only
receives.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

import msgspec
from msgspec import Meta

from junction.plugins import secret

__all__ = ["PROJECT_PATTERN", "SensorsConfig"]

#: Sensors' variable-name rule, which project names follow too (SDK regex).
PROJECT_PATTERN = r"^[a-zA-Z_$][a-zA-Z0-9_$]{0,99}$"


class SensorsConfig(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    """Where Sensors data comes from: SDK traffic for ``project``, and optionally its history."""

    project: Annotated[
        str,
        Meta(
            title="Project",
            description="The Sensors project name SDKs send (`?project=` in their server_url, "
            "or `project` in a record). Records naming another project are refused.",
            pattern=PROJECT_PATTERN,
        ),
    ] = "default"
    api_url: Annotated[
        str,
        Meta(
            title="Sensors web URL",
            description="Base URL of the Sensors web service for the SQL query API, e.g. "
            "`https://sa.example.com:8107`. Leave empty to only receive SDK traffic.",
            pattern=r"^(https?://[^\s/?#]+(/[^\s?#]*)?)?$",
            max_length=500,
        ),
    ] = ""
    api_secret: Annotated[
        str,
        secret(
            "API secret",
            "The project's API_SECRET (admin settings). Changing the admin password changes "
            "it. Needed only to pull history.",
        ),
    ] = ""
    history_start: Annotated[
        date | None,
        Meta(
            title="History start",
            description="The first day (in `timezone`) to pull events from. Required to pull.",
        ),
    ] = None
    timezone: Annotated[
        str,
        Meta(
            title="Project time zone",
            description="The time zone of the Sensors project; its SQL times are local to it.",
            min_length=1,
            max_length=64,
        ),
    ] = "Asia/Shanghai"
    window_hours: Annotated[
        int,
        Meta(
            title="Query window (hours)",
            description="How much time one export query covers. Windows holding more than "
            "`page_size` events are split automatically.",
            ge=1,
            le=744,
        ),
    ] = 24
    page_size: Annotated[
        int,
        Meta(
            title="Rows per query",
            description="LIMIT of each export query; Sensors asks for at most 10,000.",
            ge=1,
            le=10_000,
        ),
    ] = 10_000
    settle_minutes: Annotated[
        int,
        Meta(
            title="Settling time (minutes)",
            description="Events younger than this are left for the next run, so events still "
            "being imported into Sensors are not skipped.",
            ge=0,
            le=1440,
        ),
    ] = 10

    @property
    def pulls(self) -> bool:
        """Whether the connection is set up to pull history (an export URL is given)."""
        return bool(self.api_url)
