"""The ``oceanengine`` connection's configuration."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from junction.plugins import secret

__all__ = ["DEFAULT_BASE_URL", "OceanEngineConfig"]

#: The official SDK's host; ``https://ad.oceanengine.com/open_api/`` serves the same API.
DEFAULT_BASE_URL = "https://api.oceanengine.com/open_api/"

_NUMERIC_ID = r"^[1-9][0-9]{0,19}$"


class OceanEngineConfig(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    """An advertiser account, the OAuth app that was authorized for it, and its tokens."""

    advertiser_id: Annotated[
        str,
        Meta(
            title="Advertiser id",
            description="The advertiser account (广告主 ID) that owns the data sources.",
            pattern=_NUMERIC_ID,
        ),
    ]
    app_id: Annotated[
        str,
        Meta(
            title="App id",
            description="The developer app (应用 ID) that was authorized for the advertiser.",
            pattern=_NUMERIC_ID,
        ),
    ]
    app_secret: Annotated[
        str, secret("App secret", "The developer app's secret."), Meta(min_length=8)
    ]
    refresh_token: Annotated[
        str,
        secret(
            "Refresh token",
            "From the OAuth authorization of the app. Junction refreshes the access token "
            "with it and keeps the rotated refresh token; re-authorize when it expires.",
        ),
        Meta(min_length=8),
    ]
    push_to_advertiser_ids: Annotated[
        list[Annotated[str, Meta(pattern=_NUMERIC_ID)]],
        Meta(
            title="Share with advertisers",
            description=(
                "Advertiser ids (same legal entity) the audience is pushed to once "
                "published, so their campaigns can target it. Empty: only this account."
            ),
            max_length=100,
        ),
    ] = []
    data_source_type: Annotated[
        Literal["UID", "DID"],
        Meta(
            title="Data source type",
            description="UID (user ids, the default) or DID (device ids only).",
        ),
    ] = "UID"
    base_url: Annotated[
        str,
        Meta(
            title="API base URL",
            description="The Marketing API root, ending in /open_api/.",
            pattern=r"^https?://[^\s/]+/open_api/$",
        ),
    ] = DEFAULT_BASE_URL
