"""Pulling the GA4 BigQuery export: one ``events_YYYYMMDD`` table (day) at a time.

Each day is one query through ``jobs.query``. When BigQuery has not finished within
the call's wait (``jobComplete: false``), ``jobs.getQueryResults`` is polled until it
has; the rows then come in pages linked by ``pageToken``. A checkpoint after each page
keeps the job and the next token, so a resumed read continues the same result (or, if
BigQuery has dropped it, queries the day again: events carry stable message ids).

A missing table is a day GA4 has not exported yet, which ends the read until the next
run; a day older than the export's late window (3 days) whose table is still missing
is a gap in the export (it was off) and is skipped with a warning.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from junction.plugins import (
    Checkpoint,
    ConfigInvalid,
    ConnectorContext,
    EventRecord,
    PermanentFailure,
    PluginError,
    Record,
    Retryable,
)
from junction.sources.ga4.bq_rows import SELECTED_COLUMNS, export_event, parse_rows
from junction.sources.ga4.config import GA4Config
from junction.sources.ga4.days import Resume, State, days_between, settled_through
from junction.sources.ga4.google import ApiError, GoogleApi

__all__ = ["check_dataset", "read_export"]

#: How long one call waits for a query to finish, in milliseconds.
QUERY_WAIT_MS = 10_000
#: getQueryResults calls made while a query is still running, before giving up for now.
MAX_POLLS = 30
#: GA4 may update a daily table for up to 3 days after the day.
EXPORT_LATE_DAYS = 3


class TableMissing(PermanentFailure):
    """The day's export table does not exist (yet)."""


class JobGone(PermanentFailure):
    """The query job of a saved checkpoint no longer exists."""


@dataclass(frozen=True)
class ResultPage:
    rows: list[dict[str, Any]]
    job_id: str
    location: str | None
    page_token: str | None


def _base(config: GA4Config) -> str:
    return f"{config.bigquery_url.rstrip('/')}/bigquery/v2/projects/{config.bigquery_project}"


def _require_project(config: GA4Config) -> str:
    if not config.bigquery_project:
        raise ConfigInvalid(
            "The BigQuery mode needs the project holding the export.", field="bigquery_project"
        )
    return config.bigquery_project


def _refused(config: GA4Config, day: date | None = None) -> Any:
    def refused(error: ApiError) -> PluginError:
        if error.http_status == 404 and day is not None and "Table" in error.message:
            return TableMissing(error.message, code=error.reason or None)
        if error.http_status == 404 and "Dataset" in error.message:
            return ConfigInvalid(
                f"BigQuery dataset {config.dataset} was not found in project "
                f"{config.bigquery_project}: {error.message}",
                field="bigquery_dataset",
                code=error.reason or None,
            )
        if error.http_status == 404 and "job" in error.message.lower():
            return JobGone(error.message, code=error.reason or None)
        if error.http_status == 404:
            return ConfigInvalid(
                f"BigQuery: {error.message}", field="bigquery_project", code=error.reason or None
            )
        return PermanentFailure(f"BigQuery refused the query: {error.message}", code=error.reason)

    return refused


async def check_dataset(api: GoogleApi, config: GA4Config) -> dict[str, Any]:
    """The export dataset's metadata (a cheap call that proves access to it)."""
    _require_project(config)
    return await api.call(
        "GET",
        f"{_base(config)}/datasets/{config.dataset}",
        what=f"BigQuery dataset {config.dataset}",
        refused=_refused(config),
    )


def _sql(config: GA4Config, day: date) -> str:
    table = f"`{config.bigquery_project}.{config.dataset}.events_{day:%Y%m%d}`"
    return f"SELECT {', '.join(SELECTED_COLUMNS)} FROM {table}"


