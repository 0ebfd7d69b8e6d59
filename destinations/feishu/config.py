"""The connection config of the ``feishu`` destination, and a message sync's options."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from junction.plugins import ConfigInvalid, Message, secret

__all__ = ["DEFAULT_BASE_URL", "FeishuConfig", "FeishuOptions", "options_of"]

#: Feishu's host; Lark (international) is https://open.larksuite.com, with the same paths.
DEFAULT_BASE_URL = "https://open.feishu.cn"


class FeishuConfig(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    """A custom bot (operator notifications), a self-built app (messages), or both."""

    webhook_token: Annotated[
        str,
        secret(
            "Custom bot webhook token",
            "The last part of the bot's webhook URL (.../open-apis/bot/v2/hook/<token>). "
            "Set it to notify operators; leave empty for app messages only.",
        ),
    ] = ""
    webhook_secret: Annotated[
        str,
        secret(
            "Custom bot signing secret",
            "When the bot's security settings require a signature (签名校验).",
        ),
    ] = ""
    app_id: Annotated[
        str,
        Meta(
            title="App ID",
            description="A self-built app's App ID (cli_...). With app_secret, enables "
            "app messages.",
            pattern=r"^(cli_[A-Za-z0-9]{4,64})?$",
        ),
    ] = ""
    app_secret: Annotated[
        str, secret("App secret", "The app's App Secret; fetches tenant access tokens.")
    ] = ""
    notify_format: Annotated[
        Literal["interactive", "text"],
        Meta(
            title="Notification format",
            description="interactive (a card with a coloured header and a button to the "
            "run) or text.",
        ),
    ] = "interactive"
    concurrency: Annotated[
        int,
        Meta(
            title="Concurrent sends",
            description="App messages go one recipient per call; this many at once "
            "(Feishu allows 50 calls/s per app).",
            ge=1,
            le=20,
        ),
    ] = 5
    base_url: Annotated[
        str,
        Meta(
            title="API base URL",
            description="https://open.feishu.cn, or https://open.larksuite.com for Lark.",
            pattern=r"^https?://[^\s/?#]+(/[^\s?#]*)?$",
        ),
    ] = DEFAULT_BASE_URL
    timeout_seconds: Annotated[
        float,
        Meta(
            title="Timeout (seconds)",
            description="Per request. A send that times out is parked as unknown, never resent.",
            ge=1,
            le=60,
        ),
    ] = 10.0

    def __post_init__(self) -> None:
        if bool(self.app_id) != bool(self.app_secret):
            missing = "app_secret" if self.app_id else "app_id"
            raise ValueError(f"app messages need app_id and app_secret: set {missing}")
        if self.webhook_secret and not self.webhook_token:
            raise ValueError("webhook_secret signs the custom bot's calls: set webhook_token")
        if not self.webhook_token and not self.app_id:
            raise ValueError(
                "configure the custom bot (webhook_token), the app (app_id, app_secret), or both"
            )

    @property
    def has_bot(self) -> bool:
        return bool(self.webhook_token)

    @property
    def has_app(self) -> bool:
        return bool(self.app_id and self.app_secret)


class FeishuOptions(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    """A message sync's ``options`` for Feishu app messages."""

    #: text, or post (rich text: the subject as title, the text as paragraphs).
    msg_type: Literal["text", "post"] = "text"
    #: Which address to send to; by default user_id when the person has one, else email.
    receive_id_type: Literal["user_id", "email"] | None = None


def options_of(message: Message) -> FeishuOptions:
    """The sync's options, or ConfigInvalid naming what is wrong."""
    try:
        return msgspec.convert(dict(message.options), FeishuOptions)
    except msgspec.ValidationError as exc:
        raise ConfigInvalid(f"message options: {exc}", field="options") from exc
