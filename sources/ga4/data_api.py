"""Pulling a GA4 property through the Data API: one runReport day at a time, paged.

Each day is read page by page (``offset`` += ``limit`` while below ``rowCount``). A
settled day checkpoints its offset after every page and, once read whole, moves
``complete_through`` onto it. A day inside the refresh window is read whole on every
run; a page identical to one already yielded (same digest at the same place) is not
yielded again, so re-pulling an unchanged day costs requests but no duplicate
profile updates.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from typing import Any

from junction.plugins import Checkpoint, ConfigInvalid, ConnectorContext, PluginError, Record
from junction.sources.ga4.config import GA4Config, RecordKind
from junction.sources.ga4.days import Resume, State, days_between, settled_through
from junction.sources.ga4.google import ApiError, GoogleApi, Refusal
from junction.sources.ga4.report import Page, ReportPlan, RowMapper

__all__ = ["fetch_metadata", "read_report", "run_report"]


def refusal(config: GA4Config) -> Refusal:
    """A 400/404 of the Data API as ConfigInvalid, naming the config field at fault."""

    def refused(error: ApiError) -> PluginError:
        if error.http_status == 404:
            return ConfigInvalid(
                f"GA4 property {config.property_id} was not found: {error.message}",
                field="property_id",
                code=error.status or None,
            )
        return ConfigInvalid(
            f"The Data API refused the report: {error.message}",
            field=_field_named_in(error.message, config),
            code=error.status or None,
        )

    return refused


def _field_named_in(message: str, config: GA4Config) -> str | None:
    """The config field holding a dimension or metric the error message names."""
    for field, names in (
        ("identifiers", config.identifiers.values()),
        ("dimensions", config.dimensions),
        ("metrics", config.metrics),
    ):
        if any(name in message for name in names):
            return field
    return "start_date" if "date" in message.lower() else None


def _url(config: GA4Config, suffix: str) -> str:
    return f"{config.data_api_url.rstrip('/')}/v1beta/properties/{config.property_id}{suffix}"


async def run_report(
    api: GoogleApi, config: GA4Config, plan: ReportPlan, day: date, offset: int, limit: int
) -> Page:
    body = await api.call(
        "POST",
        _url(config, ":runReport"),
        what=f"runReport for GA4 property {config.property_id} on {day}",
        json=plan.body(day, offset, limit),
        refused=refusal(config),
    )
    return Page.parse(body, plan)


async def fetch_metadata(api: GoogleApi, config: GA4Config) -> dict[str, Any]:
    """The property's dimensions and metrics (custom ones included)."""
    return await api.call(
        "GET",
        _url(config, "/metadata"),
        what=f"metadata of GA4 property {config.property_id}",
        refused=refusal(config),
    )


async def read_report(
    ctx: ConnectorContext[GA4Config], api: GoogleApi, plan: ReportPlan, state: State
) -> AsyncIterator[Record | Checkpoint]:
    """Yield each day's records from ``state`` on, checkpointing after every page."""
    config = ctx.config
    now = ctx.now()
    settled = settled_through(now.date(), config.refresh_days)
    # A daily event is final: events are made only of days that no longer change.
    last = settled if plan.records is RecordKind.EVENTS else now.date()
    limit = config.page_size
    for day in days_between(state.first_day(config.start_date), last):
        is_settled = day <= settled
        resume = state.resume_for(day)
        offset = resume.offset if resume is not None else 0
        yielded = list(state.recent.get(day, []))
        mapper = RowMapper(plan, day, now)
        while True:
            page = await run_report(api, config, plan, day, offset, limit)
            index, digest = offset // limit, page.digest()
            records = mapper.records(page)
            if not (index < len(yielded) and yielded[index] == digest):
                for record in records:
                    yield record
            yielded[index : index + 1] = [digest]
            offset += len(page.dimension_values)
            if not page.dimension_values or offset >= page.row_count:
                break
            if is_settled:
                state.resume = Resume(date=day, offset=offset)
            else:
                state.recent[day] = list(yielded)
            yield Checkpoint(state=state.to_json())
        if mapper.anonymous_rows:
            ctx.log.warning(
                "GA4 %s: skipped %d report rows without any identifier (GA4 reports "
                "'(not set)' for people it could not attribute).",
                day,
                mapper.anonymous_rows,
            )
        state.resume = None
        if is_settled:
            state.complete_through = day
            state.recent.pop(day, None)
        else:
            state.recent[day] = yielded[: index + 1]
        yield Checkpoint(state=state.to_json())
