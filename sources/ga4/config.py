"""The ``ga4`` connection's config: which property, how to authenticate, what to pull.

Decoding checks shapes (types, unknown fields, ranges). The service-account key is
checked by :func:`junction.sources.ga4.key.parse_key` and the report's dimensions by
:func:`junction.sources.ga4.report.plan_report`, each raising
:class:`~junction.plugins.ConfigInvalid` naming the field to fix.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated

import msgspec
from msgspec import Meta

from junction.core.model import IdentifierType
from junction.plugins import secret

__all__ = ["GA4Config", "Mode", "RecordKind"]

DATA_API_URL = "https://analyticsdata.googleapis.com"
BIGQUERY_URL = "https://bigquery.googleapis.com"

_ProjectId = Annotated[str, Meta(pattern=r"^[a-z][a-z0-9\-]{4,28}[a-z0-9]$")]
_DatasetId = Annotated[str, Meta(pattern=r"^[A-Za-z0-9_]{1,1024}$")]
_ApiName = Annotated[str, Meta(min_length=1, max_length=256, pattern=r"^[A-Za-z0-9_:]+$")]


class Mode(StrEnum):
    #: The Data API's runReport: per-user daily rows of chosen dimensions and metrics.
    DATA_API = "data_api"
    #: The BigQuery export: every raw event of the ``events_YYYYMMDD`` tables.
    BIGQUERY = "bigquery"


class RecordKind(StrEnum):
    """What a Data API row becomes in the hub."""

    #: Traits of the person (last write wins), e.g. ``ga4_sessions`` of their last day.
    PROFILES = "profiles"
    #: One track event per person and day, carrying the day's values as properties.
    EVENTS = "events"


class GA4Config(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    """A Google Analytics 4 property to pull, through the Data API or the BigQuery export."""

    property_id: Annotated[
        str,
        Meta(
            title="Property id",
            description="The numeric GA4 property id (Admin → Property settings), "
            "e.g. `123456789`.",
            pattern=r"^[0-9]{1,20}$",
        ),
    ]
    service_account_key: Annotated[
        str,
        secret(
            "Service account key",
            "The JSON key file of a Google Cloud service account, pasted whole. Grant the "
            "service account Viewer on the GA4 property (and BigQuery Data Viewer + Job "
            "User for the BigQuery mode).",
        ),
    ]
    mode: Annotated[
        Mode,
        Meta(
            title="Mode",
            description="`data_api`: per-user daily reports through the Data API; "
            "`bigquery`: raw events from the property's BigQuery export.",
        ),
    ] = Mode.DATA_API
    start_date: Annotated[
        date,
        Meta(title="Start date", description="The first day to pull (YYYY-MM-DD)."),
    ]
    refresh_days: Annotated[
        int,
        Meta(
            title="Refresh window (days)",
            description="Days before today whose data may still change: GA4 processes "
            "data for 24-48 hours and its BigQuery export takes late hits for up to 3 "
            "days. They are pulled again on every run until older than this.",
            ge=0,
            le=30,
        ),
    ] = 3
    identifiers: Annotated[
        dict[IdentifierType, _ApiName],
        Meta(
            title="Identifier dimensions",
            description="Data API: identifier type to the user-scoped dimension holding "
            'it, e.g. {"user_id": "customUser:user_id", "anonymous_id": '
            '"customUser:client_id"}.',
            extra_json_schema={"propertyNames": {"enum": [t.value for t in IdentifierType]}},
        ),
    ] = msgspec.field(default_factory=lambda: {IdentifierType.USER_ID: "customUser:user_id"})
    dimensions: Annotated[
        list[_ApiName],
        Meta(
            title="Dimensions",
            description="Data API: further dimensions to pull per person, e.g. `country`.",
            max_length=8,
        ),
    ] = []
    metrics: Annotated[
        list[_ApiName],
        Meta(
            title="Metrics",
            description="Data API: metrics per person and day, e.g. `sessions`, "
            "`eventCount`, `purchaseRevenue`.",
            min_length=1,
            max_length=10,
        ),
    ] = msgspec.field(default_factory=lambda: ["activeUsers", "sessions", "eventCount"])
    records: Annotated[
        RecordKind,
        Meta(
            title="Records",
            description="Data API: `profiles` sets traits on each person; `events` adds one "
            "track event per person and day (settled days only).",
        ),
    ] = RecordKind.PROFILES
    trait_prefix: Annotated[
        str,
        Meta(
            title="Trait prefix",
            description="Prefix of the trait and property names made from dimensions and "
            "metrics (`ga4_` makes `sessions` the trait `ga4_sessions`).",
            max_length=32,
            pattern=r"^[a-z0-9_]*$",
        ),
    ] = "ga4_"
    event_name: Annotated[
        str,
        Meta(
            title="Event name",
            description="Data API with `records: events`: the name of the daily event.",
            min_length=1,
            max_length=200,
        ),
    ] = "GA4 Daily Activity"
    page_size: Annotated[
        int,
        Meta(
            title="Page size",
            description="Rows per request (Data API `limit`, BigQuery `maxResults`); a "
            "checkpoint follows each page.",
            ge=1,
            le=250_000,
        ),
    ] = 10_000
    bigquery_project: Annotated[
        _ProjectId | None,
        Meta(
            title="BigQuery project",
            description="BigQuery mode: the Google Cloud project holding the export "
            "(queries run, and are billed, there).",
        ),
    ] = None
    bigquery_dataset: Annotated[
        _DatasetId | None,
        Meta(
            title="BigQuery dataset",
            description="BigQuery mode: the export's dataset; defaults to "
            "`analytics_<property id>`.",
        ),
    ] = None
    bigquery_location: Annotated[
        str | None,
        Meta(
            title="BigQuery location",
            description="BigQuery mode: the dataset's location (e.g. `US`, `EU`), when "
            "queries must be pinned to it.",
        ),
    ] = None
    data_api_url: Annotated[
        str,
        Meta(title="Data API URL", description="Change only to reach a proxy or a test fake."),
    ] = DATA_API_URL
    bigquery_url: Annotated[
        str,
        Meta(title="BigQuery URL", description="Change only to reach a proxy or a test fake."),
    ] = BIGQUERY_URL

    @property
    def dataset(self) -> str:
        """The BigQuery dataset of the export."""
        return self.bigquery_dataset or f"analytics_{self.property_id}"
