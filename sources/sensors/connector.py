"""The ``sensors`` source: Sensors SDK traffic received, and its history pulled."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from junction.plugins import (
    AuthFailed,
    Capability,
    Checkpoint,
    CheckResult,
    ConfigInvalid,
    ConnectorContext,
    ConnectorSpec,
    Kind,
    Limits,
    PermanentFailure,
    PluginError,
    Record,
    Source,
)
from junction.sources.sensors.config import SensorsConfig
from junction.sources.sensors.export import SqlExport, window_sql
from junction.sources.sensors.mapping import to_record
from junction.sources.sensors.records import RecordError, parse_record

__all__ = ["SensorsSource"]

#: The smallest window a dense stretch of history is split down to.
MIN_WINDOW = timedelta(seconds=1)


class SensorsSource(Source[SensorsConfig]):
    """Receives Sensors SDK traffic at /hooks/sensors/sa; pulls history via the SQL API."""

    spec = ConnectorSpec(
        name="sensors",
        kind=Kind.SOURCE,
        title="Sensors Data (神策)",
        description=(
            "Receives events and profile updates from unchanged Sensors Analytics SDKs "
            "(server_url https://<hub>/hooks/sensors/sa?project=<project>&token=<write key>) "
            "and pulls event history from the Sensors SQL query API."
        ),
        config=SensorsConfig,
        capabilities=frozenset({Capability.RECEIVE, Capability.PULL}),
        produces=(
            "user_id",
            "anonymous_id",
            "phone",
            "email",
            "android_id",
            "idfv",
            "idfa",
            "oaid",
            "imei",
            "wechat_unionid",
        ),
        # The legacy query API asks for minute-level call frequency and 10,000 rows.
        limits=Limits(max_batch_records=10_000, requests_per_second=1.0),
        docs_url="https://manual.sensorsdata.cn/sa/docs/tech_super_access",
    )

    async def check(self, ctx: ConnectorContext[SensorsConfig]) -> CheckResult:
        """Validate the config; when it pulls, run a one-row query against the project."""
        config = ctx.config
        try:
            zone = _zone(config)
            if not config.pulls:
                if config.api_secret or config.history_start:
                    raise ConfigInvalid(
                        "api_url is empty: set it to pull history, or clear api_secret and "
                        "history_start to only receive",
                        field="api_url",
                    )
                return CheckResult(
                    ok=True,
                    message=f"ready: point SDKs' server_url at https://<hub>/hooks/sensors/sa"
                    f"?project={config.project}&token=<write key>",
                )
            _require_pull_fields(config)
            end = ctx.now()
            sql = window_sql(end - timedelta(hours=1), end, zone, 1)
            async with ctx.http(base_url=config.api_url) as client:
                await SqlExport(ctx, client).rows(sql)
        except (ConfigInvalid, AuthFailed) as exc:
            details = {"field": exc.field} if isinstance(exc, ConfigInvalid) and exc.field else {}
            return CheckResult(ok=False, message=exc.message, details=details)
        except PluginError as exc:
            return CheckResult(ok=False, message=exc.message)
        return CheckResult(
            ok=True,
            message=f"Connected to Sensors project {config.project!r}; the SQL query API "
            "answers. SDKs can send to /hooks/sensors/sa with the connection's write key.",
        )

    async def read(
        self, ctx: ConnectorContext[SensorsConfig]
    ) -> AsyncIterator[Record | Checkpoint]:
        """Events from ``history_start`` (or the last checkpoint) until shortly before now."""
        config = ctx.config
        if not config.pulls:
            raise ConfigInvalid("set api_url and api_secret to pull history", field="api_url")
        zone = _zone(config)
        _require_pull_fields(config)
        start = _resume_from(ctx.state, config, zone)
        horizon = (ctx.now() - timedelta(minutes=config.settle_minutes)).replace(microsecond=0)
        full = timedelta(hours=config.window_hours)
        window = full
        async with ctx.http(base_url=config.api_url) as client:
            export = SqlExport(ctx, client)
            while start < horizon:
                end = min(start + window, horizon)
                rows = await export.rows(window_sql(start, end, zone, config.page_size))
                if len(rows) >= config.page_size:
                    # A full page may be cut short: narrow the window and ask again.
                    if end - start <= MIN_WINDOW:
                        raise PermanentFailure(
                            f"more than {config.page_size} events within one second at "
                            f"{start.isoformat()}; raise page_size (up to 10000)"
                        )
                    # Whole seconds: the SQL times have no fractions.
                    half = timedelta(seconds=(end - start).total_seconds() // 2)
                    window = max(half, MIN_WINDOW)
                    continue
                for number, row in enumerate(rows, start=1):
                    yield _mapped(row, number, start)
                yield Checkpoint(state={"until": end.isoformat()})
                start = end
                window = min(window * 2, full)


def _zone(config: SensorsConfig) -> ZoneInfo:
    try:
        return ZoneInfo(config.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigInvalid(
            f"timezone {config.timezone!r} is not an IANA time zone (e.g. Asia/Shanghai)",
            field="timezone",
        ) from None


def _require_pull_fields(config: SensorsConfig) -> None:
    if not config.api_secret:
        raise ConfigInvalid("api_secret is required to pull history", field="api_secret")
    if config.history_start is None:
        raise ConfigInvalid(
            "history_start is required to pull history (the first day to read)",
            field="history_start",
        )


def _resume_from(state: dict[str, Any], config: SensorsConfig, zone: ZoneInfo) -> datetime:
    until = state.get("until")
    if until is None:
        assert config.history_start is not None
        return datetime.combine(config.history_start, time(), zone).astimezone(UTC)
    try:
        resumed = datetime.fromisoformat(until)
    except (TypeError, ValueError):
        raise ConfigInvalid(
            f"the saved checkpoint {until!r} is not a time; reset this sync's state"
        ) from None
    return resumed if resumed.tzinfo else resumed.replace(tzinfo=UTC)


def _mapped(row: Any, number: int, window: datetime) -> Record:
    try:
        return to_record(parse_record(row))
    except RecordError as exc:
        field = f".{exc.field}" if exc.field else ""
        raise PermanentFailure(
            f"exported event {number} of the window from {window.isoformat()}{field}: {exc.message}"
        ) from None
