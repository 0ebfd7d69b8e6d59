"""The connection config of the ``wecom`` destination, and a message sync's options."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from junction.plugins import ConfigInvalid, Message, secret

__all__ = ["DEFAULT_BASE_URL", "WeComConfig", "WeComOptions", "options_of"]

DEFAULT_BASE_URL = "https://qyapi.weixin.qq.com"


class WeComConfig(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    """A group robot (operator notifications), an application (app messages), or both."""

    webhook_key: Annotated[
        str,
        secret(
            "Group robot key",
            "The key=... part of the group robot's webhook URL. Set it to notify operators; "
            "leave empty when this connection only sends app messages.",
        ),
    ] = ""
    corp_id: Annotated[
        str,
        Meta(
            title="Corp ID (corpid)",
            description="From the admin console's My Company page. With corp_secret and "
            "agent_id, enables app messages.",
            pattern=r"^([A-Za-z0-9_-]{1,64})?$",
        ),
    ] = ""
    corp_secret: Annotated[
        str,
        secret("App secret (corpsecret)", "The application's Secret; fetches access tokens."),
    ] = ""
    agent_id: Annotated[
        Annotated[int, Meta(ge=0)] | None,
        Meta(title="AgentId", description="The application's AgentId, e.g. 1000002."),
    ] = None
    notify_format: Annotated[
        Literal["markdown", "text"],
        Meta(
            title="Notification format",
            description="markdown (4096 bytes, coloured severity, a link) or text (2048 bytes, "
            "can @mention).",
        ),
    ] = "markdown"
    mention: Annotated[
        list[Annotated[str, Meta(min_length=1, max_length=64)]],
        Meta(
            title="Mention in text notifications",
            description='Userids to @mention, or "@all"; text format only.',
            max_length=50,
        ),
    ] = []
    base_url: Annotated[
        str,
        Meta(
            title="API base URL",
            description="https://qyapi.weixin.qq.com unless a proxy stands in between.",
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
        app = {"corp_id": self.corp_id, "corp_secret": self.corp_secret, "agent_id": self.agent_id}
        given = [name for name, value in app.items() if value not in ("", None)]
        if given and len(given) < len(app):
            missing = ", ".join(name for name in app if name not in given)
            raise ValueError(f"app messages need corp_id, corp_secret and agent_id: set {missing}")
        if not given and not self.webhook_key:
            raise ValueError(
                "configure the group robot (webhook_key), the application "
                "(corp_id, corp_secret, agent_id), or both"
            )

    @property
    def has_robot(self) -> bool:
        return bool(self.webhook_key)

    @property
    def has_app(self) -> bool:
        return bool(self.corp_id and self.corp_secret and self.agent_id is not None)


class WeComOptions(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    """A message sync's ``options`` for WeCom app messages."""

    #: text (2048 bytes), markdown (2048 bytes) or textcard (subject as title, a link).
    msgtype: Literal["text", "markdown", "textcard"] = "text"
    #: The textcard's link (required for textcard) and button text.
    url: Annotated[str, Meta(pattern=r"^https?://\S+$", max_length=2048)] | None = None
    btntxt: Annotated[str, Meta(min_length=1, max_length=4)] | None = None
    #: Departments / tags that get a copy of every call (one shared message only).
    toparty: Annotated[list[Annotated[str, Meta(pattern=r"^\d{1,20}$")]], Meta(max_length=100)] = []
    totag: Annotated[list[Annotated[str, Meta(pattern=r"^\d{1,20}$")]], Meta(max_length=100)] = []
    safe: bool = False
    #: WeCom drops an identical request within the interval: a guard against resends.
    enable_duplicate_check: bool = True
    duplicate_check_interval: Annotated[int, Meta(ge=1, le=4 * 3600)] = 1800


def options_of(message: Message) -> WeComOptions:
    """The sync's options, or ConfigInvalid naming what is wrong."""
    try:
        options = msgspec.convert(dict(message.options), WeComOptions)
    except msgspec.ValidationError as exc:
        raise ConfigInvalid(f"message options: {exc}", field="options") from exc
    if options.msgtype == "textcard" and options.url is None:
        raise ConfigInvalid("options.url is required for msgtype textcard", field="options")
    return options
