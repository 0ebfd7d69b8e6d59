"""The ``google_ads`` connection config: accounts, credentials, list kind, consent."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from junction.plugins import ConfigInvalid, secret

__all__ = ["Api", "GoogleAdsConfig", "UploadKeyType"]

Api = Literal["data_manager", "offline_user_data_job"]
UploadKeyType = Literal["CONTACT_INFO", "MOBILE_ADVERTISING_ID"]

_CUSTOMER_ID = r"^\d{10}$"
_PURPOSE = r"^[a-z][a-z0-9_]{0,39}$"


class GoogleAdsConfig(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    """One Google Ads account's Customer Match lists, and how to reach them."""

    customer_id: Annotated[
        str,
        Meta(
            title="Customer id",
            description="The Google Ads account that owns the lists: 10 digits, no hyphens.",
            pattern=_CUSTOMER_ID,
        ),
    ]
    login_customer_id: Annotated[
        Annotated[str, Meta(pattern=_CUSTOMER_ID)] | None,
        Meta(
            title="Manager (login) customer id",
            description="The manager account the credentials reach the customer through, "
            "if any: 10 digits, no hyphens.",
        ),
    ] = None
    api: Annotated[
        Api,
        Meta(
            title="Upload API",
            description="data_manager (required for new integrations since 2026-04-01) or "
            "offline_user_data_job (Google Ads API; only for developer tokens Google "
            "still allows to upload Customer Match data).",
        ),
    ] = "data_manager"
    auth: Annotated[
        Literal["refresh_token", "service_account"],
        Meta(
            title="Credential type",
            description="refresh_token: an OAuth client and a user's refresh token. "
            "service_account: a service account key (JSON) whose e-mail is a user "
            "of the account.",
        ),
    ] = "refresh_token"
    # Secrets are plain strings ("" = not set): the hub redacts top-level strings only.
    client_id: Annotated[
        str, Meta(title="OAuth client id", description="With auth=refresh_token.")
    ] = ""
    client_secret: Annotated[str, secret("OAuth client secret", "With auth=refresh_token.")] = ""
    refresh_token: Annotated[str, secret("OAuth refresh token", "With auth=refresh_token.")] = ""
    service_account_key: Annotated[
        str,
        secret("Service account key", "With auth=service_account: the JSON key file's content."),
    ] = ""
    developer_token: Annotated[
        str, secret("Developer token", "Google Ads API only (api=offline_user_data_job).")
    ] = ""
    upload_key_type: Annotated[
        UploadKeyType,
        Meta(
            title="List kind",
            description="CONTACT_INFO lists match hashed e-mails and phones; "
            "MOBILE_ADVERTISING_ID lists match raw IDFA / AAID device ids. Fixed once "
            "the list exists.",
        ),
    ] = "CONTACT_INFO"
    app_id: Annotated[
        Annotated[str, Meta(min_length=1, max_length=200)] | None,
        Meta(
            title="App id",
            description="Mobile lists only: the iOS App Store id or Android package name.",
        ),
    ] = None
    app_platform: Annotated[
        Literal["IOS", "ANDROID"] | None,
        Meta(title="App platform", description="Mobile lists only."),
    ] = None
    membership_days: Annotated[
        int,
        Meta(
            title="Membership duration (days)",
            description="How long a member stays on a list created by Junction after "
            "its last upload.",
            ge=1,
            le=540,
        ),
    ] = 540
    ad_user_data_purpose: Annotated[
        str,
        Meta(
            title="Consent purpose for ad user data",
            description="The hub consent purpose sent as Google's adUserData signal.",
            pattern=_PURPOSE,
        ),
    ] = "ads"
    ad_personalization_purpose: Annotated[
        str,
        Meta(
            title="Consent purpose for ad personalization",
            description="The hub consent purpose sent as Google's adPersonalization signal.",
            pattern=_PURPOSE,
        ),
    ] = "ads"
    quota_project: Annotated[
        Annotated[str, Meta(pattern=r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")] | None,
        Meta(
            title="Quota project",
            description="Google Cloud project billed for quota (x-goog-user-project); "
            "only needed with user credentials that carry none.",
        ),
    ] = None
    ads_api_version: Annotated[
        str,
        Meta(title="Google Ads API version", description="e.g. v22.", pattern=r"^v\d+$"),
    ] = "v22"
    wait_for_processing: Annotated[
        bool,
        Meta(
            title="Wait for processing",
            description="Poll each upload until Google has processed it (can take "
            "hours) before counting it delivered. Off: an upload Google accepted counts.",
        ),
    ] = False

    def validate(self) -> None:
        """Check what the schema can't express: the credentials and list kind agree.

        Raises:
            ConfigInvalid: Naming the field that is missing or contradicts another.
        """
        if self.auth == "refresh_token":
            for name in ("client_id", "client_secret", "refresh_token"):
                if not getattr(self, name):
                    raise ConfigInvalid(f"{name} is required with auth=refresh_token", field=name)
        elif not self.service_account_key:
            raise ConfigInvalid(
                "service_account_key is required with auth=service_account",
                field="service_account_key",
            )
        if self.api == "offline_user_data_job" and not self.developer_token:
            raise ConfigInvalid(
                "developer_token is required with api=offline_user_data_job",
                field="developer_token",
            )
        if self.upload_key_type == "MOBILE_ADVERTISING_ID":
            if not self.app_id:
                raise ConfigInvalid("mobile lists need app_id", field="app_id")
            if self.api == "data_manager" and not self.app_platform:
                raise ConfigInvalid("mobile lists need app_platform", field="app_platform")