class _Query:
    """One day's query: started, waited for, then read page by page."""

    def __init__(self, api: GoogleApi, config: GA4Config, day: date) -> None:
        self._api, self._config, self._day = api, config, day
        self._what = f"BigQuery export of {day}"

    async def start(self) -> ResultPage:
        body: dict[str, Any] = {
            "query": _sql(self._config, self._day),
            "useLegacySql": False,
            "maxResults": self._config.page_size,
            "timeoutMs": QUERY_WAIT_MS,
        }
        if self._config.bigquery_location:
            body["location"] = self._config.bigquery_location
        answer = await self._api.call(
            "POST",
            f"{_base(self._config)}/queries",
            what=self._what,
            json=body,
            refused=_refused(self._config, self._day),
        )
        return await self._complete(answer)

    async def page(self, job_id: str, location: str | None, token: str | None) -> ResultPage:
        return await self._complete(await self._fetch(job_id, location, token), token)

    async def _complete(self, answer: dict[str, Any], token: str | None = None) -> ResultPage:
        polls = 0
        while not answer.get("jobComplete", False):
            polls += 1
            if polls > MAX_POLLS:
                raise Retryable(f"{self._what}: the query is still running.", retry_after=60)
            job = answer.get("jobReference") or {}
            if not job.get("jobId"):
                raise PermanentFailure(f"{self._what}: BigQuery answered without a job id.")
            answer = await self._fetch(str(job["jobId"]), job.get("location"), token)
        # `errors` may also list warnings of a job that succeeded: only a result without
        # a schema is a failed query.
        errors = answer.get("errors")
        if errors and not answer.get("schema"):
            raise PermanentFailure(f"{self._what}: the query failed: {errors[0].get('message')}")
        job = answer.get("jobReference") or {}
        return ResultPage(
            rows=parse_rows(answer.get("schema") or {}, answer.get("rows") or []),
            job_id=str(job.get("jobId") or ""),
            location=job.get("location"),
            page_token=answer.get("pageToken") or None,
        )

    async def _fetch(self, job_id: str, location: str | None, token: str | None) -> dict[str, Any]:
        """One jobs.getQueryResults call: waits for the job, then returns one page."""
        params = {"maxResults": str(self._config.page_size), "timeoutMs": str(QUERY_WAIT_MS)}
        if token:
            params["pageToken"] = token
        if location:
            params["location"] = location
        return await self._api.call(
            "GET",
            f"{_base(self._config)}/queries/{job_id}",
            what=self._what,
            params=params,
            refused=_refused(self._config, self._day),
        )


async def _pages(query: _Query, resume: Resume | None) -> AsyncIterator[ResultPage]:
    page = None
    if resume is not None and resume.job_id and resume.page_token:
        try:
            page = await query.page(resume.job_id, resume.location, resume.page_token)
        except JobGone:
            page = None  # BigQuery keeps results about a day: query the day again
    if page is None:
        page = await query.start()
    while True:
        yield page
        if not page.page_token:
            return
        page = await query.page(page.job_id, page.location, page.page_token)


async def read_export(
    ctx: ConnectorContext[GA4Config], api: GoogleApi, state: State
) -> AsyncIterator[Record | Checkpoint]:
    """Yield each exported day's events from ``state`` on, checkpointing after each page."""
    config = ctx.config
    _require_project(config)
    today = ctx.now().date()
    settled = settled_through(today, config.refresh_days)
    gap_before = today - timedelta(days=max(config.refresh_days, EXPORT_LATE_DAYS))
    # Today's daily table is written after the day ends: never ask for it.
    for day in days_between(state.first_day(config.start_date), today - timedelta(days=1)):
        anonymous = 0
        try:
            async for page in _pages(_Query(api, config, day), state.resume_for(day)):
                for row in page.rows:
                    event = export_event(config.property_id, row)
                    if event is None:
                        anonymous += 1
                    else:
                        yield EventRecord(event=event)
                if page.page_token:
                    state.resume = Resume(
                        date=day,
                        job_id=page.job_id,
                        location=page.location,
                        page_token=page.page_token,
                    )
                    yield Checkpoint(state=state.to_json())
        except TableMissing:
            if day >= gap_before:
                ctx.log.info("GA4 export of %s is not in BigQuery yet; reading it next run.", day)
                return
            ctx.log.warning("GA4 export has no table for %s (export was off?); skipped.", day)
        if anonymous:
            ctx.log.warning(
                "GA4 export of %s: skipped %d events without user_id or user_pseudo_id.",
                day,
                anonymous,
            )
        state.resume = None
        if day <= settled:
            state.complete_through = day
        yield Checkpoint(state=state.to_json())
