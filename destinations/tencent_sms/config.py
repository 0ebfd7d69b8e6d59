"""The connection config of the ``tencent_sms`` destination, and the per-sync options."""

from __future__ import annotations

import re
from typing import Annotated, Any

import msgspec
from msgspec import Meta

from junction.plugins import ConfigInvalid, Message, secret

__all__ = ["DEFAULT_ENDPOINT", "SendPlan", "TencentSmsConfig", "TencentSmsOptions", "plan"]

DEFAULT_ENDPOINT = "https://sms.tencentcloudapi.com/"
_TEMPLATE = re.compile(r"^\d{1,20}$")


class TencentSmsConfig(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    """The API key pair, the SMS application, and where to send."""

    secret_id: Annotated[
        str,
        Meta(
            title="SecretId",
            description="Of a CAM user allowed to send SMS (QcloudSMSFullAccess).",
            pattern=r"^\S{1,128}$",
        ),
    ]
    secret_key: Annotated[
        str, secret("SecretKey", "Signs every request; never sent."), Meta(min_length=1)
    ]
    sms_sdk_app_id: Annotated[
        str,
        Meta(
            title="SmsSdkAppId",
            description="The SMS application's id from the SMS console, e.g. 1400006666.",
            pattern=r"^\d{5,20}$",
        ),
    ]
    sign_name: Annotated[
        Annotated[str, Meta(min_length=1, max_length=64)] | None,
        Meta(
            title="Default signature (签名)",
            description="An approved signature text, used when a sync's options give none. "
            "Required for mainland China numbers.",
        ),
    ] = None
    region: Annotated[
        str,
        Meta(
            title="Region",
            description="Sent as X-TC-Region (required by API version 2021-01-11).",
            pattern=r"^[a-z]{2}-[a-z0-9-]{2,30}$",
        ),
    ] = "ap-guangzhou"
    endpoint: Annotated[
        str,
        Meta(
            title="Endpoint",
            description="https://sms.tencentcloudapi.com/ or, on the international site, "
            "https://sms.intl.tencentcloudapi.com/.",
            pattern=r"^https?://[^\s/?#]+/?$",
        ),
    ] = DEFAULT_ENDPOINT
    timeout_seconds: Annotated[
        float,
        Meta(
            title="Timeout (seconds)",
            description="Per request. A send that times out is parked as unknown, never resent.",
            ge=1,
            le=60,
        ),
    ] = 10.0


class TencentSmsOptions(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    """A message sync's ``options`` for this channel."""

    #: The approved signature; falls back to the connection's ``sign_name``.
    sign_name: Annotated[str, Meta(min_length=1, max_length=64)] | None = None
    #: Template variable names in the order of the template's {1}, {2}... placeholders.
    param_order: Annotated[list[str], Meta(min_length=1, max_length=20)] | None = None
    extend_code: Annotated[str, Meta(pattern=r"^\d{1,12}$")] | None = None
    #: International sender id (only when enabled on the account).
    sender_id: Annotated[str, Meta(min_length=1, max_length=32)] | None = None


class SendPlan(msgspec.Struct, frozen=True, kw_only=True):
    """What every request of one ``send`` shares."""

    template_id: str
    sign_name: str | None
    param_order: tuple[str, ...] | None
    extend_code: str | None = None
    sender_id: str | None = None

    def template_params(self, params: dict[str, str]) -> list[str]:
        """``params`` as TemplateParamSet: positional, for {1}, {2}...

        Raises:
            ConfigInvalid: a variable the message renders has no place in the order.
            KeyError: the recipient lacks a variable ``param_order`` names.
        """
        if self.param_order is None:
            return [params[name] for name in sorted(params, key=_position)]
        extra = sorted(set(params) - set(self.param_order))
        if extra:
            raise ConfigInvalid(
                f"template variables {', '.join(extra)} are not in options.param_order "
                f"({', '.join(self.param_order)}): add them or stop rendering them",
                field="options",
            )
        return [params[name] for name in self.param_order]


def _position(name: str) -> tuple[int, int | str]:
    """Digits sort by value ("2" before "10"), as Tencent's {1}, {2}... do; then names."""
    return (0, int(name)) if name.isdigit() else (1, name)


def plan(config: TencentSmsConfig, message: Message) -> SendPlan:
    """Check ``message`` against what Tencent needs; raises ConfigInvalid saying what is wrong."""
    if not message.template:
        raise ConfigInvalid(
            "Tencent Cloud SMS sends approved templates only: set the sync's "
            "platform_template to the template's id, such as 1110",
            field="platform_template",
        )
    if not _TEMPLATE.match(message.template):
        raise ConfigInvalid(
            f"platform_template {message.template!r} is not a Tencent template id (digits)",
            field="platform_template",
        )
    options = _options(message.options)
    order = tuple(options.param_order) if options.param_order is not None else None
    if order is not None and len(set(order)) != len(order):
        raise ConfigInvalid("options.param_order names a variable twice", field="options")
    return SendPlan(
        template_id=message.template,
        sign_name=options.sign_name or config.sign_name,
        param_order=order,
        extend_code=options.extend_code,
        sender_id=options.sender_id,
    )


def _options(raw: dict[str, Any]) -> TencentSmsOptions:
    try:
        return msgspec.convert(raw, TencentSmsOptions)
    except msgspec.ValidationError as exc:
        raise ConfigInvalid(f"message options: {exc}", field="options") from exc
