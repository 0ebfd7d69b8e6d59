"""The ``http`` source: a connection that SDKs send Segment-style calls to."""

from __future__ import annotations

import msgspec

from junction.plugins import Capability, CheckResult, ConnectorContext, ConnectorSpec, Kind, Source

__all__ = ["HttpConfig", "HttpSource"]


class HttpConfig(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    """Nothing to configure: the connection's write key is issued when it is created."""


class HttpSource(Source[HttpConfig]):
    """Receives track, identify, page, screen, group and alias calls over HTTP."""

    spec = ConnectorSpec(
        name="http",
        kind=Kind.SOURCE,
        title="HTTP Tracking API",
        description=(
            "Receives events from Segment- and RudderStack-compatible SDKs at /v1/track, "
            "/v1/identify, /v1/page, /v1/screen, /v1/group, /v1/alias and /v1/batch. "
            "Senders authenticate with the connection's write key."
        ),
        config=HttpConfig,
        capabilities=frozenset({Capability.RECEIVE}),
        produces=("user_id", "anonymous_id"),
    )

    async def check(self, ctx: ConnectorContext[HttpConfig]) -> CheckResult:
        """Always ok: there is no platform to reach, SDKs come to the hub."""
        return CheckResult(
            ok=True, message="ready: point an SDK at this hub with the connection's write key"
        )
