"""The connection config of the ``tencent_ads`` destination."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

from junction.plugins import secret

__all__ = ["DEFAULT_API_BASE", "DEFAULT_OAUTH_URL", "TencentAdsConfig"]

DEFAULT_API_BASE = "https://api.e.qq.com/v3.0"
DEFAULT_OAUTH_URL = "https://api.e.qq.com/oauth/token"
_URL = r"^https?://[^\s/?#]+(/[^\s?#]*)?$"


class TencentAdsConfig(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    """The advertiser account, and the OAuth app that is authorized on it."""

    account_id: Annotated[
        int,
        Meta(
            title="Account id",
            description="The advertiser account (广告主帐号 id) that owns the audiences.",
            gt=0,
        ),
    ]
    client_id: Annotated[
        int,
        Meta(
            title="App id (client_id)",
            description="The developer app's id, from developers.e.qq.com.",
            gt=0,
        ),
    ]
    client_secret: Annotated[
        str,
        secret("App secret (client_secret)", "The developer app's secret."),
        Meta(min_length=1),
    ]
    refresh_token: Annotated[
        str,
        secret(
            "Refresh token",
            "From authorizing the app on the account (OAuth authorization_code grant). "
            "Junction exchanges it for access tokens as they expire.",
        ),
        Meta(min_length=1),
    ]
    api_base: Annotated[
        str,
        Meta(
            title="API base URL",
            description="The versioned Marketing API base; the sandbox is "
            "https://sandbox-api.e.qq.com/v1.3.",
            pattern=_URL,
        ),
    ] = DEFAULT_API_BASE
    oauth_url: Annotated[
        str,
        Meta(title="OAuth token URL", description="Where access tokens are issued.", pattern=_URL),
    ] = DEFAULT_OAUTH_URL
