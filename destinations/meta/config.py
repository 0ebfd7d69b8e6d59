"""The ``meta`` connection's config: which Graph API, which ad account, which token."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from junction.plugins import secret

__all__ = ["CustomerFileSource", "MetaConfig"]

CustomerFileSource = Literal[
    "USER_PROVIDED_ONLY", "PARTNER_PROVIDED_ONLY", "BOTH_USER_AND_PARTNER_PROVIDED"
]


class MetaConfig(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    """A Meta ad account and the token that manages its customer-file audiences."""

    ad_account_id: Annotated[
        str,
        Meta(
            title="Ad account id",
            description="The numeric id of the ad account, with or without the act_ prefix.",
            pattern=r"^(act_)?[0-9]{1,20}$",
        ),
    ]
    access_token: Annotated[
        str,
        secret(
            "Access token",
            "A system-user (or user) token with the ads_management permission.",
        ),
        Meta(min_length=8),
    ]
    app_secret: Annotated[
        str,
        secret(
            "App secret",
            "Only when the app enables 'Require App Secret': every call then carries "
            "appsecret_proof, an HMAC-SHA256 of the token keyed with this secret.",
        ),
    ] = ""
    api_version: Annotated[
        str,
        Meta(
            title="Graph API version",
            description="Versions expire about two years after release; move forward in time.",
            pattern=r"^v[0-9]{1,3}\.0$",
        ),
    ] = "v25.0"
    base_url: Annotated[
        str,
        Meta(
            title="Graph API host",
            description="Change only to go through a proxy.",
            pattern=r"^https?://[^\s/]+$",
        ),
    ] = "https://graph.facebook.com"
    customer_file_source: Annotated[
        CustomerFileSource,
        Meta(
            title="Customer file source",
            description="Where the data of audiences created by the hub comes from.",
        ),
    ] = "USER_PROVIDED_ONLY"
    limited_data_use: Annotated[
        bool,
        Meta(
            title="Limited Data Use",
            description="Flag every row with Meta's LDU data processing option.",
        ),
    ] = False
    wait_for_matching: Annotated[
        bool,
        Meta(
            title="Wait for matching",
            description=(
                "Follow each upload session until Meta reports it processed, to record "
                "how many rows matched. Meta may take hours; leave off for large audiences."
            ),
        ),
    ] = False
    timeout_seconds: Annotated[
        float, Meta(title="Timeout (seconds)", description="Per request.", gt=0, le=300)
    ] = 60.0

    @property
    def account(self) -> str:
        """The ad account as the Graph API names it: ``act_<id>``."""
        return f"act_{self.ad_account_id.removeprefix('act_')}"
