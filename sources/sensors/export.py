"""History from Sensors' SQL query API, one time window per query.

``POST {api_url}/api/sql/query?token=<API_SECRET>&project=<project>`` with form fields
``q=<SQL>`` and ``format=event_json`` answers one event per line in the import format
(the same records the SDKs send), so the receiver's checks and mapping apply unchanged.

Sensors' query APIs have no cursor ("narrow by date") and ask for at most 10,000 rows
per query. So a read walks forward in time windows: a window answering a full page may
hold more, and is halved until it fits; a checkpoint follows each complete window.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import msgspec

from junction.plugins import (
    AuthFailed,
    ConnectorContext,
    PermanentFailure,
    RateLimited,
    Retryable,
)
from junction.plugins.http import retry_after
from junction.sources.sensors.config import SensorsConfig

__all__ = ["QUERY_PATH", "SqlExport", "window_sql"]

QUERY_PATH = "/api/sql/query"
_TIME = "%Y-%m-%d %H:%M:%S"


def window_sql(start: datetime, end: datetime, zone: ZoneInfo, limit: int) -> str:
    """The query for events in [start, end), times written in the project's zone.

    The ``date`` bounds let Sensors prune its day partitions; ``time`` does the rest.
    """
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    last_day = (local_end - timedelta(microseconds=1)).date()
    return (
        "SELECT * FROM events"
        f" WHERE date >= '{local_start.date().isoformat()}' AND date <= '{last_day.isoformat()}'"
        f" AND time >= '{local_start.strftime(_TIME)}' AND time < '{local_end.strftime(_TIME)}'"
        f" ORDER BY time LIMIT {limit}"
    )


class SqlExport:
    """Runs export queries for one read, mapping HTTP failures to plugin errors."""

    def __init__(self, ctx: ConnectorContext[SensorsConfig], client: httpx.AsyncClient) -> None:
        self.config = ctx.config
        self.client = client

    async def rows(self, sql: str) -> list[Any]:
        """The decoded JSON lines the query answers.

        Raises:
            AuthFailed: 401/403, the API secret is wrong or was changed.
            RateLimited: 429, with the server's Retry-After.
            Retryable: 5xx, timeouts, connection errors.
            PermanentFailure: another 4xx (a bad query, an unknown project), or a body
                that isn't JSON lines.
        """
        try:
            response = await self.client.post(
                QUERY_PATH,
                params={"token": self.config.api_secret, "project": self.config.project},
                data={"q": sql, "format": "event_json"},
            )
        except httpx.TimeoutException:
            raise Retryable("the Sensors query API timed out") from None
        except httpx.TransportError as exc:
            raise Retryable(f"the Sensors query API is unreachable: {type(exc).__name__}") from None
        self._raise_for(response)
        return self._decode(response.text)

    def _raise_for(self, response: httpx.Response) -> None:
        status = response.status_code
        if status < 300:
            return
        said = self._said(response)
        code = str(status)
        if status in (401, 403):
            raise AuthFailed(
                f"Sensors refused the API secret (HTTP {status}{said}); copy the current "
                "API_SECRET from the project settings (it changes with the admin password)",
                code=code,
            )
        wait = retry_after(response)
        if status == 429:
            raise RateLimited(
                f"Sensors is rate limiting queries (HTTP 429{said})",
                retry_after=wait,
                code=code,
            )
        if status >= 500:
            raise Retryable(
                f"the Sensors query API failed (HTTP {status}{said})",
                retry_after=wait,
                code=code,
            )
        raise PermanentFailure(f"Sensors refused the export query (HTTP {status}{said})", code=code)

    def _said(self, response: httpx.Response) -> str:
        text = " ".join(response.text.split())[:300]
        if self.config.api_secret:
            text = text.replace(self.config.api_secret, "***")
        return f": {text}" if text else ""

    @staticmethod
    def _decode(text: str) -> list[Any]:
        rows = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                rows.append(msgspec.json.decode(line))
            except msgspec.DecodeError as exc:
                raise PermanentFailure(
                    f"line {number} of the export is not JSON ({exc}); is `format=event_json` "
                    "supported by this Sensors version?"
                ) from None
        return rows
