"""The Data API side: what a runReport request asks for and how its rows become records.

One request covers one day (``dateRanges`` of that day only) and one page of it,
ordered by every dimension so that ``offset`` paging is stable. Identifier dimensions
come first, then the further dimensions; metrics follow the config.

A row is one person on one day (as far as the chosen dimensions are user-scoped). It
becomes, per ``records``:

- ``profiles``: a ProfileRecord with the row's identifiers and, as traits, each further
  dimension and metric (``ga4_country``, ``ga4_sessions``...) plus
  ``ga4_last_active_date``, observed at the end of that day;
- ``events``: a track event ``event_name`` of that day with those values as properties
  and a message id derived from the property, day and dimension values, so re-reading a
  day repeats only duplicates.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from junction.core.model import (
    SCOPED_TYPES,
    Event,
    EventType,
    Identifier,
    IdentifierType,
    ModelError,
)
from junction.plugins import ConfigInvalid, EventRecord, PermanentFailure, ProfileRecord, Record
from junction.sources.ga4.config import GA4Config, RecordKind

__all__ = ["Page", "ReportPlan", "plan_report"]

#: The Data API takes at most 9 dimensions per request.
MAX_DIMENSIONS = 9
#: What GA4 reports for a dimension without a value.
NOT_SET = frozenset({"", "(not set)"})
_INTEGER_TYPES = frozenset({"TYPE_INTEGER"})
_SCOPE_PREFIX = re.compile(r"^custom(User|Event|Item):")
_EVENT_IDS = frozenset({IdentifierType.USER_ID, IdentifierType.ANONYMOUS_ID})
_CAMEL = re.compile(r"(?<=[a-z0-9])([A-Z])")


def trait_name(prefix: str, api_name: str) -> str:
    """``purchaseRevenue`` → ``ga4_purchase_revenue``; ``customUser:tier`` → ``ga4_tier``."""
    bare = _SCOPE_PREFIX.sub("", api_name)
    return prefix + _CAMEL.sub(r"_\1", bare).lower()


@dataclass(frozen=True)
class ReportPlan:
    """The request shape and row mapping, checked once per operation."""

    property_id: str
    identifiers: tuple[tuple[IdentifierType, str], ...]
    dimensions: tuple[str, ...]
    metrics: tuple[str, ...]
    records: RecordKind
    prefix: str
    event_name: str

    @property
    def all_dimensions(self) -> tuple[str, ...]:
        return tuple(name for _, name in self.identifiers) + self.dimensions

    def body(self, day: date, offset: int, limit: int) -> dict[str, Any]:
        """A runReport body for one page of one day."""
        return {
            "dateRanges": [{"startDate": day.isoformat(), "endDate": day.isoformat()}],
            "dimensions": [{"name": name} for name in self.all_dimensions],
            "metrics": [{"name": name} for name in self.metrics],
            "orderBys": [
                {"dimension": {"dimensionName": name, "orderType": "ALPHANUMERIC"}}
                for name in self.all_dimensions
            ],
            # int64 fields travel as JSON strings.
            "offset": str(offset),
            "limit": str(limit),
        }


def plan_report(config: GA4Config) -> ReportPlan:
    """Check the report's dimensions and metrics and plan its requests.

    Raises:
        ConfigInvalid: naming ``identifiers``, ``dimensions`` or ``metrics``.
    """
    if not config.identifiers:
        raise ConfigInvalid(
            "Name at least one identifier dimension (e.g. user_id: customUser:user_id): "
            "rows without one can't be linked to anyone.",
            field="identifiers",
        )
    for kind in config.identifiers:
        if kind in SCOPED_TYPES:
            raise ConfigInvalid(
                f"Identifier type {kind.value!r} needs a scope, which GA4 dimensions don't "
                "carry; use user_id or anonymous_id.",
                field="identifiers",
            )
    if config.records is RecordKind.EVENTS and not (_EVENT_IDS & set(config.identifiers)):
        raise ConfigInvalid(
            "Events need a user_id or anonymous_id identifier dimension.", field="identifiers"
        )
    identifiers = tuple(sorted(config.identifiers.items()))
    names = [name for _, name in identifiers] + list(config.dimensions)
    if len(names) > MAX_DIMENSIONS:
        raise ConfigInvalid(
            f"The Data API takes at most {MAX_DIMENSIONS} dimensions per report; "
            f"identifiers and dimensions name {len(names)}.",
            field="dimensions",
        )
    _unique(names, "dimensions")
    _unique(list(config.metrics), "metrics")
    traits = [trait_name(config.trait_prefix, n) for n in [*config.dimensions, *config.metrics]]
    _unique(traits, "metrics", what="trait names")
    return ReportPlan(
        property_id=config.property_id,
        identifiers=identifiers,
        dimensions=tuple(config.dimensions),
        metrics=tuple(config.metrics),
        records=config.records,
        prefix=config.trait_prefix,
        event_name=config.event_name,
    )


def _unique(names: list[str], field: str, what: str = "names") -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise ConfigInvalid(f"{name!r} appears twice among the report's {what}.", field=field)
        seen.add(name)


@dataclass(frozen=True)
class Page:
    """One runReport answer: its rows as value lists, typed metrics and the total."""

    dimension_values: list[list[str]]
    metric_values: list[list[str]]
    metric_types: tuple[str, ...]
    row_count: int

    @classmethod
    def parse(cls, body: dict[str, Any], plan: ReportPlan) -> Page:
        """Read a runReport response, checking its headers match what was asked.

        Raises:
            PermanentFailure: the answer is not shaped like a runReport response.
        """
        try:
            dims = [h["name"] for h in body.get("dimensionHeaders", [])]
            metric_headers = body.get("metricHeaders", [])
            metrics = [h["name"] for h in metric_headers]
            rows = body.get("rows", [])  # an empty report omits rows
            page = cls(
                dimension_values=[[v["value"] for v in r["dimensionValues"]] for r in rows],
                metric_values=[[v["value"] for v in r["metricValues"]] for r in rows],
                metric_types=tuple(h.get("type", "TYPE_FLOAT") for h in metric_headers),
                row_count=int(body.get("rowCount", 0)),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise PermanentFailure(f"runReport answered a malformed report ({exc!r}).") from None
        if rows and (tuple(dims) != plan.all_dimensions or tuple(metrics) != plan.metrics):
            raise PermanentFailure(
                f"runReport answered columns {dims + metrics}, not the requested "
                f"{list(plan.all_dimensions + plan.metrics)}."
            )
        return page

    def digest(self) -> str:
        """A fingerprint of the rows, to tell an unchanged page of a re-pulled day."""
        data = json.dumps([self.dimension_values, self.metric_values], separators=(",", ":"))
        return hashlib.sha256(data.encode()).hexdigest()[:32]


class RowMapper:
    """Turns the rows of one day's pages into records, counting rows without identifiers."""

    def __init__(self, plan: ReportPlan, day: date, now: datetime) -> None:
        self._plan = plan
        self._day = day
        # Traits describe the person as of the end of the day (or now, for today).
        self._observed_at = min(datetime.combine(day + timedelta(days=1), time(), UTC), now)
        self.anonymous_rows = 0

    def records(self, page: Page) -> list[Record]:
        out: list[Record] = []
        for dims, metrics in zip(page.dimension_values, page.metric_values, strict=True):
            identifiers = self._identifiers(dims)
            if not self._linkable(identifiers):
                self.anonymous_rows += 1
                continue
            values = self._values(dims, metrics, page.metric_types)
            out.append(self._record(identifiers, dims, values))
        return out

    def _linkable(self, identifiers: list[Identifier]) -> bool:
        if self._plan.records is RecordKind.PROFILES:
            return bool(identifiers)
        # An event must carry a user id or an anonymous id.
        return any(i.type in _EVENT_IDS for i in identifiers)

    def _identifiers(self, dims: list[str]) -> list[Identifier]:
        found = []
        for (kind, _), value in zip(self._plan.identifiers, dims, strict=False):
            if value in NOT_SET:
                continue
            try:
                found.append(Identifier(kind, value))
            except ModelError:
                continue  # longer than any identifier the hub keeps
        return found

    def _values(
        self, dims: list[str], metrics: list[str], types: tuple[str, ...]
    ) -> dict[str, Any]:
        plan = self._plan
        values: dict[str, Any] = {}
        for name, value in zip(plan.dimensions, dims[len(plan.identifiers) :], strict=True):
            if value not in NOT_SET:
                values[trait_name(plan.prefix, name)] = value
        for name, kind, value in zip(plan.metrics, types, metrics, strict=True):
            values[trait_name(plan.prefix, name)] = _number(name, kind, value)
        return values

    def _record(
        self, identifiers: list[Identifier], dims: list[str], values: dict[str, Any]
    ) -> Record:
        plan = self._plan
        if plan.records is RecordKind.PROFILES:
            traits = {**values, f"{plan.prefix}last_active_date": self._day.isoformat()}
            return ProfileRecord(
                identifiers=tuple(identifiers), observed_at=self._observed_at, traits=traits
            )
        by_type = {i.type: i.value for i in identifiers}
        others = [
            {"type": i.type.value, "value": i.value}
            for i in identifiers
            if i.type not in _EVENT_IDS
        ]
        key = json.dumps([plan.property_id, self._day.isoformat(), dims], separators=(",", ":"))
        event = Event(
            type=EventType.TRACK,
            event=plan.event_name,
            message_id="ga4-" + hashlib.sha256(key.encode()).hexdigest()[:32],
            timestamp=datetime.combine(self._day, time(), UTC),
            user_id=by_type.get(IdentifierType.USER_ID),
            anonymous_id=by_type.get(IdentifierType.ANONYMOUS_ID),
            properties={**values, "date": self._day.isoformat()},
            context={"identifiers": others} if others else {},
        )
        return EventRecord(event=event)


def _number(name: str, kind: str, value: str) -> int | float:
    try:
        return int(value) if kind in _INTEGER_TYPES else float(value)
    except ValueError:
        raise PermanentFailure(
            f"runReport answered {name} = {value[:40]!r}, not a number."
        ) from None
