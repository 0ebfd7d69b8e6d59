"""The connection config of the ``aliyun_sms`` destination, and the per-sync options."""

from __future__ import annotations

import re
from typing import Annotated, Any

import msgspec
from msgspec import Meta

from junction.plugins import ConfigInvalid, Message, secret

__all__ = ["DEFAULT_ENDPOINT", "AliyunSmsConfig", "AliyunSmsOptions", "SendPlan", "plan"]

DEFAULT_ENDPOINT = "https://dysmsapi.aliyuncs.com/"
_TEMPLATE = re.compile(r"^[A-Za-z0-9_]{1,64}$")
_EXTEND = r"^\d{1,12}$"


class AliyunSmsConfig(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    """The RAM user's AccessKey pair, and where to send."""

    access_key_id: Annotated[
        str,
        Meta(
            title="AccessKey ID",
            description="Of a RAM user allowed to call dysmsapi (AliyunDysmsFullAccess).",
            pattern=r"^\S{1,128}$",
        ),
    ]
    access_key_secret: Annotated[
        str, secret("AccessKey secret", "Signs every request; never sent."), Meta(min_length=1)
    ]
    sign_name: Annotated[
        Annotated[str, Meta(min_length=1, max_length=64)] | None,
        Meta(
            title="Default signature (签名)",
            description="An approved SignName, used when a sync's options give none.",
        ),
    ] = None
    endpoint: Annotated[
        str,
        Meta(
            title="Endpoint",
            description="The dysmsapi endpoint; regional ones serve the same API.",
            pattern=r"^https?://[^\s/?#]+/?$",
        ),
    ] = DEFAULT_ENDPOINT
    region_id: Annotated[
        str, Meta(title="Region", description="Sent as RegionId.", pattern=r"^[a-z0-9-]{2,32}$")
    ] = "cn-hangzhou"
    timeout_seconds: Annotated[
        float,
        Meta(
            title="Timeout (seconds)",
            description="Per request. A send that times out is parked as unknown, never resent.",
            ge=1,
            le=60,
        ),
    ] = 10.0


class AliyunSmsOptions(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    """A message sync's ``options`` for this channel."""

    #: The approved signature; falls back to the connection's ``sign_name``.
    sign_name: Annotated[str, Meta(min_length=1, max_length=64)] | None = None
    #: Uplink extension code (SmsUpExtendCode), when the account has one.
    sms_up_extend_code: Annotated[str, Meta(pattern=_EXTEND)] | None = None


class SendPlan(msgspec.Struct, frozen=True, kw_only=True):
    """What every request of one ``send`` shares."""

    template_code: str
    sign_name: str
    extend_code: str | None = None


def plan(config: AliyunSmsConfig, message: Message) -> SendPlan:
    """Check ``message`` against what Aliyun needs; raises ConfigInvalid saying what is wrong."""
    if not message.template:
        raise ConfigInvalid(
            "Aliyun SMS sends approved templates only: set the sync's platform_template to a "
            "template code such as SMS_152550005",
            field="platform_template",
        )
    if not _TEMPLATE.match(message.template):
        raise ConfigInvalid(
            f"platform_template {message.template!r} is not an Aliyun template code "
            "(letters, digits and _, like SMS_152550005)",
            field="platform_template",
        )
    options = _options(message.options)
    sign_name = options.sign_name or config.sign_name
    if sign_name is None:
        raise ConfigInvalid(
            "no SMS signature: set options.sign_name on the sync or sign_name on the connection",
            field="sign_name",
        )
    return SendPlan(
        template_code=message.template, sign_name=sign_name, extend_code=options.sms_up_extend_code
    )


def _options(raw: dict[str, Any]) -> AliyunSmsOptions:
    try:
        return msgspec.convert(raw, AliyunSmsOptions)
    except msgspec.ValidationError as exc:
        raise ConfigInvalid(f"message options: {exc}", field="options") from exc
